"""Where the arrival stamp "ĐẾN" goes on the first page of a received PDF.

Decree 30/2020, Appendix (DOMAIN.md, *verify*): the stamp goes on a blank space under the
number and symbol, under the excerpt ("V/v …") of a công văn, or under the place and date. So
the first page, as displayed (its crop box, turned by /Rotate), is read as a grid of 1 mm cells
marked where something is printed:

- the text layer: the box of every piece of text shown, from a walk of the page's content
  stream with pypdf (position, font size and the font's own widths), forms included;
- a picture of the page rendered by poppler's `pdftoppm` when it is installed: everything
  printed (text, scans, logos, seals, lines);
- without `pdftoppm`, the pixels of the images drawn on the page, decoded with Pillow (a scan
  is one image the size of the page); an image that cannot be read counts as printed all over.

A blank rectangle of the stamp's size, with a clearance around it, is then looked for in the top
half of the page: on the left first (under the agency block, the number and "V/v"), then on the
right (under the place and date); there, the nearest to the top and to the middle of the block
printed above it. When nothing is blank there, the configured position is used
(ARRIVAL_STAMP_POSITION) and the clerk moves the stamp on the preview.
"""
import io
import math
import shutil
import subprocess
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from PIL import Image
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from app.core.errors import DomainError

MM = 72 / 25.4  # points in a millimetre
CELL = 1.0  # mm: the grid the page is read on
CLEARANCE = 2.0  # mm of blank kept between the stamp and anything printed
EDGE = 8.0  # mm from the edges of the sheet: printers leave them blank
TOP_PART = 0.5  # the stamp stays in this top part of the page
INK_LEVEL = 70  # a pixel this much darker than the paper is ink
INK_FRACTION = 0.04  # a cell with this much ink is printed …
LONE_FRACTION = 0.5  # … unless it is alone: then only this much (scanner speckle)
RENDER_LONGEST = 1000  # pixels on the longer side of a rendered page
RENDER_TIMEOUT = 20  # seconds
# Room above the baseline and below it, as a fraction of the font size: Vietnamese capitals
# carry two stacked marks (Ỗ, Ấ) that rise above the font's usual ascent.
ASCENT, DESCENT = 1.2, 0.3

POSITION_NOT_NUMBER = _l("Vị trí dấu ĐẾN phải là số milimét, ví dụ 15 hoặc 45,5.")


@dataclass(frozen=True)
class Placement:
    """Where the stamp's top-left corner goes, in mm from the left and the top of the page as
    displayed. `source`: what showed the blank space ("render", "text", "image"), "chosen"
    (by the clerk) or "fallback" (the configured position); `found`: the place is meant to be
    blank (found or chosen), not the fallback, which may lie on the letter."""
    left_mm: float
    top_mm: float
    found: bool
    source: str


# ---------------------------------------------------------------- the page as displayed

def display_matrix(box, rotation: int) -> tuple:
    """The matrix mapping coordinates on the page as displayed (points, origin bottom-left) to
    the page's user space. /Rotate turns the page clockwise when shown, so the displayed
    top-left corner is a different corner of the unrotated box for each rotation."""
    x0, y0 = float(box.left), float(box.bottom)
    x1, y1 = float(box.right), float(box.top)
    return {
        0: (1, 0, 0, 1, x0, y0),
        90: (0, 1, -1, 0, x1, y0),
        180: (-1, 0, 0, -1, x1, y1),
        270: (0, -1, 1, 0, x0, y1),
    }[rotation]


def page_rotation(page) -> int:
    try:
        rotation = int(page.rotation)
    except (TypeError, ValueError):
        return 0
    return rotation % 360 if rotation % 90 == 0 else 0


def displayed_size(page) -> tuple[float, float]:
    """(width, height) in points of the page as displayed (crop box, turned by /Rotate)."""
    box = page.cropbox
    width, height = float(box.width), float(box.height)
    return (height, width) if page_rotation(page) in (90, 270) else (width, height)


def size_mm(page) -> tuple[float, float]:
    width, height = displayed_size(page)
    return width / MM, height / MM


