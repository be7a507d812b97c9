"""The workbooks units and the bureau fill in: the 月度项目进展表 (blank, or prefilled with one unit's projects as
last reported) and the 年度目标任务表 (blank, or one row per registered unit with the targets in force for a year).

Each data sheet's header row is exactly the kind's columns in pipelines.ingest.columns (after a 序号 column the
reader ignores), so a returned template loads with no header guessing; a 填表说明 sheet explains every column.

Usage: python -m pipelines.template --out FILE.xlsx [--unit CODE --period YYYY-MM] [--db PATH]
       python -m pipelines.template --targets --out FILE.xlsx [--year YYYY] [--db PATH]
Exit 0 when the file was written, 1 when the unit or database is unknown, 2 when the database is held by
the running server."""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import sys
from pathlib import Path
from typing import NamedTuple

import duckdb
import pandas as pd
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from pipelines import cli, settings
from pipelines.ingest.columns import PROJECT_COLUMNS, TARGET_COLUMNS, Column
from pipelines.ingest.validate import UnitDirectory
from pipelines.months import LATEST, month_end
from pipelines.store import db, queries
from pipelines.store.state import projects_as_of
from pipelines.vocabulary import (
    INDUSTRIES,
    SIGNED_BANDS,
    STATUSES,
    TARGET_BY_ID,
    TARGETS,
    WAN_PER_YI,
    YES_NO,
)

DATA_SHEET = "月度项目进展表"
TARGETS_SHEET = "年度目标任务表"
INSTRUCTIONS_SHEET = "填表说明"
SERIAL_HEADER = "序号"
REGISTER_HEADERS = ("单元编码", "单元名称", "考核组别")  # the 填表说明's list of units, which 单元编码's drop-down offers

# Sheet rows (0-based): the title, then the header, then data.
_TITLE_ROW, _HEADER_ROW, _FIRST_DATA_ROW = 0, 1, 2
_LAST_ROW = 1_048_575  # Excel's last row: drop-downs and formats cover every row a unit may add
# Rows below a prefilled unit's projects that carry only 报告期 and 填报单位, for new projects
# (validation treats a row holding only those two as empty).
_SPARE_ROWS = 20

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
    "year": "整数，如 2026",
    "count": "整数",
}
_NUMBER_KINDS = frozenset({"money", "usd", "area"})
# The cell format of each kind of column (others: text).
_STYLE_BY_KIND = {"date": "date", "money": "number", "usd": "number", "area": "number", "year": "whole",
                  "count": "whole"}
# Column widths in Excel character units (a Chinese character takes about two).
_WIDTH_BY_KIND = {"date": 12, "money": 13, "usd": 13, "area": 11, "count": 14}
_WIDTH_BY_ID = {
    "period": 10, "unit": 12, "project_code": 12, "project_name": 32, "investor": 28, "investor_uscc": 22,
    "industry": 10, "chain": 12, "is_foreign": 9, "status": 10, "progress_note": 40, "issues": 30,
    "liaison_leader": 10, "contact_name": 10, "contact_phone": 14, "year": 8,
}
_DEFAULT_WIDTH = 12
_SERIAL_WIDTH = 6
_HEADER_FILL, _REQUIRED_FILL = "#DDEBF7", "#F8CBAD"


class TemplateError(ValueError):
    """The template cannot be made as asked; the message says why, in Chinese."""


class _Form(NamedTuple):
    """What differs between the two workbooks: the data sheet, its columns, what the 填表说明 says of them, and the
    unit register offered to 单元编码 (targets only)."""

    sheet: str
    columns: tuple[Column, ...]
    frozen_through: str  # columns up to this one stay visible while scrolling right
    notes: list[str]
    help: dict[str, str]  # column id → the 说明 of the 填表说明 (default: the column's own help)
    register: tuple[tuple[str, str, str], ...] = ()  # (code, name, group) of every registered unit


