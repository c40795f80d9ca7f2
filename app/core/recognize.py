"""The fields of a Vietnamese administrative letter read from its text (OCR or typed): what the
clerk would type at registration, proposed, never saved without the clerk.

The layout is Decree 30/2020/NĐ-CP, Appendix I: on the left the governing body (upper line) and
the issuing body (lower line, bold), then "Số: 123/QĐ-UBND" (and, for a công văn, "V/v …");
on the right the national name, the motto, then "Hà Nam, ngày 05 tháng 3 năm 2026"; the urgency
and secrecy marks under the number; the type name in capitals and the excerpt (trích yếu)
centred; the signature block at the end ("KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC / (ký) / Nguyễn Văn A").

OCR text keeps wide gaps between the two columns as runs of spaces (Tesseract's
preserve_interword_spaces): a line is cut there into segments, each read on its own.

Pure: imports no domain. propose() returns only the fields it found, each with the line it
was read from and a confidence.
"""
import difflib
import re
from dataclasses import dataclass
from datetime import date

from app.core.text import fold, nfc

# Marks (Decree 30 and the catalogs' codes): urgency -> UrgencyLevel.priority,
# secrecy -> SecrecyLevel.level.
URGENCY_MARKS = {"khan": 1, "thuong khan": 2, "hoa toc": 3, "hoa toc hen gio": 3}
SECRECY_MARKS = {"mat": 1, "toi mat": 2, "tuyet mat": 3}

# Abbreviations of agency names, folded (Decree 30, Appendix I, and common practice).
ABBREVIATIONS = {
    "ubnd": "uy ban nhan dan", "hdnd": "hoi dong nhan dan", "ub": "uy ban",
    "tp": "thanh pho", "tp.": "thanh pho", "vp": "van phong", "tw": "trung uong",
    "ubmttq": "uy ban mat tran to quoc", "mttq": "mat tran to quoc", "tx": "thi xa",
    "q.": "quan", "h.": "huyen", "t.": "tinh",
}
# First words of a body's name: a head line starting with one of these names a new body;
# others continue the line above ("ỦY BAN NHÂN DÂN / HUYỆN KIM BẢNG").
BODY_WORDS = ("ubnd", "uy ban", "hdnd", "hoi dong", "so ", "bo ", "cuc ", "chi cuc", "tong cuc",
              "van phong", "phong ", "ban ", "vu ", "thanh tra", "trung tam", "truong ",
              "benh vien", "cong an", "dang uy", "tinh uy", "huyen uy", "thanh uy",
              "bo chi huy", "kho bac", "chi nhanh", "cong ty", "doi ", "hoi ", "vien ",
              "toa an", "vien kiem sat", "bao hiem", "chinh phu", "quoc hoi", "uy ban")
POSITION_WORDS = ("giam doc", "chu tich", "bo truong", "thu truong", "cuc truong",
                  "chanh van phong", "truong phong", "truong ban", "hieu truong", "chanh thanh tra",
                  "vu truong", "tong cuc truong", "chi cuc truong", "bi thu", "thu tuong",
                  "chanh an", "vien truong", "tong giam doc", "truong khoa", "chu nhiem")
AUTHORITY = re.compile(r"^(KT|TM|TL|TUQ|Q)\s*[.,]\s*", re.IGNORECASE)
SURNAMES = {"nguyen", "tran", "le", "pham", "hoang", "huynh", "phan", "vu", "vo", "dang", "bui",
            "do", "ho", "ngo", "duong", "ly", "trinh", "dinh", "lam", "mai", "truong", "dao",
            "luong", "cao", "ta", "ha", "quach", "luu", "thai", "kieu", "chu", "la", "van",
            "tong", "doan", "trieu", "vuong", "khuat", "nong", "lo", "lai", "tang", "kim"}

_GAP = re.compile(r"\s{3,}")
_NATIONAL = re.compile(r"c[o0]ng\s*h[o0]a\s*x[a]\s*h[o0]i\s*ch[u]\s*ngh[i1l]a\s*v[i1l][e]t\s*"
                       r"nam|c[o0]ng\s*h[o0]a\s*x[a]\s*h[o0]i.*$")
