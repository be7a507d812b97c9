"""单元看板 and 项目详情 on a phone (390×844) in Chromium against a real server: a unit user logged in through the
form lands on its unit's page, one column wide with every section and its key figures; a warning's notification
links (alerts.notify.item_link) open 项目详情 and 单元看板 after the login they lead to. Nothing on either page
is wider than the screen.

The database: the register (U01..U03), U01's user and last month's report of U01 (a signed project not commenced,
which the rules warn about red, and a commenced one), U01's targets for the year, the warnings evaluated today.
Every date is relative to today, as the live pages are."""
from __future__ import annotations

import datetime as dt

import xlsxwriter

from alerts.evaluate import evaluate
from alerts.notify import item_link
from alerts.rules import RULE_BY_ID
from pipelines.admin import users
from pipelines.ingest.run import ingest_file
from pipelines.screens import unit as unit_screen
from tests.conftest import ADMIN
from tests.server import ROOT, running_server, wait_run_over
from tests.test_auth_ui import log_in
from ui import format

PASSWORD = "phone-password"
PHONE = {"width": 390, "height": 844}
HEADERS = ["报告期", "填报单位", "项目名称", "投资方", "产业类别", "计划总投资(万元)", "线索登记日期", "研判通过日期",
           "签约日期", "开工日期", "联系人", "联系电话"]
# Long enough to run off a phone if a cell did not wrap.
INVESTOR = "青岚高端智能装备制造与新材料研发产业投资集团有限责任公司"
UNIT_SECTIONS = ("得分构成", "目标差距与建议", "逾期未更新项目", "在办预警")
UNIT_TABS = ("得分明细", "月度走势", "报送记录")
UNIT_CARDS = ("考核得分", "全县排名", "园区组排名", "在办预警", "逾期未更新项目")
PROJECT_SECTIONS = ("项目节点",)
PROJECT_CARDS = ("所处阶段", "项目状态", "计划总投资(亿元)", "规模档次", "在办预警")
PROJECT_TABS = ("项目信息", "报送历史", "预警")
PROJECT_FIELDS = ("投资方", "统一社会信用代码", "计划总投资(万元)", "累计完成投资(万元)", "联系人", "联系电话", "首次登记")


def _ago(days: int) -> str:
    return f"{dt.date.today() - dt.timedelta(days=days):%Y-%m-%d}"


def _widths(page) -> dict:
    """How wide the document, the main area and the widest element are, against the viewport."""
    return page.evaluate("""() => {
        const main = document.querySelector('[data-testid="stMain"]');
        const right = Math.max(...[...main.querySelectorAll('*')].filter(e => e.offsetParent !== null)
            .map(e => e.getBoundingClientRect().right));
        return {viewport: window.innerWidth, doc: document.documentElement.scrollWidth, main: main.scrollWidth,
                right: right};
    }""")


def _assert_fits(page, where: str) -> None:
    sizes = _widths(page)
    assert sizes["doc"] <= sizes["viewport"] and sizes["main"] <= sizes["viewport"], (where, sizes)
    assert sizes["right"] <= sizes["viewport"] + 1, (where, sizes)


def _headings(page) -> list[str]:
    return page.locator("h1, h2, h3").all_inner_texts()


def _build(con, folder) -> tuple[unit_screen.UnitView, dict]:
    """U01's last-month report, targets and warnings; U01's page as the screen computes it and the red warning of
    its signed project (the item a notification carries)."""
    users.create_user(con, ADMIN, "u01", "开发区填报员", "unit", PASSWORD, "U01")
    period = f"{dt.date.today().replace(day=1) - dt.timedelta(days=1):%Y-%m}"
    path = folder / "u01.xlsx"
    with xlsxwriter.Workbook(path) as book:
        sheet = book.add_worksheet()
        sheet.write_row(0, 0, HEADERS)
        sheet.write_row(1, 0, [period, "U01", "城南智造产业园", INVESTOR, "制造业", 80000, _ago(300), _ago(280),
                               _ago(200), "", "王小明", "13812341234"])
        sheet.write_row(2, 0, [period, "U01", "青岚康养小镇", "青岚康养集团", "康养", 150000, _ago(200), _ago(150),
                               _ago(120), _ago(60), "李丽", "13900001111"])
    report = ingest_file(con, path, ADMIN)
    assert (report.status, report.rows_loaded) == ("loaded", 2), report.as_json()
    con.execute("INSERT INTO targets (submission_id, received_at, year, unit_code, signed_major, signed_amount_wan, "
                "commenced, production) VALUES (1, now(), ?, 'U01', 4, 300000, 3, 1)", [dt.date.today().year])
    evaluate(con, dt.date.today())
    view = unit_screen.unit_view(con, "U01", dt.date.today())
    warnings = view.warnings
    project_warnings = warnings[[RULE_BY_ID[r].subject_kind == "project" for r in warnings["rule"]]]
    red = project_warnings[project_warnings["grade"] == "red"].iloc[0].to_dict()
    return view, red


