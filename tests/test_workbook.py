"""pipelines.ingest.workbook: xlsx, xls and csv read into rows of cells; unsafe and broken files refused with a
reason."""
from __future__ import annotations

import datetime as dt
import gc
import multiprocessing
import time
import tracemalloc

import pytest

from pipelines import settings
from pipelines.cells import CellError
from pipelines.ingest import workbook
from pipelines.ingest.workbook import FileRejected, _shared, open_sheets, read_sheets
from tests.fixtures import build

LIMITS = settings.load(env={}).ingest


def _limits(**ingest: object):
    return settings.load(env={}, overrides={"ingest": ingest}).ingest


def _rejection(path, limits=LIMITS) -> str:
    with pytest.raises(FileRejected) as caught:
        read_sheets(path, limits)
    return str(caught.value)


def test_xlsx_cells_keep_their_types(tmp_path):
    """A real Excel date comes back as a date, a serial as a number, text numbers and text dates as text."""
    [sheet] = read_sheets(build.town_report(tmp_path), LIMITS)
    assert sheet.name == "10月"
    assert sheet.rows[0][0] == "城东街道2024年10月招商引资项目推进情况表"
    assert sheet.rows[3][:4] == (1.0, "2024年10月", "城东街道", "年产10万吨新材料项目")
    assert sheet.rows[3][7:13] == (12.0, "95,000", "120.5", dt.date(2024, 3, 8), "2024年5月", 45536.0)
    assert sheet.rows[8][0] == "合计"


def test_rows_are_numbered_from_a1_whatever_the_used_area(tmp_path):
    """A table pasted at B3 still has rows[i] as sheet row i + 1, so messages name the row Excel shows."""
    table = build.Table(["项目名称", "计划总投资(万元)"], [["城东文旅综合体", 8000]], titles=["标题"], offset=(2, 1))
    for path in (build.write_xlsx(tmp_path / "b3.xlsx", table), build.write_xls(tmp_path / "b3.xls", table)):
        [sheet] = read_sheets(path, LIMITS)
        index = table.row_number(0) - 1
        assert sheet.rows[index][1:] == ("城东文旅综合体", 8000.0), path.name


def test_every_visible_sheet_is_read_and_hidden_ones_are_not(tmp_path):
    """All visible worksheets come back in order; a hidden sheet (often last year's copy) is left out."""
    sheets = build.zone_report_sheets()
    sheets.append(build.Table(["项目名称"], [["去年的项目"]], name="2023备份", hidden=True))
    path = build.write_xlsx(tmp_path / "zone.xlsx", *sheets)
    assert [s.name for s in read_sheets(path, LIMITS)] == ["填表说明", "续建项目", "新签约项目"]


def test_xls_reads_like_xlsx(tmp_path):
    """An .xls workbook gives the same cells, real dates included."""
    table = build.Table(["项目名称", "签约日期", "计划总投资（元）"], [["城西冷链物流中心", dt.date(2024, 7, 1), 3.5e8]])
    [sheet] = read_sheets(build.write_xls(tmp_path / "w.xls", table), LIMITS)
    assert sheet.rows == [("项目名称", "签约日期", "计划总投资（元）"), ("城西冷链物流中心", dt.date(2024, 7, 1), 3.5e8)]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_every_encoding_gives_the_same_rows(tmp_path, encoding):
    """CSV in UTF-8 with or without BOM, GBK or GB18030 reads to identical rows (no BOM left in A1)."""
    [sheet] = read_sheets(build.west_report_csv(tmp_path, encoding), LIMITS)
    assert sheet.rows[0] == ("城西街道2024年10月招商项目情况",)
    assert sheet.rows[1][:4] == ("序号", "报告期", "填报单位", "项目名称")
    assert sheet.rows[2] == ("1", "2024.10", "城西街道", "城西冷链物流中心", "浙江鲜达物流有限公司", "服务业",
                             "350,000,000", "2024年7月1日", "正常推进")


