"""Prefill at registration: the clerk attaches a scan (or an image, or a PDF without a text
layer) and the registration form proposes its fields, read from the page (app.core.ocr) and
recognised in the layout of Decree 30 (app.core.recognize) against the catalogs: issuing
agency, number and symbol, date, type, excerpt, signer and position, urgency and secrecy.

Nothing is saved here (no transaction, no file kept): `propose_for_upload` reads the bytes
and returns the proposals; the form fills its empty fields with them, marked as proposed, and
the clerk confirms or corrects before pressing the button that saves. An electronic PDF whose
text layer is there is read from it without OCR. Only the first and the last page of a long
scan are read (the heading is on the first, the signature on the last): a page or two, a few
seconds."""
import io
import logging

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.catalogs.models import Agency, DocumentType, SecrecyLevel, UrgencyLevel
from app.core import ocr, recognize, storage
from app.core.errors import DomainError
from app.core.text import fold
from app.core.timefmt import format_date
from app.documents import ocr_jobs

log = logging.getLogger(__name__)

PAGES_READ = 2  # the first and the last page
NO_FILE = _l("Chưa chọn tệp bản quét (PDF hoặc ảnh).")
NOTHING_READ = _l("Không đọc được chữ nào trên bản quét: hãy nhập các trường bằng tay.")
UNEXPECTED = _l("Lỗi không mong đợi khi đọc bản quét (đã ghi vào nhật ký máy chủ); hãy nhập "
                "các trường bằng tay.")


class PrefillError(DomainError):
    """The file cannot be read for a proposal: the message says why, in Vietnamese.
    `status`: 400 when no file came, else 422."""

    def __init__(self, message, status=422):
        super().__init__(message)
        self.status = status


def sample_pages(data: bytes, content_type: str) -> bytes:
    """The pages read for a proposal: a PDF of more than PAGES_READ pages is cut to its first
    and last page; anything else as it is."""
    if content_type != "application/pdf":
        return data
    from pypdf import PdfWriter

    from app.core.pdf import read_pdf

    reader, _repaired = read_pdf(data)
    if len(reader.pages) <= PAGES_READ:
        return data
    writer = PdfWriter()
    writer.add_page(reader.pages[0])
    writer.add_page(reader.pages[-1])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _catalogs(session):
    agencies = session.execute(select(Agency.id, Agency.name, Agency.short_name)
                               .where(Agency.active.is_(True))).all()
    types = session.execute(select(DocumentType.id, DocumentType.name, DocumentType.abbreviation)
                            .where(DocumentType.active.is_(True))).all()
    return [tuple(row) for row in agencies], [tuple(row) for row in types]


def _level(session, model, rank, value):
    """The urgency or secrecy level a proposal names: its rank (UrgencyLevel.priority,
    SecrecyLevel.level, as app.core.recognize gives it) or its name (any accents and case):
    (id, name), or None."""
    levels = session.execute(select(model.id, model.name, rank)).all()
    if isinstance(value, int) and not isinstance(value, bool):
        return next(((i, n) for i, n, r in levels if r == value), None)
    wanted = fold(str(value or ""))
    return next(((i, n) for i, n, _r in levels if fold(n) == wanted), None) if wanted else None


def _entry(proposal, value, label=None) -> dict:
    entry = {"value": value, "text": getattr(proposal, "text", None) or "",
             "confidence": getattr(proposal, "confidence", None)}
    if label is not None:
        entry["label"] = label
    return entry


