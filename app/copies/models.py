"""Electronic copies (bản sao điện tử) and their yearly numbering ("Số: 05/SY-SNV")."""
from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, DateTime, Integer, String, Text, UniqueConstraint

from app.audit.labels import TABLE_FIELD_LABELS
from app.core.model_mixins import reference
from app.core.models import DocumentFile
from app.core.timefmt import utcnow
from app.documents.models import IncomingDocument
from app.org.models import EofficeUser

SAO_Y = "SAO Y"
COPY_FORMS = {SAO_Y: _l("Sao y")}
# How the audit trail names a copy's fields (app.audit.labels; "incoming" is the common
# label, and a key such as made_by_id takes the label of its relationship).
TABLE_FIELD_LABELS.setdefault("electronic_copy", {}).update({
    "year": _l("Năm"), "number": _l("Số bản sao"), "number_symbol": _l("Số, ký hiệu bản sao"),
    "form": _l("Hình thức sao"), "original": _l("Văn bản được sao"),
    "recipients": _l("Nơi nhận"), "source_file": _l("Bản quét bản gốc"),
    "copy_file": _l("Bản sao điện tử"), "made_by": _l("Người sao"), "made_at": _l("Thời điểm sao"),
})
TABLE_FIELD_LABELS.setdefault("electronic_copy_counter", {}).update({
    "year": _l("Năm"), "last_number": _l("Số bản sao cuối cùng")})


class ElectronicCopyCounter(Model):
    """The last copy number of a year (numbers restart each year, like the registers')."""
    __tablename__ = "electronic_copy_counter"
    __label__ = _l("số bản sao")

    year = Column(Integer, primary_key=True, autoincrement=False)
    last_number = Column(Integer, nullable=False, default=0)


class ElectronicCopy(Model):
    __tablename__ = "electronic_copy"
    __label__ = _l("bản sao điện tử")
    __table_args__ = (UniqueConstraint("year", "number", name="uq_electronic_copy_number"),)

    id = Column(Integer, primary_key=True)
    year = Column(Integer, nullable=False)
    number = Column(Integer, nullable=False)
    number_symbol = Column(String(60), nullable=False)  # as printed: "05/SY-SNV"
    form = Column(String(20), nullable=False, default=SAO_Y)
    # What was copied, as the clerk names it (type, number and symbol, date, excerpt of the
    # original), and the incoming document it belongs to, if any.
    original = Column(Text, nullable=False)
    incoming_id, incoming = reference(IncomingDocument, ondelete="SET NULL", index=True)
    recipients = Column(Text)  # Nơi nhận
    source_file_id, source_file = reference(DocumentFile, nullable=False)
    copy_file_id, copy_file = reference(DocumentFile, nullable=False)
    made_by_id, made_by = reference(EofficeUser, nullable=False)
    made_at = Column(DateTime, nullable=False, default=utcnow)

    def __repr__(self):
        return self.number_symbol
