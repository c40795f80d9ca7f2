"""Scanned letters read themselves (issue 21): the recognizer proposes the fields of a letter in
the layout of Decree 30 from its text; Tesseract reads generated scans (a page turned 2°, a
JPEG, a scanned PDF, a page scanned a quarter turn round) exactly enough for the number and
symbol and the date, and gives a copy with a text layer; it refuses files over the page limit
and image bombs. The benchmark over the whole corpus is `make bench-ocr`."""
import io
import shutil
from datetime import date

import pytest
from pypdf import PdfReader, PdfWriter

from app.core import ocr
from app.core.pdf import image_to_pdf
from app.core.recognize import propose
from tests.conftest import pdf
from tests.data.ocr import make_corpus
from tests.test_image_bombs import png_bomb

# The scans are drawn by poppler's pdftoppm (make poppler), read by Tesseract (make ocr).
needs_pdftoppm = pytest.mark.skipif(not shutil.which("pdftoppm"),
                                    reason="pdftoppm is missing (make poppler installs it)")
needs_tesseract = pytest.mark.skipif(
    not ocr.available() or not shutil.which("pdftoppm"),
    reason=f"{ocr.why_unavailable() or 'pdftoppm is missing'} (make ocr and make poppler "
           "install them)")

AGENCIES = [
    (1, "Ủy ban nhân dân tỉnh Hà Nam", "UBND tỉnh"),
    (2, "Văn phòng Ủy ban nhân dân tỉnh Hà Nam", "VP UBND tỉnh"),
    (3, "Sở Tài chính tỉnh Hà Nam", "STC"),
    (4, "Sở Tài nguyên và Môi trường tỉnh Hà Nam", "STNMT"),
    (5, "Ủy ban nhân dân huyện Kim Bảng", "UBND huyện Kim Bảng"),
    (6, "Sở Tài chính tỉnh Nam Định", "STC"),
    (7, "Hội đồng nhân dân tỉnh Hà Nam", "HĐND tỉnh"),
]
TYPES = [(10, "Quyết định", "QĐ"), (11, "Công văn", None), (12, "Thông báo", "TB"),
         (13, "Thông cáo", "TC"), (14, "Hướng dẫn", "HD"), (15, "Hợp đồng", "HĐ"),
         (16, "Tờ trình", "TTr"), (17, "Nghị định", "NĐ")]

DECISION = """\
UBND TỈNH HÀ NAM              CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
SỞ TÀI CHÍNH                         Độc lập - Tự do - Hạnh phúc

Số: 123/QĐ-STC                     Hà Nam, ngày 05 tháng 3 năm 2026
MẬT      HỎA TỐC

QUYẾT ĐỊNH
Về việc phê duyệt dự toán kinh phí tổ chức hội nghị
tổng kết công tác năm 2025

GIÁM ĐỐC SỞ TÀI CHÍNH TỈNH HÀ NAM
Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ;

QUYẾT ĐỊNH:
Điều 1. Phê duyệt dự toán kinh phí.

Nơi nhận:                                              KT. GIÁM ĐỐC
- Như Điều 3;                                          PHÓ GIÁM ĐỐC
- Lưu: VT, KHTC.
                                                          (Đã ký)
                                                     Trần Thị Bình
"""


# ---------------------------------------------------------------- the recognizer (typed text)

def test_a_decision_gives_every_field_with_the_line_it_was_read_from():
    found = propose(DECISION, agencies=AGENCIES, types=TYPES)

    assert found["agency_id"].value == 3  # the lower line, in the province of the upper one
    assert "SỞ TÀI CHÍNH" in found["agency_id"].text
    assert found["number_symbol"].value == "123/QĐ-STC"
    assert found["number_symbol"].text == "Số: 123/QĐ-STC"
    assert found["document_date"].value == date(2026, 3, 5)  # not the decree's date in the body
    assert found["type_id"].value == 10
    assert found["excerpt"].value == ("Về việc phê duyệt dự toán kinh phí tổ chức hội nghị "
                                      "tổng kết công tác năm 2025")
    assert found["urgency"].value == 3  # Hỏa tốc: UrgencyLevel.priority
    assert found["secrecy"].value == 1  # Mật: SecrecyLevel.level
    assert found["signer_position"].value == "Phó Giám đốc"
    assert found["signer_name"].value == "Trần Thị Bình"
    assert all(0 < p.confidence <= 1 for p in found.values())


