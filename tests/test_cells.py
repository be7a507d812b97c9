"""pipelines.cells: every cell form DOMAIN §3 accepts becomes its canonical value; every other form is named."""
from __future__ import annotations

import datetime as dt
import math

import pytest

from pipelines import cells
from pipelines.cells import CellProblem

D = dt.date


@pytest.mark.parametrize("cell, expected", [
    (D(2024, 3, 8), D(2024, 3, 8)),
    (dt.datetime(2024, 3, 8, 14, 30), D(2024, 3, 8)),
    (45359, D(2024, 3, 8)),
    (45359.0, D(2024, 3, 8)),
    ("45359", D(2024, 3, 8)),
    ("2024-03-08", D(2024, 3, 8)),
    ("2024/3/8", D(2024, 3, 8)),
    ("2024.3.8", D(2024, 3, 8)),
    ("2024年3月8日", D(2024, 3, 8)),
    ("2024 年 3 月 8 日", D(2024, 3, 8)),
    ("2024年03月08", D(2024, 3, 8)),
    ("２０２４－０３－０８", D(2024, 3, 8)),
    ("20240308", D(2024, 3, 8)),
    (20240308, D(2024, 3, 8)),
    ("2024-03-08 10:30:00", D(2024, 3, 8)),
    ("2024-03-08T10:30", D(2024, 3, 8)),
    (" 2024-03-08 ", D(2024, 3, 8)),
    ("2024-03", D(2024, 3, 1)),
    ("2024年3月", D(2024, 3, 1)),
    ("2024年3月份", D(2024, 3, 1)),
    ("2024年3月8号", D(2024, 3, 8)),
    ("2024.3", D(2024, 3, 1)),
    ("2024/03", D(2024, 3, 1)),
    ("2024-2-29", D(2024, 2, 29)),
    (2024.3, D(2024, 3, 1)),  # 2024.3 typed into a cell Excel keeps as a number: still DOMAIN §3's month form
    (2024.12, D(2024, 12, 1)),
    (2024.05, D(2024, 5, 1)),
    (45359.75, D(2024, 3, 8)),  # a serial with a time of day
])
def test_parse_date_accepts_every_listed_form(cell, expected):
    """Real dates, serial numbers, every text form of DOMAIN §3 and month-only texts give the exact date."""
    assert cells.parse_date(cell) == expected


@pytest.mark.parametrize("cell, reason", [
    ("2024-13-01", "'2024-13-01' 不是有效日期，请填写如 2024-03-08"),
    ("2023-2-29", "'2023-2-29' 不是有效日期，请填写如 2024-03-08"),
    ("2024年13月", "'2024年13月' 不是有效日期，请填写如 2024-03-08"),
    ("明年三月", "'明年三月' 不是有效日期，请填写如 2024-03-08"),
    ("3月8日", "'3月8日' 不是有效日期，请填写如 2024-03-08"),
    (2024.1, "'2024.1' 无法确定月份（单元格被当作数字，2024.10 会变成 2024.1），请填写如 2024-10 并设为文本格式"),
    (2024.13, "'2024.13' 不是有效日期，请填写如 2024-03-08"),
    (2024.125, "'2024.125' 不是有效日期，请填写如 2024-03-08"),
    (12, "'12' 不是有效日期，请填写如 2024-03-08"),
    (True, "'True' 不是有效日期，请填写如 2024-03-08"),
])
def test_parse_date_names_what_is_wrong(cell, reason):
    """A cell that is no date is refused with the cell as the user typed it and an example."""
    with pytest.raises(CellProblem) as caught:
        cells.parse_date(cell)
    assert str(caught.value) == reason


@pytest.mark.parametrize("serial, expected", [
    (32873, None),
    (32874, D(1990, 1, 1)),
    (73050, D(2099, 12, 31)),
    (73051, None),
    (60, None),  # Excel's 1900-02-29, a day that never was
])
def test_serial_numbers_are_dates_only_inside_the_plausible_range(serial, expected):
    """Excel serials of 1990-01-01 … 2099-12-31 are dates; a number outside that range is not taken for one."""
    if expected is None:
        with pytest.raises(CellProblem):
            cells.parse_date(serial)
    else:
        assert cells.parse_date(serial) == expected