def _general_notes() -> list[str]:
    minimum = settings.current().figures.stats_min_investment_wan
    return [
        "1. 本表每月报送一次：列出本单位所有未终止、未投产的项目（已投产的可继续保留），填写报告期末的状态。",
        "2. 请勿修改、增删或调换表头；表头为橙色的列为必填项。标题行和“序号”列不影响导入。",
        "3. 项目编号由系统分配：已有项目请保留原编号，不要修改；新项目留空，系统按项目名称匹配或新建。",
        "4. 日期请填写如 2024-03-08；只知道月份时可填 2024-03（按当月1日计）。各节点日期不得晚于报告期末。",
        "5. 金额单位为万元，外资金额为万美元，用地面积为亩，请只填数字。",
        "6. 产业类别、是否外资、项目状态请从下拉列表中选择。",
        (f"7. 开工须先签约；纳统、竣工、投产须先开工；纳统日期不得早于开工日期；"
        f"计划总投资不足{minimum:g}万元的项目不能纳统。"),
        "8. 预填的表格是上期报送的内容：请逐项核对并更新为本期末的状态，“本月进展”请按本月实际填写。",
    ]


def _yi(wan: float) -> str:
    return f"{wan / WAN_PER_YI:g}亿元"


def _target_help() -> dict[str, str]:
    """The 说明 of each target column, in the words of DOMAIN §5 and §7, with the thresholds in force."""
    config = settings.current()
    assessed = _yi(config.figures.assess_min_investment_wan)
    bands = {column: (f"本年签约、计划总投资{_yi(low)}（含）以上的项目个数" if high == float("inf") else
                      f"本年签约、计划总投资{_yi(low)}（含）至{_yi(high)}（不含）的项目个数")
             for column, low, high in SIGNED_BANDS}
    return {
        "year": "目标所属年度",
        "unit": "单元编码，须在单元名录中（见本说明末尾，或从下拉列表选择）",
        "signed_major": f"本年签约、计划总投资{assessed}以上的项目个数",
        "signed_amount_wan": f"本年签约的{assessed}以上项目计划总投资合计，单位亿元",
        "commenced": f"本年新开工的{assessed}以上项目个数",
        "production": f"本年新投产的{assessed}以上项目个数",
        "major_manufacturing": f"本年签约、计划总投资{_yi(config.assessment.major_manufacturing_min_wan)}以上的"
                               "制造业项目个数；超过目标的单元可评为优秀（一票评优）",
        "in_stats": f"本年新纳统（入库）的{assessed}以上项目个数",
        **bands,
        "invested_year_wan": f"{assessed}以上项目本年完成投资合计（累计完成投资减去上年末数），单位亿元",
    }


def _target_notes() -> list[str]:
    further = "、".join(t.label for t in TARGETS[TARGETS.index(TARGET_BY_ID["in_stats"]):])
    return [
        "1. 本表每年下达一次，年中调整时可再次报送：每个单元一行，填写该单元本年度的目标任务；同一单元以最近一次载入的为准。",
        "2. 请勿修改、增删或调换表头；表头为橙色的列为必填项。标题行和“序号”列不影响导入。",
        "3. 单元编码请从下拉列表选择或按本说明末尾的单元名录填写。",
        ("4. 目标留空表示不下达该项目标：不计分，也不显示完成进度。再次报送时留空的目标视为取消，"
         "预填的表格已列出现行目标，不调整的请保留；某单元不下达任何目标时整行留空，该行不载入。"),
        "5. 项目数请填写整数；签约金额、本年完成投资以亿元为单位，可带小数。",
        f"6. {further}默认不计分，只显示完成率和与序时进度的差距；系统管理员设定权重后计入考核得分。",
    ]


def _width(column: Column) -> int:
    return _WIDTH_BY_ID.get(column.id) or _WIDTH_BY_KIND.get(column.kind, _DEFAULT_WIDTH)


