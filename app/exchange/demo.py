"""Demo liên thông văn bản for `make run`: a few partner agencies, packages from them waiting in
the clerk's "Chờ vào sổ" queue, one the clerk returned (status 02), and the outbox of the issued
demo documents addressed to the partners, with the statuses their recipients sent back (01, 03,
04, 05, 06) and one message that failed after its retries. Everything goes through
app.exchange.services and our edXML builder, as the inbox API and the worker would, so every
package validates. Idempotent: nothing is added once any partner exists. Nothing either before
the incoming demo (which adds nothing once any incoming document exists), or without
EXCHANGE_ORGAN_ID: packages are addressed to us (`make run` and the tests set the demo agency's,
000.00.04.H30).

No network: every message is left sent or failed, and the worker only sends pending ones (a
failed one waits for the clerk's "Gửi lại"); the worker never runs in tests or CLI commands. The
partners' endpoints are on loopback, on a closed port: what the running demo sends later (a
status when the clerk registers a queued document, a newly issued document) fails there and is
retried, without leaving the machine."""
import secrets
from datetime import datetime, time, timedelta

import click
from flask import current_app
from sqlalchemy import func, select

from app.catalogs.models import Agency
from app.core.errors import DomainError
from app.core.pdf import make_demo_pdf
from app.core.timefmt import local_now, local_to_utc, to_local, utcnow
from app.documents.models import IncomingDocument
from app.exchange import edxml, services
from app.exchange.models import PENDING, ExchangeInbound, ExchangeOutbox, ExchangePartner
from app.extensions import db
from app.org.models import EofficeUser
from app.outgoing.models import OutgoingDocument

# (electronic ID in the agency catalog, reachable over the network, the partner's clerk)
PARTNERS = [
    ("000.00.00.H30", True, "Nguyễn Thu Hằng"),  # Ủy ban nhân dân tỉnh
    ("000.00.07.H30", True, "Trần Thị Mai"),  # Sở Tài chính
    ("000.00.06.H30", True, "Đỗ Văn Khánh"),  # Sở Kế hoạch và Đầu tư
    ("000.00.33.H30", False, "Lê Thị Huệ"),  # Ủy ban nhân dân huyện Kim Bảng: by file only
]
CLERKS = {organ_id: clerk for organ_id, _networked, clerk in PARTNERS}
DEMO_NOTE = "Dữ liệu mẫu: địa chỉ nhận gói tin không có thật (máy cục bộ, cổng đóng)."
FILE_ONLY_NOTE = "Dữ liệu mẫu: trao đổi bằng tệp .edxml (chưa kết nối mạng)."

# Packages sent to us: (sender, arrival (working days ago, hour, minute), type name, type detail,
# number, notation, subject, competence, position, signer, priority, days to the due date or
# None, the clerk's reason for returning it or None)
INBOUND = [
    ("000.00.07.H30", (1, 9, 40), "Công văn", "", "3156", "STC-QLNS",
     "V/v hướng dẫn xây dựng dự toán ngân sách nhà nước năm {next}", "KT. GIÁM ĐỐC",
     "Phó Giám đốc", "Nguyễn Văn Hải", 0, 10, None),
    ("000.00.00.H30", (0, 8, 5), "Quyết định", "QĐ", "1487", "QĐ-UBND",
     "Về việc ban hành Kế hoạch cải cách hành chính nhà nước tỉnh Hà Nam năm {year}",
     "KT. CHỦ TỊCH", "Phó Chủ tịch", "Lê Minh Tuấn", 0, None, None),
    ("000.00.06.H30", (0, 10, 20), "Giấy mời", "GM", "215", "GM-SKHĐT",
     "Mời dự hội nghị triển khai kế hoạch đầu tư công trung hạn", "KT. GIÁM ĐỐC",
     "Phó Giám đốc", "Phạm Thị Thu Hà", 1, 3, None),
    ("000.00.07.H30", (2, 14, 15), "Công văn", "", "3098", "STC-HCSN",
     "V/v thẩm định dự toán mua sắm trang thiết bị y tế năm {year}", "KT. GIÁM ĐỐC",
     "Phó Giám đốc", "Nguyễn Văn Hải", 0, 7,
     "Nội dung không thuộc chức năng, nhiệm vụ của Sở Nội vụ; đề nghị gửi Sở Y tế."),
]
BODY = ["Căn cứ chức năng, nhiệm vụ được giao, đề nghị Quý cơ quan nghiên cứu, triển khai "
        "thực hiện và báo cáo kết quả theo quy định."]

