"""Every page in Chromium as its users open it, on the demo county: an admin on a 390-pixel phone and at 1366×768, a
unit user at 1366×768. No page raises, none is wider than the screen, and nothing a user can read is English
(Streamlit's own texts are put in Chinese by ui.chinese; icons, which are drawn from a font of ligatures, and file
formats such as Excel are not words to translate). A unit user who opens a page of another role (a link forwarded
to them) is told so in Chinese and lands on their own page. The big screen at every size: tests/test_cockpit_sizes.py;
单元看板 and 项目详情 on a phone in detail: tests/test_phone_pages.py."""
from __future__ import annotations

import re
import shutil

import pytest

from tests.server import running_server, wait_run_over
from tests.test_auth_ui import log_in

ADMIN_PAGES = ("cockpit", "unit", "ranking", "bulletin", "submit", "projects", "warnings", "tasks", "problems", "admin",
               "project?code=ZS000046")
UNIT_PAGES = ("unit", "ranking", "submit", "projects", "warnings", "tasks", "problems", "project?code=ZS000046")
# Words that are names, not language: file formats a user picks.
ALLOWED = {"Excel", "Word", "zip", "CSV", "XLSX", "XLS"}
# The text a user can see: text nodes that take room, are not hidden, not drawn in an icon font, not the skip link.
VISIBLE_TEXT = """() => {
    const out = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const node = walker.currentNode, element = node.parentElement;
        if (!element || element.closest('script, style, [data-testid="stIconMaterial"]')) continue;
        const style = getComputedStyle(element);
        if (style.fontSize === '0px' || style.visibility === 'hidden' || style.fontFamily.includes('Material')) continue;
        const box = element.getBoundingClientRect();
        if (box.width === 0 || box.height === 0) continue;
        out.push(node.nodeValue);
    }
    return out.join(' ');
}"""
# A page is there once its title is: a heading, or the big screen's header.
TITLED = "document.querySelector('[data-testid=\"stMain\"] h1, [data-testid=\"stMain\"] .zs-header') !== null"


def _english(text: str) -> list[str]:
    """Words of two or more Latin letters standing alone (not part of a code such as ZS000046)."""
    return sorted({w for w in re.findall(r"(?<![A-Za-z0-9_])[A-Za-z]{2,}(?![A-Za-z0-9_])", text)} - ALLOWED)


def _check(page, base: str, path: str) -> None:
    page.goto(f"{base}/{path}")
    wait_run_over(page, TITLED)
    page.wait_for_timeout(300)  # the translation runs as elements appear
    assert page.locator("[data-testid='stException']").count() == 0, path
    wide, screen = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert wide <= screen, (path, wide, screen)
    assert _english(page.evaluate(VISIBLE_TEXT)) == [], path


@pytest.mark.parametrize("size", [(390, 844), (1366, 768)], ids=["phone", "1366x768"])
def test_every_page_of_an_admin_fits_and_speaks_chinese(demo_county, tmp_path, browser, size):
    database = tmp_path / "demo.duckdb"
    shutil.copy(demo_county, database)
    with running_server(database, {"ZS_SCHEDULER_ENABLED": "false"}) as base:
        page = browser.new_page(viewport={"width": size[0], "height": size[1]})
        log_in(page, base, "admin", "demo")
        for path in ADMIN_PAGES:
            _check(page, base, path)


def test_a_unit_user_on_every_page_and_on_one_not_theirs(demo_county, tmp_path, browser):
    database = tmp_path / "demo.duckdb"
    shutil.copy(demo_county, database)
    with running_server(database, {"ZS_SCHEDULER_ENABLED": "false"}) as base:
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        log_in(page, base, "u01", "demo")
        for path in UNIT_PAGES:
            _check(page, base, path)
        page.goto(f"{base}/bulletin")  # an admin's page: Streamlit's dialog, in Chinese, over the unit's own page
        page.get_by_text("页面不存在或无权访问").wait_for(timeout=30000)
        page.get_by_text("您打开的页面不存在，或您的账户无权访问，已为您打开首页。").wait_for(timeout=30000)
        assert _english(page.evaluate(VISIBLE_TEXT)) == []
