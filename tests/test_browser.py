"""In a real browser: the server started by `streamlit run app.py` shows the 项目库 with the loaded projects, its
table toolbar in Chinese."""
from __future__ import annotations

from pipelines.admin import users
from tests.conftest import ADMIN
from tests.server import ROOT, running_server
from tests.test_app import ROWS, _load_sample
from tests.test_auth_ui import log_in


def test_project_library_in_browser(units, tmp_path, browser):
    """Logged in through the form, the 项目库 lists every project by name with no error shown."""
    _load_sample(units, tmp_path)
    users.create_user(units, ADMIN, "admin", "管理员", "admin", "admin-password")
    units.close()
    with running_server(tmp_path / "test.duckdb") as base:
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        log_in(page, base, "admin", "admin-password")
        page.goto(f"{base}/projects")
        page.get_by_role("heading", name="项目库").wait_for(timeout=30000)
        # the grid fills its cells after it appears
        page.locator("[data-testid='stDataFrame']").filter(has_text=ROWS[0][2]).wait_for(timeout=30000)
        page.wait_for_timeout(500)
        (ROOT / "test-results").mkdir(exist_ok=True)
        page.screenshot(path=str(ROOT / "test-results" / "project_library.png"), full_page=True)
        assert page.locator("[data-testid='stException']").count() == 0
        assert page.get_by_text("项目数").is_visible()
        # The grid draws on a canvas; its accessible table carries the cell text.
        grid_text = page.locator("[data-testid='stDataFrame']").text_content()
        for row in ROWS:
            assert row[2] in grid_text
        # Streamlit's table toolbar speaks Chinese (ui.chinese): its buttons and the tooltip of the one hovered.
        page.locator("[data-testid='stDataFrame']").first.hover()
        toolbar = page.locator("[data-testid='stElementToolbar'] button")
        toolbar.first.wait_for(timeout=10000)
        labels = [toolbar.nth(i).get_attribute("aria-label") for i in range(toolbar.count())]
        assert "下载表格" in labels and "搜索" in labels and "全屏" in labels
        assert not [label for label in labels if any("a" <= c.lower() <= "z" for c in label or "")]
        toolbar.last.hover()
        page.locator("[data-testid='stTooltipContent']").filter(has_text="全屏").wait_for(timeout=10000)