def _validation(column: Column, form: _Form) -> dict:
    """The data validation of a column: a drop-down for enumerations (and for 单元编码, the register's codes),
    bounds for numbers, and always a prompt. Values the reader rejects are stopped; forms the reader accepts but
    Excel does not know (dates such as 2024.3.8) only warn."""
    prompt = {"input_title": column.header[:32],
              "input_message": (form.help.get(column.id) or column.help or _FORMATS[column.kind])[:255]}
    if column.kind == "unit" and form.register:
        first = _register_first_row(form) + 1  # Excel rows are 1-based
        return {"validate": "list", "source": f"='{INSTRUCTIONS_SHEET}'!$A${first}:$A${first + len(form.register) - 1}",
                "error_title": "请从列表中选择", "error_message": "请填写单元名录中的单元编码", **prompt}
    if column.kind == "year":
        return {"validate": "integer", "criteria": "between", "minimum": 2000, "maximum": 2100,
                "error_title": "请填写年度", "error_message": "请填写如 2026 的年度", **prompt}
    if column.kind == "count":
        return {"validate": "integer", "criteria": ">=", "value": 0, "error_title": "请填写整数",
                "error_message": "请填写不小于0的整数", **prompt}
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


def _write_data_sheet(book: xlsxwriter.Workbook, sheet: Worksheet, form: _Form, title: str,
                      rows: list[list[object]]) -> None:
    last_col = len(form.columns)
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
        "whole": book.add_format({"num_format": "0"}),
    }
    sheet.merge_range(_TITLE_ROW, 0, _TITLE_ROW, last_col, title, title_format)
    sheet.set_row(_TITLE_ROW, 30)
    sheet.set_row(_HEADER_ROW, 36)
    sheet.write_string(_HEADER_ROW, 0, SERIAL_HEADER, header_formats[False])
    sheet.set_column(0, 0, _SERIAL_WIDTH)
    for col, column in enumerate(form.columns, start=1):
        sheet.set_column(col, col, _width(column), formats[_STYLE_BY_KIND.get(column.kind, "text")])
        sheet.write_string(_HEADER_ROW, col, column.header, header_formats[column.required])
        sheet.data_validation(_FIRST_DATA_ROW, col, _LAST_ROW, col, _validation(column, form))
    for offset, cells in enumerate(rows):
        row = _FIRST_DATA_ROW + offset
        for col, value in enumerate(cells):
            if value is None:
                continue
            if isinstance(value, dt.date):
                sheet.write_datetime(row, col, value, date_format)
            elif isinstance(value, (int, float)):
                style = _STYLE_BY_KIND.get(form.columns[col - 1].kind, "number") if col else None
                sheet.write_number(row, col, value, formats[style] if style else None)
            else:
                sheet.write_string(row, col, value, formats["text"])
    frozen = next(i for i, c in enumerate(form.columns, start=1) if c.id == form.frozen_through)
    sheet.freeze_panes(_FIRST_DATA_ROW, frozen + 1)
    sheet.autofilter(_HEADER_ROW, 0, _HEADER_ROW + max(len(rows), 1), last_col)
    sheet.activate()


def _register_first_row(form: _Form) -> int:
    """The sheet row (0-based) of the first unit in the 填表说明's 单元名录."""
    return len(form.notes) + 2 + 1 + len(form.columns) + 2 + 1


def _write_instructions(book: xlsxwriter.Workbook, sheet: Worksheet, form: _Form) -> None:
    bold = book.add_format({"bold": True, "font_size": 14})
    header = book.add_format({"bold": True, "bg_color": _HEADER_FILL, "border": 1, "valign": "vcenter"})
    body = book.add_format({"text_wrap": True, "valign": "top", "border": 1})
    sheet.write_string(0, 0, INSTRUCTIONS_SHEET, bold)
    for i, note in enumerate(form.notes, start=1):
        sheet.write_string(i, 0, note)
    table_row = len(form.notes) + 2
    for col, text in enumerate(("列名", "是否必填", "填写格式", "计量单位", "说明")):
        sheet.write_string(table_row, col, text, header)
    for i, column in enumerate(form.columns, start=table_row + 1):
        required = "必填" if column.required else "选填"
        explained = form.help.get(column.id) or column.help
        for col, text in enumerate((column.header, required, _FORMATS[column.kind], column.unit, explained)):
            sheet.write_string(i, col, text, body)
    if form.register:
        first = _register_first_row(form)
        sheet.write_string(first - 2, 0, "单元名录", bold)
        for col, text in enumerate(REGISTER_HEADERS):
            sheet.write_string(first - 1, col, text, header)
        for i, unit in enumerate(form.register, start=first):
            for col, text in enumerate(unit):
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
    return _workbook(_Form(DATA_SHEET, PROJECT_COLUMNS, "project_name", _general_notes(), {}), title, rows)


