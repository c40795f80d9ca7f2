"""The arrival stamp "ĐẾN" goes on a blank space of the first page (Decree 30, Appendix: under
the number and symbol or the excerpt, or under the date), found on real-looking letters from
their text layer, from a picture of the page (pdftoppm) or from the scan itself; the configured
position when nothing is blank; and where the clerk drags it on the preview."""
import io
import random
import re
import shutil

import pytest
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen import canvas
from sqlalchemy import select

from app.core import stamp_place
from app.core.errors import DomainError
from app.core.models import DocumentFile
from app.core.pdf import STAMP_MM, register_fonts, stamp_arrival, stamp_placement
from app.documents import services
from app.org.models import EofficeUser
from tests.conftest import csrf_token
from tests.incoming_helpers import entry

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
WIDTH_MM, HEIGHT_MM = A4[0] / mm, A4[1] / mm
FALLBACK = (15.0, 45.0)
RENDERS = [pytest.param(True, id="pdftoppm", marks=pytest.mark.skipif(
    not shutil.which("pdftoppm"), reason="poppler-utils not installed (make poppler)")),
           pytest.param(False, id="text-layer-and-images")]
BODY = "Thực hiện Kế hoạch số 45/KH-UBND ngày 10/01/2026, Văn phòng đề nghị các cơ quan"


# ---------------------------------------------------------------- letters (Decree 30 layout)

class Letter:
    """A one-page A4 letter drawn line by line, keeping the box of each line (mm from the
    top-left corner): what the stamp must not cover."""

    def __init__(self):
        self.regular, self.bold = register_fonts(FONT)
        self.boxes = []
        self.lines = []  # (x mm, baseline mm, text, size, bold, align)

    def line(self, x, baseline, text, size=13, bold=False, align="left"):
        font = self.bold if bold else self.regular
        width = pdfmetrics.stringWidth(text, font, size) / mm
        left = x - (width / 2 if align == "centre" else width if align == "right" else 0)
        # glyph box: Vietnamese capitals carry stacked marks above the usual ascent
        points = 25.4 / 72  # mm
        self.boxes.append((left, baseline - 1.15 * size * points, left + width,
                           baseline + 0.3 * size * points))
        self.lines.append((left, baseline, text, size, font))
        return self

    def draw(self, c, height_pt=A4[1]):
        for left, baseline, text, size, font in self.lines:
            c.setFont(font, size)
            c.drawString(left * mm, height_pt - baseline * mm, text)

    def pdf(self):
        out = io.BytesIO()
        c = canvas.Canvas(out, pagesize=A4, invariant=True)
        self.draw(c)
        c.showPage()
        c.save()
        return out.getvalue()


def header(letter, subject=("V/v triển khai kế hoạch cải cách", "hành chính năm 2026")):
    """Agency block, number and subject top left; national title and date top right."""
    letter.line(57, 20, "ỦY BAN NHÂN DÂN TỈNH HÀ NAM", 11, align="centre")
    letter.line(57, 25.5, "VĂN PHÒNG", 12, bold=True, align="centre")
    letter.line(57, 35, "Số: 12/UBND-VP", 12, align="centre")
    for i, text in enumerate(subject):
        letter.line(57, 41 + 5 * i, text, 11, align="centre")
    letter.line(147, 20, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 11, bold=True, align="centre")
    letter.line(147, 25.5, "Độc lập - Tự do - Hạnh phúc", 12, bold=True, align="centre")
    letter.line(147, 35, "Hà Nam, ngày 05 tháng 3 năm 2026", 12, align="centre")
    return letter


def body(letter, first=100):
    letter.line(105, first, "Kính gửi: Sở Nội vụ tỉnh Hà Nam", 13, align="centre")
    baseline = first + 12
    while baseline < 275:
        letter.line(30, baseline, BODY, 12)
        baseline += 7
    return letter


def cong_van():
    """A công văn with room under its subject line: the stamp goes there (top left)."""
    return body(header(Letter()), first=100)