def test_gb18030_characters_outside_gbk_survive(tmp_path):
    """A GB18030 file with a character GBK lacks (䶮 in a contact's name) decodes to the right text."""
    table = build.Table(["项目名称", "联系人"], [["高山茶园观光农业项目", "刘䶮"]])
    [sheet] = read_sheets(build.write_csv(tmp_path / "c.csv", table, "gb18030"), LIMITS)
    assert sheet.rows[1] == ("高山茶园观光农业项目", "刘䶮")


def test_tab_separated_text_is_read_as_columns(tmp_path):
    """A tab-separated export saved as .csv is split on tabs."""
    path = tmp_path / "t.csv"
    path.write_text("项目名称\t计划总投资(万元)\n城东文旅综合体\t8000\n", encoding="utf-8")
    assert read_sheets(path, LIMITS)[0].rows == [("项目名称", "计划总投资(万元)"), ("城东文旅综合体", "8000")]


def test_hand_built_package_is_a_real_workbook(tmp_path):
    """The zip writer the bombs use makes packages calamine reads, so the bombs are real workbooks."""
    [sheet] = read_sheets(build.small_package(tmp_path, rows=2), LIMITS)
    assert sheet.rows == [("年产10万吨新材料项目",), ("年产10万吨新材料项目",)]


def test_broken_files_are_refused_with_a_reason(tmp_path):
    """Each broken file is refused whole with the reason a 填报员 can act on."""
    empty = tmp_path / "空文件.xlsx"
    empty.write_bytes(b"")
    pdf = tmp_path / "报表.pdf"
    pdf.write_bytes(b"%PDF-1.4 ...")
    utf16 = tmp_path / "unicode.csv"
    utf16.write_bytes("项目名称\t总投资\n".encode("utf-16"))
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"abc\x00def\n")
    cases = {
        build.renamed_text(tmp_path): "文件扩展名为 .xlsx，但内容不是 Excel 工作簿（可能是改了扩展名的其他文件）",
        build.renamed_docx(tmp_path): "文件不是 Excel 工作簿（压缩包中没有工作簿内容，可能是改了扩展名的其他文件）",
        empty: "文件是空的",
        build.empty_workbook(tmp_path): "工作簿中没有任何内容（工作表是空的）",
        tmp_path / "没有这个文件.xlsx": "找不到文件 没有这个文件.xlsx",
        pdf: "不是可读取的工作簿，请上传 xlsx、xls 或 csv 文件",
        utf16: "CSV 文件的编码无法识别，请另存为 UTF-8 或 GBK 编码的 CSV，或直接上传 Excel 工作簿",
        binary: "文件不是文本格式的 CSV（含有二进制内容），请上传 xlsx、xls 或 csv 文件",
    }
    assert {path.name: _rejection(path) for path in cases} == {path.name: reason for path, reason in cases.items()}


def test_a_truncated_xlsx_is_refused_as_damaged(tmp_path):
    """An xlsx cut off in transfer (its zip directory missing) is refused as damaged."""
    path = build.town_report(tmp_path)
    path.write_bytes(path.read_bytes()[:2000])
    assert _rejection(path) == "文件已损坏，无法作为 Excel 工作簿打开"


def test_file_over_the_size_limit_is_refused_before_reading(tmp_path):
    """A file larger than max_file_mb is refused, naming its size and the limit."""
    path = build.town_report(tmp_path)
    assert path.stat().st_size > 5 * 1024
    assert _rejection(path, _limits(max_file_mb=0.005)) == "文件大小 0.0MB 超过上限 0.005MB，请分批上传"


@pytest.mark.parametrize("write", [build.write_xlsx, build.write_csv])
def test_sheet_far_over_the_row_limit_is_refused_on_reading(tmp_path, write):
    """A sheet with more rows than max_rows plus the header search is refused before any row is parsed."""
    table = build.project_table([build.report_row(f"项目{i}") for i in range(8)])
    path = write(tmp_path / f"long.{'csv' if write is build.write_csv else 'xlsx'}", table)
    limits = _limits(max_rows=5, header_search_rows=2)
    assert "超过 5 行的上限，请分批上传" in _rejection(path, limits)
    assert read_sheets(path, _limits(max_rows=7, header_search_rows=2))


