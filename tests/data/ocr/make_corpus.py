"""The OCR corpus: realistic Vietnamese administrative letters in the layout of Decree 30/2020,
Appendix I, drawn with reportlab, rendered to scans (pdftoppm) and spoilt like real scans.

Every letter is generated from a seed, so the corpus is the same on every machine; only this
file and truth.json (the fields of each letter) are committed: the pictures are made into a
cache folder when a test or the benchmark (bench/ocr_bench.py) needs them.

    python -m tests.data.ocr.make_corpus [--out DIR] [--truth]   # --truth rewrites truth.json
"""
import argparse
import io
import json
import random
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
TRUTH = HERE / "truth.json"
DEFAULT_CACHE = HERE.parents[2] / "test-output" / "ocr-corpus"
# Times New Roman's metrics (Decree 30): Liberation Serif 2 (Vietnamese glyphs; version 1 has
# none), else DejaVu Serif.
LIBERATION = Path("/usr/share/fonts/truetype/liberation2")
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
LETTERS = 36
SEED = 2026

# (upper line or None, lower line (the issuing body), its symbol, place, catalog name or None)
AGENCIES = [
    ("UBND TỈNH HÀ NAM", "SỞ TÀI CHÍNH", "STC", "Hà Nam", "Sở Tài chính tỉnh Hà Nam"),
    ("UBND TỈNH HÀ NAM", "SỞ NỘI VỤ", "SNV", "Hà Nam", "Sở Nội vụ tỉnh Hà Nam"),
    ("UBND TỈNH HÀ NAM", "SỞ KẾ HOẠCH VÀ ĐẦU TƯ", "SKHĐT", "Hà Nam",
     "Sở Kế hoạch và Đầu tư tỉnh Hà Nam"),
    ("UBND TỈNH HÀ NAM", "SỞ TƯ PHÁP", "STP", "Hà Nam", "Sở Tư pháp tỉnh Hà Nam"),
    ("UBND TỈNH HÀ NAM", "SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG", "STNMT", "Hà Nam",
     "Sở Tài nguyên và Môi trường tỉnh Hà Nam"),
    ("UBND TỈNH HÀ NAM", "SỞ Y TẾ", "SYT", "Hà Nam", "Sở Y tế tỉnh Hà Nam"),
    ("UBND TỈNH HÀ NAM", "SỞ GIÁO DỤC VÀ ĐÀO TẠO", "SGDĐT", "Hà Nam",
     "Sở Giáo dục và Đào tạo tỉnh Hà Nam"),
    ("UBND TỈNH HÀ NAM", "SỞ THÔNG TIN VÀ TRUYỀN THÔNG", "STTTT", "Hà Nam",
     "Sở Thông tin và Truyền thông tỉnh Hà Nam"),
    ("UBND TỈNH HÀ NAM", "VĂN PHÒNG", "VP", "Hà Nam",
     "Văn phòng Ủy ban nhân dân tỉnh Hà Nam"),
    (None, "ỦY BAN NHÂN DÂN\nTỈNH HÀ NAM", "UBND", "Hà Nam", "Ủy ban nhân dân tỉnh Hà Nam"),
    (None, "ỦY BAN NHÂN DÂN\nHUYỆN KIM BẢNG", "UBND", "Kim Bảng",
     "Ủy ban nhân dân huyện Kim Bảng"),
    (None, "ỦY BAN NHÂN DÂN\nHUYỆN THANH LIÊM", "UBND", "Thanh Liêm",
     "Ủy ban nhân dân huyện Thanh Liêm"),
    (None, "ỦY BAN NHÂN DÂN\nTHÀNH PHỐ PHỦ LÝ", "UBND", "Phủ Lý",
     "Ủy ban nhân dân thành phố Phủ Lý"),
    (None, "BỘ NỘI VỤ", "BNV", "Hà Nội", "Bộ Nội vụ"),
    ("BỘ NỘI VỤ", "CỤC VĂN THƯ VÀ LƯU TRỮ\nNHÀ NƯỚC", "VTLTNN", "Hà Nội",
     "Cục Văn thư và Lưu trữ nhà nước"),
    (None, "VĂN PHÒNG CHÍNH PHỦ", "VPCP", "Hà Nội", "Văn phòng Chính phủ"),
    # not in the catalog: the recognizer proposes the name as read
    ("UBND HUYỆN BÌNH LỤC", "PHÒNG TÀI CHÍNH - KẾ HOẠCH", "TCKH", "Bình Lục", None),
    ("UBND TỈNH HÀ NAM", "SỞ NÔNG NGHIỆP VÀ\nPHÁT TRIỂN NÔNG THÔN", "SNN", "Hà Nam", None),
]

