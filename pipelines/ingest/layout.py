"""Finding the header row of a sheet, what kind of workbook it is, and which column holds which field."""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from pipelines.cells import is_blank, shown
from pipelines.ingest.columns import (
    HEADER_LOOKUP,
    IGNORED_HEADERS,
    SCALES,
    SIGNATURES,
    Column,
    normalise_header,
    split_header,
)
from pipelines.ingest.workbook import FileRejected, Sheet

# A header row names at least this many known columns (a 填表说明 sheet names one per row).
_MIN_HEADERS = 3


@dataclass(frozen=True)
class Field:
    index: int  # position in the sheet's row lists
    column: Column
    header: str  # the header as the sheet shows it, used in messages
    scale: float = 1.0  # multiplier to the column's stored unit (亿元 → 万元 is 10000)


@dataclass
class Layout:
    kind: str  # projects / units / targets
    sheet: Sheet
    data_start: int  # index into sheet.rows of the first row below the header
    fields: list[Field]
    ignored_headers: list[str] = field(default_factory=list)
    ignored_indexes: frozenset[int] = frozenset()  # columns such as 序号 whose cells never make a row "data"
    header_row: int = 0  # index into sheet.rows of the (first) header row: the rows above are titles and notes

    def field(self, column_id: str) -> Field | None:
        return next((f for f in self.fields if f.column.id == column_id), None)


def _match(row: Sequence[object], kind: str) -> dict[int, Column]:
    lookup = HEADER_LOOKUP[kind]
    found: dict[int, Column] = {}
    for index, cell in enumerate(row):
        if is_blank(cell):
            continue
        column = lookup.get(split_header(cell)[0]) or lookup.get(normalise_header(cell))
        if column is not None and column not in found.values():
            found[index] = column
    return found


def _scale(column: Column, header: object) -> float:
    if column.kind not in SCALES:
        return 1.0
    unit = split_header(header)[1] or column.unit
    scales = SCALES[column.kind]
    if unit not in scales:
        raise FileRejected(
            f"表头“{shown(header)}”的计量单位“{unit}”无法识别，请使用 {'、'.join(scales)} 之一"
        )
    return scales[unit]


def _one_line(header: object) -> str:
    """A header as messages name it: as the sheet shows it, a header wrapped in its cell ("开工\n日期") on one line."""
    return re.sub(r"\s*\n\s*", "", shown(header))


def find_layout(sheet: Sheet, search_rows: int) -> Layout | None:
    """The sheet's layout if one of its top rows is a recognisable header, else None.

    A second header row directly below (the lower half of a two-level header) adds the columns it names."""
    for i, row in enumerate(sheet.rows[:search_rows]):
        for kind, signature in SIGNATURES:
            found = _match(row, kind)
            if len(found) < _MIN_HEADERS or not signature <= {c.id for c in found.values()}:
                continue
            headers = {index: row[index] for index in found}
            data_start = i + 1
            if data_start < len(sheet.rows):
                below = {j: c for j, c in _match(sheet.rows[data_start], kind).items()
                         if j not in found and c not in found.values()}
                if len(below) >= 2:
                    found.update(below)
                    headers.update({j: sheet.rows[data_start][j] for j in below})
                    data_start += 1
            fields = [Field(j, c, _one_line(headers[j]), _scale(c, headers[j])) for j, c in sorted(found.items())]
            header_rows = sheet.rows[i:data_start]
            ignored = sorted({
                shown(cell) for r in header_rows for j, cell in enumerate(r)
                if j not in found and not is_blank(cell) and normalise_header(cell) not in IGNORED_HEADERS
            })
            skipped = frozenset(j for r in header_rows for j, cell in enumerate(r)
                                if j not in found and normalise_header(cell) in IGNORED_HEADERS)
            return Layout(kind, sheet, data_start, fields, ignored, skipped, i)
    return None


def find_layouts(sheets: list[Sheet], search_rows: int) -> list[Layout]:
    """The layouts of every sheet with a recognisable header, all of one kind (the first sheet's)."""
    layouts = [layout for sheet in sheets if (layout := find_layout(sheet, search_rows))]
    if not layouts:
        raise FileRejected(
            "没有找到可识别的表头：请使用系统模板，表头须包含“项目名称”“计划总投资(万元)”等列"
            "（单元名录须包含 单元编码、单元名称、单元类型；年度目标须包含 年度、单元编码）"
        )
    kind = layouts[0].kind
    return [layout for layout in layouts if layout.kind == kind]


# The month a title above the header names: "城关街道2024年10月招商引资项目推进情况表", "2024年1-10月…" (the year to
# October), "报告期：2024-10". A day after the month ("2024年11月5日") makes it a date, not a report month, and the
# date a form was filled in ("填报日期：2024年11月") is no report month either.
_TITLE_MONTH = re.compile(r"(?<!\d)(\d{4})\s*年\s*(?:\d{1,2}\s*[-—–~～至到]\s*)?(\d{1,2})\s*月(?!\s*\d)")
_LABELLED_MONTH = re.compile(r"(?:报告期|统计期|填报月份|报送月份)\s*[:：]?\s*(\d{4})\s*[-/.]\s*(\d{1,2})(?![-/.\d])")
_FILLED_ON = re.compile(r"(?:填报|填表|报送|制表|打印)(?:日期|时间)\s*[:：]?\s*[^\s，,；;）)]*")


def title_texts(layouts: list[Layout]) -> list[str]:
    """The filled cells above the headers (titles and notes), on one line each, each text once."""
    texts = (_one_line(cell) for layout in layouts for row in layout.sheet.rows[:layout.header_row]
             for cell in row if not is_blank(cell) and not isinstance(cell, (int, float, dt.date)))
    return list(dict.fromkeys(texts))


def title_month(texts: list[str]) -> tuple[dt.date, str] | None:
    """The one report month the titles name, with the title naming it; None when they name none or several."""
    found: dict[dt.date, str] = {}
    for text in texts:
        bare = _FILLED_ON.sub("", text)
        for match in (*_TITLE_MONTH.finditer(bare), *_LABELLED_MONTH.finditer(bare)):
            year, month = int(match[1]), int(match[2])
            if 1 <= month <= 12 and 1900 <= year <= 2100:
                found.setdefault(dt.date(year, month, 1), text)
    return next(iter(found.items())) if len(found) == 1 else None
