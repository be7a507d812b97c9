"""The 月度项目进展表 template units fill in: blank, or prefilled with one unit's projects as last reported.

The data sheet's header row is exactly pipelines.ingest.columns.PROJECT_COLUMNS (after a 序号 column the reader
ignores), so a returned template loads with no header guessing; a 填表说明 sheet explains every column.

Usage: python -m pipelines.template --out FILE.xlsx [--unit CODE --period YYYY-MM] [--db PATH]
Exit 0 when the file was written, 1 when the unit or database is unknown, 2 when the database is held by
the running server."""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import sys
from pathlib import Path

import duckdb
import pandas as pd
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from pipelines import cli, settings
from pipelines.ingest.columns import PROJECT_COLUMNS, Column
from pipelines.ingest.validate import UnitDirectory
from pipelines.months import month_end
from pipelines.store import db
from pipelines.store.state import projects_as_of
from pipelines.vocabulary import INDUSTRIES, STATUSES, YES_NO

DATA_SHEET = "月度项目进展表"
INSTRUCTIONS_SHEET = "填表说明"
SERIAL_HEADER = "序号"

# Sheet rows (0-based): the title, then the header, then data.
_TITLE_ROW, _HEADER_ROW, _FIRST_DATA_ROW = 0, 1, 2
_LAST_ROW = 1_048_575  # Excel's last row: drop-downs and formats cover every row a unit may add
# Rows below a prefilled unit's projects that carry only 报告期 and 填报单位, for new projects
# (validation treats a row holding only those two as empty).
_SPARE_ROWS = 20
# Columns frozen at the left with the header: 序号 … 项目名称 stay visible while scrolling right.
_FROZEN_THROUGH = "project_name"

# How each kind of cell is entered, as the 填表说明 tells it.
_FORMATS: dict[str, str] = {
    "period": "文本，年-月，如 2024-10",
    "unit": "文本",
    "text": "文本",
    "uscc": "18位文本",
    "industry": f"下拉选择：{'/'.join(INDUSTRIES)}",
    "yesno": f"下拉选择：{'/'.join(YES_NO)}",
    "money": "数字",
    "usd": "数字",
    "area": "数字",
    "date": "日期，如 2024-03-08；只知月份时可填 2024-03（按当月1日计）",
    "status": f"下拉选择：{'/'.join(STATUSES.values())}",
}
_NUMBER_KINDS = frozenset({"money", "usd", "area"})
# Column widths in Excel character units (a Chinese character takes about two).
_WIDTH_BY_KIND = {"date": 12, "money": 13, "usd": 13, "area": 11}
_WIDTH_BY_ID = {
    "period": 10, "unit": 12, "project_code": 12, "project_name": 32, "investor": 28, "investor_uscc": 22,
    "industry": 10, "chain": 12, "is_foreign": 9, "status": 10, "progress_note": 40, "issues": 30,
    "liaison_leader": 10, "contact_name": 10, "contact_phone": 14,
}
_DEFAULT_WIDTH = 12
_SERIAL_WIDTH = 6
_HEADER_FILL, _REQUIRED_FILL = "#DDEBF7", "#F8CBAD"


class TemplateError(ValueError):
    """The template cannot be made as asked; the message says why, in Chinese."""


def _general_notes() -> list[str]:
    minimum = settings.current().figures.stats_min_investment_wan
    return [
        "1. 本表每月报送一次：列出本单位所有未终止、未投产的项目（已投产的可继续保留），填写报告期末的状态。",
        "2. 请勿修改、增删或调换表头；表头为橙色的列为必填项。标题行和“序号”列不影响导入。",
        "3. 项目编号由系统分配：已有项目请保留原编号，不要修改；新项目留空，系统按项目名称匹配或新建。",
        "4. 日期请填写如 2024-03-08；只知道月份时可填 2024-03（按当月1日计）。各节点日期不得晚于报告期末。",
        "5. 金额单位为万元，外资金额为万美元，用地面积为亩，请只填数字。",
        "6. 产业类别、是否外资、项目状态请从下拉列表中选择。",
        f"7. 开工须先签约；纳统、竣工、投产须先开工；纳统日期不得早于开工日期；"
        f"计划总投资不足{minimum:g}万元的项目不能纳统。",
        "8. 预填的表格是上期报送的内容：请逐项核对并更新为本期末的状态，“本月进展”请按本月实际填写。",
    ]


