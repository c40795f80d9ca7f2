"""Legacy Vietnamese encodings (TCVN3/ABC, VNI) to Unicode NFC: every letter, both cases,
checked against the code charts written out here letter by letter (not generated)."""
import unicodedata

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
