"""The 通报 as an Excel workbook: the summary sheet with the body (一、…五、), one sheet per group of detailed tables
(the month's projects of the 附件 among them), and the whole score ledger."""
from __future__ import annotations

import datetime as dt
import io
import math

import duckdb
import xlsxwriter

from pipelines.bulletin.content import (
    _CHINESE_NUMERALS,
    NO_VALUE,
    SHEETS,
    SUMMARY_SHEET,
    Bulletin,
    Table,
    bulletin_content,
    display_width,
    shown,
)
from pipelines.export import write_cell
from pipelines.settings import Settings

_NUMBER_FORMATS = {"count": "0", "amount": "0.00", "points": "0.00", "delta": "+0.00;-0.00;0.00",
                   "percent": "0.0%", "gap": "+0.0;-0.0;0.0", "number": "General", "date": "@"}  # dates are written as YYYY-MM-DD text
_PARAGRAPH_COLUMNS = 8  # paragraphs are merged across this many columns and wrapped
_MAX_WIDTH, _MIN_WIDTH, _HEADER_WIDTH = 40, 6, 14  # column widths, in characters
_DEFAULT_WIDTH = 9  # a column no table sets is Excel's default width, about 8.43 characters
_LINE_HEIGHT = 16  # points per line of wrapped text


class _Sheet:
    """A worksheet filled from the top: the next free row and the widest text seen in each column."""

    def __init__(self, workbook, name: str, formats: dict):
        self.worksheet = workbook.add_worksheet(name)
        self.formats = formats
        self.row = 0
        self.widths: dict[int, int] = {}
        self.paragraphs: list[tuple[int, str]] = []
        self.frozen = name == SUMMARY_SHEET

    def line(self, text: str, style: str) -> None:
        write_cell(self.worksheet, self.row, 0, text, self.formats[style])
        self.row += 1

    def paragraph(self, text: str) -> None:
        last = _PARAGRAPH_COLUMNS - 1
        self.worksheet.merge_range(self.row, 0, self.row, last, "", self.formats["paragraph"])
        write_cell(self.worksheet, self.row, 0, text, self.formats["paragraph"])
        self.paragraphs.append((self.row, text))
        self.row += 2

    def table(self, table: Table) -> None:
        if table.title:
            self.line(table.title, "heading")
        if not table.rows:
            self.line(table.empty, "plain")
            self.row += 1
            return
        self._bands(table)
        for col, column in enumerate(table.columns):
            if not self._merged(col, table):
                write_cell(self.worksheet, self.row, col, column.header, self.formats["header"])
            self._fit(col, min(display_width(column.header), _HEADER_WIDTH))
        if not self.frozen:
            self.worksheet.freeze_panes(self.row + 1, 0)
            self.frozen = True
        for values in table.rows:
            self.row += 1
            for col, (column, value) in enumerate(zip(table.columns, values)):
                cell_format = self.formats[column.kind if value is not None else "text"]
                write_cell(self.worksheet, self.row, col, NO_VALUE if value is None else value, cell_format)
                self._fit(col, display_width(shown(value, column.kind)))
        self.row += 2

    @staticmethod
    def _merged(col: int, table: Table) -> bool:
        """Whether the column's header was written over two rows, beside a table's bands."""
        return bool(table.bands) and col < table.unbanded

    def _bands(self, table: Table) -> None:
        """A banded table's first header row: the bands over their columns, the columns before them written over
        both header rows."""
        if not table.bands:
            return
        header = self.formats["header"]
        first = table.unbanded
        for col in range(first):
            self.worksheet.merge_range(self.row, col, self.row + 1, col, "", header)
            write_cell(self.worksheet, self.row, col, table.columns[col].header, header)
        for band in table.bands:
            self.worksheet.merge_range(self.row, first, self.row, first + band.span - 1, "", header)
            write_cell(self.worksheet, self.row, first, band.label, header)
            first += band.span
        self.row += 1

    def _fit(self, col: int, width: int) -> None:
        self.widths[col] = max(self.widths.get(col, _MIN_WIDTH), min(width + 2, _MAX_WIDTH))

    def finish(self) -> None:
        """Set the column widths, then the height of each wrapped paragraph row from the width it spans."""
        for col, width in self.widths.items():
            self.worksheet.set_column(col, col, width)
        span = sum(self.widths.get(col, _DEFAULT_WIDTH) for col in range(_PARAGRAPH_COLUMNS))
        for row, text in self.paragraphs:
            self.worksheet.set_row(row, _LINE_HEIGHT * max(1, math.ceil(display_width(text) / span)))


def render_xlsx(bulletin: Bulletin) -> bytes:
    """The 通报 as an Excel workbook: the body, one sheet per table group and the whole score ledger;
    numbers as numbers, every text written as text (never a formula)."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    border = {"border": 1, "valign": "vcenter"}
    formats = {
        "title": workbook.add_format({"bold": True, "font_size": 16}),
        "heading": workbook.add_format({"bold": True, "font_size": 12}),
        "plain": workbook.add_format({}),
        "paragraph": workbook.add_format({"text_wrap": True, "valign": "top"}),
        "header": workbook.add_format({**border, "bold": True, "bg_color": "#D9D9D9", "text_wrap": True,
                                       "align": "center"}),
        "text": workbook.add_format(border),
        **{kind: workbook.add_format({**border, "num_format": pattern}) for kind, pattern in _NUMBER_FORMATS.items()},
    }
    sheets = {name: _Sheet(workbook, name, formats) for name in SHEETS}
    summary = sheets[SUMMARY_SHEET]
    summary.line(bulletin.title, "title")
    masthead = bulletin.masthead
    summary.line(f"{masthead.title}  {masthead.number_line}  {masthead.issuer}  {masthead.date_line}", "plain")
    summary.row += 1
    summary.paragraph(bulletin.as_of_line)
    parts = iter(_CHINESE_NUMERALS)
    for section in (s for s in bulletin.sections if s.in_workbook):
        sheet = sheets[section.sheet]
        numbered = section in bulletin.body
        sheet.line(f"{next(parts)}、{section.heading}" if numbered else section.heading, "title")
        sheet.row += 1
        for block in section.blocks:
            if isinstance(block, Table):
                sheet.table(block)
            else:
                sheet.paragraph(block)
    for sheet in sheets.values():
        sheet.finish()
    workbook.close()
    return buffer.getvalue()


def bulletin_xlsx(con: duckdb.DuckDBPyConnection, as_of: dt.date, config: Settings | None = None,
                  known_by: dt.date | None = None, **editable) -> bytes:
    """The 通报 as of the end of `as_of` as an Excel workbook (.xlsx bytes), with the whole score ledger;
    `editable`: bulletin_content's problems_text, next_steps_text and number."""
    return render_xlsx(bulletin_content(con, as_of, config, known_by, **editable))


