"""Legacy Vietnamese encodings (TCVN3/ABC, VNI) to Unicode NFC: every letter, both cases,
checked against the code charts written out here letter by letter (not generated); the
syllable checker and the detection per document, on strings typed here and on real legacy
text (tests/data/legacy, SOURCES.md)."""
import io
import unicodedata
from pathlib import Path

import pytest

from app.core import legacy_text as lt

# TCVN 5712:1993 (VN3), the .VnTime fonts: letter → byte.
TCVN3_CHART = """
à B5 ả B6 ã B7 á B8 ạ B9
ă A8 ằ BB ẳ BC ẵ BD ắ BE ặ C6
â A9 ầ C7 ẩ C8 ẫ C9 ấ CA ậ CB
è CC ẻ CE ẽ CF é D0 ẹ D1
ê AA ề D2 ể D3 ễ D4 ế D5 ệ D6
ì D7 ỉ D8 ĩ DC í DD ị DE
ò DF ỏ E1 õ E2 ó E3 ọ E4
ô AB ồ E5 ổ E6 ỗ E7 ố E8 ộ E9
ơ AC ờ EA ở EB ỡ EC ớ ED ợ EE
ù EF ủ F1 ũ F2 ú F3 ụ F4
ư AD ừ F5 ử F6 ữ F7 ứ F8 ự F9
ỳ FA ỷ FB ỹ FC ý FD ỵ FE
đ AE Ă A1 Â A2 Ê A3 Ô A4 Ơ A5 Ư A6 Đ A7
"""
# VNI for Windows, the VNI-Times fonts: letter → characters (as read in Windows-1252).
VNI_CHART = """
à aø ả aû ã aõ á aù ạ aï
ă aê ằ aè ẳ aú ẵ aü ắ aé ặ aë
â aâ ầ aà ẩ aå ẫ aã ấ aá ậ aä
è eø ẻ eû ẽ eõ é eù ẹ eï
ê eâ ề eà ể eå ễ eã ế eá ệ eä
ì ì ỉ æ ĩ ó í í ị ò
ò oø ỏ oû õ oõ ó où ọ oï
ô oâ ồ oà ổ oå ỗ oã ố oá ộ oä
ơ ô ờ ôø ở ôû ỡ ôõ ớ ôù ợ ôï
ù uø ủ uû ũ uõ ú uù ụ uï
ư ö ừ öø ử öû ữ öõ ứ öù ự öï
ỳ yø ỷ yû ỹ yõ ý yù ỵ î
đ ñ
"""


def pairs(chart):
    items = chart.split()
    return list(zip(items[::2], items[1::2], strict=True))