def long_subject():
    """Four lines of subject reach down to "Kính gửi" on the left; room under the date."""
    letter = header(Letter(), subject=("V/v triển khai kế hoạch cải cách", "hành chính năm 2026",
                                       "trên địa bàn tỉnh và các huyện,", "thành phố thuộc tỉnh"))
    letter.line(40, 75, "Kính gửi:", 13).line(62, 75, "- Sở Nội vụ tỉnh Hà Nam;", 13)
    letter.line(62, 81, "- Sở Tư pháp tỉnh Hà Nam.", 13)
    baseline = 90
    while baseline < 275:
        letter.line(30, baseline, BODY, 12)
        baseline += 7
    return letter


def full_page():
    """Text from the top of the sheet to the bottom: no blank space anywhere."""
    letter = Letter()
    baseline = 12
    while baseline < 290:
        letter.line(10, baseline, BODY + " trên địa bàn", 12)
        baseline += 6
    return letter


def overlaps(rect, box, clearance=0.0):
    left, top, right, bottom = rect
    return not (box[2] <= left - clearance or box[0] >= right + clearance or
                box[3] <= top - clearance or box[1] >= bottom + clearance)


def stamp_rect(placement):
    return (placement.left_mm, placement.top_mm, placement.left_mm + STAMP_MM[0],
            placement.top_mm + STAMP_MM[1])


def assert_blank(placement, boxes):
    assert placement.found, placement
    rect = stamp_rect(placement)
    covered = [box for box in boxes if overlaps(rect, box)]
    assert not covered, (placement, covered)
    assert 0 <= rect[0] and rect[2] <= WIDTH_MM and 0 <= rect[1] and rect[3] <= HEIGHT_MM / 2


def drawn_stamp(stamped: bytes):
    """Where the word "ĐẾN" was printed on the first page (mm from the top-left corner)."""
    found = []

    def visit(text, cm, tm, _font, _size):
        if text.strip() == "ĐẾN":
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            found.append((x / mm, (A4[1] - y) / mm))

    PdfReader(io.BytesIO(stamped)).pages[0].extract_text(visitor_text=visit)
    assert len(found) == 1, found
    return found[0]


def first_page(data):
    return PdfReader(io.BytesIO(data)).pages[0]


# ---------------------------------------------------------------- finding the blank space

@pytest.mark.parametrize("render", RENDERS)
def test_the_stamp_goes_under_the_subject_line_on_the_left(render):
    letter = cong_van()
    data = letter.pdf()
    placement = stamp_place.find_place(data, first_page(data), stamp_mm=STAMP_MM,
                                       fallback_mm=FALLBACK, render=render)
    assert_blank(placement, letter.boxes)
    assert placement.source == ("render" if render else "text")
    subject_bottom = max(box[3] for box in letter.boxes if box[1] < 50)
    assert placement.left_mm + STAMP_MM[0] / 2 < WIDTH_MM / 2  # the left half
    assert subject_bottom < placement.top_mm < subject_bottom + 6  # right under "V/v …"


@pytest.mark.parametrize("render", RENDERS)
def test_no_room_on_the_left_puts_it_under_the_date(render):
    letter = long_subject()
    data = letter.pdf()
    placement = stamp_place.find_place(data, first_page(data), stamp_mm=STAMP_MM,
                                       fallback_mm=FALLBACK, render=render)
    assert_blank(placement, letter.boxes)
    assert placement.left_mm + STAMP_MM[0] / 2 > WIDTH_MM / 2  # the right half
    assert placement.top_mm < 45  # under the place and date, not lower down


@pytest.mark.parametrize("render", RENDERS)
def test_a_full_top_half_falls_back_to_the_configured_position(render):
    data = full_page().pdf()
    placement = stamp_place.find_place(data, first_page(data), stamp_mm=STAMP_MM,
                                       fallback_mm=FALLBACK, render=render)
    assert (placement.left_mm, placement.top_mm, placement.found) == (15.0, 45.0, False)
    assert placement.source == "fallback"


