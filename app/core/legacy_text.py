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

Which encoding a text is in is decided for a whole document (detect), by how many of its words
each reading makes valid Vietnamese syllables (is_syllable); to_unicode then converts its
texts word by word, keeping the words already in Unicode. When two readings are about as
good, Detection.alternatives lists them for the person to choose (the import preview, the
"Chuyển mã" button).
"""
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

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
#
# Which reading of a text is Vietnamese? Every word that could be TCVN3 or VNI (letters of
# Latin-1, none of the letters only Unicode has) is read three ways — as typed (Unicode), as
# TCVN3, as VNI — and the words of each reading are checked against the make-up of a Vietnamese
# syllable (is_syllable: onset, vowel nucleus with at most one tone mark, coda; a word with
# symbols glued in, like "x·", is no syllable). The reading with the most valid syllables wins,
# for a whole document at once (detect: an imported file, a text submitted to "Chuyển mã"), so
# that the short cells of a TCVN3 file ("Ghi chó" → "Ghi chú") are read like its long ones.
# Words already written with Unicode's own letters (ơ, ư, đ, ạ…) are evidence for themselves
# only: they are kept, and never stop the legacy words around them from being converted.

VIETNAMESE_LETTERS = set(LETTERS) | {x.upper() for x in LETTERS}
# Windows-1252 puts typographic punctuation (“ ” ‘ ’ – — … • € ™…) at bytes 0x80–0x9F, which
# read as code points above U+00FF: TCVN3/VNI text typed in Word has them as much as Unicode
# text does, so they are evidence of neither.
WINDOWS_1252_EXTRAS = "".join(bytes([b]).decode("cp1252", "ignore") for b in range(0x80, 0xA0))
_BLANK_EXTRAS = str.maketrans(dict.fromkeys(WINDOWS_1252_EXTRAS, " "))


def without_windows_punctuation(text: str) -> str:
    """The text with Windows-1252's 0x80–0x9F characters blanked: what to look at when
    deciding the encoding (the conversion itself keeps them)."""
    return (text or "").translate(_BLANK_EXTRAS)


LEGACY = ("tcvn3", "vni")
CANDIDATES = ("unicode", *LEGACY)  # in this order of preference when readings tie
ENCODINGS = ("auto", "unicode", "tcvn3", "tcvn3h", "vni")

# -- the Vietnamese syllable

_TONE_MARKS = frozenset(_TONES)
_SHARP_TONES = frozenset("\u0301\u0323")  # the only tones of a syllable ending in c, ch, p, t
_VOWELS_SET = frozenset(_VOWELS)
_PLAIN_LETTERS = frozenset("bcdđghklmnpqrstvx") | _VOWELS_SET
_ONSETS = ("ngh", "ng", "gh", "gi", "kh", "nh", "ph", "th", "tr", "ch", "qu",
           *"bcdđghklmnprstvx", "")


def _rhyme_sets():
    """Rhymes (vowel nucleus and coda, without tone) by their first vowel, as written."""
    a = "a ac ach ai am an ang anh ao ap at au ay".split()
    a_breve = "ăc ăm ăn ăng ăp ăt".split()
    a_hat = "âc âm ân âng âp ât âu ây".split()
    e = "e ec em en eng eo ep et".split()
    e_hat = "ê êch êm ên ênh êp êt êu".split()
    i = "i ia ich im in inh ip it iu".split()
    ie = "iêc iêm iên iêng iêp iêt iêu".split()  # with an onset; "yê…" without
    o = "o oc oi om on ong op ot".split()
    o_hat = "ô ôc ôi ôm ôn ông ôp ôt".split()
    o_horn = "ơ ơi ơm ơn ơp ơt".split()
    u = "u ua uc ui um un ung up ut uôc uôi uôm uôn uông uôt".split()
    u_horn = "ư ưa ưc ưi ưm ưn ưng ưt ưu ươc ươi ươm ươn ương ươp ươt ươu".split()
    y_after_u = "y ych ynh yp yt ya yu yên yêt".split()  # uy, quy, khuya, khuỷu, quyết
    medial = ({"o" + r for r in a if r != "au"} | {"o" + r for r in a_breve}
              | {"o" + r for r in "e en eo et ec em".split()}
              | {"u" + r for r in "ân âng ât ây ê êch ênh ơ".split()}
              | {"u" + r for r in y_after_u})
    plain = set(a + a_breve + a_hat + e + e_hat + i + o + o_hat + o_horn + u + u_horn) | {"y"}
    after_qu = set(a + a_breve + a_hat + e + e_hat + y_after_u) | {
        "ơ", "i", "in", "inh", "it", "ich", "ôc"}
    return plain, set(ie), {"y", "yêm", "yên", "yêt", "yêu"}, medial, after_qu


_PLAIN_RHYMES, _IE_RHYMES, _Y_RHYMES, _MEDIAL_RHYMES, _QU_RHYMES = _rhyme_sets()
_WITH_ONSET = _PLAIN_RHYMES | _IE_RHYMES | _MEDIAL_RHYMES
_WITHOUT_ONSET = _Y_RHYMES | _PLAIN_RHYMES | _MEDIAL_RHYMES


def _onset_fits(onset: str, rhyme: str) -> bool:
    """The spelling rules between an onset and its rhyme: c/k, g/gh, ng/ngh, qu, gi."""
    if onset == "qu":
        return rhyme in _QU_RHYMES
    if not onset:
        return rhyme in _WITHOUT_ONSET
    if rhyme not in _WITH_ONSET:
        return False
    front = rhyme[0] in "eêiy"
    if onset == "c":
        return not front and rhyme not in _MEDIAL_RHYMES
    if onset == "k":
        return front and rhyme not in _MEDIAL_RHYMES
    if onset in ("gh", "ngh"):
        return rhyme[0] in "eêi"
    if onset == "ng":
        return not front
    if onset == "g":
        return rhyme[0] not in "eêy"  # g + i is "gi": gì, gìn, giết
    if onset == "gi":
        return rhyme[0] not in "iy"
    return True


@lru_cache(maxsize=100_000)
def is_syllable(word: str) -> bool:
    """Whether `word` is spelled as a Vietnamese syllable: an onset (b, ch, ngh, qu…), a rhyme
    (vowel nucleus and coda: oa, ương, uyên…) that the onset may precede, at most one tone
    mark, on a vowel of the rhyme, and only sắc or nặng before c, ch, p, t. Either tone
    placement (hoà and hòa, thuỷ and thủy) is accepted; case is ignored."""
    base, tone, tone_at = [], None, -1
    for c in unicodedata.normalize("NFD", word.lower()):
        if c in _TONE_MARKS:
            if tone is not None or not base:
                return False
            tone, tone_at = c, len(base) - 1
        elif unicodedata.combining(c):
            if not base:
                return False
            base[-1] += c
        else:
            base.append(c)
    letters = [unicodedata.normalize("NFC", b) for b in base]
    if not letters or any(x not in _PLAIN_LETTERS for x in letters):
        return False
    if tone is not None and letters[tone_at] not in _VOWELS_SET:
        return False
    plain = "".join(letters)
    for onset in _ONSETS:
        rhyme = plain[len(onset):]
        if not plain.startswith(onset) or not rhyme or tone_at >= 0 and tone_at < len(onset):
            continue
        if not _onset_fits(onset, rhyme):
            continue
        if tone is not None and rhyme.endswith(("c", "p", "t", "ch")) and \
                tone not in _SHARP_TONES:
            continue
        return True
    return False


# -- scoring a reading

# Latin-1 symbols that TCVN3 uses for letters (§ Đ, ® đ, ¸ á, · ã, ­ ư…): glued to letters in a
# wrong reading, they make the word invalid rather than splitting it. Quotes «», degrees, ±
# and the superscripts are ordinary punctuation next to words.
_GLUED = "".join(c for c in map(chr, range(0xA1, 0xC0))
                 if not c.isalpha() and c not in "«»°±²³´¿")
_RUN = re.compile(r"(?:[^\W\d_]|[" + re.escape(_GLUED) + "])+")
_UNICODE_ONLY = frozenset(c for c in VIETNAMESE_LETTERS if c > "\u00ff")
_READERS = {"unicode": nfc, "tcvn3": tcvn3_to_unicode, "vni": vni_to_unicode}


# Syllables frequent in administrative text: a reading that gives them is preferred to one as
# valid but rarer ("Soá" in VNI is "Số", not the syllable "soá"), as a tie-breaker only.
COMMON_SYLLABLES = frozenset(unicodedata.normalize("NFC", """
    à ai anh ấy bà bác bạn ban bán bản bảng bảo báo bắc bằng bên bệnh bị biên biết biểu bình bộ
    bổ bố bỏ bốn bởi bức bước bưu ca các cách cái cải cán cần căn cao cấp câu cầu cây chỉ chí
    chính chịu cho chọn chủ chú chúng chuyên chuyển chức chưa chương chứng có còn con công cộng
    cơ cục của cùng cụ cũng cũ cứ cử cứu dân danh dành dẫn di dịch diện do doanh dụng duy dự dưới
    dựng đã đại đang đảm đảng đánh đạo đạt đăng đầu đầy đất đề để đến đều đi địa điểm điều định
    đó đoàn đối đơn đóng đồng đổi đội động đợt đủ đúng được đường gia giá giải giám gian giao giảm
    giấy ghi giờ giới giữa gửi hai hàng hành hạn hạnh hãy hầu hết hiện hiệu hình họ hoà hòa hoá
    hóa hoạch hoạt học hỏi hội hồ hồi hợp huy huyện hướng hưởng hữu kế kết khác khai khám khẩu
    khi khoa khoản khu không kiểm kiến kiện kinh kịp kỳ ký lại làm lãnh lao lần lập lệ lên lịch
    liên loại lớn lợi lực luật lúc lượng lương lưu lý mà mã mẫu mặt mình mọi mỗi mới một mức nam
    năm nào này nay nêu nếu ngày ngành nghề nghị nghiệp nghĩa ngoài người nguồn nguyễn nhà nhận
    nhân nhất nhiều nhiệm như nhưng những nơi nội nữ nước ở phải phạm phân phần phát phép phí phó
    phòng phố phủ phụ phúc phương qua quan quản quy quyết quốc rằng rất riêng sách sau sinh số sở
    sự sửa sức tác tài tại tăng tâm tân tập tế tên theo thẩm thân tháng thấy thẻ thế thể thêm thì
    thiết thiểu thời thông thống thu thuận thuế thuộc thủ thư thường thực thứ thức tiền tiêu tiếp
    tiết tiến tin tình tính tỉnh tịch toàn tổ tổng tốt trả trách trang trên trình trong trọng trú
    trung trước trưởng trường từ tư tự tức tuổi ty uỷ ủy vào văn vẫn về vệ vì viên viện việc việt
    vị với vụ vực vừa xã xác xây xem xét xin xử xuất ý yêu""").split())
_VALID, _COMMON, _INVALID = 2, 3, -2


def _score(reading: str) -> int:
    """How Vietnamese a reading is: per word +3 for a frequent syllable, +2 for another valid
    one, -2 for anything else."""
    score = 0
    for run in _RUN.findall(without_windows_punctuation(reading)):
        if any(c.isalpha() for c in run):
            if not is_syllable(run):
                score += _INVALID
            else:
                score += _COMMON if run.lower() in COMMON_SYLLABLES else _VALID
    return score


@lru_cache(maxsize=100_000)
def is_unicode_word(token: str) -> bool:
    """A word with letters only Unicode has (ơ, ư, đ, ạ…) or combining marks: already Unicode,
    whatever the rest of the text is."""
    return any(c in _UNICODE_ONLY or "\u0300" <= c <= "\u036f" for c in token)


@lru_cache(maxsize=100_000)
def _maybe_legacy(token: str) -> bool:
    """A word that TCVN3 or VNI could have produced: Latin-1 beyond ASCII, nothing of Unicode's."""
    probe = without_windows_punctuation(token)
    return any("\u0080" < c <= "\u00ff" for c in probe) and not is_unicode_word(token)


