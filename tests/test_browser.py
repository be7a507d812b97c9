"""In a real browser: the server started by `streamlit run app.py` shows the 项目库 with the loaded projects."""
from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from tests.server import CHROMIUM, CHROMIUM_ARGS, ROOT, running_server
from tests.test_app import ROWS, _load_sample


@pytest.fixture
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def test_project_library_in_browser(units, tmp_path, browser):
    """Opening the dashboard lands on 项目库, which lists every project by name with no error shown."""
    _load_sample(units, tmp_path)
    units.close()
    with running_server(tmp_path / "test.duckdb") as base:
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(base)
        page.get_by_role("heading", name="项目库").wait_for(timeout=30000)
        page.locator("[data-testid='stDataFrame']").wait_for(timeout=30000)
        page.wait_for_timeout(1000)
        (ROOT / "test-results").mkdir(exist_ok=True)
        page.screenshot(path=str(ROOT / "test-results" / "project_library.png"), full_page=True)
        assert page.locator("[data-testid='stException']").count() == 0
        assert page.get_by_text("项目数").is_visible()
        # The grid draws on a canvas; its accessible table carries the cell text.
        grid_text = page.locator("[data-testid='stDataFrame']").text_content()
        for row in ROWS:
            assert row[2] in grid_text