# What a recipient reports about our packages, oldest documents furthest along: the status
# codes in order (the last plan: sent, nothing heard back yet).
PLANS = [("01", "03", "04", "05", "06"), ("01", "03", "04"), ("01", "03"), ("01",), ()]
# Status code → (hours after sending, description)
STATUS_STEPS = {"01": (0.02, ""), "03": (2, "Đã vào sổ văn bản đến"),
                "04": (26, "Giao phòng chuyên môn chủ trì xử lý"), "05": (50, ""),
                "06": (8 * 24, "Đã xử lý xong")}
CONNECTION_REFUSED = "<urlopen error [Errno 111] Connection refused>"


def _arrival(working_days_ago, hour, minute) -> datetime:
    """A moment in office hours that many working days ago (naive Vietnam time), never in the
    future: today's 10:20 is yesterday's when the demo runs at nine."""
    now, day = local_now(), local_now().date()
    while True:
        moment = datetime.combine(day, time(hour, minute))
        if day.weekday() < 5 and moment <= now:
            if working_days_ago == 0:
                return moment
            working_days_ago -= 1
        day -= timedelta(days=1)


def _local(value: datetime) -> datetime:
    """Naive UTC → naive Vietnam time, as edXML writes it."""
    return to_local(value).replace(tzinfo=None, microsecond=0)


def _partners(session):
    partners = {}
    for organ_id, networked, _clerk in PARTNERS:
        agency = session.scalar(select(Agency).where(Agency.electronic_id == organ_id))
        if agency is None:
            continue
        partner = ExchangePartner(
            agency=agency, active=True,
            endpoint_url=f"http://127.0.0.1:9/demo/{organ_id}/api/v1/exchange/inbox"
            if networked else None,
            # Secrets nobody knows: a real partner is given one with "Cấp mã mới".
            outbound_token=secrets.token_urlsafe(32) if networked else None,
            inbound_token_hash=services.hash_token(secrets.token_urlsafe(32))
            if networked else None,
            notes=DEMO_NOTE if networked else FILE_ONLY_NOTE)
        session.add(partner)
        partners[organ_id] = partner
    session.commit()
    return partners


def _package(session, ours, entry, arrival):
    (organ_id, _when, type_name, detail, number, notation, subject, competence, position,
     signer, priority, due_days, _returned) = entry
    agency = session.scalar(select(Agency).where(Agency.electronic_id == organ_id))
    day, name = arrival.date(), current_app.config["AGENCY_NAME"]
    subject = subject.format(year=day.year, next=day.year + 1)
    place = "Hà Nam"  # the partners are agencies of the province
    pdf = make_demo_pdf(type_name.upper(), [
        agency.name.upper(), f"Số: {number}/{notation}",
        f"{place}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}", subject,
        f"Kính gửi: {name}", *BODY, competence, position.upper(), signer],
        font_path=current_app.config["PDF_FONT_PATH"])
    return edxml.Package(
        sender=edxml.Organ(organ_id, name=agency.name, address=agency.address or ""),
        recipients=[edxml.Organ(ours, name=name)],
        code_number=number, code_notation=notation, promulgation_date=day, place=place,
        type_kind=1, type_detail=detail, type_name=type_name, subject=subject,
        signer_competence=competence, signer_position=position, signer_name=signer,
        due_date=day + timedelta(days=due_days) if due_days else None,
        to_places=[name, "Lưu: VT"], priority=priority,
        promulgation_amount=3, page_amount=1,
        staff=edxml.Staff("Văn phòng", CLERKS[organ_id]),
        traces=[(organ_id, arrival - timedelta(minutes=3))],
        attachments=[edxml.Attachment("cid:1", f"{number}-{notation}.pdf", "application/pdf",
                                      pdf, "Bản quét có chữ ký, đóng dấu")])


