"""Legacy Vietnamese 8-bit text (TCVN3/ABC and VNI) to Unicode NFC (Regulation Art. 2).

Old files typed in the `.VnTime` (TCVN3) or `VNI-Times` (VNI) fonts arrive as Latin-1 /
Windows-1252 characters: "Céng hoµ x· héi chñ nghÜa ViÖt Nam" (TCVN3) or
"COÄNG HOØA XAÕ HOÄI CHUÛ NGHÓA VIEÄT NAM" (VNI). No well-kept converter exists on PyPI, so the
tables are written here from the published code charts (TCVN 5712:1993 VN3; VNI for Windows)
and tested letter by letter (tests/test_legacy_text.py).

- TCVN3 has one byte per letter and only lowercase toned letters; the uppercase fonts
  (`.VnTimeH`) show the same bytes as capitals, hence `uppercase=True`.
- VNI writes a base letter followed by one mark character (a tone, a circumflex, a breve or
  both); ơ, ư, đ and the i/ỵ letters are single characters. Capitals use the capital mark.
"""
import re
import unicodedata

from app.core.text import nfc

# The 73 lowercase letters (unmarked and toned) in one order, and their TCVN3 bytes.
_TONES = "\u0300\u0309\u0303\u0301\u0323"  # huyền, hỏi, ngã, sắc, nặng
_VOWELS = "aăâeêioôơuưy"
LETTERS = [unicodedata.normalize("NFC", v + t) for v in _VOWELS for t in ["", *_TONES]] + ["đ"]