@lru_cache(maxsize=100_000)
def _readings(token: str) -> dict:
    """{candidate: (reading, score)} of one word."""
    result = {}
    for candidate, read in _READERS.items():
        reading = read(token)
        result[candidate] = (reading, _score(reading))
    return result


# -- deciding for a document

@dataclass(frozen=True)
class Detection:
    """How a document reads best. `encoding` is 'unicode', 'tcvn3' or 'vni'; `scores` the
    score of each reading over the document's words that could be legacy (`words` of them);
    `alternatives` the other readings nearly as good that give a different text — when there
    are any, the person should choose (ambiguous); `mixed` whether the document also has
    Unicode words (then its 8-bit texts that are valid Vietnamese as typed may be Unicode
    too: the headers of our own import template)."""
    encoding: str = "unicode"
    scores: dict = field(default_factory=dict)
    words: int = 0
    alternatives: tuple = ()
    mixed: bool = False

    @property
    def ambiguous(self) -> bool:
        return bool(self.alternatives)

    @property
    def choices(self) -> tuple:
        """The chosen reading first, then the alternatives."""
        return (self.encoding, *self.alternatives) if self.alternatives else ()


def _close(gap: int, words: int) -> bool:
    """Scores too near to decide: less than one valid word against an invalid one for short
    texts, a fifth of the words for long ones."""
    return gap < max(3, words / 5)