def _statuses_sent(session, inbound, when):
    """The status we sent back about a received package (01, 02) reached its sender."""
    for row in list(session.scalars(select(ExchangeOutbox).where(
            ExchangeOutbox.inbound_id == inbound.id, ExchangeOutbox.state == PENDING))):
        row.created_at = when
        services.mark_sent(session, row, when=when + timedelta(minutes=1))


def _inbound(session, partners, ours, clerk):
    queued = returned = 0
    for entry in INBOUND:
        organ_id, arrival, reason = entry[0], _arrival(*entry[1]), entry[-1]
        if organ_id not in partners:
            continue
        received = local_to_utc(arrival)
        data = edxml.build_package(_package(session, ours, entry, arrival))
        inbound = services.receive(session, data, partner=partners[organ_id])  # the inbox API
        inbound.received_at = received
        session.commit()
        services.process(session, inbound)  # the worker: into "Chờ vào sổ", 01 goes back
        inbound = session.get(ExchangeInbound, inbound.id)
        inbound.processed_at = received + timedelta(minutes=1)
        _statuses_sent(session, inbound, inbound.processed_at)
        if reason:
            services.return_inbound(session, clerk, inbound, reason)  # 02 goes back
            inbound.processed_at = received + timedelta(hours=2)
            _statuses_sent(session, inbound, inbound.processed_at)
            returned += 1
        else:
            queued += 1
    session.commit()
    return queued, returned


def _status(session, row, code, clerk_name, when):
    hours, description = STATUS_STEPS[code]
    agency = row.partner.agency
    at = min(when + timedelta(hours=hours), utcnow() - timedelta(minutes=5))
    status = edxml.Status(document_id=row.document_key,
                          sender=edxml.Organ(agency.electronic_id, name=agency.name),
                          code=code, timestamp=_local(at), description=description,
                          staff=edxml.Staff(staff=clerk_name if code != "01" else ""))
    services.receive(session, edxml.build_status(status), partner=row.partner)