@pytest.mark.parametrize("cell, expected", [
    ("2024-10", D(2024, 10, 1)),
    ("2024年10月", D(2024, 10, 1)),
    ("2024.10", D(2024, 10, 1)),
    ("2024年10月份", D(2024, 10, 1)),
    ("2024/10", D(2024, 10, 1)),
    ("2024.3", D(2024, 3, 1)),
    ("202410", D(2024, 10, 1)),
    (202410, D(2024, 10, 1)),
    (202410.0, D(2024, 10, 1)),
    ("2024-10-31", D(2024, 10, 1)),
    (D(2024, 10, 15), D(2024, 10, 1)),
    (45580, D(2024, 10, 1)),
    (2024.3, D(2024, 3, 1)),  # a number: only 2024.1 (January or October?) is ambiguous
    (2024.11, D(2024, 11, 1)),
])
def test_parse_period_gives_the_first_day_of_the_month(cell, expected):
    """Every month form (and any full date) gives the report month as its first day."""
    assert cells.parse_period(cell) == expected


@pytest.mark.parametrize("cell, reason", [
    (2024.1, "'2024.1' 无法确定月份（单元格被当作数字，2024.10 会变成 2024.1），请填写如 2024-10 并设为文本格式"),
    ("2024-13", "'2024-13' 不是有效的报告期，请填写如 2024-10"),
    ("十月", "'十月' 不是有效的报告期，请填写如 2024-10"),
])
def test_parse_period_refuses_ambiguous_or_invalid_months(cell, reason):
    """A 报告期 typed as the decimal number 2024.1 is ambiguous (2024.10 becomes 2024.1) and refused, like an invalid
    month."""
    with pytest.raises(CellProblem) as caught:
        cells.parse_period(cell)
    assert str(caught.value) == reason


@pytest.mark.parametrize("cell, expected", [
    (12, 12.0),
    (0.8, 0.8),
    ("1,234.5", 1234.5),
    ("12,000", 12000.0),
    (" 12 000 ", 12000.0),
    ("１，２３４", 1234.0),
    ("-5", -5.0),
    ("3.5e2", 350.0),
])
def test_parse_number_reads_numbers_and_text_numbers(cell, expected):
    """Numbers and text numbers with thousands separators, spaces or full-width digits give the exact float."""
    assert cells.parse_number(cell) == expected


@pytest.mark.parametrize("cell, reason", [
    ("约5000", "'约5000' 不是有效的数字，请只填写数字（如 12000 或 1.2）"),
    ("1.2亿", "'1.2亿' 不是有效的数字，请只填写数字（如 12000 或 1.2）"),
    ("nan", "'nan' 不是有效的数字"),
    ("inf", "'inf' 不是有效的数字"),
    (True, "'True' 不是有效的数字"),
])
def test_parse_number_refuses_words_and_non_finite(cell, reason):
    """Words, units inside the cell, NaN and infinity are not numbers."""
    with pytest.raises(CellProblem) as caught:
        cells.parse_number(cell)
    assert str(caught.value) == reason


@pytest.mark.parametrize("parser, cell, expected", [
    (cells.parse_non_negative, "0", 0.0),
    (cells.parse_non_negative, "-0.01", "'-0.01' 不能为负数"),
    (cells.parse_count, 3.0, 3),
    (cells.parse_count, "12", 12),
    (cells.parse_count, "2.5", "'2.5' 应为整数"),
    (cells.parse_count, -1, "'-1' 不能为负数"),
    (cells.parse_year, 2024.0, 2024),
    (cells.parse_year, "2024年", 2024),
    (cells.parse_year, "1999", "'1999' 不是有效年度，请填写如 2024"),
    (cells.parse_year, "24", "'24' 不是有效年度，请填写如 2024"),
    (cells.parse_yes_no, "是", True),
    (cells.parse_yes_no, " 否 ", False),
    (cells.parse_yes_no, "Y", "'Y' 应填写“是”或“否”"),
    (cells.parse_industry, "制造业", "制造业"),
    (cells.parse_industry, "工业", "制造业"),
    (cells.parse_industry, "现代服务业", "服务业"),
    (cells.parse_industry, "文化旅游", "文旅"),
    (cells.parse_industry, "健康养老", "康养"),
    (cells.parse_industry, "先进制造业", "制造业"),
    (cells.parse_industry, "现代农业", "农业"),
    (cells.parse_industry, "旅游", "文旅"),
    (cells.parse_industry, "其它", "其他"),
    (cells.parse_status, "停建", "paused"),
    (cells.parse_industry, "化工", "'化工' 不是可选的产业类别，请从 制造业/服务业/农业/文旅/康养/其他 中选择"),
    (cells.parse_status, "正常推进", "active"),
    (cells.parse_status, "在建", "active"),
    (cells.parse_status, "暂缓", "paused"),
    (cells.parse_status, "缓建", "paused"),
    (cells.parse_status, "终止", "terminated"),
    (cells.parse_status, "已取消", "terminated"),
    (cells.parse_status, "待定", "'待定' 不是可选的项目状态，请填写 正常推进/暂缓/终止"),
    (cells.parse_unit_kind, "乡镇街道", "乡镇街道"),
    (cells.parse_unit_kind, "街道", "'街道' 不是可选的单元类型，请从 园区/乡镇街道/部门/专班 中选择"),
    (cells.parse_text, 3.0, "3"),
    (cells.parse_text, "  城东街道 ", "城东街道"),
])
def test_parsers_by_kind(parser, cell, expected):
    """Each column kind's parser gives the canonical value, or (a str ending in the reason) refuses the cell."""
    try:
        assert parser(cell) == expected
    except CellProblem as problem:
        assert str(problem) == expected