def check_position(left_mm, top_mm, page_mm, stamp_mm) -> tuple[float, float]:
    """The position typed or dragged by the clerk, as numbers, the whole stamp on the page;
    DomainError (Vietnamese) otherwise."""
    try:
        left = float(str(left_mm).strip().replace(",", "."))
        top = float(str(top_mm).strip().replace(",", "."))
    except (TypeError, ValueError) as error:
        raise DomainError(POSITION_NOT_NUMBER) from error
    if not (math.isfinite(left) and math.isfinite(top)):
        raise DomainError(POSITION_NOT_NUMBER)
    max_left = max(0.0, page_mm[0] - stamp_mm[0])
    max_top = max(0.0, page_mm[1] - stamp_mm[1])
    slack = 0.05  # a drag to the very edge rounds either way
    if not (-slack <= left <= max_left + slack and -slack <= top <= max_top + slack):
        raise DomainError(_l("Dấu ĐẾN phải nằm trọn trong trang: cách lề trái từ 0 đến "
                             "%(left)s mm, cách lề trên từ 0 đến %(top)s mm.",
                             left=_mm_text(max_left), top=_mm_text(max_top)))
    return round(min(max(left, 0.0), max_left), 1), round(min(max(top, 0.0), max_top), 1)


def _mm_text(value: float) -> str:
    return f"{math.floor(value * 10) / 10:g}".replace(".", ",")


def _invert(matrix) -> tuple:
    a, b, c, d, e, f = matrix
    det = a * d - b * c
    return (d / det, -b / det, -c / det, a / det, (c * f - d * e) / det, (b * e - a * f) / det)


def _apply(matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = matrix
    return a * x + c * y + e, b * x + d * y + f


def _multiply(first, then) -> tuple:
    """The matrix applying `first`, then `then` (PDF's row-vector order: first × then)."""
    a, b, c, d, e, f = first
    A, B, C, D, E, F = then
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D,
            e * A + f * C + E, e * B + f * D + F)


class Grid:
    """The page as cells of CELL mm, origin top-left, marked where something is printed."""

    def __init__(self, width_mm: float, height_mm: float):
        self.width_mm, self.height_mm = width_mm, height_mm
        self.cols = max(1, int(math.ceil(width_mm / CELL)))
        self.rows = max(1, int(math.ceil(height_mm / CELL)))
        self.ink = [bytearray(self.cols) for _ in range(self.rows)]

    def mark(self, left, top, right, bottom):
        """Mark a rectangle given in mm from the top-left corner (clipped to the page)."""
        c0 = max(0, int(math.floor(min(left, right) / CELL)))
        c1 = min(self.cols - 1, int(math.ceil(max(left, right) / CELL)) - 1)
        r0 = max(0, int(math.floor(min(top, bottom) / CELL)))
        r1 = min(self.rows - 1, int(math.ceil(max(top, bottom) / CELL)) - 1)
        if c0 > c1:
            return
        ones = b"\x01" * (c1 - c0 + 1)
        for row in range(r0, r1 + 1):
            self.ink[row][c0:c1 + 1] = ones

    def mark_fractions(self, fractions):
        """Mark the cells of a (rows × cols) table of ink fractions: a cell is printed from
        INK_FRACTION, a cell with no printed neighbour only from LONE_FRACTION (speckle)."""
        rows, cols = self.rows, self.cols
        dense = [[value >= INK_FRACTION for value in line] for line in fractions]
        for row in range(rows):
            for col in range(cols):
                if not dense[row][col]:
                    continue
                alone = not any(dense[r][c] for r in range(max(0, row - 1), min(rows, row + 2))
                                for c in range(max(0, col - 1), min(cols, col + 2))
                                if (r, c) != (row, col))
                if not alone or fractions[row][col] >= LONE_FRACTION:
                    self.ink[row][col] = 1

    def sums(self):
        """Summed-area table: sums[r][c] = printed cells above and left of (r, c)."""
        table = [[0] * (self.cols + 1) for _ in range(self.rows + 1)]
        for row in range(self.rows):
            running = 0
            line, above, here = self.ink[row], table[row], table[row + 1]
            for col in range(self.cols):
                running += line[col]
                here[col + 1] = above[col + 1] + running
        return table