def test_a_cong_van_has_its_excerpt_under_the_number_and_its_type_from_the_v_v_line():
    text = """\
ỦY BAN NHÂN DÂN
HUYỆN KIM BẢNG
Số 45/UBND-VP
V/v tăng cường công tác phòng,
chống thiên tai năm 2026
                                   Kim Bảng, ngày 9 tháng 12 năm 2025
Kính gửi: Các xã, thị trấn.

                                          TM. ỦY BAN NHÂN DÂN
                                               CHỦ TỊCH
                                            Nguyễn Văn An
"""
    found = propose(text, agencies=AGENCIES, types=TYPES)

    assert found["agency_id"].value == 5  # "ỦY BAN NHÂN DÂN" / "HUYỆN KIM BẢNG": one name
    assert found["number_symbol"].value == "45/UBND-VP"
    assert found["document_date"].value == date(2025, 12, 9)
    assert found["type_id"].value == 11
    assert found["excerpt"].value == "V/v tăng cường công tác phòng, chống thiên tai năm 2026"
    assert found["signer_position"].value == "Chủ tịch"
    assert found["signer_name"].value == "Nguyễn Văn An"
    assert "urgency" not in found and "secrecy" not in found


def test_abbreviations_and_the_upper_line_choose_the_agency():
    office = propose("UBND TỈNH HÀ NAM\nVĂN PHÒNG\nSố: 12/TB-VP\n", agencies=AGENCIES,
                     types=TYPES)
    council = propose("HĐND TỈNH HÀ NAM\nSố: 3/NQ-HĐND\n", agencies=AGENCIES, types=TYPES)
    nam_dinh = propose("UBND TỈNH NAM ĐỊNH\nSỞ TÀI CHÍNH\nSố: 7/TB-STC\n", agencies=AGENCIES,
                       types=TYPES)

    assert office["agency_id"].value == 2
    assert office["type_id"].value == 12  # no type name in capitals: from the symbol
    assert council["agency_id"].value == 7
    assert nam_dinh["agency_id"].value == 6


def test_ocr_confusions_are_fixed_only_into_a_valid_symbol():
    cases = {
        "Số: l2O/QD-STC": "120/QĐ-STC",    # l/1 and O/0 in the number, Đ read as D
        "Số: 45/HD-STC": "45/HD-STC",      # Hướng dẫn: HD is valid, not turned into HĐ
        "Số: 8/TIr-STC": "8/TTr-STC",      # one slip from a type abbreviation
        "Số: 30/2O20/NĐ-CP": "30/2020/NĐ-CP",
        "Số:1721SNN-ĐTXD": "1721/SNN-ĐTXD",  # the slash lost by OCR
        "Số – 15/ABC-XYZ": "15/ABC-XYZ",
        "Số:        16/TB-STC": "16/TB-STC",  # a wide gap read after "Số:"
    }
    for line, expected in cases.items():
        found = propose(f"SỞ TÀI CHÍNH\n{line}\n", agencies=AGENCIES, types=TYPES)
        assert found["number_symbol"].value == expected, line