def detect(texts, *, limit: int = 20_000) -> Detection:
    """Decide the encoding of a document given as its texts (the cells of a file, or one text).
    Words from texts that are partly Unicode count only when no text is wholly 8-bit."""
    wholly, partly, mixed = Counter(), Counter(), False
    for text in texts:
        if not isinstance(text, str):
            continue
        tokens = text.split()
        legacy = [t for t in tokens if _maybe_legacy(t)]
        has_unicode = any(map(is_unicode_word, tokens))
        mixed = mixed or has_unicode
        if legacy:
            (partly if has_unicode else wholly).update(legacy)
            if len(wholly) + len(partly) >= limit:
                break
    pool = wholly or partly
    scores = dict.fromkeys(CANDIDATES, 0)
    evidence = dict.fromkeys(CANDIDATES, 0)  # words this reading has better than Unicode
    differs = set()
    for token, count in pool.items():
        readings = _readings(token)
        plain, plain_score = readings["unicode"]
        for candidate, (reading, score) in readings.items():
            scores[candidate] += score * count
            if reading != plain:
                differs.add(candidate)
                if score > plain_score:
                    evidence[candidate] += count
    words = sum(pool.values())
    possible = [c for c in CANDIDATES if c == "unicode" or (c in differs and evidence[c])]
    best = max(possible, key=lambda c: (scores[c], -CANDIDATES.index(c)))
    close = [c for c in possible if c != best and (c in differs or best in differs) and
             _close(scores[best] - scores[c], words)]
    if "unicode" in close:  # in doubt, keep what was typed; the other reading is offered
        close = [best] + [c for c in close if c != "unicode"]
        best = "unicode"
    return Detection(best, scores, words, tuple(close), mixed)


