"""In a real browser against a real server: a unit user hands in the month's report through 数据填报."""
from __future__ import annotations

import datetime as dt
import re

from python_calamine import CalamineWorkbook

from pipelines.admin import users
from tests.conftest import ADMIN
from tests.fixtures import build
from tests.server import ROOT, running_server, wait_run_over
from tests.test_auth_ui import log_in
from tests.test_desk import PASSWORD, _last_report, _months


def _library_counts(page, base: str) -> tuple[str, str]:
    """The 项目库 as the logged-in user sees it today: the text of its grid and its 已开工 count."""
    page.goto(f"{base}/projects")
    grid = page.locator("[data-testid='stDataFrame']").filter(has_text="甲项目")
    grid.wait_for(timeout=30000)  # the grid fills its cells after it appears
    page.wait_for_timeout(500)
    commenced = page.locator("[data-testid='stMetric']").filter(has_text="已开工")
    return grid.text_content(), commenced.locator("[data-testid='stMetricValue']").text_content()


def test_unit_user_downloads_the_prefilled_template_changes_a_milestone_and_hands_it_in(units, tmp_path, browser):
    """u02 downloads the prefilled template of the month due, enters 甲项目's 开工日期 and a date that does not
    exist for 丙项目, uploads it, sees 丙's row rejected with its reason and the rest ready to load, confirms; the
    history lists the file, the 项目库 shows 甲's 开工日期 with 已开工 up from 0 to 1, and 甲's project page shows the
    开工 milestone reached on that day and the new report in its 报送历史 with what changed."""
    users.create_user(units, ADMIN, "u02", "城东街道填报员", "unit", PASSWORD, "U02")
    _last_report(units, tmp_path)
    (code,), = units.execute("SELECT code FROM projects WHERE name_key = '甲项目'").fetchall()
    units.close()
    due, _ = _months()
    commenced = dt.date(due.year, due.month, 5)
    with running_server(tmp_path / "test.duckdb") as base:
        page = browser.new_page(viewport={"width": 1600, "height": 1000}, accept_downloads=True)
        log_in(page, base, "u02", PASSWORD)
        grid, count = _library_counts(page, base)
        assert "甲项目" in grid and f"{commenced:%Y-%m-%d}" not in grid and count == "0"

        page.goto(f"{base}/submit")
        page.get_by_role("heading", name="数据填报").wait_for(timeout=30000)
        # The drop zone speaks Chinese (ui/widgets.py writes it over Streamlit's fixed English with CSS).
        zone = page.locator("[data-testid='stFileUploaderDropzone']")
        after = "e => getComputedStyle(e, '::after').content"
        assert zone.locator("button p").evaluate(after) == '"选择文件"'
        assert zone.locator("[data-testid='stFileUploaderDropzoneInstructions'] span").first.evaluate(after) == \
            '"拖入文件或点击“选择文件”，单个不超过 50MB（xlsx、xls、csv）"'
        with page.expect_download(timeout=30000) as download:
            page.get_by_role("button", name="预填模板").click()
        template = tmp_path / download.value.suggested_filename
        download.value.save_as(template)
        assert template.name == f"城东街道{due.year}年{due.month}月招商引资项目推进情况表.xlsx"

        # The 填报员's edits in Excel: 甲 has commenced; 丙's 开工日期 is mistyped.
        sheet = CalamineWorkbook.from_path(str(template)).get_sheet_by_index(0)
        title, header, *rows = sheet.to_python()
        column = header.index("开工日期")
        named = {row[header.index("项目名称")]: row for row in rows}
        assert list(named)[:3] == ["甲项目", "乙项目", "丙项目"] and rows[0][header.index("报告期")] == f"{due:%Y-%m}"
        named["甲项目"][column] = commenced
        named["丙项目"][column] = "2024-13-01"
        cells = [[None if value == "" else value for value in row] for row in rows]
        edited = build.write_xlsx(tmp_path / "城东街道本月.xlsx",
                                  build.Table(header, cells, titles=[title[0]], name=sheet.name))

        page.locator("input[type=file]").set_input_files(str(edited))
        page.get_by_text("可载入 2 行，拒收 1 行").wait_for(timeout=30000)
        reason = "第5行（丙项目）开工日期 '2024-13-01' 不是有效日期，请填写如 2024-03-08"
        page.locator("[data-testid='stDataFrame']").first.filter(has_text=reason).wait_for(timeout=30000)  # cells fill late
        page.get_by_role("tab", name="达到节点（1）").wait_for(timeout=30000)
        wait_run_over(page, timeout=60000)
        page.get_by_role("button", name="确认载入 2 行").click()
        page.get_by_text(re.compile(r"已载入：第2号报送《城东街道本月\.xlsx》，载入 2 行，拒收 1 行")).wait_for(timeout=30000)
        page.wait_for_timeout(1000)
        (ROOT / "test-results").mkdir(exist_ok=True)
        page.screenshot(path=str(ROOT / "test-results" / "submit_loaded.png"), full_page=True)
        assert page.locator("[data-testid='stException']").count() == 0
        page.locator("[data-testid='stDataFrame']").first.filter(has_text="城东街道本月.xlsx").wait_for(timeout=30000)

        grid, count = _library_counts(page, base)
        assert f"{commenced:%Y-%m-%d}" in grid and count == "1"

        page.goto(f"{base}/project?code={code}")
        page.get_by_role("heading", name="甲项目").wait_for(timeout=30000)
        reached = page.locator("[data-testid='stColumn']").filter(has_text=re.compile(r"^●\s*开工"))
        reached.wait_for(timeout=30000)  # the milestones render after the heading
        assert reached.count() == 1 and f"{commenced:%Y-%m-%d}" in reached.text_content()  # the milestone, reached
        page.get_by_role("tab", name="报送历史（2）").click()
        page.wait_for_timeout(1000)
        history = page.locator("[data-testid='stDataFrame']").filter(has_text="城东街道本月.xlsx")
        history.wait_for(timeout=30000)
        assert f"开工日期：（空） → {commenced:%Y-%m-%d}" in history.text_content()
        page.screenshot(path=str(ROOT / "test-results" / "project_after_submit.png"), full_page=True)
        assert page.locator("[data-testid='stException']").count() == 0