# ---------------------------------------------------------------- the text layer

def _font_metrics(font) -> tuple[int, dict, float, str]:
    """(bytes per character code, {code: width in 1/1000 em}, default width, base font)."""
    try:
        font = font.get_object()
        base = str(font.get("/BaseFont", "")).lstrip("/")
        if font.get("/Subtype") == "/Type0":
            descendant = font["/DescendantFonts"][0].get_object()
            widths, default = {}, float(descendant.get("/DW", 1000))
            array = descendant.get("/W", ArrayObject())
            array = array.get_object() if isinstance(array, IndirectObject) else array
            i = 0
            while i + 1 < len(array):
                first, second = array[i], array[i + 1]
                second = second.get_object() if isinstance(second, IndirectObject) else second
                if isinstance(second, list):
                    for offset, width in enumerate(second):
                        widths[int(first) + offset] = float(width)
                    i += 2
                elif i + 2 < len(array):
                    for code in range(int(first), min(int(second), int(first) + 65536) + 1):
                        widths[code] = float(array[i + 2])
                    i += 3
                else:
                    break
            return 2, widths, default, base
        first_char = int(font.get("/FirstChar", 0))
        widths = {first_char + i: float(w) for i, w in
                  enumerate(font.get("/Widths", ArrayObject()).get_object() or [])}
        descriptor = font.get("/FontDescriptor")
        default = float(descriptor.get_object().get("/MissingWidth", 0)) if descriptor else 0.0
        return 1, widths, default or 600.0, base
    except Exception:  # a malformed font: an average width
        return 1, {}, 600.0, ""


def _standard_width(base: str, codes: bytes) -> float | None:
    """Width in 1/1000 em of a string in one of the 14 standard fonts (no /Widths given)."""
    from reportlab.pdfbase import pdfmetrics

    if base not in pdfmetrics.standardFonts:
        return None
    return pdfmetrics.stringWidth(codes.decode("cp1252", "replace"), base, 1000)


