"""Whole numbers typed by people (the address, a form, a JSON body), read one way everywhere:
what the database's INTEGER cannot hold is not a number here (not found, or a Vietnamese
message), never an overflow error from the driver — a 500."""
import math

INT_MIN = -(2**31)
INT_MAX = 2**31 - 1  # INTEGER on PostgreSQL; SQLite holds more, but the same rule on both


def db_int(value) -> int:
    """int() for input: decimal digits (an optional sign), a JSON integer or an integral
    float, within the database's INTEGER; anything else raises ValueError (so that werkzeug's
    `args.get(name, type=...)` answers its default)."""
    if isinstance(value, bool):
        raise ValueError("not a number")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise ValueError("not a whole number")
        number = int(value)
    elif isinstance(value, str):
        text = value.strip()
        digits = text[1:] if text[:1] in "+-" else text
        if not digits.isdecimal() or len(digits) > 12:  # "²", "1.5", "abc", 10^20
            raise ValueError("not a whole number")
        number = int(text)
    else:
        raise ValueError("not a number")
    if not INT_MIN <= number <= INT_MAX:
        raise ValueError("out of range")
    return number


def int_or_none(value) -> int | None:
    try:
        return db_int(value)
    except ValueError:
        return None


def row_id(value) -> int | None:
    """A row id (≥ 1) from input, or None when it cannot be one (it finds nothing)."""
    number = int_or_none(value)
    return number if number is not None and number > 0 else None


def out_of_range(value) -> bool:
    """A JSON number no column of ours can hold: an integer beyond INTEGER, a float that is
    infinite, NaN or as large (marshmallow's Integer would turn 1e20 into an overflow)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return not INT_MIN <= value <= INT_MAX
    if isinstance(value, float):
        return not math.isfinite(value) or not INT_MIN <= value <= INT_MAX
    return False


TEXT_OPERATORS = {"sw", "ew", "ct", "nsw", "new", "nct"}  # FAB's filters that take a text
PAGE_MAX = 10**6


def _numeric_text_out_of_range(value) -> bool:
    if not isinstance(value, str):
        return False
    text = value.strip()
    digits = text[1:] if text[:1] in "+-" else text
    return digits.isdecimal() and int_or_none(text) is None


def any_out_of_range(value) -> bool:
    """A number anywhere in a decoded JSON or rison value that the database cannot hold."""
    if isinstance(value, dict):
        return any(any_out_of_range(v) for v in value.values())
    if isinstance(value, list):
        return any(any_out_of_range(v) for v in value)
    return out_of_range(value)


def rison_problem(rison) -> bool:
    """True when FAB's `q` argument (decoded) asks for what would reach the database as an
    overflow or a type error: a page that is not 0..10^6, a page size that is not a positive
    whole number, a number beyond INTEGER anywhere, a text filter (contains, starts with…)
    given a number, a comparison given a number-like text beyond INTEGER."""
    if not isinstance(rison, dict):
        return True
    if any_out_of_range(rison):
        return True
    for key, low in (("page", 0), ("page_size", -1)):
        if key in rison:
            value = rison[key]
            if isinstance(value, bool) or not isinstance(value, int) or \
                    not low <= value <= PAGE_MAX or value == 0 and key == "page_size":
                return True
    filters = rison.get("filters", [])
    if not isinstance(filters, list):
        return True
    for item in filters:
        if not isinstance(item, dict):
            return True
        value, operator = item.get("value"), item.get("opr")
        if operator in TEXT_OPERATORS and not isinstance(value, str):
            return True
        values = value if isinstance(value, list) else [value]
        if any(_numeric_text_out_of_range(v) for v in values):
            return True
    return False


def grid_filter_problem(args) -> bool:
    """FAB's grid filters (`_flt_<n>_<column>=value`) with a number-like value beyond
    INTEGER (FAB turns it into an int for an integer column: an overflow)."""
    return any(_numeric_text_out_of_range(value)
               for key in args if key.startswith("_flt_") for value in args.getlist(key))
