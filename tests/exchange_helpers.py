"""Helpers for the exchange tests: a small valid PDF, a valid package from a partner, and
partner rows with known secrets."""
import io
import re
import uuid
from datetime import date, datetime, timedelta

from pypdf import PdfWriter
from sqlalchemy import select

from app.catalogs.models import Agency
from app.exchange import edxml
from app.exchange.models import ExchangePartner
from app.exchange.services import hash_token

OURS = "000.00.04.H30"  # Sở Nội vụ, the demo agency
FINANCE = "000.00.07.H30"  # Sở Tài chính, the partner sending to us in these tests
PROVINCE = "000.00.00.H30"
FINANCE_TOKEN = "token-of-finance-0123456789abcdef"


def tiny_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def sample_package(**overrides) -> edxml.Package:
    """A valid new document from Sở Tài chính to us, with a unique number."""
    values = dict(
        sender=edxml.Organ(FINANCE, name="Sở Tài chính tỉnh Hà Nam",
                           address="Phủ Lý, Hà Nam", email="stc@hanam.gov.vn"),
        recipients=[edxml.Organ(OURS, name="Sở Nội vụ tỉnh Hà Nam")],
        code_number=str(uuid.uuid4().int % 10_000_000 + 10), code_notation="STC-NS",
        promulgation_date=date.today() - timedelta(days=1), place="Hà Nam",
        type_kind=1, type_detail="0", type_name="Công văn",
        subject="V/v hướng dẫn lập dự toán ngân sách năm 2027",
        content="Nội dung chính", signer_competence="KT. GIÁM ĐỐC",
        signer_position="Phó Giám đốc", signer_name="Trần Văn Bình",
        due_date=date.today() + timedelta(days=10), to_places=["Sở Nội vụ", "Lưu: VT"],
        priority=1, sphere="Tỉnh", typer_notation="TVB", promulgation_amount=5,
        page_amount=1, appendixes=["Phụ lục I"], business_type=0, paper=0,
        staff=edxml.Staff("Văn phòng", "Lê Thị Hoa", "hoa@hanam.gov.vn", "0912345678"),
        traces=[(FINANCE, datetime(2026, 3, 5, 8, 30, 0))],
        attachments=[edxml.Attachment("cid:1", "Công văn 15.pdf", "application/pdf",
                                      tiny_pdf(), "Bản quét")])
    values.update(overrides)
    return edxml.Package(**values)


def ensure_partner(session, organ_id, token, endpoint="http://127.0.0.1:9/api/v1/exchange/inbox"):
    agency = session.scalar(select(Agency).where(Agency.electronic_id == organ_id))
    partner = session.scalar(select(ExchangePartner).where(
        ExchangePartner.agency_id == agency.id))
    if partner is None:
        partner = ExchangePartner(agency_id=agency.id)
        session.add(partner)
    partner.endpoint_url, partner.outbound_token = endpoint, "their-token-for-us-0123456789"
    partner.inbound_token_hash, partner.active = hash_token(token), True
    session.commit()
    return partner


def valid_package(app, **overrides) -> str:
    """A valid package from FINANCE to us, as text, for the tests that alter it."""
    with app.test_request_context():
        return edxml.build_package(sample_package(**overrides)).decode()


def set_text(text, tag, value):
    """The first <edXML:tag> element's text replaced."""
    return re.sub(rf"<edXML:{tag}>[^<]*</edXML:{tag}>|<edXML:{tag} />",
                  f"<edXML:{tag}>{value}</edXML:{tag}>", text, count=1)


def drop(text, tag):
    """The first <edXML:tag> element removed."""
    return re.sub(rf"<edXML:{tag}>.*?</edXML:{tag}>|<edXML:{tag} />", "", text, count=1,
                  flags=re.S)