def test_stamped_letter_has_the_stamp_on_the_blank_space_and_the_letter_intact():
    letter = cong_van()
    data = letter.pdf()
    placement = stamp_placement(data, fallback_mm=FALLBACK)
    stamped = stamp_arrival(data, agency_name="Sở Nội vụ tỉnh Hà Nam", number=15,
                            arrival_date="05/03/2026 08:30", font_path=FONT,
                            fallback_mm=FALLBACK)
    x, y = drawn_stamp(stamped)
    left, top, right, bottom = stamp_rect(placement)
    assert left < x < right and top < y < bottom
    # Every line of the letter is still there, and none lies under the stamp.
    text = " ".join(first_page(stamped).extract_text().split())
    for line in ("Số: 12/UBND-VP", "V/v triển khai kế hoạch cải cách", "hành chính năm 2026",
                 "Hà Nam, ngày 05 tháng 3 năm 2026", "Kính gửi: Sở Nội vụ tỉnh Hà Nam"):
        assert line in text
    assert_blank(placement, letter.boxes)
    assert b"/ca 0.45" not in first_page(stamped).get_contents().get_data()


def test_over_a_full_page_the_stamp_lets_the_letter_show_through():
    data = full_page().pdf()
    stamped = stamp_arrival(data, agency_name="Sở Nội vụ", number=3, arrival_date="05/03/2026",
                            font_path=FONT, fallback_mm=FALLBACK)
    x, y = drawn_stamp(stamped)
    assert FALLBACK[0] < x < FALLBACK[0] + STAMP_MM[0]
    assert FALLBACK[1] < y < FALLBACK[1] + STAMP_MM[1]
    page = first_page(stamped)
    states = [state.get_object() for state in page["/Resources"]["/ExtGState"].values()]
    assert any(float(state.get("/ca", 1)) < 1 for state in states)  # a see-through ground


@pytest.mark.parametrize("render", RENDERS)
def test_a_page_turned_by_rotate_is_read_as_displayed(render):
    """A portrait letter stored on a landscape sheet turned by /Rotate 90: the same place."""
    letter = cong_van()
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=(A4[1], A4[0]), invariant=True)
    c.translate(A4[1], 0)  # displayed = stored turned clockwise: draw it turned back
    c.rotate(90)
    letter.draw(c)
    c.showPage()
    c.save()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(out.getvalue())))
    writer.pages[0].rotation = 90
    turned = io.BytesIO()
    writer.write(turned)
    data = turned.getvalue()
    assert stamp_place.size_mm(first_page(data)) == pytest.approx((WIDTH_MM, HEIGHT_MM))
    placement = stamp_place.find_place(data, first_page(data), stamp_mm=STAMP_MM,
                                       fallback_mm=FALLBACK, render=render)
    assert_blank(placement, letter.boxes)
    upright = cong_van().pdf()
    expected = stamp_place.find_place(upright, first_page(upright), stamp_mm=STAMP_MM,
                                      render=render)
    assert (placement.left_mm, placement.top_mm) == pytest.approx(
        (expected.left_mm, expected.top_mm), abs=1.01)


def test_text_inside_a_form_xobject_is_seen():
    """Some producers draw the whole page inside a form (XObject): its text counts."""
    letter = cong_van()
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, invariant=True)
    c.beginForm("page")
    letter.draw(c)
    c.endForm()
    c.doForm("page")
    c.showPage()
    c.save()
    data = out.getvalue()
    placement = stamp_place.find_place(data, first_page(data), stamp_mm=STAMP_MM, render=False)
    assert_blank(placement, letter.boxes)


# ---------------------------------------------------------------- scans (no text layer)