def _refused_quickly_in_bounded_memory(path, limits=LIMITS) -> tuple[str, float, int]:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        reason = _rejection(path, limits)
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return reason, elapsed, peak


def test_zip_bomb_is_refused_quickly_in_bounded_memory(tmp_path):
    """A 3.7MB xlsx whose sheet expands to 1GB is refused by its declared size, in well under a second,
    with peak memory under 1% of the expanded size."""
    path, expanded = build.zip_bomb(tmp_path, expanded_mib=1024)
    assert path.stat().st_size < 5 * (1 << 20) and expanded > 1000 * (1 << 20)
    reason, elapsed, peak = _refused_quickly_in_bounded_memory(path)
    assert reason == "工作簿解压后达 1023.9MB，超过上限 400.0MB，疑似异常文件，已拒收"
    assert elapsed < 1.0
    assert peak < expanded / 100


def test_zip_bomb_under_the_total_limit_is_refused_by_its_compression_ratio(tmp_path):
    """A package small enough for the total limit but compressed far beyond real sheets is refused too."""
    path, expanded = build.zip_bomb(tmp_path, expanded_mib=64)
    assert expanded < LIMITS.max_unzipped_mb * (1 << 20)
    assert _rejection(path) == "工作簿的压缩比异常（疑似“压缩炸弹”），已拒收"


def test_zip_bomb_that_lies_about_its_size_is_refused_by_what_it_expands_to(tmp_path):
    """A package declaring its 1GB sheet as 40KB (with a matching CRC) is counted as it really expands and
    refused at the limit, quickly and with peak memory far below the limit."""
    path, _ = build.lying_zip_bomb(tmp_path, expanded_mib=1024, declared_size=40_000)
    reason, elapsed, peak = _refused_quickly_in_bounded_memory(path)
    assert reason == "工作簿解压后超过上限 400.0MB，疑似异常文件，已拒收"
    assert elapsed < 3.0
    assert peak < 20 * (1 << 20)


def test_small_lying_package_is_refused_as_damaged(tmp_path):
    """A package whose part is longer than it declares, but under the limits, is refused as damaged."""
    path, _ = build.lying_zip_bomb(tmp_path, expanded_mib=8, declared_size=40_000)
    assert _rejection(path) == "文件已损坏，无法作为 Excel 工作簿打开"


# ------------------------------------------------------------------------------------- hostile shapes (issue 14)

def test_a_cell_in_the_far_corner_is_refused_with_its_address_before_it_is_read(tmp_path):
    """One cell at XFD1048576 would make the reader allocate the whole sheet: refused, naming the cell, in
    well under a second and without reading the sheet."""
    path = build.far_corner(tmp_path)
    started = time.perf_counter()
    assert _rejection(path) == ("工作表“项目进展”的范围过大（有内容延伸到 XFD1048576，超过 256 列的上限），"
                                "请删除空白行列后重传")
    assert time.perf_counter() - started < 2


def test_a_stray_space_far_right_is_refused_with_its_address(tmp_path):
    """A space typed in XFD1 of an otherwise normal report names the cell to delete."""
    path = build.far_corner(tmp_path, cell=(0, 16_383), value=" ")
    assert "有内容延伸到 XFD1，超过 256 列的上限" in _rejection(path)


@pytest.mark.parametrize(("limit", "cell", "refused"), [
    (256, (1, 255), False), (256, (1, 256), True), (26, (1, 25), False), (26, (1, 26), True),
    (702, (1, 701), False), (702, (1, 702), True), (300, (1, 299), False), (300, (1, 300), True),
])
def test_the_column_limit_is_exact(tmp_path, limit, cell, refused):
    """A cell in the limit's own column passes; one column further right is refused (IV|IW, Z|AA, ZZ|AAA, KN|KO)."""
    path = build.far_corner(tmp_path, cell=cell)
    limits = _limits(max_columns=limit)
    if refused:
        assert "超过" in _rejection(path, limits) and "列的上限" in _rejection(path, limits)
    else:
        assert read_sheets(path, limits)[0].rows[1][cell[1]] == "x"