# (type name, abbreviation or None for a công văn)
TYPES = [
    ("Quyết định", "QĐ"), ("Công văn", None), ("Thông báo", "TB"), ("Kế hoạch", "KH"),
    ("Tờ trình", "TTr"), ("Báo cáo", "BC"), ("Giấy mời", "GM"), ("Hướng dẫn", "HD"),
    ("Chỉ thị", "CT"), ("Công văn", None),
]
UNITS = ["VP", "TCHC", "NSNN", "QLĐT", "KT", "TTr", "CCHC", "ĐTXD"]

EXCERPTS = [
    "Về việc phê duyệt dự toán kinh phí tổ chức hội nghị tổng kết công tác năm 2025",
    "Về việc thành lập Tổ công tác rà soát thủ tục hành chính thuộc thẩm quyền giải quyết",
    "Về việc tăng cường công tác phòng, chống thiên tai và tìm kiếm cứu nạn mùa mưa bão",
    "Về việc triển khai thực hiện chuyển đổi số trong hoạt động của cơ quan nhà nước",
    "Về việc báo cáo tình hình thực hiện nhiệm vụ phát triển kinh tế - xã hội quý I",
    "Về kết quả kiểm tra công tác văn thư, lưu trữ tại các cơ quan, đơn vị",
    "Triển khai công tác cải cách hành chính năm 2026",
    "Về việc đề nghị bổ sung kinh phí sửa chữa trụ sở làm việc",
    "Về việc cử cán bộ tham dự lớp bồi dưỡng kiến thức quản lý nhà nước",
    "Về việc góp ý dự thảo Quy chế làm việc của Ủy ban nhân dân tỉnh",
    "Về việc đôn đốc thực hiện kết luận thanh tra về quản lý đất đai",
    "Về tổ chức Hội nghị sơ kết 6 tháng đầu năm và triển khai nhiệm vụ",
    "Về việc hướng dẫn quyết toán vốn đầu tư dự án hoàn thành",
    "Về việc tiếp nhận và xử lý phản ánh, kiến nghị của người dân qua Cổng dịch vụ công",
    "Về tăng cường kỷ luật, kỷ cương hành chính trong thực thi công vụ",
    "Về việc phân bổ chỉ tiêu biên chế công chức năm 2026",
    "Kế hoạch kiểm tra việc thực hiện quy chế dân chủ ở cơ sở",
    "Về việc điều chỉnh quy hoạch sử dụng đất đến năm 2030",
]

BODY = [
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015; Luật sửa đổi, "
    "bổ sung một số điều của Luật Tổ chức Chính phủ và Luật Tổ chức chính quyền địa phương.",
    "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác "
    "văn thư.",
    "Thực hiện chỉ đạo của Ủy ban nhân dân tỉnh, để bảo đảm tiến độ và chất lượng công việc, "
    "đề nghị các cơ quan, đơn vị khẩn trương triển khai thực hiện các nội dung sau:",
    "1. Rà soát, tổng hợp số liệu, báo cáo kết quả thực hiện gửi về cơ quan thường trực trước "
    "ngày 20 của tháng cuối quý để tổng hợp, báo cáo cấp có thẩm quyền.",
    "2. Phân công cán bộ đầu mối theo dõi, đôn đốc; kịp thời phản ánh những khó khăn, vướng "
    "mắc phát sinh trong quá trình thực hiện để được hướng dẫn, giải quyết.",
    "3. Bố trí kinh phí từ nguồn chi thường xuyên được giao trong dự toán năm để thực hiện.",
    "Trong quá trình thực hiện, nếu có vướng mắc, đề nghị phản ánh về Văn phòng để tổng hợp, "
    "báo cáo lãnh đạo xem xét, quyết định./.",
]

SIGNERS = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường", "Phạm Thị Dung", "Hoàng Minh Đức",
           "Vũ Thị Hạnh", "Đặng Quốc Huy", "Bùi Thanh Hương", "Đỗ Văn Khánh", "Ngô Thị Lan",
           "Dương Đình Long", "Lý Thị Mai", "Trịnh Văn Nam", "Đinh Thị Oanh"]