def _width(column: Column) -> int:
    return _WIDTH_BY_ID.get(column.id) or _WIDTH_BY_KIND.get(column.kind, _DEFAULT_WIDTH)


def _validation(column: Column) -> dict:
    """The data validation of a column: a drop-down for enumerations, bounds for numbers, and always a
    prompt. Values the reader rejects are stopped; forms the reader accepts but Excel does not know
    (dates such as 2024.3.8) only warn."""
    prompt = {"input_title": column.header[:32], "input_message": (column.help or _FORMATS[column.kind])[:255]}
    if column.kind in ("industry", "yesno", "status"):
        choices = {"industry": INDUSTRIES, "yesno": tuple(YES_NO), "status": tuple(STATUSES.values())}[column.kind]
        return {"validate": "list", "source": list(choices), "error_title": "请从列表中选择",
                "error_message": f"请选择：{'/'.join(choices)}", **prompt}
    if column.kind in _NUMBER_KINDS:
        positive = column.required
        return {"validate": "decimal", "criteria": ">" if positive else ">=", "value": 0,
                "error_title": "请填写数字", "error_message": "请填写大于0的数字" if positive else "请填写不小于0的数字",
                **prompt}
    if column.kind == "date":
        return {"validate": "date", "criteria": "between", "minimum": dt.date(2000, 1, 1),
                "maximum": dt.date(2100, 12, 31), "error_type": "warning", "error_title": "日期格式",
                "error_message": "请填写如 2024-03-08 的日期", **prompt}
    if column.kind == "uscc":
        return {"validate": "length", "criteria": "==", "value": 18, "error_title": "统一社会信用代码",
                "error_message": "统一社会信用代码应为18位", **prompt}
    return {"validate": "any", **prompt}


def _cell_value(column: Column, project: dict, unit_code: str, period: dt.date) -> object:
    """What the prefilled template shows in this column for a project as last reported (None: blank)."""
    if column.id == "period":
        return f"{period:%Y-%m}"
    if column.id == "unit":
        return unit_code
    value = project.get(column.id)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if column.kind == "yesno":
        return next(label for label, flag in YES_NO.items() if flag == bool(value))
    if column.kind == "status":
        return STATUSES[value]
    if column.kind == "date":
        return pd.Timestamp(value).date()
    if column.kind in _NUMBER_KINDS:
        return float(value)
    return str(value)


def _unit_projects(con: duckdb.DuckDBPyConnection, unit_code: str, period: dt.date) -> list[dict]:
    """The unit's projects as last reported by the end of `period` that it still owes a report for:
    not terminated, and not in production before the period began."""
    frame = projects_as_of(con, month_end(period), unit_code)
    owed = (frame["status"] != "terminated") & ~(frame["production_date"] < pd.Timestamp(period))
    return frame[owed].to_dict("records")


def _write_data_sheet(book: xlsxwriter.Workbook, sheet: Worksheet, title: str, rows: list[list[object]]) -> None:
    last_col = len(PROJECT_COLUMNS)
    title_format = book.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
    header = {"bold": True, "align": "center", "valign": "vcenter", "text_wrap": True, "border": 1}
    header_formats = {
        required: book.add_format({**header, "bg_color": _REQUIRED_FILL if required else _HEADER_FILL})
        for required in (True, False)
    }
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    formats = {
        "date": date_format,
        "number": book.add_format({"num_format": "#,##0.00"}),
        "text": book.add_format({"num_format": "@"}),
    }
    sheet.merge_range(_TITLE_ROW, 0, _TITLE_ROW, last_col, title, title_format)
    sheet.set_row(_TITLE_ROW, 30)
    sheet.set_row(_HEADER_ROW, 36)
    sheet.write_string(_HEADER_ROW, 0, SERIAL_HEADER, header_formats[False])
    sheet.set_column(0, 0, _SERIAL_WIDTH)
    for col, column in enumerate(PROJECT_COLUMNS, start=1):
        style = "date" if column.kind == "date" else "number" if column.kind in _NUMBER_KINDS else "text"
        sheet.set_column(col, col, _width(column), formats[style])
        sheet.write_string(_HEADER_ROW, col, column.header, header_formats[column.required])
        sheet.data_validation(_FIRST_DATA_ROW, col, _LAST_ROW, col, _validation(column))
    for offset, cells in enumerate(rows):
        row = _FIRST_DATA_ROW + offset
        for col, value in enumerate(cells):
            if value is None:
                continue
            if isinstance(value, dt.date):
                sheet.write_datetime(row, col, value, date_format)
            elif isinstance(value, (int, float)):
                sheet.write_number(row, col, value, None if col == 0 else formats["number"])
            else:
                sheet.write_string(row, col, value, formats["text"])
    frozen = next(i for i, c in enumerate(PROJECT_COLUMNS, start=1) if c.id == _FROZEN_THROUGH)
    sheet.freeze_panes(_FIRST_DATA_ROW, frozen + 1)
    sheet.autofilter(_HEADER_ROW, 0, _HEADER_ROW + max(len(rows), 1), last_col)
    sheet.activate()


