"""Sao y điện tử (Decree 30/2020 Art. 25–27, Appendix I): the clerk scans a paper original; the
copy is the scan as a PDF, marked at the top right of its first page — with the agency's digital
signature, no image, Times New Roman 10, blue — "SAO Y", the agency's name, the copy's number
and symbol ("Số: 05/SY-SNV") and the signing time.

Copies are numbered per year in their own sequence (symbol "SY-<agency code>"); a number is
taken in the transaction that stores the copy, as the registers' numbers are
(app.documents.numbering): numbers never collide and a refused copy takes none."""
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.copies.access import may_make
from app.copies.models import SAO_Y, ElectronicCopy, ElectronicCopyCounter
from app.core import storage
from app.core.errors import DomainError, FormErrors
from app.core.numbers import row_id
from app.core.text import nfc
from app.core.timefmt import to_local, utcnow
from app.documents.access import get_visible as visible_incoming_document
from app.documents.numbering import begin_numbering

SYMBOL_CODE = "SY"  # bản sao y (Appendix I)
SIGNATURE_FIELD = "ky_sao_y"
ORIGINAL_MAX = 1000
RECIPIENTS_MAX = 2000
NOT_ALLOWED = _l("Chỉ văn thư được sao y điện tử văn bản.")


# ---------------------------------------------------------------- numbers

def copy_symbol(session) -> str:
    """"SY-SNV": the copies' symbol with the agency's code, as outgoing symbols take it."""
    from app.outgoing.services import issuer_code

    return f"{SYMBOL_CODE}-{issuer_code(session)}"


def _insert_counter_if_missing(session, year: int) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(ElectronicCopyCounter).values(year=year, last_number=0)
                    .on_conflict_do_nothing(index_elements=["year"]))


def take_copy_number(session, year: int) -> int:
    """Reserve the year's next copy number: the first write of the transaction that inserts
    the copy (`UPDATE … RETURNING` locks the counter row until the commit)."""
    _insert_counter_if_missing(session, year)
    return session.execute(
        update(ElectronicCopyCounter).where(ElectronicCopyCounter.year == year)
        .values(last_number=ElectronicCopyCounter.last_number + 1)
        .returning(ElectronicCopyCounter.last_number)).scalar_one()


def peek_copy_number(session, year: int) -> int:
    """The number the next copy of `year` would get now (shown on the form, not reserved)."""
    last = session.scalar(select(ElectronicCopyCounter.last_number)
                          .where(ElectronicCopyCounter.year == year))
    return (last or 0) + 1


def current_year() -> int:
    return to_local(utcnow()).year


# ---------------------------------------------------------------- checks

def _text(value, field, *, required, limit, errors, empty_message=None):
    if value is not None and not isinstance(value, str):
        errors[field] = [_l("Phải là chuỗi ký tự.")]
        return None
    text = nfc((value or "").strip())
    if not text:
        if required:
            errors[field] = [empty_message]
        return None
    if len(text) > limit:
        errors[field] = [_l("Tối đa %(n)s ký tự (đang có %(m)s).", n=limit, m=len(text))]
        return None
    return text


def _incoming(session, user, incoming_id, errors):
    if incoming_id is None or (isinstance(incoming_id, str) and not incoming_id.strip()):
        return None
    document_id = row_id(incoming_id)
    document = visible_incoming_document(session, user, document_id) if document_id else None
    if document is None:
        errors["incoming_id"] = [_l("Không tìm thấy văn bản đến này (số thứ tự không đúng "
                                    "hoặc bạn không được xem văn bản).")]
    return document


def _scan(uploads, errors):
    uploads = [(data, name or "") for data, name in (uploads or []) if data or name]
    if not uploads:
        errors["file"] = [_l("Chọn tệp bản quét của bản gốc (PDF hoặc ảnh JPEG, PNG, TIFF).")]
        return None
    if len(uploads) > 1:
        errors["file"] = [_l("Mỗi bản sao là một tệp: chọn một tệp bản quét.")]
        return None
    try:
        return storage.check_files(uploads, allowed=storage.PDF_OR_IMAGE)[0]
    except storage.FileErrors as error:
        errors["file"] = error.messages
        return None


def signing_problem():
    """Why the agency's signature cannot be added now (no key configured), or None."""
    from app.security import signing

    if signing.agency_key_kind() is None:
        return _l("Chưa cấu hình khóa ký số của cơ quan (token, HSM hoặc tệp PKCS#12): báo quản "
                  "trị mạng. Chưa sao y được; chưa cấp số.")
    return None


