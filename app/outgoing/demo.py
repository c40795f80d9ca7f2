"""Demo drafts and outgoing documents for `make run`: about 150 issued documents over the past
thirteen months (each with the drafter's file and the signed scan), and drafts in every state —
all made through app.outgoing.services as the officers, unit leaders, signers and the clerk
would. Deterministic and idempotent (nothing is added once any draft exists)."""
import io
import random
import zipfile
from datetime import datetime, time, timedelta

import click
from flask import current_app
from sqlalchemy import func, select

from app.catalogs.models import Agency, DocumentType, Field, Register, SecrecyLevel, Signer
from app.catalogs.models import UrgencyLevel
from app.catalogs.seed import seed_catalogs
from app.core.pdf import make_demo_pdf, one_drawing_at_a_time, register_fonts
from app.core.timefmt import local_now, local_to_utc
from app.extensions import db
from app.org.models import Department, EofficeUser
from app.outgoing import services
from app.outgoing.models import Draft

# (drafter, their unit leader) per unit code
DRAFTERS = {
    "CCHC": [("chuyenvien", "truongphong"), ("cv.cchc", "truongphong")],
    "TCBC": [("cv.tcbc1", "tp.tcbc"), ("cv.tcbc2", "tp.tcbc")],
    "XDCQ": [("cv.xdcq", "tp.xdcq")],
    "VTLT": [("cv.vtlt", "ccvtlt")],
    "TTr": [("cv.thanhtra", "chanh.thanhtra")],
}
FIELD_OF_UNIT = {"CCHC": "CCHC", "TCBC": "TCCB", "XDCQ": "TCCB", "VTLT": "VTLT", "TTr": "TTKN"}
SUBJECTS = {
    "CCHC": ["báo cáo kết quả thực hiện công tác cải cách hành chính quý {q} năm {y}",
             "triển khai chỉ số cải cách hành chính năm {y}",
             "kiểm tra công tác cải cách hành chính tại các cơ quan, đơn vị"],
    "TCBC": ["thẩm định đề án vị trí việc làm của các đơn vị sự nghiệp",
             "tuyển dụng công chức năm {y}", "bổ nhiệm lại công chức lãnh đạo cấp phòng"],
    "XDCQ": ["tổng kết công tác xây dựng chính quyền cơ sở năm {y}",
             "hướng dẫn bầu cử trưởng thôn, tổ trưởng tổ dân phố"],
    "VTLT": ["hướng dẫn lập hồ sơ và nộp lưu hồ sơ vào lưu trữ cơ quan năm {y}",
             "kiểm tra công tác văn thư, lưu trữ năm {y}"],
    "TTr": ["kết luận thanh tra công tác tuyển dụng viên chức",
            "kế hoạch thanh tra năm {y}"],
}
# (type name, weight)
TYPES = [("Công văn", 10), ("Báo cáo", 3), ("Kế hoạch", 2), ("Quyết định", 2),
         ("Thông báo", 2), ("Tờ trình", 1), ("Giấy mời", 1)]
SIGNERS = ["lanhdao", "pgd.thanh", "pgd.nga"]
ISSUED_COUNT = 150
ISSUED_DAYS = 395  # thirteen months: the leaders' dashboard shows twelve