def _workbook(form: _Form, title: str, rows: list[list[object]]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    _write_data_sheet(book, book.add_worksheet(form.sheet), form, title, rows)
    _write_instructions(book, book.add_worksheet(INSTRUCTIONS_SHEET), form)
    book.close()
    return buffer.getvalue()


def _target_value(column: Column, targets: pd.Series | None) -> object:
    """A target in force as the workbook gives it (money in 亿元, counts whole); None where none is set."""
    if targets is None or pd.isna(targets[column.id]):
        return None
    value = float(targets[column.id])
    if column.kind == "money":
        return value / WAN_PER_YI
    return int(value)


def targets_template_bytes(con: duckdb.DuckDBPyConnection | None = None, year: int | None = None) -> bytes:
    """The 年度目标任务表 as xlsx bytes: blank, or — given the database and a year — one row per registered unit
    (assessment group, then code) with 年度 and 单元编码 filled and the unit's targets for that year in force now,
    so a returned sheet keeps what it does not change; 单元编码 then offers the register's codes, listed in the
    填表说明."""
    if (con is None) != (year is None):
        raise TemplateError("预填目标表须同时指定数据库和年度")
    rows: list[list[object]] = []
    register: tuple[tuple[str, str, str], ...] = ()
    title = "招商引资年度目标任务分解表"
    if con is not None and year is not None:
        register = tuple(tuple(r) for r in con.execute(
            "SELECT code, name, assess_group FROM units ORDER BY assess_group, code").fetchall())
        in_force = queries.frame(con, "targets_as_of", year=year, as_of=LATEST)
        in_force = in_force.set_index("unit_code")
        for n, (code, _, _) in enumerate(register, 1):
            targets = in_force.loc[code] if code in in_force.index else None
            rows.append([n, year, code, *(_target_value(c, targets) for c in TARGET_COLUMNS[2:])])
        title = f"{year}年度招商引资目标任务分解表"
    form = _Form(TARGETS_SHEET, TARGET_COLUMNS, "unit", _target_notes(), _target_help(), register)
    return _workbook(form, title, rows)


@cli.refuses_when_busy
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.template", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, metavar="FILE.xlsx", help="where to write the template")
    parser.add_argument("--unit", help="prefill with this unit's projects (code or name); needs --period")
    parser.add_argument("--period", type=cli.month, help="report month of the prefilled template, YYYY-MM")
    parser.add_argument("--targets", action="store_true", help="the 年度目标任务表 instead of the 月度项目进展表")
    parser.add_argument("--year", type=int, help="with --targets: one row per registered unit, its targets in force")
    parser.add_argument("--db", help="database file (default: ZS_DB or settings)")
    args = parser.parse_args(argv)
    if args.targets and (args.unit or args.period):
        parser.error("--targets takes --year, not --unit or --period")
    if args.year is not None and not args.targets:
        parser.error("--year goes with --targets")
    if (args.unit is None) != (args.period is None):
        parser.error("--unit and --period go together")
    if args.unit is None and args.year is None:
        data = targets_template_bytes() if args.targets else template_bytes()
    else:
        path = settings.db_path(args.db)
        if not path.exists():
            print(f"数据库 {path} 不存在", file=sys.stderr)
            return 1
        with contextlib.closing(db.connect(path)) as con:
            try:
                data = (targets_template_bytes(con, args.year) if args.targets
                        else template_bytes(con, args.unit, args.period))
            except TemplateError as exc:
                print(exc, file=sys.stderr)
                return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