_MOTTO = re.compile(r"d[o0]c\s*l[a]p\s*\W*\s*t[u]\s*d[o0]\s*\W*\s*h[a]nh\s*ph[u]c")
# 'Số: 123/QĐ-UBND'; the slash lost by OCR ('Số:1721SNN-ĐTXD') is put back.
_NUMBER = re.compile(r"(?:^|(?<=\W))s[o0]\s*[:.;,_~\-–—]*\s*([0-9]{1,5}|[0-9oil|]{2,5})\s*(/?)\s*"
                     r"([a-z0-9]+(?:\s?[-/–—]\s?[0-9a-z]+){0,4})")
_JUNK = r"[\s'`.,:;|_~\"‘’“”]*"
_DATE = re.compile(rf"ngay{_JUNK}([0-9oil]{{1,2}}){_JUNK}(?:[il]\s+)?{_JUNK}thang{_JUNK}"
                   rf"([0-9oil]{{1,2}}){_JUNK}nam{_JUNK}([0-9oil]{{4}})")
_DATE_SHORT = re.compile(r"ngay\s*([0-9]{1,2})\s*[/.-]\s*([0-9]{1,2})\s*[/.-]\s*([0-9]{4})")
_VV = re.compile(r"^[vwn]\s*[/|l1i]\s*[vyw]\b\.?\s*")
_BODY_START = ("can cu", "kinh gui", "thuc hien", "xet de nghi", "theo de nghi", "noi nhan",
               "dieu 1", "phan i", "i.", "1.", "de ")
_RULE = re.compile(r"[-—–_=~]{3,}")
_DASHES = str.maketrans({"–": "-", "—": "-", "‐": "-", "‑": "-", "−": "-"})


@dataclass
class Proposal:
    value: object
    text: str          # the line it was read from
    confidence: float  # 0-1


# ---------------------------------------------------------------- text helpers

def _fold_keep(text: str) -> str:
    """fold() character by character, keeping the length (and every position) of `text`:
    'Số: 12' -> 'so: 12'. Spaces stay as they are."""
    out = []
    for c in text:
        folded = fold(c)[:1]
        out.append(folded or c)
    return "".join(out)


def _is_upper(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) >= 0.8 * len(letters)


def _letters(text: str) -> int:
    return sum(c.isalpha() for c in text)


def _clean(text: str) -> str:
    """A segment without the frame of a box or an underline read as characters."""
    text = text.strip()
    text = re.sub(r"^[\s|\[\]{}()_~=*•·'\"`«»—–\-]+", "", text)
    text = re.sub(r"[\s|\[\]{}_~=*•·'\"`«»—–\-]+$", "", text)
    return text.strip()


def _segments(line: str) -> list[str]:
    return [s.strip() for s in _GAP.split(line) if s.strip()]


def _strip_heading(segment: str) -> str:
    """A segment without the national name and the motto (the right column of the head)."""
    folded = _fold_keep(segment).lower()
    for pattern in (_NATIONAL, _MOTTO):
        match = pattern.search(folded)
        if match:
            segment = segment[:match.start()] + " " * (match.end() - match.start()) \
                + segment[match.end():]
            folded = _fold_keep(segment).lower()
    return segment


class _Line:
    """One line of the text: its segments (columns), with the national heading removed."""

    def __init__(self, number: int, raw: str):
        self.number = number
        self.raw = raw.rstrip()
        stripped = _strip_heading(raw)
        self.segments = [s for s in (_clean(x) for x in _segments(stripped)) if s]
        for i in range(len(self.segments) - 2, -1, -1):  # 'Số:      123/QĐ-UBND'
            if re.fullmatch(r"S[ốôoó0]\s*[:.]?", self.segments[i]):
                self.segments[i:i + 2] = [self.segments[i] + " " + self.segments[i + 1]]
        if not _GAP.search(stripped.strip()) and len(self.segments) == 1:
            self.segments = [" ".join(self.segments[0].split())]

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.segments).split())

    @property
    def blank(self) -> bool:
        return _letters(self.raw) == 0 and not any(c.isdigit() for c in self.raw)


def _pages(text: str) -> list[list[_Line]]:
    pages = nfc(text or "").replace("\r\n", "\n").replace("\r", "\n").split("\f")
    return [[_Line(i, raw) for i, raw in enumerate(page.split("\n"))] for page in pages
            if page.strip()] or [[]]


# ---------------------------------------------------------------- number and symbol

def _fix_digits(text: str) -> str:
    return text.translate(str.maketrans({"O": "0", "o": "0", "l": "1", "I": "1", "i": "1",
                                         "|": "1"}))


