"""系统管理 in Chromium against a real server: an admin lowers a warning threshold on the 规则与权重 tab and the
scheduler's next evaluation shows the warning in its new grade in the 预警中心; a unit user who types /admin gets
no 系统管理.

Each test builds its database (the unit register U01..U03, the accounts, one project's report of last month) before
it starts the server; every date is relative to today, as the scheduler evaluates as of today."""
from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path

import xlsxwriter
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from pipelines.admin import users
from pipelines.ingest.run import ingest_file
from pipelines.months import add_months
from tests.conftest import ADMIN
from tests.server import running_server, wait_run_over
from tests.test_auth_ui import log_in
from tests.test_desk import _last_report

PASSWORD = "admin-browser-password"
HEADERS = ["报告期", "填报单位", "项目名称", "投资方", "产业类别", "计划总投资(万元)", "线索登记日期", "研判通过日期",
           "签约日期", "开工日期"]
PROJECT = "青岚精密轴承项目"
SETTING = "预警阈值 · 签约未开工红色预警（个月）"  # warnings.signed_not_commenced_red_months, 6 in settings.toml
EVALUATE_EVERY_MINUTES = "0.05"  # the scheduler evaluates every 3 s


def _report_last_month(con, tmp_path: Path) -> dt.date:
    """U01's report for last month: PROJECT signed 4 months ago (1 day of that month), not commenced — 黄 while
    签约未开工 turns 红 at 6 months, 红 once it does at 3. Returns the signing date."""
    today = dt.date.today()
    signed = add_months(today.replace(day=1), -4)
    period = add_months(today.replace(day=1), -1)
    path = tmp_path / "U01_last_month.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADERS)
    sheet.write_row(1, 0, [f"{period:%Y-%m}", "U01", PROJECT, "青岚轴承有限公司", "制造业", 30000,
                           f"{signed - dt.timedelta(days=60):%Y-%m-%d}", f"{signed - dt.timedelta(days=30):%Y-%m-%d}",
                           f"{signed:%Y-%m-%d}", ""])
    book.close()
    report = ingest_file(con, path, ADMIN)
    assert (report.status, report.rows_loaded) == ("loaded", 1), report.as_json()
    return signed


def _open_warnings_text(page, base: str) -> str:
    """The 预警中心's open-warnings grid as text, freshly loaded ('' while it shows no warning)."""
    page.goto(f"{base}/warnings")
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.or_(page.get_by_text("没有符合条件的在办预警。")).first.wait_for(timeout=30000)
    page.wait_for_timeout(1000)  # the grid fills its cells after it appears
    return grid.text_content() if grid.count() else ""


def _row(grade: str, detail: str) -> re.Pattern:
    """An open-warnings row as the grid's text has it: 等级, 预警规则, 招商单元, 对象 (the project code), 详情."""
    return re.compile(rf"{grade}签约未开工经济开发区ZS\d{{6}}{re.escape(detail)}")


def _wait_for_warning(page, base: str, expected: re.Pattern, within_s: float = 40) -> str:
    """Reload the 预警中心 every 2 s until its open warnings show `expected`; the last text seen."""
    deadline = time.monotonic() + within_s
    while True:
        text = _open_warnings_text(page, base)
        if expected.search(text) or time.monotonic() > deadline:
            return text
        page.wait_for_timeout(2000)


def test_admin_lowers_the_red_threshold_and_the_warning_turns_red(units, tmp_path, browser):
    """An admin sets 签约未开工's red threshold from 6 to 3 months on 规则与权重; the scheduler's next run turns the
    project's 4-month 签约未开工 warning in the 预警中心 from 黄 to 红."""
    users.create_user(units, ADMIN, "admin", "管理员", "admin", PASSWORD)
    signed = _report_last_month(units, tmp_path)
    units.close()
    detail = f"{PROJECT}：签约于 {signed:%Y-%m-%d}，已 4 个月"
    with running_server(tmp_path / "test.duckdb", {"ZS_SCHEDULER_EVALUATE_INTERVAL_MINUTES": EVALUATE_EVERY_MINUTES}) as base:
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        log_in(page, base, "admin", PASSWORD)
        before = _wait_for_warning(page, base, _row("黄", detail))  # the scheduler's first run, at its start
        assert _row("黄", detail).search(before) and "红签约未开工" not in before, before

        page.goto(f"{base}/admin")
        page.get_by_role("heading", name="系统管理").wait_for(timeout=30000)
        page.get_by_role("tab", name="规则与权重").click()
        page.get_by_text("修改设置", exact=True).wait_for(timeout=30000)
        picker = page.locator("[data-testid='stSelectbox']").filter(has=page.get_by_text("设置", exact=True))
        picker.locator("input").click()  # the list is long and virtual: open it, filter it, then pick
        picker.locator("input").press_sequentially("签约未开工")
        page.get_by_role("option", name=SETTING, exact=True).click()
        form = page.locator("[data-testid='stForm']").filter(has_text="设置文件值：6个月；当前值：6个月")
        form.wait_for(timeout=30000)
        # the previous setting's form may linger for a moment while the page reruns: wait for the one field
        expect(form.get_by_label("新值")).to_have_count(1, timeout=30000)
        wait_run_over(page, timeout=60000)
        form.get_by_label("新值").fill("3")
        form.get_by_role("button", name="保存", exact=True).click()
        page.get_by_text("已将“签约未开工红色预警（个月）”改为 3个月").wait_for(timeout=30000)

        after = _wait_for_warning(page, base, _row("红", detail))
        assert _row("红", detail).search(after) and "黄签约未开工" not in after, after
        assert page.locator("[data-testid='stException']").count() == 0


def test_unit_user_typing_admin_gets_its_own_page_and_a_not_found_notice(units, tmp_path, browser):
    """u02 opening /admin by address gets the notice "页面不存在或无权访问" (app.py's, shown by the landing page's run:
    Streamlit's own dialog was lost now and then, its message dropped by the switch to the landing page) over its
    own 单元看板 (/unit), with no 系统管理 heading, menu entry, tabs or unit register."""
    users.create_user(units, ADMIN, "u02", "城东街道填报员", "unit", PASSWORD, "U02")
    _last_report(units, tmp_path)
    units.close()
    with running_server(tmp_path / "test.duckdb") as base:
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        log_in(page, base, "u02", PASSWORD)
        page.goto(f"{base}/admin")
        notice = page.get_by_role("dialog")
        try:
            notice.wait_for(timeout=30000)
        except PlaywrightTimeout:  # say what the screen showed instead
            raise AssertionError(f"no dialog at {page.url}: {page.locator('body').inner_text()[:1500]}") from None
        expect(notice).to_contain_text("页面不存在或无权访问", timeout=10000)  # translated as it appears
        assert "您打开的页面不存在，或您的账户无权访问，已为您打开首页。" in notice.text_content()
        page.get_by_role("heading", name="单元看板").wait_for(timeout=30000)
        page.wait_for_timeout(1000)
        assert re.fullmatch(rf"{re.escape(base)}/unit\?unit=U02", page.url), page.url
        assert page.get_by_role("heading", name="系统管理").count() == 0
        body = page.locator("body").inner_text()
        assert "系统管理" not in body and "仅系统管理员可用" not in body
        assert page.get_by_role("tab", name="规则与权重").count() == 0 and page.get_by_role("tab", name="单元").count() == 0
        assert "经济开发区" not in body and "城西街道" not in body  # no register of the other units