def form_fields(session, proposals: dict, agencies, types) -> dict:
    """The recogniser's proposals as the registration form's fields: {field name: {value,
    label (a choice's name), text (as read), confidence}}. A catalog id that is not an active
    choice is left out; an agency read but not in the catalog is proposed as a new one."""
    fields = {}
    agency_names = {a[0]: a[1] for a in agencies}
    type_names = {t[0]: t[1] for t in types}
    agency = proposals.get("agency_id")
    if agency is not None and agency.value in agency_names:
        fields["agency_id"] = _entry(agency, agency.value, agency_names[agency.value])
    elif proposals.get("agency_name") is not None and proposals["agency_name"].value:
        fields["new_agency"] = _entry(proposals["agency_name"],
                                      str(proposals["agency_name"].value))
    kind = proposals.get("type_id")
    if kind is not None and kind.value in type_names:
        fields["document_type_id"] = _entry(kind, kind.value, type_names[kind.value])
    for name in ("number_symbol", "excerpt", "signer_name", "signer_position"):
        proposal = proposals.get(name)
        if proposal is not None and proposal.value not in (None, ""):
            fields[name] = _entry(proposal, str(proposal.value))
    day = proposals.get("document_date")
    if day is not None and day.value:
        fields["document_date"] = _entry(day, format_date(day.value) if hasattr(
            day.value, "year") else str(day.value))
    for key, name, model, order in (
            ("urgency", "urgency_id", UrgencyLevel, UrgencyLevel.priority),
            ("secrecy", "secrecy_id", SecrecyLevel, SecrecyLevel.level)):
        proposal = proposals.get(key)
        level = _level(session, model, order, proposal.value) if proposal is not None and \
            proposal.value not in (None, "") else None
        if level is not None:
            fields[name] = _entry(proposal, level[0], level[1])
    return fields


def propose_for_upload(session, data: bytes, filename: str) -> dict:
    """The proposals for a file being registered: {fields (form_fields), source ("ocr" or
    "text": a PDF's own text layer), pages (read), seconds, message}. PrefillError with a
    Vietnamese message when the file cannot be read (not a PDF or an image, encrypted, too
    large, OCR off…). Reads only: nothing is written."""
    config = current_app.config
    if not data:
        raise PrefillError(NO_FILE, status=400)
    try:
        (_data, info), = storage.check_files([(data, filename or "ban-quet")])
    except storage.FileErrors as error:
        raise PrefillError("; ".join(str(m) for m in error.messages)) from error
    needs_ocr = ocr.needs_ocr(data, info.content_type)
    source, pages, seconds = "text", info.page_count, 0.0
    text = "" if needs_ocr else (info.text or "")
    if needs_ocr or not text.strip():
        if not ocr_jobs.enabled(config):
            raise PrefillError(ocr_jobs.off_message(config))
        try:
            sample = sample_pages(data, info.content_type)
            result = ocr.ocr_file(sample, info.content_type,
                                  language=config.get("OCR_LANGUAGE") or "vie",
                                  dpi=int(config.get("OCR_DPI") or 300),
                                  max_pages=int(config.get("OCR_MAX_PAGES", 50)))
        except DomainError as error:
            raise PrefillError(str(error)) from error
        except Exception as error:  # noqa: BLE001 (never a 500 for a scan)
            if isinstance(error, ocr.OcrError):
                raise PrefillError(str(error) or str(UNEXPECTED)) from error
            log.exception("Prefill: reading %s failed", filename)
            raise PrefillError(UNEXPECTED) from error
        source, text = "ocr", result.text or ""
        pages, seconds = result.pages, round(float(result.seconds or 0), 2)
    if not text.strip():
        raise PrefillError(NOTHING_READ)
    agencies, types = _catalogs(session)
    try:
        proposals = recognize.propose(text, agencies=agencies, types=types)
    except Exception as error:  # noqa: BLE001
        log.exception("Prefill: recognising the text of %s failed", filename)
        raise PrefillError(UNEXPECTED) from error
    fields = form_fields(session, proposals or {}, agencies, types)
    if fields:
        message = _("Đã đề xuất %(n)s trường từ bản quét: kiểm tra lại từng trường trước khi "
                    "vào sổ.", n=len(fields))
    else:
        message = _("Không nhận ra trường nào trên bản quét: hãy nhập bằng tay.")
    return {"fields": fields, "source": source, "pages": pages, "seconds": seconds,
            "message": message}


def answer(session, user, files) -> tuple[dict, int]:
    """(JSON body, status) of a proposal request, the same for the web form and REST: the
    clerk's only (403), the multipart field `file` (or `files`), 4xx with a Vietnamese
    message when it cannot be read."""
    from app.documents import workflow

    if not workflow.registers(user, None):
        return {"message": _("Chỉ văn thư được đọc bản quét để vào sổ.")}, 403
    upload = files.get("file") or files.get("files")
    try:
        return propose_for_upload(session, upload.read() if upload else b"",
                                  upload.filename if upload else ""), 200
    except PrefillError as error:
        return {"message": str(error)}, error.status
