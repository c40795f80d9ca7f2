"""The demo's electronic copy: the clerk makes one "SAO Y" of an incoming document's scan, so
that *Sổ sao văn bản điện tử* is not empty and the copy's page shows a valid signature."""
import click
from sqlalchemy import func, select

from app.catalogs.models import SecrecyLevel
from app.copies.models import ElectronicCopy
from app.copies.services import make_copy, suggested_original
from app.core.models import DocumentFile
from app.core.storage import read_file
from app.documents.models import IncomingDocument
from app.extensions import db
from app.org.models import EofficeUser

CLERK = "vanthu"


def create_copies_demo(app) -> int:
    """One copy of the first ordinary registered incoming document with a PDF; nothing when a
    copy exists or the agency key cannot sign (the demo goes on without it)."""
    session = db.session
    if session.scalar(select(func.count()).select_from(ElectronicCopy)):
        return 0
    clerk = session.scalar(select(EofficeUser).where(EofficeUser.username == CLERK))
    found = session.execute(
        select(IncomingDocument, DocumentFile)
        .join(DocumentFile, DocumentFile.incoming_id == IncomingDocument.id)
        .outerjoin(SecrecyLevel, SecrecyLevel.id == IncomingDocument.secrecy_id)
        .where(IncomingDocument.arrival_number.is_not(None),
               DocumentFile.content_type == "application/pdf",
               func.coalesce(SecrecyLevel.level, 0) == 0)
        .order_by(IncomingDocument.id).limit(1)).first()
    if clerk is None or found is None:
        return 0
    document, record = found
    with app.test_request_context():
        try:
            make_copy(session, clerk, original=suggested_original(document),
                      uploads=[(read_file(record), record.original_name)],
                      incoming_id=document.id, recipients="Lưu: VT.")
        except Exception as error:  # noqa: BLE001 — a demo without a copy is still a demo
            session.rollback()
            click.echo(f"Sao y điện tử mẫu: bỏ qua ({error}).")
            return 0
    click.echo("Sao y điện tử mẫu: 1 bản sao.")
    return 1