# (authority line or None, position line) by kind of issuer
SIGNATURES = {
    "so": [("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"), (None, "GIÁM ĐỐC"),
           ("TL. GIÁM ĐỐC", "CHÁNH VĂN PHÒNG")],
    "ubnd": [("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"), ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH")],
    "bo": [("KT. BỘ TRƯỞNG", "THỨ TRƯỞNG"), (None, "BỘ TRƯỞNG")],
    "cuc": [(None, "CỤC TRƯỞNG"), ("KT. CỤC TRƯỞNG", "PHÓ CỤC TRƯỞNG")],
    "vp": [("KT. CHÁNH VĂN PHÒNG", "PHÓ CHÁNH VĂN PHÒNG"), (None, "CHÁNH VĂN PHÒNG")],
    "phong": [(None, "TRƯỞNG PHÒNG"), ("KT. TRƯỞNG PHÒNG", "PHÓ TRƯỞNG PHÒNG")],
}

URGENCIES = {1: "KHẨN", 2: "THƯỢNG KHẨN", 3: "HỎA TỐC"}
SECRECIES = {1: "MẬT", 2: "TỐI MẬT"}


def _kind(lower: str) -> str:
    head = lower.split()[0]
    return {"SỞ": "so", "ỦY": "ubnd", "BỘ": "bo", "CỤC": "cuc", "VĂN": "vp",
            "PHÒNG": "phong"}[head]


def _position_case(text: str) -> str:
    """'PHÓ GIÁM ĐỐC' -> 'Phó Giám đốc' (as the catalog of signers writes it)."""
    words = text.lower().split()
    out = []
    for i, word in enumerate(words):
        if i == 0 or (i == 1 and words[0] == "phó"):
            word = word[:1].upper() + word[1:]
        out.append(word)
    return " ".join(out)


def letters(count: int = LETTERS, seed: int = SEED) -> list[dict]:
    """The fields and the rendering of every letter (deterministic)."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        upper, lower, short, place, catalog = AGENCIES[i % len(AGENCIES)]
        type_name, abbr = TYPES[(i * 7) % len(TYPES)]
        if type_name == "Quyết định" and i % 3 == 0:
            number = rng.randint(1, 9)
        else:
            number = rng.randint(1, 2400)
        number_text = f"{number:02d}"
        if abbr:
            symbol = f"{number_text}/{abbr}-{short}"
        else:
            symbol = f"{number_text}/{short}-{rng.choice(UNITS)}"
        day = date(2025, 1, 2) + timedelta(days=rng.randint(0, 540))
        excerpt = EXCERPTS[(i * 5) % len(EXCERPTS)]
        if type_name == "Công văn" and excerpt.startswith("Về việc "):
            excerpt = "V/v " + excerpt[len("Về việc "):]
        elif type_name == "Công văn":
            excerpt = "V/v " + excerpt[0].lower() + excerpt[1:]
        authority, position = rng.choice(SIGNATURES[_kind(lower)])
        signer = SIGNERS[(i * 3) % len(SIGNERS)]
        urgency = {3: 1, 8: 2, 14: 3, 21: 1, 27: 3}.get(i)
        secrecy = {5: 1, 17: 2, 30: 1}.get(i)
        render = {
            "dpi": 300 if i % 2 == 0 else 200,
            "rotate": [0, 0, 1.5, 0, -2, 0, 3, 0, -1, 2.5, 0, -3][i % 12],
            "noise": i % 4 == 1,
            "stamp": i % 7 == 3,
            "format": "jpeg" if i % 5 == 4 else "png",
            "quarter_turn": i in (11, 26),  # scanned the wrong way round
        }
        out.append({
            "id": f"letter-{i + 1:02d}",
            "agency_upper": upper, "agency_lower": lower, "place": place,
            "agency": catalog, "agency_read": " ".join(lower.split()),
            "type": type_name, "number_symbol": symbol,
            "document_date": day.isoformat(), "excerpt": excerpt,
            "signer_name": signer, "signer_authority": authority,
            "signer_position": _position_case(position), "position_line": position,
            "urgency": urgency, "secrecy": secrecy, "render": render,
        })
    return out


def date_line(place: str, day: date) -> str:
    """'Hà Nam, ngày 05 tháng 3 năm 2026' (days below 10 and months 1-2 with a zero)."""
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


# ------------------------------------------------------------------------- drawing

def _fonts():
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if (LIBERATION / "LiberationSerif-Regular.ttf").is_file():
        files = {"R": LIBERATION / "LiberationSerif-Regular.ttf",
                 "B": LIBERATION / "LiberationSerif-Bold.ttf",
                 "I": LIBERATION / "LiberationSerif-Italic.ttf"}
    else:
        files = {"R": DEJAVU / "DejaVuSerif.ttf", "B": DEJAVU / "DejaVuSerif-Bold.ttf",
                 "I": DEJAVU / "DejaVuSerif-Italic.ttf"}
    registered = pdfmetrics.getRegisteredFontNames()
    for path in files.values():
        if "OCR-" + path.stem not in registered:
            pdfmetrics.registerFont(TTFont("OCR-" + path.stem, str(path)))
    return {key: "OCR-" + path.stem for key, path in files.items()}


def draw_letter(letter: dict) -> bytes:
    """The letter as an A4 PDF (Decree 30, Appendix I: agency and number on the left, the
    national motto and the date on the right, the type and excerpt centred, the signature
    block on the right)."""
    from app.core.pdf import REPORTLAB_LOCK

    with REPORTLAB_LOCK:
        return _draw(letter)


def _draw(letter: dict) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfgen import canvas

    f = _fonts()
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4, invariant=True, pageCompression=1)
    width, height = A4
    left, right = 30 * mm, width - 15 * mm
    lcx = 55 * mm                        # centre of the left column
    rcx = width - 15 * mm - 55 * mm      # centre of the right column
    top = height - 20 * mm

    # left column: the issuing agency (upper line regular, lower line bold, underlined)
    y = top
    if letter["agency_upper"]:
        c.setFont(f["R"], 12.5)
        c.drawCentredString(lcx, y, letter["agency_upper"])
        y -= 15
    c.setFont(f["B"], 12.5)
    lines = letter["agency_lower"].split("\n")
    for line in lines:
        c.drawCentredString(lcx, y, line)
        y -= 15
    half = pdfmetrics.stringWidth(lines[-1], f["B"], 12.5) / 3
    c.line(lcx - half, y + 11, lcx + half, y + 11)
    y -= 12
    c.setFont(f["R"], 13)
    c.drawCentredString(lcx, y, f"Số: {letter['number_symbol']}")
    y -= 15
    type_name = letter["type"]
    if type_name == "Công văn":
        c.setFont(f["R"], 12)
        for line in simpleSplit(letter["excerpt"], f["R"], 12, 70 * mm):
            c.drawCentredString(lcx, y, line)
            y -= 14
    marks_y = y - 10
    # right column: national name, motto, place and date
    c.setFont(f["B"], 12.5)
    c.drawCentredString(rcx, top, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    c.setFont(f["B"], 13.5)
    motto = "Độc lập - Tự do - Hạnh phúc"
    c.drawCentredString(rcx, top - 16, motto)
    half = pdfmetrics.stringWidth(motto, f["B"], 13.5) / 2
    c.line(rcx - half, top - 19, rcx + half, top - 19)
    c.setFont(f["I"], 13.5)
    c.drawCentredString(rcx, top - 40, date_line(letter["place"],
                                                  date.fromisoformat(letter["document_date"])))

    # urgency and secrecy marks, boxed, under the number
    marks = [m for m in (SECRECIES.get(letter["secrecy"]), URGENCIES.get(letter["urgency"])) if m]
    x = left
    for mark in marks:
        c.setFont(f["B"], 13)
        w = pdfmetrics.stringWidth(mark, f["B"], 13) + 10
        c.rect(x, marks_y - 5, w, 19)
        c.drawString(x + 5, marks_y, mark)
        x += w + 12
    y = min(marks_y - 30 if marks else marks_y - 12, top - 80)

    # type name and excerpt, centred (a công văn has its excerpt under the number)
    if type_name != "Công văn":
        c.setFont(f["B"], 14)
        c.drawCentredString(width / 2, y, type_name.upper())
        y -= 18
        for line in simpleSplit(letter["excerpt"], f["B"], 14, 140 * mm):
            c.drawCentredString(width / 2, y, line)
            y -= 17
        c.line(width / 2 - 20 * mm, y + 12, width / 2 + 20 * mm, y + 12)
        y -= 14
    else:
        c.setFont(f["R"], 13)
        c.drawCentredString(width / 2, y, "Kính gửi: Các cơ quan, đơn vị trực thuộc.")
        y -= 26
    c.setFont(f["R"], 13)
    rng = random.Random(letter["id"])
    body = BODY[:2] + rng.sample(BODY[2:], 3) if type_name == "Quyết định" else BODY[2:]
    for paragraph in body:
        for k, line in enumerate(simpleSplit(paragraph, f["R"], 13, right - left - 10 * mm)):
            c.drawString(left + (10 * mm if k == 0 else 0), y, line)
            y -= 17
        y -= 4

    # recipients (left) and signature block (right)
    y -= 10
    sig_top = y
    c.setFont(f["B"], 12)
    c.drawString(left, y, "Nơi nhận:")
    c.setFont(f["R"], 11)
    for line in ("- Như trên;", "- Lãnh đạo cơ quan;", "- Lưu: VT."):
        y -= 13
        c.drawString(left, y, line)
    y = sig_top
    c.setFont(f["B"], 13)
    if letter["signer_authority"]:
        c.drawCentredString(rcx, y, letter["signer_authority"])
        y -= 16
    c.drawCentredString(rcx, y, letter["position_line"])
    y -= 70
    c.setFont(f["I"], 11)
    c.drawCentredString(rcx, y + 40, "(Đã ký)")
    c.setFont(f["B"], 13)
    c.drawCentredString(rcx, y, letter["signer_name"])
    c.showPage()
    c.save()
    pdf = buffer.getvalue()
    if letter["render"]["stamp"]:
        pdf = _stamp(pdf)
    return pdf


def _stamp(pdf: bytes) -> bytes:
    """The receiving agency's "ĐẾN" stamp, filled in, where a clerk puts it when the top is
    full: a blank space lower on the page."""
    from app.core.pdf import stamp_arrival

    return stamp_arrival(pdf, agency_name="Sở Nội vụ tỉnh Hà Nam", number=1234,
                         arrival_date="10/03/2026", routed_to="Phòng CCHC",
                         font_path=str(DEJAVU / "DejaVuSans.ttf"), position_mm=(20, 215))


def render(letter: dict, pdf: bytes) -> tuple[bytes, str]:
    """The scan: (bytes, content type) — pdftoppm at the letter's dpi, then turned, spoilt with
    noise, saved as PNG or JPEG."""
    from PIL import Image, ImageFilter

    spec = letter["render"]
    result = subprocess.run(
        [shutil.which("pdftoppm") or "pdftoppm", "-r", str(spec["dpi"]), "-gray", "-png",
         "-singlefile", "-"], input=pdf, capture_output=True, timeout=120, check=True)
    image = Image.open(io.BytesIO(result.stdout)).convert("L")
    if spec["rotate"]:
        image = image.rotate(spec["rotate"], resample=Image.BICUBIC, expand=True, fillcolor=255)
    if spec["noise"]:
        rng = random.Random(letter["id"])
        image = image.filter(ImageFilter.GaussianBlur(0.6))
        pixels = image.load()
        w, h = image.size
        for _ in range(w * h // 150):  # salt and pepper, as a dusty scanner glass
            x, y = rng.randrange(w), rng.randrange(h)
            pixels[x, y] = rng.choice((0, 40, 200))
        image = image.point(lambda v: min(255, int(v * 0.92 + 14)))  # greyish paper
    if spec["quarter_turn"]:
        image = image.rotate(90, expand=True)
    out = io.BytesIO()
    if spec["format"] == "jpeg":
        image.save(out, format="JPEG", quality=80, dpi=(spec["dpi"], spec["dpi"]))
        return out.getvalue(), "image/jpeg"
    image.save(out, format="PNG", dpi=(spec["dpi"], spec["dpi"]))
    return out.getvalue(), "image/png"


def truth(letter: dict) -> dict:
    """What a clerk would type for the letter (truth.json)."""
    keys = ("id", "agency", "agency_read", "type", "number_symbol", "document_date", "excerpt",
            "signer_name", "signer_position", "urgency", "secrecy", "render")
    return {key: letter[key] for key in keys}


def build(out: Path = DEFAULT_CACHE, count: int = LETTERS, only=None) -> list[dict]:
    """Make the scans (and their PDFs) into `out` unless already there; return the letters,
    each with 'pdf_path', 'image_path' and 'content_type'."""
    out.mkdir(parents=True, exist_ok=True)
    made = []
    for letter in letters(count):
        if only and letter["id"] not in only:
            continue
        ext = "jpg" if letter["render"]["format"] == "jpeg" else "png"
        pdf_path, image_path = out / f"{letter['id']}.pdf", out / f"{letter['id']}.{ext}"
        if not pdf_path.exists() or not image_path.exists():
            pdf = draw_letter(letter)
            image, _ = render(letter, pdf)
            pdf_path.write_bytes(pdf)
            image_path.write_bytes(image)
        letter.update(pdf_path=pdf_path, image_path=image_path,
                      content_type="image/jpeg" if ext == "jpg" else "image/png")
        made.append(letter)
    return made


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--truth", action="store_true", help="rewrite truth.json")
    args = parser.parse_args(argv)
    made = build(args.out)
    if args.truth:
        TRUTH.write_text(json.dumps([truth(x) for x in made], ensure_ascii=False, indent=1)
                         + "\n", encoding="utf-8")
    print(f"{len(made)} letters in {args.out}")


if __name__ == "__main__":
    main()