ALL_LOWER = [unicodedata.normalize("NFC", v + t) for v in "aăâeêioôơuưy"
             for t in ["", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323"]] + ["đ"]


def test_charts_cover_every_vietnamese_letter():
    assert len(ALL_LOWER) == 73  # 12 vowels × 6 tones + đ
    toned = {x for x in ALL_LOWER if not x.isascii()}
    assert toned <= {letter for letter, _code in pairs(TCVN3_CHART)}
    assert toned <= {letter for letter, _code in pairs(VNI_CHART)}


@pytest.mark.parametrize("letter,code", pairs(TCVN3_CHART))
def test_tcvn3_letter(letter, code):
    legacy = chr(int(code, 16))
    assert lt.tcvn3_to_unicode(legacy) == letter
    assert lt.unicode_to_tcvn3(letter) == legacy


@pytest.mark.parametrize("letter,code", pairs(TCVN3_CHART))
def test_tcvn3_uppercase_fonts(letter, code):
    """.VnTimeH: the same bytes show as capitals."""
    legacy = chr(int(code, 16))
    assert lt.tcvn3_to_unicode(legacy, uppercase=True) == letter.upper()
    assert lt.to_unicode(legacy, "tcvn3h") == letter.upper()


@pytest.mark.parametrize("letter,code", pairs(VNI_CHART))
def test_vni_letter_both_cases(letter, code):
    assert lt.vni_to_unicode(code) == letter
    assert lt.unicode_to_vni(letter) == code
    assert lt.vni_to_unicode(code.upper()) == letter.upper()
    assert lt.unicode_to_vni(letter.upper()) == code.upper()


def test_every_letter_round_trips_in_words():
    for letter in ALL_LOWER:
        for word in (f"th{letter}n", f"TH{letter.upper()}N"):
            assert lt.vni_to_unicode(lt.unicode_to_vni(word)) == word
            # Capitals are the lowercase bytes set in the uppercase font.
            assert lt.tcvn3_to_unicode(lt.unicode_to_tcvn3(word),
                                       uppercase=word.isupper()) == word


@pytest.mark.parametrize("legacy,encoding,unicode_text", [
    ("Céng hoµ x· héi chñ nghÜa ViÖt Nam", "tcvn3", "Cộng hoà xã hội chủ nghĩa Việt Nam"),
    ("COÄNG HOØA XAÕ HOÄI CHUÛ NGHÓA VIEÄT NAM", "vni", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
    ("§éc lËp - Tù do - H¹nh phóc", "tcvn3", "Độc lập - Tự do - Hạnh phúc"),
    ("Ñoäc laäp - Töï do - Haïnh phuùc", "vni", "Độc lập - Tự do - Hạnh phúc"),
    ("Uû ban nh©n d©n tØnh Hµ Nam", "tcvn3", "Uỷ ban nhân dân tỉnh Hà Nam"),
    ("UÛy ban nhaân daân tænh Haø Nam", "vni", "Ủy ban nhân dân tỉnh Hà Nam"),
    ("Së Tµi chÝnh", "tcvn3", "Sở Tài chính"),
    ("Sôû Taøi chính", "vni", "Sở Tài chính"),
])
def test_detects_and_converts_mojibake(legacy, encoding, unicode_text):
    assert lt.detect_encoding(legacy) == encoding
    assert lt.to_unicode(legacy) == unicode_text


@pytest.mark.parametrize("text", ["Cộng hòa xã hội chủ nghĩa Việt Nam", "Hà Nam", "café",
                                  "HÓA ĐƠN", "Quyết định 15/QĐ-UBND", "", "plain ascii"])
def test_unicode_is_left_alone(text):
    assert lt.detect_encoding(text) == "unicode"
    assert lt.to_unicode(text) == text


def test_nfd_is_normalised():
    nfd = unicodedata.normalize("NFD", "Nguyễn Thị Hằng")
    assert lt.to_unicode(nfd) == "Nguyễn Thị Hằng"


def test_decode_bytes():
    assert lt.decode_bytes("Hà Nam".encode("utf-8-sig")) == "Hà Nam"
    legacy = "Së Tµi chÝnh".encode("cp1252")
    assert lt.to_unicode(lt.decode_bytes(legacy)) == "Sở Tài chính"


# Text typed in Word with the old fonts has Windows-1252's typographic punctuation (bytes
# 0x80–0x9F: “ ” ‘ ’ – — … •), which reads as code points above U+00FF like Unicode letters.
@pytest.mark.parametrize("legacy,encoding,unicode_text", [
    ("QuyÕt ®Þnh “VÒ viÖc tæ chøc héi nghÞ” – n¨m 2015…", "tcvn3",
     "Quyết định “Về việc tổ chức hội nghị” – năm 2015…"),
    ("Quyeát ñònh “Veà vieäc toå chöùc hoäi nghò” – naêm 2015…", "vni",
     "Quyết định “Về việc tổ chức hội nghị” – năm 2015…"),
    ("‘§éc lËp’ — Tù do • H¹nh phóc", "tcvn3", "‘Độc lập’ — Tự do • Hạnh phúc"),
    ("‘Ñoäc laäp’ — Töï do • Haïnh phuùc", "vni", "‘Độc lập’ — Tự do • Hạnh phúc"),
])
def test_legacy_text_with_windows_punctuation(legacy, encoding, unicode_text):
    assert lt.detect_encoding(legacy) == encoding
    assert lt.to_unicode(legacy) == unicode_text


@pytest.mark.parametrize("text", ["Quyết định “Về việc tổ chức hội nghị” – năm 2015…",
                                  "“Hà Nam” – café", "‘Tú’ — Bá • Hà", "Giá 5 €, “OK” ™"])
def test_unicode_with_curly_quotes_is_left_alone(text):
    assert lt.detect_encoding(text) == "unicode"
    assert lt.to_unicode(text) == text


# ---------------------------------------------------------------- the syllable checker

@pytest.mark.parametrize("word", [
    "Cộng", "hòa", "hoà", "xã", "hội", "chủ", "nghĩa", "Việt", "NAM", "quyết", "định", "khuya",
    "khuỷu", "giữa", "gì", "nghiêng", "người", "được", "thuỷ", "thủy", "yêu", "uống", "quốc",
    "Trường", "kỹ", "tháng", "Đồng", "giếng", "oanh", "huyện", "ngoài", "ước"])
def test_vietnamese_syllables(word):
    assert lt.is_syllable(word)


@pytest.mark.parametrize("word", [
    # what reading VNI text as TCVN3 gives (the bug of issue 20)
    "Coọng", "hoứa", "xaừ", "nghúa", "Vieọt",
    # impossible spellings: c/k, g/gh, ng/ngh, two tones, huyền before -t, no vowel, Latin-1
    "kốm", "cơng", "ghà", "ngé", "hóà", "cồt", "chớnh", "ng", "café", "Céng", "Coäng", "Hµ"])
def test_not_vietnamese_syllables(word):
    assert not lt.is_syllable(word)


# ---------------------------------------------------------------- detection, per document

def test_vni_of_the_issue_is_read_as_vni_not_tcvn3():
    legacy = "Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam"
    assert lt.detect([legacy]).encoding == "vni"
    assert lt.to_unicode(legacy) == "Cộng hòa xã hội chủ nghĩa Việt Nam"
    assert lt.to_unicode(legacy) != "Coọng hoứa xaừ hoọi chuỷ nghúa Vieọt Nam"


# Typed here by hand in each encoding (not produced by unicode_to_*): short strings and
# single words, where only syllables can tell TCVN3 from VNI.
@pytest.mark.parametrize("legacy,encoding,unicode_text", [
    ("Së Tµi chÝnh", "tcvn3", "Sở Tài chính"),
    ("Sôû Taøi chính", "vni", "Sở Tài chính"),
    ("C«ng v¨n", "tcvn3", "Công văn"),
    ("Coâng vaên", "vni", "Công văn"),
    ("C«ng", "tcvn3", "Công"), ("Coâng", "vni", "Công"),
    ("Tµi", "tcvn3", "Tài"), ("Taøi", "vni", "Tài"),
    ("ViÖt", "tcvn3", "Việt"), ("Vieät", "vni", "Việt"),
    ("®\u00adîc", "tcvn3", "được"), ("ñöôïc", "vni", "được"),  # TCVN3's ư is a soft hyphen
    ("§éc lËp", "tcvn3", "Độc lập"), ("Ñoäc laäp", "vni", "Độc lập"),
    ("C«ng v¨n sè 12/SNV", "tcvn3", "Công văn số 12/SNV"),
    ("Coâng vaên soá 12/SNV", "vni", "Công văn số 12/SNV"),
])
def test_short_legacy_strings(legacy, encoding, unicode_text):
    detection = lt.detect([legacy])
    assert (detection.encoding, detection.ambiguous) == (encoding, False)
    assert lt.to_unicode(legacy) == unicode_text


def test_tcvn3_capitals_typed_with_the_normal_font():
    assert lt.to_unicode("CéNG HOµ X· HéI") == "CỘNG HOÀ XÃ HỘI"


def test_unicode_words_do_not_stop_the_legacy_ones_around_them():
    # Real cells of a social-insurance form (tests/data/legacy/vni_bhxh_forms.txt).
    assert lt.to_unicode("Tồng số sổ BHXH ñeà nghò caáp:") == "Tồng số sổ BHXH đề nghị cấp:"
    assert lt.to_unicode("Đơn vị cần ghi đầy đủ caùc tieâu chí töø coät 1 ñeán coät 26") == \
        "Đơn vị cần ghi đầy đủ các tiêu chí từ cột 1 đến cột 26"


@pytest.mark.parametrize("text,choices", [
    ("Soá", ("unicode", "vni")),      # VNI "Số", or the syllable "soá" typed in Unicode?
    ("Ghi chó", ("unicode", "tcvn3")),  # TCVN3 "Ghi chú", or Unicode "chó"?
])
def test_close_readings_are_offered_and_the_text_is_kept_meanwhile(text, choices):
    detection = lt.detect([text])
    assert detection.ambiguous and detection.choices == choices
    assert lt.to_unicode(text) == text
    assert lt.to_unicode(text, choices[1]) != text  # the person's choice is applied


def test_explicit_encoding_is_obeyed():
    assert lt.to_unicode("Ghi chó", "tcvn3") == "Ghi chú"
    assert lt.to_unicode("Soá TT", "vni") == "Số TT"
    assert lt.to_unicode("Coäng hoøa", "tcvn3") == "Coọng hoứa"  # asked for, so done
    assert lt.to_unicode("Sở Tài chính", "tcvn3") == "Sở Tài chính"  # Unicode words stay


# ---------------------------------------------------------------- real legacy text

LEGACY_SAMPLES = Path(__file__).resolve().parent / "data" / "legacy"


def legacy_sample(name):
    """(lines as read, expected Unicode lines) of tests/data/legacy/<name> (SOURCES.md)."""
    raw = (LEGACY_SAMPLES / f"{name}.txt").read_bytes()
    lines = lt.decode_bytes(raw).splitlines()
    expected = (LEGACY_SAMPLES / f"{name}.expected.txt").read_text("utf-8").splitlines()
    assert len(lines) == len(expected) > 30
    return lines, expected


@pytest.mark.parametrize("name,encoding", [
    ("tcvn3_jx_comments", "tcvn3"),  # an old 8-bit text file (Lua comments, .VnTime)
    ("vni_bhxh_forms", "vni"),  # cells of two forms in VNI-Times, some cells Unicode
])
def test_real_documents(name, encoding):
    lines, expected = legacy_sample(name)
    detection = lt.detect(lines)
    assert (detection.encoding, detection.ambiguous) == (encoding, False)
    assert [lt.to_unicode(line, document=detection) for line in lines] == expected


def test_real_lines_alone():
    """Most lines read right even alone; the rest only within their document, like "Soá TT"
    (VNI "Số TT", or Unicode "soá"?) and "MÑ" (VNI "MĐ", or TCVN3 "Mẹ"?)."""
    for name in ("tcvn3_jx_comments", "vni_bhxh_forms"):
        lines, expected = legacy_sample(name)
        wrong = [line for line, want in zip(lines, expected, strict=True)
                 if lt.to_unicode(line) != want]
        assert wrong in ([], ["Soá TT", "Soá CMND", "MÑ V :", "ÑT :"])


def test_a_file_mixing_unicode_cells_and_legacy_cells(tmp_path):
    """Our own import template's headers are Unicode, some with Latin-1 letters only
    ("Ngày tháng"); the rows are TCVN3. The headers stay, the rows are converted."""
    from openpyxl import Workbook

    from app.core.sheets import Table

    lines, expected = legacy_sample("tcvn3_jx_comments")
    headers = ["Ngày đến", "Số đến", "Tác giả", "Số, ký hiệu", "Ngày tháng",
               "Tên loại và trích yếu nội dung", "Đơn vị hoặc người nhận", "Ghi chú"]
    workbook = Workbook()
    workbook.active.append(headers)
    for line in lines:
        workbook.active.append(["Ngày tháng", line])
    path = tmp_path / "so.xlsx"
    workbook.save(path)
    table = Table(path.read_bytes(), "so.xlsx", max_bytes=10**6)
    assert table.detection.encoding == "tcvn3"
    rows = [cells for _line, cells in table.rows()]
    assert rows[0] == headers
    assert [cells[1] for cells in rows[1:]] == expected
    assert {cells[0] for cells in rows[1:]} == {"Ngày tháng"}


# ---------------------------------------------------------------- "Chuyển mã" and the import

def _convert(client, token, text, **extra):
    response = client.post("/text/convert", json={"text": text, **extra},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 200
    return response.get_json()


def test_convert_button_offers_both_readings_when_in_doubt(login_as):
    from tests.conftest import csrf_token

    client = login_as("vanthu")
    html = client.get("/incoming/register").get_data(as_text=True)
    assert 'data-legacy-convert-choose="Chưa chắc chữ được gõ bằng bảng mã nào' in html
    token = csrf_token(html)
    assert _convert(client, token, "Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam") == {
        "text": "Cộng hòa xã hội chủ nghĩa Việt Nam", "encoding": "vni", "changed": True,
        "label": "VNI (VNI-Times)"}  # clear: no choices
    assert _convert(client, token, "Së Tµi chÝnh")["text"] == "Sở Tài chính"
    doubtful = _convert(client, token, "Soá")
    assert (doubtful["text"], doubtful["changed"]) == ("Soá", False)
    assert doubtful["choices"] == [
        {"encoding": "unicode", "label": "Unicode", "text": "Soá"},
        {"encoding": "vni", "label": "VNI (VNI-Times)", "text": "Số"}]
    chosen = _convert(client, token, "Soá", encoding="vni")
    assert (chosen["text"], "choices" in chosen) == ("Số", False)


def _xlsx(rows):
    from openpyxl import Workbook

    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_import_shows_both_readings_when_in_doubt_and_reads_as_chosen(login_as):
    import re

    from tests.conftest import csrf_token, form_of

    client = login_as("vanthu")
    # One 8-bit word only, "Soá": VNI for "Số", or the syllable "soá" typed in Unicode?
    data = _xlsx([["Họ và tên", "Chức vụ", "Thẩm quyền ký"],
                  ["Trần Văn Soá", "Phó Giám đốc", "KT"]])
    page = client.get("/imports/").get_data(as_text=True)
    response = client.post("/imports/", data=form_of(
        page, kind="signers", encoding="auto", file=(io.BytesIO(data), "nguoi-ky.xlsx")),
        content_type="multipart/form-data")
    assert response.status_code == 302
    token = re.search(r"/imports/([A-Za-z0-9_-]+)/mapping", response.headers["Location"])[1]
    html = client.get(f"/imports/{token}/mapping").get_data(as_text=True)
    assert "Chưa chắc chữ Việt trong tệp được gõ bằng bảng mã nào" in html
    readings = re.findall(r'<tr class="import-reading" data-encoding="(\w+)">.*?<div>(.*?)</div>',
                          html, flags=re.S)
    assert readings == [("unicode", "Trần Văn Soá"), ("vni", "Trần Văn Số")]

    chosen = client.post(f"/imports/{token}/encoding",
                         data={"csrf_token": csrf_token(html), "encoding": "vni"})
    assert chosen.status_code == 302 and chosen.headers["Location"].endswith("/mapping")
    html = client.get(f"/imports/{token}/mapping").get_data(as_text=True)
    assert "import-encoding-choice" not in html and "Bảng mã: VNI (VNI-Times)." in html
    assert "<td>Trần Văn Số</td>" in html
    refused = client.post(f"/imports/{token}/encoding",
                          data={"csrf_token": csrf_token(html), "encoding": "ebcdic"})
    assert refused.status_code == 400