def scanned(rotate=False):
    """The công văn as a scanner gives it: one grey picture with specks, no text layer.
    Returns (pdf, ink boxes in mm)."""
    dpi = 100
    px = dpi / 25.4
    image = Image.new("L", (round(210 * px), round(297 * px)), 232)
    draw = ImageDraw.Draw(image)
    boxes = []
    for left, baseline, text, size, font in cong_van().lines:
        path = BOLD if font.endswith("-Bold") else FONT
        face = ImageFont.truetype(path, round(size / 72 * dpi))
        box = draw.textbbox((left * px, baseline * px), text, font=face, anchor="ls")
        draw.text((left * px, baseline * px), text, fill=30, font=face, anchor="ls")
        boxes.append(tuple(v / px for v in box))
    specks = random.Random(20)
    for _ in range(500):
        image.putpixel((specks.randrange(image.width), specks.randrange(image.height)), 80)
    out = io.BytesIO()
    size = (A4[1], A4[0]) if rotate else A4
    c = canvas.Canvas(out, pagesize=size, invariant=True)
    if rotate:  # stored landscape, shown portrait by /Rotate 90
        c.translate(A4[1], 0)
        c.rotate(90)
    c.drawImage(ImageReader(image), 0, 0, A4[0], A4[1])
    c.showPage()
    c.save()
    data = out.getvalue()
    if rotate:
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
        writer.pages[0].rotation = 90
        turned = io.BytesIO()
        writer.write(turned)
        data = turned.getvalue()
    return data, boxes


@pytest.mark.parametrize("rotate", [False, True], ids=["upright", "rotated"])
@pytest.mark.parametrize("render", RENDERS)
def test_a_scanned_letter_is_read_from_its_pixels(render, rotate):
    data, boxes = scanned(rotate)
    page = first_page(data)
    assert not page.extract_text().strip()  # no text layer at all
    placement = stamp_place.find_place(data, page, stamp_mm=STAMP_MM, fallback_mm=FALLBACK,
                                       render=render)
    assert placement.source == ("render" if render else "image")
    assert_blank(placement, boxes)
    assert placement.left_mm + STAMP_MM[0] / 2 < WIDTH_MM / 2


def test_a_scan_too_large_to_decode_counts_as_printed(app, monkeypatch):
    data, _boxes = scanned()
    with app.app_context():
        app.config["MAX_IMAGE_PIXELS"], before = 1000, app.config["MAX_IMAGE_PIXELS"]
        try:
            placement = stamp_place.find_place(data, first_page(data), stamp_mm=STAMP_MM,
                                               fallback_mm=FALLBACK, render=False)
        finally:
            app.config["MAX_IMAGE_PIXELS"] = before
    assert not placement.found and placement.source == "fallback"


# ---------------------------------------------------------------- the clerk's position

def test_check_position_keeps_the_whole_stamp_on_the_page():
    page = (WIDTH_MM, HEIGHT_MM)
    assert stamp_place.check_position("20,5", "47", page, STAMP_MM) == (20.5, 47.0)
    assert stamp_place.check_position(0, 0, page, STAMP_MM) == (0.0, 0.0)
    with pytest.raises(DomainError) as outside:
        stamp_place.check_position(170, 40, page, STAMP_MM)
    assert str(outside.value).startswith("Dấu ĐẾN phải nằm trọn trong trang")
    assert "160 mm" in str(outside.value)
    for left, top in (("abc", 10), (10, ""), ("nan", 3), (-5, 10), (10, 290)):
        with pytest.raises(DomainError):
            stamp_place.check_position(left, top, page, STAMP_MM)


def test_the_chosen_position_wins_and_the_setting_can_turn_the_search_off():
    data = cong_van().pdf()
    chosen = stamp_placement(data, position_mm=(120, 200))
    assert (chosen.left_mm, chosen.top_mm, chosen.source) == (120, 200, "chosen")
    x, y = drawn_stamp(stamp_arrival(data, agency_name="UBND", number=1, arrival_date="1/1",
                                     font_path=FONT, position_mm=(120, 200)))
    assert 120 < x < 170 and 200 < y < 235
    fixed = stamp_placement(data, fallback_mm=FALLBACK, find_blank=False)
    assert (fixed.left_mm, fixed.top_mm, fixed.found) == (15, 45, False)


