"""Parsers for one cell of a workbook: each returns the value in canonical form or raises CellProblem."""
from __future__ import annotations

import datetime as dt
import math
import operator
import re
import unicodedata
from collections.abc import Callable

from pipelines.months import EARLIEST, LATEST, RANGE_TEXT, in_range
from pipelines.vocabulary import (
    INDUSTRIES,
    INDUSTRY_ALIASES,
    STATUS_ALIASES,
    STATUS_BY_LABEL,
    UNIT_KINDS,
    YES_NO,
)

EXCEL_EPOCH = dt.date(1899, 12, 30)
# Excel serial numbers we accept as dates: 1954-10-03 .. 2119-01-11. Outside that a number is not a date.
_SERIAL_RANGE = ((EARLIEST - EXCEL_EPOCH).days, (LATEST - EXCEL_EPOCH).days)  # Excel serials of the date range
# Cell texts units write in an empty optional cell.
BLANK_MARKS = frozenset({"", "/", "-", "--", "—", "——", "无", "暂无", "N/A", "n/a"})
# NFKC never lengthens one of these marks' forms by more than this (full-width "Ｎ／Ａ" is as long as "N/A").
_LONGEST_MARK = 2 * max(len(mark) for mark in BLANK_MARKS)

_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?(?:[ T].*)?$")
_MONTH_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:月份?)?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_COMPACT_MONTH = re.compile(r"^(\d{4})(\d{2})$")
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUES = {c: i for i, c in enumerate(_USCC_CHARS)}  # looked up, not searched: 900,000 of them at 50,000 rows
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


class CellProblem(ValueError):
    """A cell's value cannot be used; the message says why, in words a 填报员 can act on."""


class CellError(str):
    """A cell holding one of Excel's error values (#REF!, #N/A, #DIV/0!, …): a formula that failed. The reader
    would give it as blank; kept as this marker so the row can be refused naming it."""