def _fix_letters(text: str) -> str:
    return text.translate(str.maketrans({"0": "O", "1": "I"}))


def _fix_symbol_part(part: str, known: dict) -> str:
    """One part of the symbol ('QĐ', 'UBND', '2020'), with OCR confusions fixed only when the
    result is a known abbreviation or plainly a number or a word."""
    if not part:
        return part
    if part in known.get(fold(part).upper(), ()):
        return part  # 'HD' (Hướng dẫn) stays 'HD' although 'HĐ' (Hợp đồng) folds alike
    spellings = known.get(fold(part).upper(), ())
    if len(spellings) == 1:  # 'QD' read for 'QĐ', 'HDND' for 'HĐND'
        return next(iter(spellings))
    digits = sum(c.isdigit() for c in part)
    if digits and digits >= len(part) - 1 and len(part) >= 3:
        return _fix_digits(part)
    if digits and digits < len(part) / 2:
        fixed = _fix_letters(part)
        spellings = known.get(fold(fixed).upper(), ())
        return next(iter(spellings)) if len(spellings) == 1 and fixed not in spellings else fixed
    return part


def _distance(a: str, b: str) -> int:
    """Levenshtein distance (short strings: parts of a symbol)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _near(part: str, spellings) -> str | None:
    """The one spelling one OCR slip away from `part` ('TIr' -> 'TTr'), or None."""
    if len(part) < 3:
        return None
    key = fold(part).upper()
    near = {s for s in spellings if len(s) >= 3 and _distance(key, fold(s).upper()) <= 1}
    return near.pop() if len(near) == 1 else None


def _fix_type_part(symbol: str, abbreviations: set) -> str:
    """The type abbreviation of a symbol ('1298/TIr-VTLTNN'), when it is one slip from a known
    one and not itself known."""
    head, slash, last = symbol.rpartition("/")
    parts = last.split("-")
    if len(parts) < 2 or parts[0] in abbreviations:
        return symbol
    if fold(parts[0]).upper() in {fold(a).upper() for a in abbreviations}:
        return symbol
    near = _near(parts[0], abbreviations)
    if near:
        parts[0] = near
    return head + slash + "-".join(parts)


def _fix_issuer_part(symbol: str, short_name: str | None) -> str:
    """The issuer's part of a symbol, when the agency found has it as its short name and the
    symbol has it one slip away ('VPCPE' -> 'VPCP')."""
    if not short_name or " " in short_name.strip():
        return symbol
    short_name = short_name.strip()
    head, slash, last = symbol.rpartition("/")
    parts = last.split("-")
    for i, part in enumerate(parts):
        if part != short_name and _near(part, {short_name}):
            parts[i] = short_name
            break
    return head + slash + "-".join(parts)


def _number_symbol(lines: list[_Line], known: dict):
    best = None
    for line in lines[:40]:
        for segment in line.segments:
            folded = _fold_keep(segment).lower()
            match = _NUMBER.search(folded)
            if not match:
                continue
            number = _fix_digits(segment[match.start(1):match.end(1)])
            slash = match.group(2)
            if not number.isdigit() or (not slash and not match.group(3)[:1].isalpha()):
                continue
            symbol = segment[match.start(3):match.end(3)].translate(_DASHES)
            symbol = re.sub(r"\s+", "", symbol)
            parts = re.split(r"([-/])", symbol)
            symbol = "".join(p if p in "-/" else _fix_symbol_part(p, known) for p in parts)
            starts = match.start() == 0 and segment[:1] in "SŠ"
            confidence = (0.95 if starts else 0.5) * (1.0 if line.number < 25 else 0.6) \
                * (1.0 if slash else 0.75)
            candidate = Proposal(f"{number}/{symbol}", segment, round(confidence, 2))
            if best is None or candidate.confidence > best.confidence:
                best = candidate
    return best


# ---------------------------------------------------------------- date

def _document_date(lines: list[_Line]):
    best = None
    for line in lines[:40]:
        for segment in line.segments:
            folded = _fold_keep(segment).lower()
            match = _DATE.search(folded) or _DATE_SHORT.search(folded)
            if not match:
                continue
            try:
                day, month, year = (int(_fix_digits(segment[match.start(g):match.end(g)]))
                                    for g in (1, 2, 3))
                value = date(year, month, day)
            except ValueError:
                continue
            if not 1945 <= year <= 2100:
                continue
            placed = "," in folded[:match.start()] and match.start() < 40
            confidence = (0.95 if placed else 0.5) * (1.0 if line.number < 25 else 0.6)
            if best is None or confidence > best.confidence:
                best = Proposal(value, segment, round(confidence, 2))
    return best


# ---------------------------------------------------------------- agency

def _expand(folded: str) -> list[str]:
    words = []
    for word in re.findall(r"[a-z0-9.]+", folded):
        word = word.strip(".") if word not in ABBREVIATIONS else word
        words.extend(ABBREVIATIONS.get(word, word).split())
    return [w for w in words if w]


def _head(lines: list[_Line], stop: int, types=()) -> list[tuple[str, str]]:
    """The left column of the head, (segment, line) from the top down to the number line: the
    capital lines that name the agency (not the type name, when no number was read)."""
    type_names = {fold(name) for _, name, _ in types or ()}
    head = []
    for line in lines[:max(stop, 0)][:10]:
        if not line.segments or _RULE.match(line.raw.strip()):
            continue  # the short rule under the agency's name, read as characters
        segment = line.segments[0]
        if not _is_upper(segment) or _letters(segment) < 2:
            continue
        if re.match(r"s[o0]\s*\W", fold(segment)) and any(c.isdigit() for c in segment):
            break
        if fold(re.sub(r"[^\w\s]", " ", segment)) in type_names or _marks(segment):
            break
        segment = re.sub(r"^\W+|[^\w)]+$", "", segment)
        if segment:
            head.append((segment, line.raw))
    return head


def _bodies(head: list[tuple[str, str]]) -> list[list[str]]:
    bodies: list[list[str]] = []
    for segment, _ in head:
        folded = fold(segment) + " "
        if not bodies or folded.startswith(BODY_WORDS):
            bodies.append([segment])
        else:
            bodies[-1].append(segment)
    return bodies


def _matched(text: str, other: str) -> int:
    """How many characters of `text` are found, in order, in `other`."""
    blocks = difflib.SequenceMatcher(None, text, other, autojunk=False).get_matching_blocks()
    return sum(block.size for block in blocks if block.size >= 2)


def _agency(lines: list[_Line], stop: int, agencies, types, issuer_symbol: str | None):
    head = _head(lines, stop, types)
    if not head:
        return None, None
    bodies = _bodies(head)
    issuer = " ".join(bodies[-1])
    parents = " ".join(" ".join(b) for b in bodies[:-1])
    source = "\n".join(segment for segment, _ in head)
    # Compared without spaces (OCR glues or splits words): the issuer's letters must be in the
    # name; the name's letters are looked for in the issuer and the bodies above it.
    issuer_text = "".join(_expand(fold(issuer)))
    parent_text = "".join(_expand(fold(parents)))
    best, best_score = None, 0.0
    for agency_id, name, short_name in agencies or ():
        name_text = "".join(_expand(fold(name)))
        if not issuer_text or not name_text:
            continue
        found = _matched(issuer_text, name_text) / len(issuer_text)
        if found < 0.85:
            continue
        covered = _matched(name_text, issuer_text + parent_text) / len(name_text)
        score = found * 0.5 + covered * 0.5
        if short_name and issuer_symbol and fold(short_name).replace(" ", "") \
                == fold(issuer_symbol).replace(" ", ""):
            score += 0.05
        if score > best_score:
            best, best_score = agency_id, score
    if best is not None and best_score >= 0.7:
        return Proposal(best, source, round(min(best_score, 1.0), 2)), None
    raw = " ".join(issuer.split())
    return None, Proposal(raw, source, 0.5)


# ---------------------------------------------------------------- type and excerpt

def _type_by_name(lines: list[_Line], start: int, types):
    """The type name in capitals on a line of its own ('QUYẾT ĐỊNH'), below the number."""
    names = sorted(((fold(name), type_id, name) for type_id, name, _ in types or ()),
                   key=lambda t: -len(t[0]))
    for line in lines[start:start + 25]:
        if len(line.segments) != 1 or not _is_upper(line.segments[0]):
            continue
        folded = fold(re.sub(r"[^\w\s]", " ", line.segments[0]))
        for name, type_id, _ in names:
            if folded == name:
                return Proposal(type_id, line.raw.strip(), 0.9), line.number
        ratio, type_id = max(((difflib.SequenceMatcher(None, folded, name).ratio(), type_id)
                              for name, type_id, _ in names if len(name) >= 6),
                             default=(0, None))
        if ratio >= 0.85:
            return Proposal(type_id, line.raw.strip(), round(0.9 * ratio, 2)), line.number
    return None, None


def _symbol_type(symbol: str | None, types):
    """The type from the symbol's abbreviation: '12/QĐ-UBND' -> Quyết định."""
    if not symbol:
        return None
    last = symbol.split("/")[-1]
    parts = last.split("-")
    if len(parts) < 2:
        return None
    abbreviation = parts[0]
    for exact in (True, False):
        for type_id, _, abbr in types or ():
            if not abbr:
                continue
            if (abbr == abbreviation) if exact else (fold(abbr) == fold(abbreviation)):
                return type_id
    return None


