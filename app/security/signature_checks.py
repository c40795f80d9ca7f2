"""Every PDF received is checked for its digital signatures (Decree 30 Art. 21.2).

A stored PDF (an upload, an edXML arrival, an import: everything goes through
app.core.storage.saving_files) is verified as it is stored (app.security.signing.verify_file):
the state ("valid", "invalid", "unknown", "unsigned"; None: not checked) and the report are
kept on the file (DocumentFile.signature_*). Here: that hook, the badge's data for the pages
(`signature_view`, a Jinja global used by templates/signatures/badge.html), the grids' filter
(`signature_condition`), the register's note (`register_notes`), checking one file again
(`recheck_file`, after a trust anchor was added), checking the files stored before
(`recheck`, `flask eoffice signatures recheck [--all]`) and which file a person may see
(`visible_file`)."""
import json
from datetime import datetime
from types import SimpleNamespace

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, select

from app.core.errors import DomainError
from app.core.models import DocumentFile
from app.core.timefmt import format_datetime, utcnow

PDF = "application/pdf"
VALID, INVALID, UNKNOWN, UNSIGNED = "valid", "invalid", "unknown", "unsigned"
UNCHECKED = "unchecked"  # the filter's name for "not checked" (state None)
SIGNED = (VALID, INVALID, UNKNOWN)
# The grid's and the REST list's filter: value → label (app.core.pades.STATE_LABELS' words).
FILTER_CHOICES = {
    VALID: _l("Hợp lệ"), INVALID: _l("Không hợp lệ"), UNKNOWN: _l("Không xác định"),
    UNSIGNED: _l("Không có chữ ký số"), UNCHECKED: _l("Chưa kiểm tra"),
}
# Bootstrap 3 label class and Font Awesome icon of each state: the label's text says the state
# (never the colour alone).
LOOKS = {VALID: ("success", "circle-check"), INVALID: ("danger", "circle-xmark"),
         UNKNOWN: ("warning", "circle-question"), UNSIGNED: ("default", "file"),
         None: ("default", "hourglass")}
REVOCATION_LABELS = {
    "checked": _l("đã kiểm tra: chứng thư số chưa bị thu hồi"),
    "unchecked": _l("chưa kiểm tra được tình trạng thu hồi"),
    "revoked": _l("chứng thư số đã bị thu hồi"),
    "not_applicable": _l("chứng thư số không công bố nơi kiểm tra thu hồi"),
}
NOT_READ = _l("Không kiểm tra được chữ ký số của tệp này; hãy kiểm tra lại sau.")


class NotVisible(DomainError):
    """A file the person may not see (answered as a missing one: 404)."""


# ---------------------------------------------------------------- checking a stored file

def check_stored(session, record, data) -> None:
    """app.core.storage's callback: a PDF being stored is verified with it. Nothing here makes
    the upload fail: a check that cannot be made leaves the state "unknown" with the reason."""
    if not record.is_pdf:
        return
    _verify(session, record, data)


def _verify(session, record, data=None):
    """signing.verify_file, never raising: a failure is recorded as "unknown" (and logged)."""
    try:
        from app.security import signing
    except ImportError:  # the keys' module is not there (yet): left unchecked
        return None
    try:
        with session.no_autoflush:
            report = signing.verify_file(session, record, data)
        if report is None and record.is_pdf:  # its stored file could not be read
            record.signature_state, record.signature_report = UNKNOWN, None
            record.signature_checked_at = utcnow()
        return report
    except Exception:  # noqa: BLE001 (one file's check never refuses it nor stops a batch)
        current_app.logger.exception("signatures: checking file %s (%s) failed",
                                     record.id, record.original_name)
        record.signature_state, record.signature_report = UNKNOWN, None
        record.signature_checked_at = utcnow()
        return None


# The objects that own files, registered by their domains (security imports no domain):
# kind → owns(record) -> bool, find(session, user, record) -> the owner if `user` may see it
# (as its own file routes decide) else None, resource: who may change it ("can_write" on it),
# page(owner) -> its page's address.
FILE_OWNERS = {}


def register_file_owner(kind, *, owns, find, resource, page) -> None:
    FILE_OWNERS[kind] = SimpleNamespace(owns=owns, find=find, resource=resource, page=page)


def owner_kind(record):
    return next((kind for kind, owner in FILE_OWNERS.items() if owner.owns(record)), None)


