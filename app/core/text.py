"""Vietnamese text: NFC at every boundary, folding for search, Vietnamese sort order."""
import re
import unicodedata

_SPACES = re.compile(r"\s+")


def nfc(value):
    """Normalise text to NFC (TCVN 6909:2001); other values pass through unchanged."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    return value


def fold(text: str) -> str:
    """Accent- and case-insensitive shadow text: 'Đất  Đai' -> 'dat dai'.

    đ/Đ have no Unicode decomposition, so they are folded explicitly.
    """
    text = unicodedata.normalize("NFC", text or "").lower().replace("đ", "d")
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return _SPACES.sub(" ", text).strip()


# Vietnamese dictionary order: letters a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y,
# then tones: ngang, huyền, hỏi, ngã, sắc, nặng.
_LETTER_ORDER = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_LETTER_RANK = {c: i for i, c in enumerate(_LETTER_ORDER)}
_TONE_RANK = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
_LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}  # breve, circumflex, horn make letters


def _split_letter(ch: str):
    """('ấ') -> ('â', tone rank 4)."""
    base, tone = "", 0
    for c in unicodedata.normalize("NFD", ch):
        if c in _TONE_RANK:
            tone = _TONE_RANK[c]
        elif c in _LETTER_MARKS or not unicodedata.combining(c):
            base += c
    return unicodedata.normalize("NFC", base), tone


def _rank(letter: str) -> int:
    if letter in _LETTER_RANK:
        return _LETTER_RANK[letter]
    if letter.isascii():  # spaces, digits, punctuation sort before letters
        return ord(letter[:1] or " ") - 1000
    return 100 + ord(letter[0])  # other scripts after Vietnamese letters


def vietnamese_sort_key(text: str):
    """A key that sorts Vietnamese words as a dictionary does (đ after d, ă after a, …)."""
    letters, tones = [], []
    for ch in unicodedata.normalize("NFC", text or "").lower():
        base, tone = _split_letter(ch)
        letters.append(_rank(base))
        tones.append(tone)
    return (letters, tones)


def vietnamese_collate(left: str, right: str) -> int:
    """A cmp function for SQLite's create_collation."""
    a, b = vietnamese_sort_key(left), vietnamese_sort_key(right)
    return (a > b) - (a < b)


_DASHES = re.compile(r"[\u2010-\u2015\u2212]")
_NUMBER_PREFIX = re.compile(r"^(so|số)\s*[:.]?\s*", re.IGNORECASE)


def number_symbol_key(text: str) -> str:
    """Number and symbol normalised for matching: '123 /QĐ- UBND', 'Số: 123/QD-UBND' and
    '0123/qđ–ubnd' all give '123/QD-UBND'. Keep what was typed for display."""
    text = _NUMBER_PREFIX.sub("", nfc(text or "").strip())
    text = _DASHES.sub("-", text)
    text = fold(text).upper().replace(" ", "")
    number, slash, rest = text.partition("/")
    if number.isdecimal():
        number = str(int(number))  # 01 and 1 are the same number
    return number + slash + rest