# Per vowel: (unmarked, huyền, hỏi, ngã, sắc, nặng); đ last.
_TCVN3_BYTES = [
    0x61, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9,  # a
    0xA8, 0xBB, 0xBC, 0xBD, 0xBE, 0xC6,  # ă
    0xA9, 0xC7, 0xC8, 0xC9, 0xCA, 0xCB,  # â
    0x65, 0xCC, 0xCE, 0xCF, 0xD0, 0xD1,  # e
    0xAA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6,  # ê
    0x69, 0xD7, 0xD8, 0xDC, 0xDD, 0xDE,  # i
    0x6F, 0xDF, 0xE1, 0xE2, 0xE3, 0xE4,  # o
    0xAB, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9,  # ô
    0xAC, 0xEA, 0xEB, 0xEC, 0xED, 0xEE,  # ơ
    0x75, 0xEF, 0xF1, 0xF2, 0xF3, 0xF4,  # u
    0xAD, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9,  # ư
    0x79, 0xFA, 0xFB, 0xFC, 0xFD, 0xFE,  # y
    0xAE,                                # đ
]
# The few capitals of the normal fonts.
_TCVN3_CAPITALS = {0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ"}

TCVN3_DECODE = {chr(b): letter for b, letter in zip(_TCVN3_BYTES, LETTERS, strict=True)
                if b >= 0x80}
TCVN3_DECODE.update({chr(b): letter for b, letter in _TCVN3_CAPITALS.items()})
TCVN3_ENCODE = {letter: chr(b) for b, letter in zip(_TCVN3_BYTES, LETTERS, strict=True)}

# VNI: per vowel, what follows the base letter for (unmarked, huyền, hỏi, ngã, sắc, nặng).
# A base of "" means the whole letter is one character.
_VNI = {
    "a": ("a", ["", "ø", "û", "õ", "ù", "ï"]),
    "ă": ("a", ["ê", "è", "ú", "ü", "é", "ë"]),
    "â": ("a", ["â", "à", "å", "ã", "á", "ä"]),
    "e": ("e", ["", "ø", "û", "õ", "ù", "ï"]),
    "ê": ("e", ["â", "à", "å", "ã", "á", "ä"]),
    "i": ("", ["i", "ì", "æ", "ó", "í", "ò"]),
    "o": ("o", ["", "ø", "û", "õ", "ù", "ï"]),
    "ô": ("o", ["â", "à", "å", "ã", "á", "ä"]),
    "ơ": ("", ["ô", "ôø", "ôû", "ôõ", "ôù", "ôï"]),
    "u": ("u", ["", "ø", "û", "õ", "ù", "ï"]),
    "ư": ("", ["ö", "öø", "öû", "öõ", "öù", "öï"]),
    "y": ("y", ["", "ø", "û", "õ", "ù", "î"]),
}
VNI_ENCODE = {}
for _vowel, (_base, _marks) in _VNI.items():
    for _tone, _mark in zip(["", *_TONES], _marks, strict=True):
        _letter = unicodedata.normalize("NFC", _vowel + _tone)
        # ỵ is the single character î; every other mark follows its base letter.
        _code = _mark if (not _base or _mark == "î") else _base + _mark
        VNI_ENCODE[_letter] = _code
        VNI_ENCODE[_letter.upper()] = _code.upper()
VNI_ENCODE["đ"], VNI_ENCODE["Đ"] = "ñ", "Ñ"
VNI_DECODE = {code: letter for letter, code in VNI_ENCODE.items() if code != letter}
_VNI_PATTERN = re.compile("|".join(
    re.escape(code) for code in sorted(VNI_DECODE, key=len, reverse=True)))
# A lowercase mark after a capital base ("Vieät" is fine; "VIEäT" is sloppy typing): accept.
_VNI_MIXED = {base.upper() + mark: letter.upper()
              for code, letter in VNI_DECODE.items() if len(code) == 2
              for base, mark in [code] if base.islower() and mark.islower()}
_VNI_MIXED.update({base.lower() + mark: letter.lower()
                   for code, letter in VNI_DECODE.items() if len(code) == 2
                   for base, mark in [code] if base.isupper() and mark.isupper()})
_VNI_MIXED_PATTERN = re.compile("|".join(re.escape(k) for k in _VNI_MIXED))


def tcvn3_to_unicode(text: str, uppercase: bool = False) -> str:
    """TCVN3 (ABC) text, as read in Latin-1/Windows-1252, to Unicode NFC.
    `uppercase`: the text was set in an uppercase font (.VnTimeH, .VnArialH)."""
    converted = "".join(TCVN3_DECODE.get(c, c) for c in text or "")
    return nfc(converted.upper() if uppercase else converted)


def vni_to_unicode(text: str) -> str:
    """VNI text, as read in Latin-1/Windows-1252, to Unicode NFC."""
    text = _VNI_MIXED_PATTERN.sub(lambda m: _VNI_MIXED[m[0]], text or "")
    return nfc(_VNI_PATTERN.sub(lambda m: VNI_DECODE[m[0]], text))


def unicode_to_tcvn3(text: str) -> str:
    """The reverse, for tests and for writing old-format files: capitals of toned letters do
    not exist in TCVN3 (they are the lowercase bytes in an uppercase font) and are lowered."""
    out = []
    for c in unicodedata.normalize("NFC", text or ""):
        if c in TCVN3_ENCODE:
            out.append(TCVN3_ENCODE[c])
        elif c in _TCVN3_CAPITALS.values():
            out.append(next(chr(b) for b, x in _TCVN3_CAPITALS.items() if x == c))
        elif c.lower() in TCVN3_ENCODE and not c.isascii():
            out.append(TCVN3_ENCODE[c.lower()])
        else:
            out.append(c)
    return "".join(out)


def unicode_to_vni(text: str) -> str:
    return "".join(VNI_ENCODE.get(c, c) for c in unicodedata.normalize("NFC", text or ""))


# ---------------------------------------------------------------- detection

VIETNAMESE_LETTERS = set(LETTERS) | {x.upper() for x in LETTERS}
_WORD = re.compile(r"[^\W\d_]+")
# Windows-1252 puts typographic punctuation (“ ” ‘ ’ – — … • € ™…) at bytes 0x80–0x9F, which
# read as code points above U+00FF: TCVN3/VNI text typed in Word has them as much as Unicode
# text does, so they are evidence of neither.
WINDOWS_1252_EXTRAS = "".join(bytes([b]).decode("cp1252", "ignore") for b in range(0x80, 0xA0))
_BLANK_EXTRAS = str.maketrans(dict.fromkeys(WINDOWS_1252_EXTRAS, " "))


def without_windows_punctuation(text: str) -> str:
    """The text with Windows-1252's 0x80–0x9F characters blanked: what to look at when
    deciding the encoding (the conversion itself keeps them)."""
    return (text or "").translate(_BLANK_EXTRAS)


def _penalty(text: str) -> int:
    """How un-Vietnamese a text looks: Latin-1 symbols and letters that Vietnamese does not
    use, and words with more than one tone."""
    score = 0
    for c in text:
        if "\u0080" <= c <= "\u00ff" and c not in VIETNAMESE_LETTERS:
            score += 1
    for word in _WORD.findall(text):
        tones = sum(1 for c in unicodedata.normalize("NFD", word) if c in _TONES)
        score += 2 * max(tones - 1, 0)
    return score


def detect_encoding(text: str) -> str:
    """'unicode' (leave as is), 'tcvn3' or 'vni': the reading that looks most Vietnamese.
    Text with letters only Unicode has (ơ, ư, đ, ạ…) or combining marks is Unicode; curly
    quotes, dashes and the like (WINDOWS_1252_EXTRAS) count for neither."""
    text = without_windows_punctuation(text)
    if not any("\u0080" <= c <= "\u00ff" for c in text):
        return "unicode"
    if any(c > "\u00ff" for c in text if not c.isspace()):
        return "unicode"
    scores = {"unicode": _penalty(text), "tcvn3": _penalty(tcvn3_to_unicode(text)),
              "vni": _penalty(vni_to_unicode(text))}
    best = min(scores.values())
    if scores["unicode"] == best:
        return "unicode"  # in doubt, keep what was typed
    return "tcvn3" if scores["tcvn3"] == best else "vni"


ENCODINGS = ("auto", "unicode", "tcvn3", "tcvn3h", "vni")


def to_unicode(text, encoding: str = "auto"):
    """Text in any of ENCODINGS to Unicode NFC ('tcvn3h': the uppercase TCVN3 fonts).
    Non-text values pass through."""
    if not isinstance(text, str):
        return text
    if encoding == "auto":
        encoding = detect_encoding(text)
    if encoding == "tcvn3":
        return tcvn3_to_unicode(text)
    if encoding == "tcvn3h":
        return tcvn3_to_unicode(text, uppercase=True)
    if encoding == "vni":
        return vni_to_unicode(text)
    return nfc(text)


def decode_bytes(data: bytes) -> str:
    """Bytes of an old text file (CSV…): UTF-8 (with or without BOM) if valid, else read as
    Windows-1252 (how TCVN3/VNI bytes look) — then converted with to_unicode per field."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")