def visible_file(session, user, file_id):
    """(record, kind, owner) when `user` may see the object the file belongs to, as its own
    file routes decide; else None, answered 404 like those routes (so is a file of an object
    whose domain registered no owner)."""
    try:
        file_id = int(file_id)
    except (TypeError, ValueError):
        return None
    if not 0 < file_id < 2**31:
        return None
    record = session.get(DocumentFile, file_id)
    kind = owner_kind(record) if record is not None else None
    if kind is None:
        return None
    owner = FILE_OWNERS[kind].find(session, user, record)
    return (record, kind, owner) if owner is not None else None


def may_recheck(user, kind) -> bool:
    from app.security.access import may

    return kind in FILE_OWNERS and may(user, "can_write", FILE_OWNERS[kind].resource)


def may_recheck_file(record) -> bool:
    """For the pages: whether the signed-in person sees the "Kiểm tra lại chữ ký số" button of
    a file (a PDF of a document they may change; the route checks again)."""
    from flask import g

    return bool(record is not None and record.is_pdf and
                may_recheck(g.get("user"), owner_kind(record)))


def recheck_file(session, user, file_id):
    """Check one stored PDF's signatures again now (e.g. after a trust anchor was added):
    returns (record, owner kind, owner). One unit of work. NotVisible for a file the person may
    not see; DomainError when they may not change its document or it is not a PDF."""
    found = visible_file(session, user, file_id)
    if found is None:
        raise NotVisible(_l("Không tìm thấy tệp."))
    record, kind, owner = found
    if not may_recheck(user, kind):
        raise DomainError(_l("Chỉ người được sửa văn bản mới kiểm tra lại chữ ký số."))
    if not record.is_pdf:
        raise DomainError(_l("Chỉ kiểm tra chữ ký số của tệp PDF."))
    _verify(session, record)
    session.commit()
    return record, kind, owner


def recheck(session, *, only_unchecked=True, batch=200, echo=None) -> int:
    """Check the stored PDFs again: those never checked (state None) or, with
    only_unchecked=False, all of them. In batches of `batch` rows by id (keyset: never all the
    rows in memory), committed per batch. Returns how many files were checked."""
    done, last_id = 0, 0
    while True:
        query = select(DocumentFile).where(DocumentFile.content_type == PDF,
                                           DocumentFile.id > last_id)
        if only_unchecked:
            query = query.where(DocumentFile.signature_state.is_(None))
        rows = list(session.scalars(query.order_by(DocumentFile.id).limit(batch)))
        if not rows:
            return done
        for record in rows:
            _verify(session, record)
        last_id = rows[-1].id
        done += len(rows)
        session.commit()
        session.expunge_all()  # the batch's rows (and their texts) leave memory
        if echo is not None:
            echo(done)


@click.group("signatures")
def signatures_cli():
    """Chữ ký số của các tệp PDF đã lưu."""


@signatures_cli.command("recheck")
@click.option("--all", "everything", is_flag=True, default=False,
              help="Kiểm tra lại mọi tệp PDF (mặc định: chỉ các tệp chưa kiểm tra).")
@click.option("--batch", default=200, show_default=True, type=click.IntRange(1, 10_000))
@with_appcontext
def recheck_command(everything, batch):
    """Kiểm tra chữ ký số của các tệp PDF đã lưu trước đây."""
    from app.extensions import db

    count = recheck(db.session, only_unchecked=not everything, batch=batch,
                    echo=lambda n: click.echo(_("Đã kiểm tra %(n)s tệp…", n=n)))
    click.echo(_("Xong: đã kiểm tra chữ ký số của %(n)s tệp PDF.", n=count))


# ---------------------------------------------------------------- what the pages show

def report_of(record):
    """The stored report (app.core.pades.Report) of a file, None when there is none."""
    if not record.signature_report:
        return None
    from app.core import pades

    try:
        return pades.Report.from_json(record.signature_report)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def _reason_text(reason) -> str:
    from app.core import pades

    if isinstance(reason, dict):
        return str(pades.reason_text(reason.get("code", ""), reason.get("params") or {}))
    return str(reason)


def _time_text(value) -> str:
    if not value:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value)
    try:
        return format_datetime(datetime.fromisoformat(str(value).replace("Z", "+00:00")))
    except ValueError:
        return str(value)


def state_label(state) -> str:
    return str(FILTER_CHOICES[state if state in FILTER_CHOICES else UNCHECKED])


