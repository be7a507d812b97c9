"""Writing exported workbooks so that no spreadsheet ever runs a cell as a formula (CSV/formula injection): single
cells, and whole one-table workbooks."""
from __future__ import annotations

import io
import math
import numbers
from collections.abc import Iterable, Sequence

import xlsxwriter

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


def table_workbook(headers: Sequence[str], rows: Iterable[Sequence[object]], sheet_name: str,
                   title: str | None = None) -> bytes:
    """One table as an .xlsx file: an optional title line, a bold header row (frozen, with filter buttons), then the
    rows, every cell through write_cell (numbers as numbers, None as blank, text never a formula)."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet(sheet_name)
    bold = book.add_format({"bold": True, "bg_color": "#eef2f7", "border": 1, "text_wrap": True, "valign": "top"})
    first = 0
    if title:
        write_cell(sheet, 0, 0, title, book.add_format({"bold": True, "font_size": 14}))
        first = 1
    for col, header in enumerate(headers):
        write_cell(sheet, first, col, header, bold)
        sheet.set_column(col, col, min(max(2 * len(header) + 2, 10), 40))
    last = first
    for last, row in enumerate(rows, start=first + 1):
        for col, value in enumerate(row):
            write_cell(sheet, last, col, value)
    sheet.freeze_panes(first + 1, 0)
    sheet.autofilter(first, 0, last, len(headers) - 1)
    book.close()
    return out.getvalue()