def _type_named(types, folded_name: str):
    for type_id, name, _ in types or ():
        if fold(name) == folded_name:
            return type_id
    return None


def _excerpt_after(lines: list[_Line], index: int):
    """The line(s) after the type name, up to a blank line or the start of the body."""
    parts, raws = [], []
    following = lines[index + 1:index + 7]
    for k, line in enumerate(following):
        if line.blank:
            if parts and not _continues(following[k + 1:]):
                break
            continue
        text = line.text
        folded = fold(text)
        if parts and (folded.startswith(_BODY_START) or _is_upper(text)):
            break
        if not parts and _letters(text) < 3:
            continue
        parts.append(text)
        raws.append(line.raw.strip())
        if len(parts) == 3:
            break
    if not parts:
        return None
    return Proposal(nfc(" ".join(" ".join(parts).split())), "\n".join(raws), 0.8)


def _continues(lines: list[_Line]) -> bool:
    """The next line that is not blank goes on with a sentence (a lower-case first letter):
    OCR put a blank line inside a wrapped excerpt."""
    for line in lines:
        if not line.blank:
            return line.text[:1].islower()
    return False


def _vv_excerpt(lines: list[_Line]):
    """The 'V/v …' line(s) of a công văn, under the number on the left."""
    for i, line in enumerate(lines[:30]):
        for segment in line.segments:
            folded = _fold_keep(segment).lower()
            match = _VV.match(folded)
            if not match:
                continue
            parts, raws = ["V/v " + segment[match.end():].strip()], [segment]
            for following in lines[i + 1:i + 4]:
                if following.blank or not following.segments:
                    break
                nxt = following.segments[0]
                folded_next = fold(nxt)
                if _is_upper(nxt) or folded_next.startswith(_BODY_START) \
                        or _DATE.search(folded_next) or _marks(nxt):
                    break
                parts.append(nxt)
                raws.append(nxt)
            return Proposal(nfc(" ".join(" ".join(parts).split())), "\n".join(raws), 0.85)
    return None