def test_dates_in_their_variants():
    for line, expected in {
        "Hà Nam, ngày 05 tháng 3 năm 2026": date(2026, 3, 5),
        "Hà Nội, ngày  1 tháng 02  năm 2025": date(2025, 2, 1),
        "Phủ Lý, ngày 3O tháng 4 năm 2026": date(2026, 4, 30),  # O read for 0
        "Hà Nam, ngày 11 I tháng 6 năm 2026": date(2026, 6, 11),  # a speck between
        "Hà Nam, ngày 20/10/2025": date(2025, 10, 20),
    }.items():
        assert propose(line)["document_date"].value == expected, line
    assert "document_date" not in propose("Hà Nam, ngày 31 tháng 2 năm 2026")


def test_what_is_not_there_is_not_proposed():
    found = propose("Biên bản cuộc họp tổ dân phố\nNội dung: bàn về vệ sinh môi trường.",
                    agencies=AGENCIES, types=TYPES)
    assert found == {}

    unknown = propose("UBND HUYỆN BÌNH LỤC\nPHÒNG TÀI CHÍNH - KẾ HOẠCH\nSố: 5/TCKH\n",
                      agencies=AGENCIES, types=TYPES)
    assert "agency_id" not in unknown  # no agency of the catalog: the name as read
    assert unknown["agency_name"].value == "PHÒNG TÀI CHÍNH - KẾ HOẠCH"
    # the stamp's "Số: 1234" is an arrival number, not a number and symbol
    assert "number_symbol" not in propose("ĐẾN\nSố: 1234\nNgày: 10/03/2026")
    # "khẩn trương" in a sentence is not an urgency mark
    assert "urgency" not in propose("Đề nghị các đơn vị KHẨN TRƯƠNG triển khai.")


def test_text_without_column_gaps_is_read_too():
    text = ("UBND TỈNH HÀ NAM CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
            "SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG Độc lập - Tự do - Hạnh phúc\n"
            "Số: 2280/TTr-STNMT Hà Nam, ngày 08 tháng 3 năm 2026\n"
            "TỜ TRÌNH\nVề việc giao đất\n\nKính gửi: UBND tỉnh")
    found = propose(text, agencies=AGENCIES, types=TYPES)
    assert found["agency_id"].value == 4
    assert found["number_symbol"].value == "2280/TTr-STNMT"
    assert found["document_date"].value == date(2026, 3, 8)
    assert found["type_id"].value == 16
    assert found["excerpt"].value == "Về việc giao đất"


def test_an_excerpt_wrapped_with_a_blank_line_between_is_joined():
    text = ("Số: 7/HD-STC\nHƯỚNG DẪN\nVề việc thành lập Tổ công tác rà soát thủ tục\n\n"
            "hành chính thuộc thẩm quyền\n\nThực hiện chỉ đạo của UBND tỉnh")
    found = propose(text, agencies=AGENCIES, types=TYPES)
    assert found["type_id"].value == 14
    assert found["excerpt"].value == ("Về việc thành lập Tổ công tác rà soát thủ tục hành chính "
                                      "thuộc thẩm quyền")
    assert "agency_id" not in found and "agency_name" not in found


# ---------------------------------------------------------------- which files need OCR

@needs_pdftoppm
def test_images_and_pdfs_without_text_need_ocr_pdfs_with_text_do_not():
    scan = make_corpus.build(only={"letter-04"})[0]["image_path"].read_bytes()

    assert ocr.needs_ocr(scan, "image/png")
    assert ocr.needs_ocr(image_to_pdf(scan), "application/pdf")
    assert not ocr.needs_ocr(pdf("Quyết định về việc giao đất cho hộ gia đình", pages=2),
                             "application/pdf")
    assert not ocr.needs_ocr(b"PK\x03\x04 a docx", "application/vnd.openxmlformats")
    assert not ocr.needs_ocr(b"%PDF-1.7 cut off in transit", "application/pdf")


# ---------------------------------------------------------------- Tesseract on generated scans

@pytest.fixture(scope="module")
def scans():
    letters = make_corpus.build(only={"letter-05", "letter-04", "letter-12"})
    return {letter["id"]: letter for letter in letters}