def test_unit_and_project_pages_fit_a_phone(units, tmp_path, browser):
    """At 390×844 u01 lands on 单元看板: its five cards, every section's heading and the three tabs, the score and
    each ledger item's points as the screen computes them, the red warning's rule; the trend's chart (its tab)
    fits too. The red warning's link to 项目详情, opened logged out, asks for the login and then shows the
    project: milestones, the three tabs, its facts with the investor's long name whole, its warning. The unit's
    link opens 单元看板. Nowhere is the document, the main area or any element wider than the screen."""
    view, red = _build(units, tmp_path)
    units.close()
    with running_server(tmp_path / "test.duckdb") as base:
        page = browser.new_page(viewport=PHONE)
        log_in(page, base, "u01", PASSWORD)
        assert page.url.split("?")[0].rstrip("/").endswith("/unit")
        page.get_by_role("heading", name="在办预警", exact=False).wait_for(timeout=60000)
        wait_run_over(page)
        headings = _headings(page)
        assert all(any(h.startswith(s) for h in headings) for s in UNIT_SECTIONS), headings
        assert page.get_by_role("tab").all_inner_texts() == list(UNIT_TABS)
        page.locator("[data-testid='stMetricLabel']").nth(len(UNIT_CARDS) - 1).wait_for(timeout=60000)
        labels = page.locator("[data-testid='stMetricLabel']").all_inner_texts()
        assert [label.strip() for label in labels] == list(UNIT_CARDS)
        values = page.locator("[data-testid='stMetricValue']").all_inner_texts()
        assert values[0] == format.points(view.score) and values[1] == f"第 {view.rank} 名"
        score = page.locator(".zs-table").first
        for item in view.score_items:  # each item a block of its own, with its points
            block = score.locator("tr").filter(has=page.locator("td:first-child", has_text=item.label))
            points = "不计分" if item.points is None and item.target is not None else format.points(item.points)
            assert block.locator("td[data-label='得分']").inner_text() == points, item.label
            assert block.is_visible()
        assert page.locator(".zs-table tr.zs-red").filter(has_text=red["rule_name"]).count() >= 1
        _assert_fits(page, "单元看板")
        (ROOT / "test-results").mkdir(exist_ok=True)
        page.screenshot(path=str(ROOT / "test-results" / "phone_unit.png"))

        page.get_by_role("tab", name="月度走势").click()
        page.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=60000)
        wait_run_over(page)
        _assert_fits(page, "月度走势")

        link = item_link(red, base)
        unit_link = item_link({"rule": "report_missing", "subject": "U01", "unit": "U01"}, base)
        assert link == f"{base}/project?code={red['subject']}" and unit_link == f"{base}/unit?unit=U01"
        phone = browser.new_page(viewport=PHONE)  # another browser context: logged out
        phone.goto(link)
        phone.locator("input[name=username]").fill("u01", timeout=60000)
        phone.locator("input[name=password]").fill(PASSWORD)
        with phone.expect_navigation():
            phone.locator("form[action='/api/login'] button").click()
        phone.get_by_role("heading", name="项目节点").wait_for(timeout=60000)
        wait_run_over(phone)
        assert f"/project?code={red['subject']}" in phone.url
        assert phone.locator("h1").first.inner_text() == "城南智造产业园"
        assert all(s in _headings(phone) for s in PROJECT_SECTIONS)
        # the page may run once more after the login's redirect: wait for its last card rather than read at once
        phone.locator("[data-testid='stMetricLabel']").nth(len(PROJECT_CARDS) - 1).wait_for(timeout=60000)
        wait_run_over(phone)
        cards = dict(zip([label.strip() for label in phone.locator("[data-testid='stMetricLabel']").all_inner_texts()],
                         phone.locator("[data-testid='stMetricValue']").all_inner_texts()))
        assert list(cards) == list(PROJECT_CARDS)
        assert (cards["所处阶段"], cards["计划总投资(亿元)"], cards["在办预警"]) == ("签约", "8.00", "1 条")
        assert [t.split("（")[0] for t in phone.get_by_role("tab").all_inner_texts()] == list(PROJECT_TABS)
        fields = dict(zip(phone.locator(".zs-fields dt").all_inner_texts(),
                          phone.locator(".zs-fields dd").all_inner_texts()))
        assert all(label in fields for label in PROJECT_FIELDS), fields
        assert fields["投资方"] == INVESTOR and fields["计划总投资(万元)"] == "80,000.00"
        assert fields["联系人"] == "王小明"  # the unit's own project: in full
        _assert_fits(phone, "项目详情")
        phone.screenshot(path=str(ROOT / "test-results" / "phone_project.png"))
        phone.get_by_role("tab", name="预警").click()
        phone.locator(".zs-table tr.zs-red").filter(has_text=red["rule_name"]).wait_for(timeout=60000)
        _assert_fits(phone, "项目详情 · 预警")

        phone.goto(unit_link)
        phone.get_by_role("heading", name="得分构成").wait_for(timeout=60000)
        wait_run_over(phone)
        assert phone.url.endswith("/unit?unit=U01")
        _assert_fits(phone, "单元看板 from its link")
        phone.close()
        page.close()