def test_rows_beyond_the_limit_are_refused_before_reading(tmp_path):
    """A cell far down is refused by its row number, without the sheet being read."""
    path = build.far_corner(tmp_path, cell=(999_999, 3))
    assert _rejection(path) == "工作表“项目进展”有 1000000 行，超过 200000 行的上限，请分批上传"


def test_formulas_without_results_are_refused_saying_how_to_fix(tmp_path):
    """A formula cell whose result was never computed (no cached value) would read as blank: refused, naming it;
    the same workbook as Excel saves it (results cached) reads the result."""
    saved = build.formula_report(tmp_path)
    assert read_sheets(saved, LIMITS)[0].rows[1][5] == 10000
    assert _rejection(build.without_cached_values(saved)) == (
        "工作表“项目进展”的单元格 F2 是公式，但公式没有计算结果，请在 Excel 中打开并保存后重传")


def test_repeated_cells_cross_from_the_reader_as_one_object_each(tmp_path):
    """What the child sends equals what the file holds, each repeated text once; an error value stays marked even
    beside a text that reads the same."""
    path = build.error_cells_report(tmp_path)
    [sheet] = read_sheets(path, LIMITS)
    assert sheet.rows == read_sheets(path, LIMITS, isolated=False)[0].rows
    assert sheet.rows[1][3] is sheet.rows[4][3] == "青岚实业有限公司"
    assert isinstance(sheet.rows[2][5], CellError)
    mixed = _shared([["#N/A", "2024-10"], [CellError("#N/A"), "2024-10"]], {})
    assert [type(c) for c in mixed[1]] == [CellError, str]


def test_rows_are_left_alone_by_the_cycle_collector(tmp_path):
    """Rows come back as tuples of plain cells, which Python's cycle collector stops walking after its first pass
    (a 50,000-row sheet as lists cost each of its full passes 1.6 million visits while the file was checked)."""
    for isolated in (True, False):
        [sheet] = read_sheets(build.town_report(tmp_path), LIMITS, isolated=isolated)
        gc.collect()
        assert [gc.is_tracked(row) for row in sheet.rows] == [False] * len(sheet.rows)


def test_rows_arrive_in_batches_while_the_caller_reads_them(tmp_path, monkeypatch):
    """open_sheets hands out the sheets before their rows have all arrived; reaching a row waits for its batch,
    and every row comes, in order, on every sheet, as the file holds them."""
    monkeypatch.setattr(workbook, "_BATCH_ROWS", 2)
    path = build.zone_report(tmp_path)
    expected = read_sheets(path, LIMITS, isolated=False)
    with open_sheets(path, LIMITS) as sheets:
        assert [len(s.rows) for s in sheets] == [len(s.rows) for s in expected]
        assert sheets[1].rows[-4:-2] == expected[1].rows[-4:-2]  # counted from the end before the end arrived
        assert sheets[2].rows[-1] == expected[2].rows[-1]  # past the other sheets' batches
        assert [(s.name, list(s.rows), s.rows[1:3]) for s in sheets] == [
            (s.name, s.rows, s.rows[1:3]) for s in expected]


def test_a_reader_that_fails_midway_is_refused_where_the_rows_stop(tmp_path, monkeypatch):
    """A reader that runs out of memory after its first batch is answered when the caller reaches the missing
    rows; leaving the block stops the reader either way."""
    monkeypatch.setattr(workbook, "_BATCH_ROWS", 3)
    sent = []

    def shared_once(rows, memo):
        if sent:
            raise MemoryError
        sent.append(rows)
        return [tuple(row) for row in rows]

    monkeypatch.setattr(workbook, "_shared", shared_once)
    with open_sheets(build.town_report(tmp_path), LIMITS) as sheets:
        assert sheets[0].rows[2][0] is not None
        with pytest.raises(FileRejected, match="文件无法读取：读取时超出内存上限"):
            sheets[0].rows[3]
    assert multiprocessing.active_children() == []