def _as_pdf(data: bytes, info) -> bytes:
    if info.content_type == "application/pdf":
        return data
    from app.core.pdf import image_to_pdf

    try:
        return image_to_pdf(data)
    except DomainError:
        raise
    except Exception as error:  # noqa: BLE001 (Pillow's own errors on a damaged image)
        raise FormErrors({"file": [_l("Không chuyển được ảnh bản quét thành PDF: tệp ảnh hỏng "
                                      "hoặc không đọc được.")]}) from error


# ---------------------------------------------------------------- the copy

def appearance_lines(display: str, moment) -> list[str]:
    """The copy's marking (Appendix I): "SAO Y", the agency, the number, the signing time."""
    from app.outgoing.services import number_text, signing_time_text

    return [SAO_Y, current_app.config["AGENCY_NAME"], number_text(display),
            signing_time_text(moment)]


def _signed(pdf: bytes, display: str, moment) -> bytes:
    from app.core import pades
    from app.security import signing

    appearance = pades.Appearance(kind="agency", page=0, lines=appearance_lines(display, moment))
    try:
        with signing.agency_signer() as signer:
            return pades.sign(pdf, signer, field_name=SIGNATURE_FIELD, appearance=appearance,
                              timestamp_url=signing.timestamp_url())
    except signing.SigningUnavailable as error:
        raise FormErrors({"signature": [_l("Chưa ký số được bằng khóa của cơ quan: %(e)s. "
                                           "Chưa sao y được; chưa cấp số.", e=error)]}) from error
    except DomainError as error:
        raise FormErrors({"file": [error.message]}) from error


def copy_filename(display: str) -> str:
    return str(_l("%(n)s - bản sao y điện tử.pdf", n=display.replace("/", "-")))


def make_copy(session, user, *, original: str, uploads, incoming_id=None,
              recipients=None) -> ElectronicCopy:
    """The clerk's "Sao y điện tử", one unit of work: checks, the year's next number, the scan
    (an image made a PDF) signed with the agency's key under the marking, both files stored,
    the signature checked, the copy and the audit lines. Any refusal (FormErrors,
    DomainError): nothing stored, no number taken."""
    if not may_make(user):
        raise DomainError(NOT_ALLOWED)
    errors = {}
    original = _text(original, "original", required=True, limit=ORIGINAL_MAX, errors=errors,
                     empty_message=_l("Nhập bản gốc được sao: tên loại, số và ký hiệu, ngày "
                                      "tháng, trích yếu."))
    recipients = _text(recipients, "recipients", required=False, limit=RECIPIENTS_MAX,
                       errors=errors)
    incoming = _incoming(session, user, incoming_id, errors)
    scan = _scan(uploads, errors)
    problem = signing_problem()
    if problem:
        errors["signature"] = [problem]
    if errors:
        raise FormErrors(errors)
    data, info = scan
    pdf = _as_pdf(data, info)
    user_id, incoming_id = user.id, incoming.id if incoming is not None else None
    begin_numbering(session)
    with storage.saving_files(session) as store:
        moment = utcnow()
        year = to_local(moment).year
        number = take_copy_number(session, year)
        from app.outgoing import symbols

        display = symbols.number_symbol(number, copy_symbol(session))
        signed = _signed(pdf, display, moment)
        source = store(user, data, info)
        copy_file = store(user, *storage.check_files([(signed, copy_filename(display))],
                                                     allowed=("pdf",))[0])
        from app.security import signing

        if copy_file.signature_checked_at is None:  # storing checks it (signature_checks)
            signing.verify_file(session, copy_file, signed)
        copy = ElectronicCopy(
            year=year, number=number, number_symbol=display, form=SAO_Y, original=original,
            incoming_id=incoming_id, recipients=recipients, source_file=source,
            copy_file=copy_file, made_by_id=user_id, made_at=moment)
        session.add(copy)
        session.flush()
        from app.core import pades

        try:
            certificate = pades.signer_certificate(signed)
        except DomainError:
            certificate = None
        signing.record_signing(
            session, signing.AGENCY_SIGNED, object_type="electronic_copy", object_id=copy.id,
            what=str(_l("Sao y điện tử số %(n)s: %(o)s", n=display, o=original[:200])),
            certificate_der=certificate, file_name=copy_file.original_name)
    return copy


def suggested_original(document) -> str:
    """What the form proposes as the original when the copy is of an incoming document: type,
    number and symbol, date, issuing agency, excerpt."""
    from app.core.timefmt import format_date

    return str(_l("%(type)s số %(n)s ngày %(d)s của %(agency)s: %(excerpt)s",
                  type=document.document_type, n=document.number_symbol,
                  d=format_date(document.document_date), agency=document.agency,
                  excerpt=document.excerpt))[:ORIGINAL_MAX]


def visible_query(user):
    """The copies `user` may see, newest first (the book and the REST list)."""
    from app.copies.access import visible_copies

    return select(ElectronicCopy).where(visible_copies(user))