# ---------------------------------------------------------------- marks

def _marks(segment: str) -> list[tuple[str, int, str]]:
    """[('urgency' | 'secrecy', code, mark)] when the segment is made of marks only."""
    if not _is_upper(segment):
        return []
    words = re.sub(r"[^\w\s]", " ", fold(segment)).split()
    found, i = [], 0
    phrases = sorted([(k, "urgency", v) for k, v in URGENCY_MARKS.items()]
                     + [(k, "secrecy", v) for k, v in SECRECY_MARKS.items()],
                     key=lambda t: -len(t[0]))
    while i < len(words):
        for phrase, kind, code in phrases:
            size = len(phrase.split())
            if words[i:i + size] == phrase.split():
                found.append((kind, code, phrase))
                i += size
                break
        else:
            return []
    return found


# ---------------------------------------------------------------- signature block

def _position_case(text: str) -> str:
    """'PHÓ GIÁM ĐỐC' -> 'Phó Giám đốc'."""
    words = text.lower().split()
    out = []
    for i, word in enumerate(words):
        if i == 0 or (i == 1 and fold(words[0]) == "pho"):
            word = word[:1].upper() + word[1:]
        out.append(word)
    return " ".join(out)


def _upper_tail(segment: str) -> str:
    """The capital words at the end of a segment ('- Như trên; CHÁNH VĂN PHÒNG' -> the last
    three)."""
    words = segment.split()
    tail = []
    for word in reversed(words):
        if _is_upper(word) or AUTHORITY.match(word + " "):
            tail.insert(0, word)
        else:
            break
    return " ".join(tail)


