"""Helpers for the dossier tests: people, catalog ids, unique codes, dossiers and documents
made through the services as the people would."""
import io
import uuid
import zipfile
from datetime import timedelta

from sqlalchemy import select

from app.catalogs.models import Field, RetentionPeriod
from app.core.models import DocumentFile
from app.core.timefmt import today_local
from app.documents import services as incoming_services
from app.documents.access import visible_incoming
from app.documents.models import IncomingDocument
from app.dossiers import services
from tests.incoming_helpers import entry
from tests.conftest import pdf, user


def retention_id(session, name="10 năm"):
    return session.scalar(select(RetentionPeriod.id).where(RetentionPeriod.name == name))


def field_id(session, code):
    return session.scalar(select(Field.id).where(Field.code == code))


def abbreviation():
    """A heading abbreviation no demo dossier uses."""
    return "T" + uuid.uuid4().hex[:7].upper()


def code():
    return f"01.{abbreviation()}"


def png():
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (600, 800), (250, 250, 240)).save(buffer, format="PNG")
    return buffer.getvalue()


def docx(text="Dự thảo"):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", f"<w:document>{text}</w:document>")
    return buffer.getvalue()


def dossier_data(session, owner=None, **overrides):
    data = {"code": code(), "title": "Hồ sơ thử nghiệm về cải cách hành chính",
            "retention_id": retention_id(session),
            "field_id": field_id(session, "CCHC"),
            "start_date": today_local() - timedelta(days=20)}
    if owner is not None:
        data["owner_id"] = owner.id
    data.update(overrides)
    return data


def new_dossier(app, session, username="chuyenvien", **overrides):
    """A dossier opened by `username` (its owner) through the service."""
    person = user(session, username)
    with app.test_request_context():
        dossier = services.open_dossier(session, person, dossier_data(session, **overrides))
    return dossier


def register_incoming(app, session, files=None, **overrides):
    """An incoming document registered by the clerk; `files` = [(bytes, name)]."""
    clerk = user(session, "vanthu")
    with app.test_request_context():
        return incoming_services.register_incoming(
            session, clerk, entry(session, **overrides),
            [(pdf(), "cong-van.pdf")] if files is None else files)


def visible_incoming_docs(session, username, count=3, with_pdf=True):
    """Documents the person can see (with at least one PDF file), oldest first."""
    person = user(session, username)
    query = select(IncomingDocument).where(visible_incoming(person))
    if with_pdf:
        query = query.where(IncomingDocument.id.in_(select(DocumentFile.incoming_id).where(
            DocumentFile.content_type == "application/pdf")))
    return list(session.scalars(query.order_by(IncomingDocument.id).limit(count)))


def link(app, session, dossier, username, kind, document_id, **kwargs):
    with app.test_request_context():
        return services.link_document(session, user(session, username), dossier, kind,
                                      document_id, **kwargs)


def act(app, session, dossier, username, action, note=None):
    with app.test_request_context():
        return services.apply_action(session, user(session, username), dossier, action, note)


def stored_file(app, session, data, name, username="chuyenvien"):
    """A checked and stored DocumentFile (PDF, image or office file)."""
    from app.core.files import check_upload, save_file

    info = check_upload(data, name, max_bytes=app.config["MAX_UPLOAD_BYTES"],
                        allowed=("pdf", "image", "office"))
    save_file(app.config["DATA_DIR"], data, info)
    record = DocumentFile(storage_name=info.storage_name, original_name=info.original_name,
                          size=info.size, sha256=info.sha256, content_type=info.content_type,
                          page_count=info.page_count, text=info.text,
                          uploaded_by_id=user(session, username).id)
    session.add(record)
    session.flush()
    return record


def _catalog_ids(session):
    from tests.incoming_helpers import ids

    return ids(session)


def make_draft(app, session, username, versions=(), field="CCHC"):
    """A draft written by `username` with its versions [(bytes, name)], oldest first."""
    from app.outgoing.models import Draft, DraftVersion

    known = _catalog_ids(session)
    person = user(session, username)
    draft = Draft(document_type_id=known["type"], excerpt=f"V/v dự thảo {uuid.uuid4().hex[:6]}",
                  field_id=field_id(session, field), urgency_id=known["urgency"],
                  secrecy_id=known["secrecy"], drafting_department_id=person.department_id,
                  drafter_id=person.id)
    session.add(draft)
    session.flush()
    for number, (data, name) in enumerate(versions, start=1):
        record = stored_file(app, session, data, name, username)
        session.add(DraftVersion(draft_id=draft.id, number=number, file_id=record.id,
                                 uploaded_by_id=person.id))
    session.commit()
    return draft


def make_outgoing(app, session, username, scan=None, word=None, field="CCHC"):
    """An issued outgoing document drafted by `username`, with its signed scan and/or the
    drafter's file ((bytes, name) each)."""
    from app.catalogs.models import Register
    from app.core.text import number_symbol_key
    from app.outgoing.models import DRAFTER_FILE, SIGNED_SCAN, OutgoingDocument, OutgoingFile

    known = _catalog_ids(session)
    year = today_local().year
    register = session.scalar(select(Register).where(Register.direction == "out",
                                                     Register.year == year,
                                                     Register.is_secret.is_(False)))
    if register is None:
        register = Register(name=f"Sổ văn bản đi thử {uuid.uuid4().hex[:6]}", direction="out",
                            year=year)
        session.add(register)
        session.flush()
    draft = make_draft(app, session, username, field=field)
    number = 90000 + uuid.uuid4().int % 9999
    symbol = "SNV-CCHC"
    document = OutgoingDocument(
        draft_id=draft.id, register_id=register.id, year=year, number=number, symbol=symbol,
        number_symbol=f"{number}/{symbol}", number_symbol_key=number_symbol_key(
            f"{number}/{symbol}"), issued_date=today_local(), place="Hà Nam",
        document_type_id=known["type"], excerpt=f"V/v văn bản đi {uuid.uuid4().hex[:6]}",
        field_id=field_id(session, field), urgency_id=known["urgency"],
        secrecy_id=known["secrecy"], signer_name="Trần Quốc Đạt", signer_position="Giám đốc",
        signer_authority="", drafting_department_id=draft.drafting_department_id)
    session.add(document)
    session.flush()
    for role, upload in ((SIGNED_SCAN, scan), (DRAFTER_FILE, word)):
        if upload:
            record = stored_file(app, session, *upload, username=username)
            session.add(OutgoingFile(document_id=document.id, role=role, file_id=record.id))
    session.commit()
    return document
