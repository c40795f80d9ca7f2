"""Models of this module (being built)."""
