"""Files people open in a spreadsheet (dashboard exports, import error reports) must not run formulas."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def without_formula(text: str) -> str:
    """Text a spreadsheet would read as a formula gets a leading apostrophe; any other text is unchanged."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