class _TextWalker:
    """Follows pypdf's walk of a content stream (visitor_operand_before/after) and collects
    the boxes, in user space, of the text shown and of the images drawn."""

    SHOW = (b"Tj", b"TJ", b"'", b'"')

    def __init__(self, page):
        self.text_boxes, self.images = [], []
        resources = page.get("/Resources")
        self.forms = [((1, 0, 0, 1, 0, 0), resources.get_object() if resources else None)]
        self.state = {"font": None, "size": 0.0, "Tc": 0.0, "Tw": 0.0, "Tz": 100.0, "Ts": 0.0}
        self.saved = []
        self.pen = None  # (text matrix, advance): pypdf does not move the text matrix on Tj
        self.metrics = {}
        self.opened = []  # per Do being walked: did it open a form?

    # -- helpers
    def _resource(self, kind, name):
        resources = self.forms[-1][1]
        try:
            group = resources.get(kind) if resources is not None else None
            return group.get_object().get(name).get_object() if group is not None else None
        except Exception:
            return None

    def _to_page(self, cm):
        return _multiply(tuple(float(v) for v in cm), self.forms[-1][0])

    # -- visitors
    def before(self, operator, operands, cm, tm):
        try:
            if operator == b"Do" and operands:
                self._do(operands[0], cm)
            elif operator == b"q":
                self.saved.append(dict(self.state))
            elif operator == b"Q" and self.saved:
                self.state = self.saved.pop()
            elif operator == b"Tf" and len(operands) >= 2:
                self.state["font"] = self._resource("/Font", operands[0])
                self.state["size"] = float(operands[1])
            elif operator in (b"Tc", b"Tw", b"Tz", b"Ts") and operands:
                self.state[operator.decode()] = float(operands[0])
            elif operator == b'"' and len(operands) >= 3:
                self.state["Tw"], self.state["Tc"] = float(operands[0]), float(operands[1])
        except (TypeError, ValueError):
            pass

    def after(self, operator, operands, cm, tm):
        try:
            if operator in self.SHOW:
                self._show(operator, operands, cm, tm)
            elif operator == b"Do" and operands and self.opened and self.opened.pop():
                self.forms.pop()
        except (TypeError, ValueError, ZeroDivisionError):
            pass

    def _do(self, name, cm):
        opened = False
        try:
            xobject = self._resource("/XObject", name)
            if not isinstance(xobject, DictionaryObject):
                return
            matrix = self._to_page(cm)
            if xobject.get("/Subtype") == "/Image":
                self.images.append((str(name), xobject, matrix))
            elif xobject.get("/Subtype") == "/Form":
                form_matrix = tuple(float(v) for v in xobject.get("/Matrix", (1, 0, 0, 1, 0, 0)))
                resources = xobject.get("/Resources")
                self.forms.append((_multiply(form_matrix, matrix),
                                   resources.get_object() if resources is not None else
                                   self.forms[-1][1]))
                opened = True
        finally:  # the walk's `after` of this Do closes what was opened
            self.opened.append(opened)

    def _show(self, operator, operands, cm, tm):
        state = self.state
        if state["font"] is None or not state["size"]:
            return
        key = id(state["font"])
        if key not in self.metrics:
            self.metrics[key] = _font_metrics(state["font"])
        width = self._width(operands[-1] if operator == b'"' else operands[0], *self.metrics[key])
        if width <= 0:
            return
        tm = tuple(float(v) for v in tm)
        start = self.pen[1] if self.pen and self.pen[0] == tm else 0.0
        self.pen = (tm, start + width)
        size, rise = state["size"], state["Ts"]
        matrix = _multiply(tm, self._to_page(cm))
        corners = [_apply(matrix, x, y) for x in (start, start + width)
                   for y in (rise - DESCENT * size, rise + ASCENT * size)]
        self.text_boxes.append(corners)

    def _width(self, operand, step, widths, default, base):
        """Width in text space (before the text matrix) of a shown string or TJ array."""
        state = self.state
        size, scale = state["size"], state["Tz"] / 100
        items = operand if isinstance(operand, list) else [operand]
        total = 0.0
        for item in items:
            if isinstance(item, int | float) and not isinstance(item, bool):
                total -= float(item) / 1000 * size * scale
                continue
            if isinstance(item, NameObject) or not isinstance(item, str | bytes):
                continue
            codes = getattr(item, "original_bytes", None)
            if codes is None:
                codes = item if isinstance(item, bytes) else item.encode("latin-1", "replace")
            if not codes:
                continue
            standard = _standard_width(base, codes) if step == 1 and not widths else None
            count = len(codes) // step
            if standard is not None:
                glyphs = standard
            else:
                glyphs = sum(widths.get(int.from_bytes(codes[i * step:(i + 1) * step], "big"),
                                        default) for i in range(count))
            spaces = codes.count(b" ") if step == 1 else 0
            total += (glyphs / 1000 * size + count * state["Tc"] + spaces * state["Tw"]) * scale
        return total


def _walk(page) -> _TextWalker:
    walker = _TextWalker(page)
    try:
        page.extract_text(visitor_operand_before=walker.before,
                          visitor_operand_after=walker.after)
    except Exception:  # pypdf gives up on some broken streams: what was seen so far stays
        pass
    return walker


# ---------------------------------------------------------------- pictures of the page

def can_render() -> bool:
    return shutil.which("pdftoppm") is not None


