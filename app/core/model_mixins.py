"""The columns many tables repeat, declared once. Tables keep their names, types, keys and
constraints; `sort_order` keeps a mixin's columns where the tables always had them (the audit
trail and the default forms list a row's fields in that order)."""
from flask_appbuilder import Model
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import declared_attr, mapped_column, relationship

from app.core.db import TABLE_LABELS
from app.core.timefmt import utcnow


class NamedRow:
    """A row of reference data, shown by its name (in lists, choices and the audit trail)."""
    id = mapped_column(Integer, primary_key=True, sort_order=-1)

    def __repr__(self):
        return self.name


class CatalogRow(NamedRow):
    """A catalog entry: retired rather than deleted (`active` off: kept for old records, no
    longer offered)."""
    active = mapped_column(Boolean, nullable=False, default=True, sort_order=1)


class EventLine:
    """A line of a record's history, append-only: who did what, when, with which note. The
    model adds the record (`EventLine.of`), its action (`EventLine.step`) and what else it
    keeps."""
    id = mapped_column(Integer, primary_key=True, sort_order=-4)

    @declared_attr
    def actor_id(cls):
        return mapped_column(Integer, ForeignKey("ab_user.id", ondelete="RESTRICT"),
                             sort_order=-2)

    @declared_attr
    def actor(cls):
        # By name, like catalogs.Signer.user: the kernel imports no model of a package above it.
        return relationship("EofficeUser")

    at = mapped_column(DateTime, nullable=False, default=utcnow, sort_order=-1)  # real time
    note = Column(Text)

    @staticmethod
    def of(record):
        """The key of the record the line belongs to, and the record (its `events`)."""
        return part_of(record, "events", sort_order=-3)

    @staticmethod
    def step(action, states):
        """The action (a name of up to `action` characters) and the record's state before and
        after it (up to `states`): `action, from_state, to_state = EventLine.step(30, 20)`."""
        return (Column(String(action), nullable=False), Column(String(states)),
                Column(String(states)))


def reference(model, ondelete="RESTRICT", **column):
    """The key of a row of `model` and the relationship to it (`ondelete=None`: the database's
    default rule): `field_id, field = reference(Field, index=True)`."""
    key = Column(Integer, ForeignKey(f"{model.__tablename__}.id", ondelete=ondelete), **column)
    return key, relationship(model, foreign_keys=[key])


def part_of(parent, back_populates, sort_order=0, **column):
    """The key and the relationship of a row that belongs to `parent` and is deleted with it:
    `document_id, document = part_of(OutgoingDocument, "files")`."""
    key = mapped_column(Integer, ForeignKey(f"{parent.__tablename__}.id", ondelete="CASCADE"),
                        nullable=False, sort_order=sort_order, **{"index": True, **column})
    return key, relationship(parent, back_populates=back_populates)


def lines(model, back_populates, **options):
    """A record's own rows (its lines, files, history), in the order they were added and
    deleted with it: `events = lines("DraftEvent", "draft")`."""
    return relationship(model, back_populates=back_populates, order_by=f"{model}.id",
                        cascade="all, delete-orphan", **options)


def link_table(name, label, *keys):
    """A many-to-many table of two (or more) keys, each `(column, table, ondelete)`, named in
    the audit trail by `label`."""
    TABLE_LABELS[name] = label
    return Table(name, Model.metadata, *(
        Column(column, Integer, ForeignKey(f"{table}.id", ondelete=ondelete), primary_key=True)
        for column, table, ondelete in keys))


def label_of(column, labels):
    """A property: the label of the row's value in `column` (the value itself if it has none)."""
    return property(lambda self: labels.get(getattr(self, column), getattr(self, column)))