@pytest.mark.parametrize("cell, expected", [
    ("91110000802100433B", "91110000802100433B"),
    ("91440300708461136T", "91440300708461136T"),
    ("91440300708461136t", "91440300708461136T"),
    (" 91110000802100433B ", "91110000802100433B"),
    ("9111 0000 8021 0043 3B", "91110000802100433B"),  # copied with spaces
])
def test_uscc_with_valid_check_digit_is_accepted(cell, expected):
    """Real 统一社会信用代码 pass the GB 32100-2015 check, in any case and with stray spaces."""
    assert cells.parse_uscc(cell) == expected


@pytest.mark.parametrize("cell, reason", [
    ("91110000802100433C", "'91110000802100433C' 校验位不正确，请核对统一社会信用代码"),
    ("91440300708461136A", "'91440300708461136A' 校验位不正确，请核对统一社会信用代码"),
    ("9111000080210043B", "'9111000080210043B' 应为18位统一社会信用代码（现为17位）"),
    ("91110000802100433I", "'91110000802100433I' 含有统一社会信用代码中不允许的字符 'I'"),
    ("9111000080210O433B", "'9111000080210O433B' 含有统一社会信用代码中不允许的字符 'O'"),
])
def test_uscc_with_wrong_length_character_or_check_digit_is_refused(cell, reason):
    """A code of the wrong length, with a letter the standard excludes, or with a wrong check digit is refused."""
    with pytest.raises(CellProblem) as caught:
        cells.parse_uscc(cell)
    assert str(caught.value) == reason


@pytest.mark.parametrize("first17, check", [("91110000802100433", "B"), ("91440300708461136", "T")])
def test_uscc_check_char(first17, check):
    """The check character is computed as GB 32100-2015 defines it."""
    assert cells.uscc_check_char(first17) == check


@pytest.mark.parametrize("cell, blank", [
    (None, True), ("", True), ("  ", True), ("/", True), ("无", True), ("暂无", True), ("——", True),
    ("－－", True), (math.nan, True), ("N/A", True),
    (0, False), ("0", False), (0.0, False), ("否", False), ("x", False),
])
def test_is_blank(cell, blank):
    """Empty cells and the placeholders units type into them are blank; 0 and 否 are values."""
    assert cells.is_blank(cell) is blank


@pytest.mark.parametrize("cell, text", [
    (12.0, "12"), (12.5, "12.5"), (D(2024, 3, 8), "2024-03-08"), (dt.datetime(2024, 3, 8, 9), "2024-03-08"),
    (" 城东 ", "城东"),
])
def test_shown_is_the_cell_as_the_user_recognises_it(cell, text):
    """Messages quote whole numbers without '.0' and dates as YYYY-MM-DD."""
    assert cells.shown(cell) == text


@pytest.mark.parametrize("value", [D(1900, 2, 28), D(1989, 12, 31), D(2100, 1, 1), "1989-12-31", "9999-12-31",
                                   dt.datetime(1900, 3, 1, 0, 0), "1900年2月28日"])
def test_dates_outside_the_range_are_refused_naming_it(value):
    """A real Excel date (calamine reads Excel's 1900-02-29 as 1900-02-28), a text or a datetime outside
    1990-01-01 … 2099-12-31 is a typo, refused saying the range."""
    with pytest.raises(CellProblem, match="超出可用的日期范围（1990-01-01 至 2099-12-31）"):
        cells.parse_date(value)


@pytest.mark.parametrize("value", ["1989-12", "2100-01", "0001-01", "0001-01-01"])
def test_report_months_outside_the_range_are_refused(value):
    with pytest.raises(CellProblem):
        cells.parse_period(value)