# ---------------------------------------------------------------- through the web, as the clerk

def clerk(session):
    return session.scalar(select(EofficeUser).where(EofficeUser.username == "vanthu"))


@pytest.fixture
def registered(app, db_session):
    with app.test_request_context():
        document = services.register_incoming(db_session, clerk(db_session), entry(db_session),
                                              [(cong_van().pdf(), "cong-van-12.pdf")])
    return document, document.files[0]


def test_clerk_sees_the_place_moves_it_and_the_copy_follows(login_as, registered, db_session):
    document, record = registered
    client = login_as("vanthu")
    show = client.get(f"/incoming/{document.id}").get_data(as_text=True)
    url = f"/incoming/{document.id}/stamp/{record.id}"
    assert url in show  # "Đặt vị trí dấu" next to the file
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Hệ thống đã tìm được chỗ trống" in html and 'id="stamp-box"' in html
    assert "js/stamp-place.js" in html and "<script>" not in html  # CSP: no inline script
    left = float(re.search(r'id="left_mm"[^>]*value="([\d.,]+)"', html).group(1))
    assert left < WIDTH_MM / 2
    if shutil.which("pdftoppm"):
        picture = client.get(f"/incoming/{document.id}/files/{record.id}/first-page.png")
        assert picture.status_code == 200 and picture.mimetype == "image/png"
        assert Image.open(io.BytesIO(picture.data)).size[1] == stamp_place.RENDER_LONGEST

    saved = client.post(url, data={"csrf_token": csrf_token(html), "left_mm": "120,5",
                                   "top_mm": "200", "action": "save"}, follow_redirects=True)
    assert "Đã lưu vị trí dấu ĐẾN." in saved.get_data(as_text=True)
    assert "Vị trí do văn thư chọn." in saved.get_data(as_text=True)
    db_session.expire_all()
    kept = db_session.get(DocumentFile, record.id)
    assert (kept.stamp_left_mm, kept.stamp_top_mm) == (120.5, 200.0)
    stamped = client.get(f"/incoming/{document.id}/files/{record.id}/stamped")
    x, y = drawn_stamp(stamped.data)
    assert 120.5 < x < 170.5 and 200 < y < 235

    back = client.post(url, data={"csrf_token": csrf_token(html), "action": "auto"},
                       follow_redirects=True)
    assert "Hệ thống đã tìm được chỗ trống" in back.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(DocumentFile, record.id).stamp_left_mm is None


def test_a_position_off_the_page_is_refused_with_a_message(login_as, registered, db_session):
    document, record = registered
    client = login_as("vanthu")
    url = f"/incoming/{document.id}/stamp/{record.id}"
    html = client.get(url).get_data(as_text=True)
    refused = client.post(url, data={"csrf_token": csrf_token(html), "left_mm": "190",
                                     "top_mm": "10", "action": "save"})
    assert refused.status_code == 422
    assert "Dấu ĐẾN phải nằm trọn trong trang" in refused.get_data(as_text=True)
    assert 'value="190"' in refused.get_data(as_text=True)  # what was typed stays
    assert client.post(url, data={"left_mm": "10", "top_mm": "10"}).status_code == 400  # CSRF
    db_session.expire_all()
    assert db_session.get(DocumentFile, record.id).stamp_left_mm is None


def test_only_the_clerk_places_the_stamp(login_as, registered):
    document, record = registered
    for account in ("chuyenvien", "lanhdao"):
        client = login_as(account)
        for path in (f"/incoming/{document.id}/stamp/{record.id}",
                     f"/incoming/{document.id}/files/{record.id}/first-page.png"):
            assert client.get(path).status_code in (403, 404), (account, path)
    assert login_as("vanthu").get(f"/incoming/{document.id}/stamp/999999").status_code == 404