def _is_name(segment: str) -> bool:
    words = segment.split()
    if not 2 <= len(words) <= 5 or any(c.isdigit() for c in segment):
        return False
    return all(w[:1].isupper() and (len(w) == 1 or w[1:].islower()) and w.isalpha()
               for w in words)


def _signature(lines: list[_Line]):
    start = max(0, len(lines) - 40)
    for i, line in enumerate(lines):
        if fold(line.text).startswith("noi nhan"):
            start = i
            break
    position = authority = name = None
    for line in lines[start:]:
        for segment in line.segments:
            tail = _upper_tail(segment)
            if tail:
                folded = fold(tail)
                if AUTHORITY.match(tail):
                    authority = (tail, tail)
                    continue
                if any(folded == w or folded.endswith(" " + w) or folded.startswith(w + " ")
                       for w in POSITION_WORDS) and position is None:
                    position = (tail, "\n".join(x for x in (authority and authority[0], tail)
                                                 if x))
                    continue
            if (position or authority) and name is None and _is_name(segment):
                name = (segment, segment)
    return position, name


# ---------------------------------------------------------------- all together

def propose(text: str, *, agencies=(), types=()) -> dict[str, Proposal]:
    """Proposed fields of the letter in `text`: agency_id (or agency_name when the catalog has
    no match), number_symbol, document_date, type_id, excerpt, signer_name, signer_position,
    urgency (UrgencyLevel.priority), secrecy (SecrecyLevel.level). `agencies`: (id, name,
    short name); `types`: (id, name, abbreviation)."""
    pages = _pages(text)
    first, last = pages[0], pages[-1]
    found: dict[str, Proposal] = {}

    known: dict[str, set] = {}  # folded -> the spellings of symbols' parts we know
    words = [abbr for _, _, abbr in types or () if abbr]
    words += [short.strip() for _, _, short in agencies or () if short and " " not in short.strip()]
    words += ["HĐND", "UBND", "ĐU", "TTĐT", "ĐHQG", "QĐ", "NĐ"]
    for word in words:
        known.setdefault(fold(word).upper(), set()).add(word)

    number = _number_symbol(first, known)
    number_line = None
    if number:
        number.value = _fix_type_part(number.value, {abbr for _, _, abbr in types or () if abbr})
        found["number_symbol"] = number
        number_line = next((line.number for line in first
                            if number.text in line.segments), None)
    when = _document_date(first)
    if when:
        found["document_date"] = when

    symbol = number.value if number else None
    issuer_symbol = None
    if symbol:
        dash = symbol.split("/")[-1].split("-")
        issuer_symbol = dash[1] if len(dash) > 1 and _symbol_type(symbol, types) else dash[0]
    stop = number_line if number_line is not None else 8
    agency_id, agency_name = _agency(first, stop, agencies, types, issuer_symbol)
    if agency_id:
        found["agency_id"] = agency_id
        short = next((s for i, _, s in agencies if i == agency_id.value), None)
        if number:
            number.value = _fix_issuer_part(number.value, short)
    elif agency_name:
        found["agency_name"] = agency_name

    typed, type_line = _type_by_name(first, 0 if number_line is None else number_line + 1,
                                     types)
    vv = _vv_excerpt(first)
    if typed:
        found["type_id"] = typed
    else:
        by_symbol = _symbol_type(symbol, types)
        if by_symbol:
            found["type_id"] = Proposal(by_symbol, number.text, 0.8)
        elif vv and symbol:
            cong_van = _type_named(types, "cong van")
            if cong_van:
                found["type_id"] = Proposal(cong_van, vv.text, 0.7)
    excerpt = _excerpt_after(first, type_line) if type_line is not None else None
    excerpt = excerpt or vv
    if excerpt:
        found["excerpt"] = excerpt

    for line in first[:30]:
        for segment in line.segments:
            for kind, code, _ in _marks(segment):
                found.setdefault(kind, Proposal(code, segment, 0.85))

    position, name = _signature(last)
    if position:
        found["signer_position"] = Proposal(_position_case(position[0]), position[1], 0.75)
    if name:
        surname = fold(name[0].split()[0])
        found["signer_name"] = Proposal(" ".join(name[0].split()), name[1],
                                        0.8 if surname in SURNAMES else 0.5)
    return found
