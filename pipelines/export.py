"""Writing cells of exported workbooks so that no spreadsheet ever runs one as a formula (CSV/formula injection)."""
from __future__ import annotations

import math
import numbers

# A spreadsheet treats text starting with one of these as a formula or a formula's continuation.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(text: str) -> str:
    """The text as a spreadsheet should show it: prefixed with a single quote when it would otherwise start a
    formula (=, +, -, @, tab, carriage return), unchanged otherwise."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_cell(worksheet, row: int, col: int, value: object, cell_format=None) -> None:
    """Write one value to an xlsxwriter worksheet: numbers as numbers, None and NaN as blank, anything else as
    (safe) text — never through write() or write_formula(), which would turn '=…' into a formula."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        worksheet.write_blank(row, col, None, cell_format)
    elif isinstance(value, bool):
        worksheet.write_string(row, col, "是" if value else "否", cell_format)
    elif isinstance(value, numbers.Real):
        worksheet.write_number(row, col, float(value), cell_format)
    else:
        worksheet.write_string(row, col, safe_text(str(value)), cell_format)