def _check_read(letter, result):
    found = propose(result.text)
    assert found["number_symbol"].value == letter["number_symbol"]
    assert found["document_date"].value == date.fromisoformat(letter["document_date"])


@needs_tesseract
def test_a_jpeg_scan_turned_2_degrees_is_read(scans):
    letter = scans["letter-05"]
    assert letter["render"]["rotate"] == -2 and letter["content_type"] == "image/jpeg"

    result = ocr.ocr_file(letter["image_path"].read_bytes(), "image/jpeg")

    assert result.pages == 1 and result.seconds > 0
    _check_read(letter, result)
    layer = PdfReader(io.BytesIO(result.pdf)).pages[0].extract_text()
    assert letter["signer_name"].split()[-1] in layer
    assert "Hạnh phúc" in layer


@needs_tesseract
def test_a_scanned_pdf_keeps_its_pages_and_gains_a_text_layer(scans):
    letter = scans["letter-04"]  # 200 dpi, with the arrival stamp
    scanned = image_to_pdf(letter["image_path"].read_bytes())
    assert PdfReader(io.BytesIO(scanned)).pages[0].extract_text().strip() == ""

    result = ocr.ocr_file(scanned, "application/pdf")

    _check_read(letter, result)
    before, after = PdfReader(io.BytesIO(scanned)), PdfReader(io.BytesIO(result.pdf))
    assert len(after.pages) == 1
    assert after.pages[0].mediabox == before.pages[0].mediabox  # the same page
    assert "Nơi nhận" in after.pages[0].extract_text()
    assert not ocr.needs_ocr(result.pdf, "application/pdf")


@needs_tesseract
def test_a_page_scanned_a_quarter_turn_round_is_turned_back(scans):
    letter = scans["letter-12"]
    assert letter["render"]["quarter_turn"]

    result = ocr.ocr_file(letter["image_path"].read_bytes(), letter["content_type"])

    _check_read(letter, result)


@needs_tesseract
def test_files_over_the_page_limit_and_bombs_are_refused_before_any_work():
    with pytest.raises(ocr.OcrError, match="3 trang, quá giới hạn 2 trang"):
        ocr.ocr_file(pdf(pages=3), "application/pdf", max_pages=2)
    with pytest.raises(ocr.OcrError, match="Ảnh quá lớn"):
        ocr.ocr_file(png_bomb(8000, 8000), "image/png")
    huge = PdfWriter()
    huge.add_blank_page(14400, 14400)  # 200 × 200 inches: 400 megapixels at 100 dpi
    out = io.BytesIO()
    huge.write(out)
    with pytest.raises(ocr.OcrError, match="quá lớn"):
        ocr.ocr_file(out.getvalue(), "application/pdf")
    with pytest.raises(ocr.OcrError, match="PDF hoặc ảnh"):
        ocr.ocr_file(b"plain text", "text/plain")


def test_without_tesseract_ocr_says_why(monkeypatch):
    assert (ocr.why_unavailable() is None) == ocr.available()
    monkeypatch.setattr(ocr, "_languages", lambda: None)
    assert not ocr.available()
    assert "tesseract-ocr" in ocr.why_unavailable()
    with pytest.raises(ocr.OcrError, match="Chưa cài Tesseract"):
        ocr.ocr_file(b"%PDF-1.7", "application/pdf")
    monkeypatch.setattr(ocr, "_languages", lambda: frozenset({"eng", "osd"}))
    assert "tesseract-ocr-vie" in ocr.why_unavailable()


def test_the_committed_truth_is_the_generators():
    import json

    committed = json.loads(make_corpus.TRUTH.read_text("utf-8"))
    assert committed == [make_corpus.truth(letter) for letter in make_corpus.letters()]
    assert len(committed) >= 30
    kinds = {letter["type"] for letter in committed}
    assert {"Quyết định", "Công văn", "Thông báo", "Kế hoạch", "Tờ trình", "Báo cáo"} <= kinds