def shown(value: object) -> str:
    """The cell as a user would recognise it in a message."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime("%Y-%m-%d")
    return str(value).strip()


def is_blank(value: object) -> bool:
    """True for an empty cell or one holding only a placeholder such as '/' or '无'."""
    if isinstance(value, float):  # the commonest cell, so asked first
        return math.isnan(value)
    if value is None:
        return True
    if isinstance(value, str):
        # Most cells are longer than any mark: only short ones are normalised (a 50,000-row sheet has ~2 million).
        stripped = value.strip()
        return not stripped or (len(stripped) <= _LONGEST_MARK
                                and unicodedata.normalize("NFKC", stripped).strip() in BLANK_MARKS)
    return False


def _text(value: object) -> str:
    return unicodedata.normalize("NFKC", shown(value)).strip()


def _not_a_date(value: object) -> CellProblem:
    return CellProblem(f"'{shown(value)}' 不是有效日期，请填写如 2024-03-08")


def _checked_date(year: int, month: int, day: int, raw: object) -> dt.date:
    try:
        checked = dt.date(year, month, day)
    except ValueError:
        raise _not_a_date(raw) from None
    return _in_range(checked, raw)


def _in_range(day: dt.date, raw: object) -> dt.date:
    if not in_range(day):
        raise CellProblem(f"'{shown(raw)}' 超出可用的日期范围（{RANGE_TEXT}），请检查年份")
    return day


def _decimal_month(value: float) -> dt.date:
    """A month typed as 2024.3 that Excel keeps as a number, as its first day. 2024.1 is refused: it may be January
    or October (2024.10 becomes 2024.1)."""
    if round(value, 2) != value or value < 0:
        raise _not_a_date(value)
    year, fraction = f"{value:.2f}".rstrip("0").split(".")
    if fraction == "1":
        raise CellProblem(f"'{shown(value)}' 无法确定月份（单元格被当作数字，2024.10 会变成 2024.1），"
                          "请填写如 2024-10 并设为文本格式")
    return _checked_date(int(year), int(fraction), 1, value)


def parse_date(value: object) -> dt.date:
    """A date from a real Excel date, a serial number or text (2024-03-08, 2024/3/8, 2024.3.8, 2024年3月8日,
    20240308); a month alone (2024-03, 2024年3月, 2024.3) is taken as its first day."""
    if isinstance(value, dt.datetime):
        return _in_range(value.date(), value)
    if isinstance(value, dt.date):
        return _in_range(value, value)
    if isinstance(value, bool):
        raise _not_a_date(value)
    if isinstance(value, (int, float)):
        if _SERIAL_RANGE[0] <= value <= _SERIAL_RANGE[1]:  # a serial, with the time of day if any
            return _in_range(EXCEL_EPOCH + dt.timedelta(days=int(value)), value)
        if not float(value).is_integer():  # a month typed as 2024.3 (DOMAIN §3's month-only forms)
            return _decimal_month(float(value))
        if _COMPACT_DATE.match(str(int(value))):
            value = str(int(value))
        else:
            raise _not_a_date(value)
    text = _text(value)
    if m := _DATE_TEXT.match(text) or _COMPACT_DATE.match(text):
        return _checked_date(int(m[1]), int(m[2]), int(m[3]), value)
    if m := _MONTH_TEXT.match(text):
        return _checked_date(int(m[1]), int(m[2]), 1, value)
    if text.isdigit() and _SERIAL_RANGE[0] <= int(text) <= _SERIAL_RANGE[1]:
        return _in_range(EXCEL_EPOCH + dt.timedelta(days=int(text)), value)
    raise _not_a_date(value)


def parse_period(value: object) -> dt.date:
    """The report month as its first day, from 2024-10, 2024年10月, 2024.10, 2024/10, 202410 or any full date."""
    if isinstance(value, float) and not value.is_integer():
        return _decimal_month(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        digits = str(int(value))
        if m := _COMPACT_MONTH.match(digits):
            return _checked_date(int(m[1]), int(m[2]), 1, value)
    text = _text(value)
    if m := _COMPACT_MONTH.match(text):
        return _checked_date(int(m[1]), int(m[2]), 1, value)
    try:
        return parse_date(value).replace(day=1)
    except CellProblem:
        raise CellProblem(f"'{shown(value)}' 不是有效的报告期，请填写如 2024-10") from None


def parse_number(value: object) -> float:
    """A number from a numeric cell or from text with thousands separators ('1,234.5')."""
    if isinstance(value, bool):
        raise CellProblem(f"'{shown(value)}' 不是有效的数字")
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = re.sub(r"[,\s]", "", _text(value))
        try:
            number = float(text)
        except ValueError:
            raise CellProblem(f"'{shown(value)}' 不是有效的数字，请只填写数字（如 12000 或 1.2）") from None
    if not math.isfinite(number):
        raise CellProblem(f"'{shown(value)}' 不是有效的数字")
    return number


def parse_non_negative(value: object) -> float:
    number = parse_number(value)
    if number < 0:
        raise CellProblem(f"'{shown(value)}' 不能为负数")
    return number


def parse_count(value: object) -> int:
    number = parse_non_negative(value)
    if not number.is_integer():
        raise CellProblem(f"'{shown(value)}' 应为整数")
    return int(number)


def parse_year(value: object) -> int:
    year = parse_count(value) if not isinstance(value, str) else parse_count(_text(value).removesuffix("年"))
    if not 2000 <= year <= 2100:
        raise CellProblem(f"'{shown(value)}' 不是有效年度，请填写如 2024")
    return year


def parse_text(value: object) -> str:
    return shown(value)


def parse_yes_no(value: object) -> bool:
    text = _text(value)
    if text in YES_NO:
        return YES_NO[text]
    raise CellProblem(f"'{shown(value)}' 应填写“是”或“否”")


def parse_industry(value: object) -> str:
    text = _text(value)
    text = INDUSTRY_ALIASES.get(text, text)
    if text not in INDUSTRIES:
        raise CellProblem(f"'{shown(value)}' 不是可选的产业类别，请从 {'/'.join(INDUSTRIES)} 中选择")
    return text


def parse_status(value: object) -> str:
    text = _text(value)
    status = STATUS_BY_LABEL.get(text) or STATUS_ALIASES.get(text)
    if status is None:
        raise CellProblem(f"'{shown(value)}' 不是可选的项目状态，请填写 正常推进/暂缓/终止")
    return status


def parse_unit_kind(value: object) -> str:
    text = _text(value)
    if text not in UNIT_KINDS:
        raise CellProblem(f"'{shown(value)}' 不是可选的单元类型，请从 {'/'.join(UNIT_KINDS)} 中选择")
    return text


def uscc_check_char(first17: str) -> str:
    """The GB 32100-2015 check character for the first 17 characters of a 统一社会信用代码."""
    total = sum(map(operator.mul, map(_USCC_VALUES.__getitem__, first17[:17]), _USCC_WEIGHTS))
    return _USCC_CHARS[(31 - total % 31) % 31]


def parse_uscc(value: object) -> str:
    """An 18-character 统一社会信用代码 with a valid GB 32100-2015 check character; spaces copied in are dropped."""
    code = re.sub(r"\s", "", _text(value)).upper()
    if len(code) != 18:
        raise CellProblem(f"'{shown(value)}' 应为18位统一社会信用代码（现为{len(code)}位）")
    if not _USCC_VALUES.keys() >= set(code):
        bad = next(c for c in code if c not in _USCC_VALUES)
        raise CellProblem(f"'{shown(value)}' 含有统一社会信用代码中不允许的字符 '{bad}'")
    if uscc_check_char(code[:17]) != code[17]:
        raise CellProblem(f"'{shown(value)}' 校验位不正确，请核对统一社会信用代码")
    return code


# The parser for each Column.kind; 'unit' is resolved later against the unit register, so stays text.
PARSERS: dict[str, Callable[[object], object]] = {
    "period": parse_period,
    "unit": parse_text,
    "text": parse_text,
    "uscc": parse_uscc,
    "industry": parse_industry,
    "yesno": parse_yes_no,
    "money": parse_number,
    "usd": parse_non_negative,
    "area": parse_non_negative,
    "date": parse_date,
    "status": parse_status,
    "unit_kind": parse_unit_kind,
    "count": parse_count,
    "year": parse_year,
}