def _outbox(session):
    """What the worker would queue and send: one package per recipient at a partner, sent;
    the recipients' statuses; the newest one failing until its retries run out."""
    services.enqueue_issued(session)
    rows = list(session.scalars(
        select(ExchangeOutbox).join(OutgoingDocument, OutgoingDocument.id ==
                                    ExchangeOutbox.outgoing_id)
        .where(ExchangeOutbox.kind == "package", ExchangeOutbox.state == PENDING)
        .order_by(OutgoingDocument.issued_at, ExchangeOutbox.id)))
    latest = utcnow() - timedelta(hours=3)
    for index, row in enumerate(rows):
        when = min(row.outgoing.issued_at, latest) + timedelta(minutes=10)
        row.created_at, row.next_attempt_at = when, when
        if index == len(rows) - 1:  # the partner's server down: retried, then failed
            while row.state == PENDING:
                services.mark_sent(session, row, error=CONNECTION_REFUSED, when=when)
                when = row.next_attempt_at
            continue
        services.mark_sent(session, row, when=when + timedelta(minutes=1))
        for code in PLANS[index * len(PLANS) // len(rows)]:
            _status(session, row, code, CLERKS[row.partner.agency.electronic_id], when)
    session.commit()
    failed = 1 if rows else 0
    return len(rows) - failed, failed


# A package imported from a file, written as real systems write them (the national SDK's
# habits): no date, PageAmount 0, a due date already past, the scan wrapped in a .zip, a Word
# draft beside it declared as a zip. It waits in the queue with its warnings.
ODD = ("000.00.33.H30", "1025", "UBND-VP", "V/v đề nghị hướng dẫn tuyển dụng công chức cấp xã "
       "năm {year}", "Trần Văn Sơn")


def _odd_package(session, ours) -> bytes:
    import io
    import re
    import zipfile

    organ_id, number, notation, subject, signer = ODD
    agency = session.scalar(select(Agency).where(Agency.electronic_id == organ_id))
    today = local_now().date()
    pdf = make_demo_pdf("CÔNG VĂN", [agency.name.upper(), f"Số: {number}/{notation}",
                                     subject.format(year=today.year), "KT. CHỦ TỊCH",
                                     "PHÓ CHỦ TỊCH", signer],
                        font_path=current_app.config["PDF_FONT_PATH"])

    def zipped(name, data):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(name, data)
        return buffer.getvalue()
    draft = zipped("word/document.xml", "<w:document/>")  # a (tiny) .docx is a zip itself
    package = edxml.Package(
        sender=edxml.Organ(organ_id, name=agency.name), recipients=[edxml.Organ(
            ours, name=current_app.config["AGENCY_NAME"])],
        code_number=number, code_notation=notation, promulgation_date=today,
        subject=subject.format(year=today.year), type_name="Công văn",
        signer_competence="KT. CHỦ TỊCH", signer_position="Phó Chủ tịch", signer_name=signer,
        due_date=today - timedelta(days=3), page_amount=1,
        staff=edxml.Staff("Văn phòng", CLERKS[organ_id]),
        traces=[(organ_id, local_now().replace(tzinfo=None, microsecond=0))],
        attachments=[
            edxml.Attachment("cid:1", f"{number}-{notation}.pdf", "application/zip",
                             zipped("7f3c2e.pdf", pdf), "Bản quét có chữ ký, đóng dấu"),
            edxml.Attachment("cid:2", "Dự thảo hướng dẫn.docx", "application/zip", draft,
                             "Dự thảo kèm theo")])
    text = edxml.build_package(package, check=False).decode()
    text = re.sub(r"<edXML:PromulgationDate>[^<]*</edXML:PromulgationDate>", "", text)
    text = re.sub(r"<edXML:PageAmount>1</edXML:PageAmount>",
                  "<edXML:PageAmount>0</edXML:PageAmount>", text)
    return text.encode()


def _odd_inbound(session, ours) -> int:
    """The odd package, imported by the clerk from a file into the queue."""
    if ODD[0] not in {code for code, _networked, _clerk in PARTNERS}:
        return 0
    inbound = services.receive(session, _odd_package(session, ours), source="file")
    services.process(session, inbound)
    return 1


def create_exchange_demo(app) -> dict:
    session = db.session
    if session.scalar(select(func.count(ExchangePartner.id))):
        click.echo("Liên thông mẫu: đã có dữ liệu, bỏ qua.")
        return {}
    # The incoming demo adds nothing once any incoming document exists: never be first.
    if not session.scalar(select(func.count(IncomingDocument.id))):
        click.echo("Liên thông mẫu: chưa có văn bản đến mẫu, bỏ qua.")
        return {}
    try:  # packages are addressed to us: without our ID they would be refused
        ours = services.our_organ().organ_id
    except DomainError:
        click.echo("Liên thông mẫu: chưa cấu hình EXCHANGE_ORGAN_ID (mã định danh điện tử của "
                   "cơ quan; cơ quan mẫu: 000.00.04.H30), bỏ qua.")
        return {}
    clerk = session.scalar(select(EofficeUser).where(EofficeUser.username == "vanthu"))
    if clerk is None:
        click.echo("Liên thông mẫu: thiếu tài khoản mẫu vanthu, bỏ qua.")
        return {}
    partners = _partners(session)
    queued, returned = _inbound(session, partners, ours, clerk)
    queued += _odd_inbound(session, ours)
    sent, failed = _outbox(session)
    click.echo(f"Liên thông mẫu: {len(partners)} cơ quan liên thông, {queued} văn bản chờ vào "
               f"sổ, {returned} văn bản trả lại; văn bản đi: {sent} gói tin đã gửi, {failed} "
               "gửi không thành công.")
    return {"partners": len(partners), "queued": queued, "returned": returned, "sent": sent,
            "failed": failed}