def signature_view(record):
    """What the badge shows for a file (templates/signatures/badge.html): None for a file that
    is not a PDF and was never checked (no badge); else state, label, css, icon, reasons
    (Vietnamese), the signatures (each with its details as text) and when it was checked."""
    if record is None or (record.signature_state is None and not record.is_pdf):
        return None
    state = record.signature_state if record.signature_state in (*SIGNED, UNSIGNED) else None
    css, icon = LOOKS[state]
    report = report_of(record) if state is not None else None
    signatures, reasons = [], []
    if report is not None:
        reasons = [str(r) for r in report.reasons()]
        for sig in report.signatures:
            signatures.append(SimpleNamespace(
                field=sig.field, signer=sig.signer, organisation=sig.organisation,
                time_text=_time_text(sig.signing_time), timestamped=sig.timestamped,
                intact=sig.intact, covers_whole=sig.covers_whole, trusted=sig.trusted,
                revocation_label=str(REVOCATION_LABELS.get(sig.revocation, sig.revocation)),
                state_label=state_label(sig.state),
                reasons=[_reason_text(r) for r in sig.reasons or []]))
    elif state in (INVALID, UNKNOWN):
        reasons = [str(NOT_READ)]
    return SimpleNamespace(
        state=state, label=state_label(state), css=css, icon=icon, reasons=reasons,
        signatures=signatures, checked_text=_time_text(record.signature_checked_at))


def invalid_reasons(files) -> list[str]:
    """The reasons of the files whose signatures are invalid ("Không hợp lệ"), each prefixed
    by the file's name when several files are invalid: for the clerk's return (Art. 21.2)."""
    invalid = [f for f in files if f.signature_state == INVALID]
    lines = []
    for record in invalid:
        view = signature_view(record)
        text = "; ".join(view.reasons) or str(NOT_READ)
        lines.append(f"{record.original_name}: {text}" if len(invalid) > 1 else text)
    return lines


# ---------------------------------------------------------------- filters and registers

def signature_condition(value, link):
    """SQL condition for the "Chữ ký số" filter on an object with files; `link` correlates
    DocumentFile to it (e.g. DocumentFile.incoming_id == IncomingDocument.id). None for an
    empty or unknown value (no filter). EXISTS over the files (ix_document_file_signature_state):
      invalid / unknown: a file whose signatures are invalid / cannot be established;
      valid: a file with valid signatures and none invalid or unknown;
      unsigned: a PDF without signature and no signed file;
      unchecked: a PDF not checked yet."""
    state = DocumentFile.signature_state
    has = lambda *conditions: exists().where(link, *conditions)  # noqa: E731
    if value in (INVALID, UNKNOWN):
        return has(state == value)
    if value == VALID:
        return and_(has(state == VALID), ~has(state.in_((INVALID, UNKNOWN))))
    if value == UNSIGNED:
        return and_(has(state == UNSIGNED), ~has(state.in_(SIGNED)))
    if value == UNCHECKED:
        return has(state.is_(None), DocumentFile.content_type == PDF)
    return None


def signature_summaries(session, link_column, query_of_owners) -> dict:
    """{owner id: [one-line summaries]} of the signed files of the owners a query selects
    (`query_of_owners`: a SELECT of the owners' ids), in one statement: the register's notes."""
    rows = session.execute(
        select(link_column, DocumentFile.signature_report).where(
            link_column.in_(query_of_owners), DocumentFile.signature_state.in_(SIGNED))
        .order_by(link_column, DocumentFile.id))
    summaries = {}
    from app.core import pades

    for owner_id, text in rows:
        try:
            report = pades.Report.from_json(text)
        except (ValueError, TypeError, KeyError, AttributeError, json.JSONDecodeError):
            report = None
        if report is not None:
            summaries.setdefault(owner_id, []).append(str(report.summary()))
    return summaries


# ---------------------------------------------------------------- wiring

def init_signature_checks(app) -> None:
    """At app creation: the storage hook, the badge's helper, the CLI command."""
    from app.cli import eoffice
    from app.core import storage

    storage.on_stored(check_stored)
    app.jinja_env.globals["signature_view"] = signature_view
    app.jinja_env.globals["signature_filter_choices"] = FILTER_CHOICES
    app.jinja_env.globals["signature_may_recheck"] = may_recheck_file
    app.jinja_env.globals["signature_invalid_reasons"] = invalid_reasons
    if "signatures" not in eoffice.commands:
        eoffice.add_command(signatures_cli)