def has_legacy_words(text: str) -> bool:
    """Whether the text has words that TCVN3 or VNI could have produced."""
    return any(_maybe_legacy(token) for token in (text or "").split())


def reading_score(text: str, encoding: str = "unicode") -> int:
    """How Vietnamese the whole text reads in `encoding` (every word beyond ASCII counted):
    to compare readings of the same bytes, e.g. Windows-1258 against TCVN3/VNI."""
    reading_of = "tcvn3" if encoding == "tcvn3h" else encoding
    return sum(_readings(token)[reading_of][1] for token in (text or "").split()
               if not token.isascii())


def detect_encoding(text: str) -> str:
    """'unicode' (leave as is), 'tcvn3' or 'vni': the reading that looks most Vietnamese."""
    return detect([text]).encoding


def to_unicode(text, encoding: str = "auto", *, document: Detection | None = None):
    """Text in any of ENCODINGS to Unicode NFC ('tcvn3h': the uppercase TCVN3 fonts).
    Non-text values pass through.

    'auto' reads the text as `document` decided (the file it belongs to; by default the text
    alone), and a text that reads clearly better in the other legacy encoding is read so.
    Whatever the encoding, words already in Unicode are kept; which other words are
    converted depends on the text and its document (_converts)."""
    if not isinstance(text, str):
        return text
    tokens = [m for m in re.finditer(r"\S+", text) if _maybe_legacy(m[0])]
    if not tokens or encoding == "unicode":
        return nfc(text)
    unicode_words = sum(1 for token in text.split() if is_unicode_word(token))
    # The person said which encoding: trusted, unless the text also has Unicode words.
    explicit = encoding != "auto"
    trusted = explicit and not unicode_words
    if not explicit:
        document = document or detect([text])
        encoding = _text_encoding([m[0] for m in tokens], document.encoding)
    reading_of = "tcvn3" if encoding == "tcvn3h" else encoding
    scores = []  # (as typed, converted)
    for match in tokens:
        readings = _readings(match[0])
        scores.append((readings["unicode"][1], readings[reading_of][1]))
    if explicit:
        rule = _LEGACY
    elif document.encoding == "unicode":
        rule = _STRUCTURAL
    else:
        clearly_legacy = sum(1 for plain, score in scores if score - plain >= _VALID)
        clearly_unicode = unicode_words + sum(
            1 for plain, score in scores if plain > 0 and plain - score >= _VALID)
        if clearly_legacy > clearly_unicode or \
                (clearly_legacy == clearly_unicode and not document.mixed):
            rule = _LEGACY
        else:  # a text of a mixed document without clear signs: "Soá TT" or "Ngày tháng"?
            rule = _COMPARE if document.mixed and not clearly_unicode else _STRUCTURAL
    capitals = [encoding == "tcvn3" and _capitals(m[0]) for m in tokens]
    out, last = [], 0
    for index, (match, (plain, score)) in enumerate(zip(tokens, scores, strict=True)):
        if _converts(rule, plain, score, trusted):
            reading = _readings(match[0])[reading_of][0]
            # "X·" among capitals is "XÃ": a one-letter capital follows its neighbours.
            neighbours = capitals[max(index - 1, 0):index + 2]
            if encoding == "tcvn3h" or capitals[index] or (
                    encoding == "tcvn3" and _capitals(match[0], letters=1) and any(neighbours)):
                reading = reading.upper()
            out += [text[last:match.start()], reading]
            last = match.end()
    out.append(text[last:])
    return nfc("".join(out))