def _docx(text: str) -> bytes:
    """A small real .docx (the drafter's Word file)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats'
            '.org/package/2006/content-types"><Default Extension="xml" ContentType="application'
            '/xml"/></Types>'))
        archive.writestr("word/document.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.'
            'openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>'
            f'{text}</w:t></w:r></w:p></w:body></w:document>'))
    return buffer.getvalue()


class _Demo:
    def __init__(self, app, seed):
        self.session = db.session
        self.rng = random.Random(seed)
        self.font = current_app.config["PDF_FONT_PATH"]
        session = self.session
        self.users = {u.username: u for u in session.scalars(select(EofficeUser))}
        self.units = {d.code: d for d in session.scalars(select(Department))}
        self.fields = {f.code: f for f in session.scalars(select(Field))}
        self.types = {t.name: t for t in session.scalars(select(DocumentType))}
        self.urgencies = list(session.scalars(select(UrgencyLevel).order_by(
            UrgencyLevel.priority)))
        self.normal = session.scalar(select(SecrecyLevel).where(SecrecyLevel.level == 0))
        self.signers = {s.user.username: s for s in session.scalars(select(Signer))
                        if s.user is not None}
        self.agencies = list(session.scalars(select(Agency).where(Agency.active)))

    def draft(self, unit_code, when):
        rng = self.rng
        drafter, _leader = rng.choice(DRAFTERS[unit_code])
        type_name = rng.choices([t for t, _w in TYPES], [w for _t, w in TYPES])[0]
        subject = rng.choice(SUBJECTS[unit_code]).format(q=(when.month - 1) // 3 + 1,
                                                          y=when.year)
        excerpt = f"V/v {subject}" if type_name == "Công văn" else subject[0].upper() + \
            subject[1:]
        urgency = self.urgencies[0] if rng.random() > 0.1 else rng.choice(self.urgencies[1:])
        others = [c for c in DRAFTERS if c != unit_code]
        data = {
            "document_type_id": self.types[type_name].id, "excerpt": excerpt,
            "field_id": self.fields[FIELD_OF_UNIT[unit_code]].id, "urgency_id": urgency.id,
            "secrecy_id": self.normal.id,
            "signer_id": self.signers[rng.choice(SIGNERS)].id,
            "drafting_department_id": self.units[unit_code].id,
            "internal_unit_ids": [self.units[c].id for c in rng.sample(others, rng.randint(0, 2))],
            "external_agency_ids": [a.id for a in rng.sample(self.agencies, rng.randint(1, 3))],
        }
        if not data["internal_unit_ids"] and rng.random() < 0.5:
            data["internal_user_ids"] = [self.users["lanhdaovp"].id]
        return drafter, services.create_draft(
            self.session, self.users[drafter], data,
            [(_docx(excerpt), f"Dự thảo {type_name.lower()} – {unit_code}.docx")])

    def push(self, draft, drafter, until):
        """Move the draft up the chain to state `until`."""
        unit_code = draft.drafting_department.code
        leader = dict(DRAFTERS[unit_code])[drafter]
        steps = [("submit", drafter), ("forward", leader),
                 ("approve", draft.signer.user.username)]
        for action, who in steps:
            if draft.state == until:
                return
            services.apply(self.session, self.users[who], draft, action)

    def issue(self, draft, issued_date):
        register = self.session.scalar(select(Register).where(
            Register.direction == "out", Register.year == issued_date.year,
            Register.is_secret.is_(False)))
        scan = make_demo_pdf(draft.excerpt, [
            f"{draft.signer.authority} {draft.signer.position_title}".strip(),
            draft.signer.full_name, "(Đã ký và đóng dấu)"], font_path=self.font)
        document = services.issue(
            self.session, self.users["vanthu"], draft, register_id=register.id,
            issued_date=issued_date, place=current_app.config["ISSUE_PLACE"],
            copies=self.rng.randint(2, 8), scan_uploads=[(scan, "Ban quet co chu ky.pdf")])
        # Issued during office hours of that day (the service stamps "now").
        document.issued_at = local_to_utc(datetime.combine(
            issued_date, time(self.rng.randint(8, 16), self.rng.randint(0, 59))))
        draft.created_at = document.issued_at - timedelta(days=self.rng.randint(1, 10))
        for recipient in document.recipients:
            if recipient.dispatched_at is not None:
                recipient.dispatched_at = document.issued_at
            elif self.rng.random() < 0.8:
                recipient.status, recipient.dispatched_at = "dispatched", document.issued_at
        self.session.commit()
        return document


def create_outgoing_demo(app, seed: int = 2026):
    session = db.session
    if session.scalar(select(func.count(Draft.id))):
        click.echo("Văn bản đi mẫu: đã có dữ liệu, bỏ qua.")
        return {}
    demo = _Demo(app, seed)
    today = local_now().date()
    dates = sorted(today - timedelta(days=demo.rng.randint(0, ISSUED_DAYS))
                   for _ in range(ISSUED_COUNT))
    for year in {d.year for d in dates}:
        seed_catalogs(session, year=year)
    session.commit()
    weights = {"CCHC": 4, "TCBC": 3, "XDCQ": 1, "VTLT": 2, "TTr": 1}
    issued = []
    for issued_date in dates:
        unit = demo.rng.choices(list(weights), list(weights.values()))[0]
        drafter, draft = demo.draft(unit, issued_date)
        demo.push(draft, drafter, "approved")
        issued.append(demo.issue(draft, issued_date))
    services.recall(session, demo.users["vanthu"], issued[10], "Sai sót về thể thức, ban hành "
                    "văn bản khác thay thế.")
    counts = {"issued": len(issued)}
    for state in ("drafting", "unit_review", "signer_review", "approved"):
        for _ in range(3):
            unit = demo.rng.choice(list(DRAFTERS))
            drafter, draft = demo.draft(unit, today)
            demo.push(draft, drafter, state)
            counts[state] = counts.get(state, 0) + 1
    drafter, returned = demo.draft("CCHC", today)
    demo.push(returned, drafter, "unit_review")
    services.apply(session, demo.users["truongphong"], returned, "return",
                   "Đề nghị bổ sung số liệu của các phòng và rà soát lại thể thức.")
    session.commit()
    click.echo(f"Văn bản đi mẫu: {len(issued)} văn bản đã phát hành, "
               f"{sum(v for k, v in counts.items() if k != 'issued') + 1} dự thảo.")
    return counts


# ---------------------------------------------------------------- the electronic path

ELECTRONIC_EXCERPT = "V/v triển khai văn bản điện tử có chữ ký số trong cơ quan"


@one_drawing_at_a_time
def letter_pdf(excerpt: str, symbol: str, place: str, title: str, name: str, *,
               font_path: str) -> bytes:
    """A one-page official letter laid out as Decree 30 Annex I wants it (agency and motto,
    "Số: …/symbol" and the place and date with blanks for the clerk, the excerpt, the body, the
    signature block): the PDF a drafter exports from the word processor."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    regular, bold = register_fonts(font_path)
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    width, height = A4
    c.setTitle(excerpt)
    c.setFont(regular, 12)
    c.drawCentredString(50 * mm, height - 20 * mm, "UBND TỈNH HÀ NAM")
    c.setFont(bold, 12)
    c.drawCentredString(50 * mm, height - 25 * mm, current_app.config["AGENCY_NAME"].upper())
    c.drawCentredString(140 * mm, height - 20 * mm, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    c.setFont(bold, 13)
    c.drawCentredString(140 * mm, height - 25 * mm, "Độc lập - Tự do - Hạnh phúc")
    c.setFont(regular, 13)
    c.drawString(30 * mm, height - 36 * mm, f"Số:       /{symbol}")
    c.drawString(105 * mm, height - 36 * mm, f"{place}, ngày     tháng     năm "
                                             f"{local_now().year}")
    c.setFont(regular, 12)
    c.drawCentredString(50 * mm, height - 42 * mm, excerpt[:60])
    c.setFont(regular, 13)
    body = ["Kính gửi: Các phòng, đơn vị thuộc Sở.", "",
            "Thực hiện Nghị định số 30/2020/NĐ-CP của Chính phủ về công tác văn thư, Sở đề nghị",
            "các phòng, đơn vị gửi, nhận văn bản điện tử có chữ ký số qua hệ thống; văn bản giấy",
            "chỉ dùng khi pháp luật có quy định.", "",
            "Đề nghị các phòng, đơn vị triển khai thực hiện./."]
    y = height - 60 * mm
    for line in body:
        c.drawString(25 * mm, y, line)
        y -= 7 * mm
    c.setFont(bold, 13)
    c.drawCentredString(150 * mm, y - 15 * mm, title.upper())
    c.drawCentredString(150 * mm, y - 45 * mm, name)
    c.showPage()
    c.save()
    return buffer.getvalue()


def create_electronic_draft_demo(app) -> int:
    """One draft of the CCHC office in PDF, waiting for the director's digital signature: with
    SIGNING_DEMO_PERSONAL_KEYS (make run) lanhdao signs it from its page ("Ký số và duyệt")
    and vanthu issues it without a scan. Nothing if it exists."""
    session = db.session
    if session.scalar(select(func.count(Draft.id)).where(Draft.excerpt == ELECTRONIC_EXCERPT)):
        return 0
    demo = _Demo(app, 17)
    drafter, leader = DRAFTERS["CCHC"][0]
    signer = demo.signers["lanhdao"]
    data = {"document_type_id": demo.types["Công văn"].id, "excerpt": ELECTRONIC_EXCERPT,
            "field_id": demo.fields[FIELD_OF_UNIT["CCHC"]].id,
            "urgency_id": demo.urgencies[0].id, "secrecy_id": demo.normal.id,
            "signer_id": signer.id, "drafting_department_id": demo.units["CCHC"].id,
            "internal_unit_ids": [demo.units[code].id for code in ("TCBC", "VTLT")]}
    pdf = letter_pdf(ELECTRONIC_EXCERPT, f"{services.issuer_code(session)}-CCHC",
                     current_app.config["ISSUE_PLACE"], signer.position_title,
                     signer.full_name, font_path=demo.font)
    draft = services.create_draft(session, demo.users[drafter], data,
                                  [(pdf, "Dự thảo công văn văn bản điện tử.pdf")])
    services.apply(session, demo.users[drafter], draft, "submit")
    if draft.state != "signer_review":
        services.apply(session, demo.users[leader], draft, "forward")
    click.echo("Dự thảo điện tử mẫu: 1 dự thảo chờ Giám đốc ký số.")
    return 1
