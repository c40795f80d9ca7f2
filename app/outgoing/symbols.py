"""Number and symbol of an outgoing document (Decree 30, Appendix I):
  administrative with a type abbreviation:  15/QĐ-SNV
  công văn (no type abbreviation):          45/SNV-VP      (issuer-drafting unit)
  legal normative:                          30/2026/NQ-HĐND (number/year/type-issuer)
Numbers below 10 get a leading zero (01…09)."""
from app.catalogs.models import DocumentType


def number_text(number: int) -> str:
    return f"{number:02d}"


def build_symbol(document_type, issuer_code: str, unit_code: str | None, year: int) -> str:
    abbreviation = document_type.abbreviation
    if document_type.kind == DocumentType.KIND_LEGAL:
        return f"{year}/{abbreviation or ''}-{issuer_code}".replace("/-", "/")
    if not abbreviation:
        return f"{issuer_code}-{unit_code}" if unit_code else issuer_code
    return f"{abbreviation}-{issuer_code}"


def number_symbol(number: int, symbol: str) -> str:
    return f"{number_text(number)}/{symbol}"