_LEGACY, _COMPARE, _STRUCTURAL = "legacy", "compare", "structural"


def _converts(rule: str, plain: int, score: int, trusted: bool) -> bool:
    """Whether a word scoring `plain` as typed and `score` converted is converted.
    A legacy text, or one whose encoding the person chose, keeps as typed only what is valid
    Vietnamese and invalid converted (nothing at all when the person chose the encoding of a
    text without Unicode words): frequent syllables (COMMON_SYLLABLES) do not count
    there, VNI "toàn" is "tồn" however common "toàn" is. A text without clear signs in a mixed
    document goes the way that reads better, frequent syllables included ("Soá" is "Số",
    "Ngày tháng" stays). A Unicode text converts only what becomes valid."""
    if rule == _LEGACY:
        return trusted or plain - score < _VALID or plain <= 0
    if rule == _COMPARE:
        return score > plain or (plain <= 0 and score == plain)
    return score - plain >= _VALID


@lru_cache(maxsize=100_000)
def _capitals(token: str, letters: int = 2) -> bool:
    """A TCVN3 word typed in capitals with the normal font ("CéNG"): its toned letters exist
    only in lowercase there, and are meant as capitals. `letters`: how many ASCII letters
    (all capitals) make it sure."""
    ascii_letters = [c for c in token if c.isascii() and c.isalpha()]
    return len(ascii_letters) >= letters and all(c.isupper() for c in ascii_letters)


def _text_encoding(tokens, document_encoding: str) -> str:
    """The legacy encoding of one text of a document: the document's, unless the other one
    reads this text better by two words or more (a VNI cell in a TCVN3 file)."""
    score = {c: sum(_readings(t)[c][1] for t in tokens) for c in LEGACY}
    if document_encoding not in LEGACY:
        return max(LEGACY, key=lambda c: score[c])  # ties: TCVN3, the commoner
    other = LEGACY[1 - LEGACY.index(document_encoding)]
    return other if score[other] >= score[document_encoding] + 4 * _VALID else document_encoding


def decode_bytes(data: bytes) -> str:
    """Bytes of an old text file (CSV…): UTF-8 (with or without BOM) if valid, else read as
    Windows-1252 (how TCVN3/VNI bytes look) — then converted with to_unicode per field."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")