def _write_instructions(book: xlsxwriter.Workbook, sheet: Worksheet) -> None:
    bold = book.add_format({"bold": True, "font_size": 14})
    header = book.add_format({"bold": True, "bg_color": _HEADER_FILL, "border": 1, "valign": "vcenter"})
    body = book.add_format({"text_wrap": True, "valign": "top", "border": 1})
    sheet.write_string(0, 0, INSTRUCTIONS_SHEET, bold)
    notes = _general_notes()
    for i, note in enumerate(notes, start=1):
        sheet.write_string(i, 0, note)
    table_row = len(notes) + 2
    for col, text in enumerate(("列名", "是否必填", "填写格式", "计量单位", "说明")):
        sheet.write_string(table_row, col, text, header)
    for i, column in enumerate(PROJECT_COLUMNS, start=table_row + 1):
        required = "必填" if column.required else "选填"
        for col, text in enumerate((column.header, required, _FORMATS[column.kind], column.unit, column.help)):
            sheet.write_string(i, col, text, body)
    for col, width in enumerate((20, 8, 30, 10, 50)):
        sheet.set_column(col, col, width)


def template_bytes(con: duckdb.DuckDBPyConnection | None = None, unit_code: str | None = None,
                   period: dt.date | None = None) -> bytes:
    """The 月度项目进展表 as xlsx bytes: blank, or — given a unit (code or name) and a report month — prefilled
    with the unit's projects as last reported, 报告期 set to that month and 项目编号 kept so rows match."""
    if (unit_code is None) != (period is None):
        raise TemplateError("预填模板须同时指定填报单位和报告期")
    rows: list[list[object]] = []
    title = "招商引资项目月度进展表"
    if unit_code is not None and period is not None:
        if con is None:
            raise TemplateError("预填模板需要数据库")
        units = UnitDirectory(dict(con.execute("SELECT code, name FROM units").fetchall()))
        code = units.resolve(unit_code)
        if code is None:
            raise TemplateError(f"填报单位“{unit_code}”不在单元名录中")
        period = period.replace(day=1)
        projects = _unit_projects(con, code, period)
        rows = [[n, *(_cell_value(c, p, code, period) for c in PROJECT_COLUMNS)] for n, p in enumerate(projects, 1)]
        spare = [None, *(_cell_value(c, {}, code, period) if c.id in ("period", "unit") else None
                         for c in PROJECT_COLUMNS)]
        rows += [spare] * _SPARE_ROWS
        title = f"{units.names[code]}{period.year}年{period.month}月招商引资项目推进情况表"
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    _write_data_sheet(book, book.add_worksheet(DATA_SHEET), title, rows)
    _write_instructions(book, book.add_worksheet(INSTRUCTIONS_SHEET))
    book.close()
    return buffer.getvalue()


@cli.refuses_when_busy
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.template", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, metavar="FILE.xlsx", help="where to write the template")
    parser.add_argument("--unit", help="prefill with this unit's projects (code or name); needs --period")
    parser.add_argument("--period", type=cli.month, help="report month of the prefilled template, YYYY-MM")
    parser.add_argument("--db", help="database file (default: ZS_DB or settings)")
    args = parser.parse_args(argv)
    if (args.unit is None) != (args.period is None):
        parser.error("--unit and --period go together")
    if args.unit is None:
        data = template_bytes()
    else:
        path = settings.db_path(args.db)
        if not path.exists():
            print(f"数据库 {path} 不存在", file=sys.stderr)
            return 1
        with contextlib.closing(db.connect(path)) as con:
            try:
                data = template_bytes(con, args.unit, args.period)
            except TemplateError as exc:
                print(exc, file=sys.stderr)
                return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