def render_first_page(pdf_bytes: bytes, longest: int = RENDER_LONGEST) -> Image.Image | None:
    """The first page as displayed (crop box, /Rotate), `longest` pixels on its longer side,
    rendered by poppler's pdftoppm; None when pdftoppm is missing or fails. Nothing written."""
    from app.core.files import check_image_size

    program = shutil.which("pdftoppm")
    if not program:
        return None
    try:
        result = subprocess.run(
            [program, "-f", "1", "-l", "1", "-singlefile", "-cropbox", "-scale-to", str(longest),
             "-png", "-"], input=pdf_bytes, capture_output=True, timeout=RENDER_TIMEOUT,
            check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0 or not result.stdout:
        return None
    try:
        image = Image.open(io.BytesIO(result.stdout), formats=["PNG"])
        check_image_size(image)
        image.load()
    except Exception:
        return None
    return image


def page_png(pdf_bytes: bytes, longest: int = RENDER_LONGEST) -> bytes | None:
    """The first page as a PNG for the clerk's preview, or None (no pdftoppm)."""
    image = render_first_page(pdf_bytes, longest)
    if image is None:
        return None
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _fractions(gray: Image.Image, cols: int, rows: int):
    """(rows × cols) ink fractions of a grayscale picture of the page (or of part of it)."""
    histogram = gray.histogram()
    total, seen, paper = sum(histogram), 0, 255
    for level in range(255, -1, -1):  # the paper: the brightest level reached by half the page
        seen += histogram[level]
        if seen * 2 >= total:
            paper = level
            break
    threshold = max(paper - INK_LEVEL, 24)
    mask = gray.point(lambda v: 255 if v < threshold else 0)
    small = mask.resize((cols, rows), Image.Resampling.BOX)
    values = list(small.getdata())
    return [[values[r * cols + c] / 255 for c in range(cols)] for r in range(rows)]


def _mark_render(grid: Grid, image: Image.Image):
    grid.mark_fractions(_fractions(image.convert("L"), grid.cols, grid.rows))


def _mark_images(grid: Grid, page, walker: _TextWalker, to_display, height_pt):
    """Without a rendering: the images drawn on the page. One that covers a large part of
    the page (a scan) is read pixel by pixel; others (logos, signatures) count as printed."""
    from app.core.files import image_pixel_limit

    page_area = grid.width_mm * grid.height_mm
    for name, xobject, matrix in walker.images:
        corners = [_to_mm(to_display, height_pt, *_apply(matrix, x, y))
                   for x, y in ((0, 0), (1, 0), (0, 1), (1, 1))]
        left, right = min(c[0] for c in corners), max(c[0] for c in corners)
        top, bottom = min(c[1] for c in corners), max(c[1] for c in corners)
        area = max(0.0, min(right, grid.width_mm) - max(left, 0)) * \
            max(0.0, min(bottom, grid.height_mm) - max(top, 0))
        if area < page_area / 4 or not _mark_scan(grid, page, name, xobject, matrix, to_display,
                                                 height_pt, image_pixel_limit()):
            grid.mark(left, top, right, bottom)


def _mark_scan(grid, page, name, xobject, matrix, to_display, height_pt, pixel_limit) -> bool:
    """Mark the ink of a page-sized image; False when it cannot be read."""
    try:
        if int(xobject.get("/Width", 0)) * int(xobject.get("/Height", 0)) > pixel_limit:
            return False
        picture = page.images[name].image  # this one only (a form's images are not here)
        if picture is None:
            return False
        gray = picture.convert("L")
    except Exception:
        return False
    # Each cell's centre, back through the image's matrix to a pixel of the image.
    to_unit, to_user = _invert(matrix), _invert(to_display)
    width, height = gray.size
    cols = max(1, min(width, grid.cols * 2))
    rows = max(1, min(height, grid.rows * 2))
    fractions = _fractions(gray, cols, rows)
    table = [[0.0] * grid.cols for _ in range(grid.rows)]
    for row in range(grid.rows):
        for col in range(grid.cols):
            x_pt, y_pt = (col + 0.5) * CELL * MM, height_pt - (row + 0.5) * CELL * MM
            u, v = _apply(to_unit, *_apply(to_user, x_pt, y_pt))
            if 0 <= u < 1 and 0 < v <= 1:  # image rows run from the top (v = 1) down
                table[row][col] = fractions[min(rows - 1, int((1 - v) * rows))][
                    min(cols - 1, int(u * cols))]
    grid.mark_fractions(table)
    return True


def _to_mm(to_display, height_pt, x, y) -> tuple[float, float]:
    """User-space point → (mm from the left, mm from the top) of the displayed page."""
    dx, dy = _apply(to_display, x, y)
    return dx / MM, (height_pt - dy) / MM


# ---------------------------------------------------------------- the search

def page_grid(pdf_bytes: bytes, page, *, render=True) -> tuple[Grid, str]:
    """The printed cells of `page` (the first page of `pdf_bytes`) and what showed them."""
    width_pt, height_pt = displayed_size(page)
    grid = Grid(width_pt / MM, height_pt / MM)
    to_display = _invert(display_matrix(page.cropbox, page_rotation(page)))
    walker = _walk(page)
    for corners in walker.text_boxes:
        points = [_to_mm(to_display, height_pt, x, y) for x, y in corners]
        grid.mark(min(p[0] for p in points), min(p[1] for p in points),
                  max(p[0] for p in points), max(p[1] for p in points))
    image = render_first_page(pdf_bytes) if render else None
    if image is not None:
        _mark_render(grid, image)
        return grid, "render"
    _mark_images(grid, page, walker, to_display, height_pt)
    return grid, "image" if walker.images else "text"


def find_place(pdf_bytes: bytes, page, *, stamp_mm=(50.0, 35.0), fallback_mm=(15.0, 45.0),
               render=True) -> Placement:
    """A blank place for the stamp on `page` (the first page of `pdf_bytes`), else the
    fallback (clamped to the page)."""
    try:
        grid, source = page_grid(pdf_bytes, page, render=render)
    except Exception:  # an unreadable page: the configured place
        grid, source = None, "fallback"
    spot = _search(grid, stamp_mm) if grid is not None else None
    if spot is not None:
        return Placement(spot[0], spot[1], True, source)
    width_mm, height_mm = size_mm(page)
    left = min(max(float(fallback_mm[0]), 0.0), max(0.0, width_mm - stamp_mm[0]))
    top = min(max(float(fallback_mm[1]), 0.0), max(0.0, height_mm - stamp_mm[1]))
    return Placement(round(left, 1), round(top, 1), False, "fallback")


def _search(grid: Grid, stamp_mm) -> tuple[float, float] | None:
    """The best blank place: in the left half if any, else in the right half; there, the
    one nearest to the top and to the middle of what is printed above it (the block of the
    number and "V/v", or of the date), counting a millimetre down like one aside."""
    width, height = grid.width_mm, grid.height_mm
    w, h = stamp_mm
    pad = CLEARANCE
    lowest_top = min(height * TOP_PART, height - EDGE) - h
    if width - 2 * EDGE < w or lowest_top < EDGE:
        return None
    sums = grid.sums()
    anchors = _anchors(grid)

    def blank(left, top):
        c0 = max(0, int(math.floor((left - pad) / CELL)))
        c1 = min(grid.cols, int(math.ceil((left + w + pad) / CELL)))
        r0 = max(0, int(math.floor((top - pad) / CELL)))
        r1 = min(grid.rows, int(math.ceil((top + h + pad) / CELL)))
        return sums[r1][c1] - sums[r0][c1] - sums[r1][c0] + sums[r0][c0] == 0

    best = None
    lefts = [EDGE + i * CELL for i in range(int((width - EDGE - w - EDGE) / CELL) + 1)]
    tops = [EDGE + i * CELL for i in range(int((lowest_top - EDGE) / CELL) + 1)]
    for top in tops:
        for left in lefts:
            centre = left + w / 2
            half = 0 if centre <= width / 2 else 1
            key = (half, top + abs(centre - anchors[half]), top)
            if (best is None or key < best[0]) and blank(left, top):
                best = (key, (left, top))
    return best[1] if best else None


def _anchors(grid: Grid) -> tuple[float, float]:
    """The middle of what is printed in the top part of each half of the page (the agency
    block and number on the left, the national title and date on the right)."""
    anchors = []
    middle = grid.cols // 2
    rows = range(int(grid.rows * TOP_PART))
    for cols, default in ((range(0, middle), grid.width_mm / 4),
                          (range(middle, grid.cols), grid.width_mm * 3 / 4)):
        printed = [col for col in cols if any(grid.ink[row][col] for row in rows)]
        anchors.append((printed[0] + printed[-1] + 1) * CELL / 2 if printed else default)
    return anchors[0], anchors[1]