def test_a_reader_that_aborts_costs_one_refusal_not_the_process(tmp_path):
    """With the guards opened wide, the far corner makes the native reader run out of its memory budget and abort
    in the child process: the caller gets a reason and carries on reading the next file."""
    limits = _limits(max_columns=16_384, max_rows=2_000_000, reader_memory_mb=512)
    assert _rejection(build.far_corner(tmp_path), limits).startswith("文件无法读取：读取时超出内存上限")
    assert read_sheets(build.town_report(tmp_path), limits)[0].name == "10月"


def test_a_reader_that_takes_too_long_is_stopped(tmp_path):
    """A read over [ingest] reader_seconds is stopped and answered with a reason."""
    path = build.write_xlsx(tmp_path / "大表.xlsx", build.project_table(
        [build.report_row(f"项目{i}") for i in range(20_000)]))
    assert _rejection(path, _limits(reader_seconds=0.05)).startswith("文件无法读取：读取超过 0.05 秒仍未完成")


def test_the_content_decides_not_the_name(tmp_path):
    """An xlsx saved under an .xls name and an .xls saved under an .xlsx name are read for what they are."""
    table = build.project_table([build.report_row("改名项目")])
    xlsx_as_xls = build.write_xlsx(tmp_path / "十月.xls", table)
    xls_as_xlsx = build.write_xls(tmp_path / "十一月.xlsx", table)
    for path in (xlsx_as_xls, xls_as_xlsx):
        assert read_sheets(path, LIMITS)[0].rows[1][3] == "改名项目"


def test_csv_with_excels_sep_line_reads_from_the_line_after(tmp_path):
    """Excel's "sep=;" first line names the delimiter and is not data."""
    path = tmp_path / "十月.csv"
    path.write_text("sep=;\r\n项目名称;计划总投资(万元)\r\n城东文旅综合体;8000\r\n", encoding="utf-8")
    assert read_sheets(path, LIMITS)[0].rows == [("项目名称", "计划总投资(万元)"), ("城东文旅综合体", "8000")]


def test_csv_with_quoted_commas_keeps_its_columns(tmp_path):
    """Quoted fields with commas, semicolons and line breaks inside are one cell each (the sniffer chose ';')."""
    path = tmp_path / "十月.csv"
    path.write_text('项目名称,投资方,存在问题\r\n"城东文旅综合体","甲公司;乙公司","用地指标待落实,\r\n环评办理中"\r\n'
                    '"智能装备产业园","丙公司","施工许可;电力配套"\r\n', encoding="utf-8")
    rows = read_sheets(path, LIMITS)[0].rows
    assert rows[1] == ("城东文旅综合体", "甲公司;乙公司", "用地指标待落实,\r\n环评办理中")
    assert [len(row) for row in rows] == [3, 3, 3]


def test_csv_too_wide_or_with_a_giant_cell_is_refused_by_its_line(tmp_path):
    """Too many columns, or one cell over [ingest] max_cell_chars, is refused naming the line."""
    wide = tmp_path / "宽.csv"
    wide.write_text("项目名称" + ",x" * 300 + "\r\n", encoding="utf-8")
    assert _rejection(wide) == "第 1 行有 301 列，超过 256 列的上限，请检查分隔符或删除多余的列"
    giant = tmp_path / "长.csv"
    giant.write_text("项目名称,投资方\r\n城东文旅综合体," + "长" * 40_000 + "\r\n", encoding="utf-8")
    assert _rejection(giant) == ("第 2 行无法读取：有单元格超过 32767 个字符，或引号没有成对，请检查后重传")
