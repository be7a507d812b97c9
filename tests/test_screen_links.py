"""pipelines.admin.screen_links and the pages' side of it: a big-screen link created by an admin (its secret shown once,
kept only as a digest) opens the big screen of the county or of one unit without a login, for as long as it is not
revoked (a session ends after 7 days; a link does not), and nothing else — the navigation registers the big screen
alone and the API refuses it; a revoked link shows why instead of the data; a wall's visits are recorded at most
every 10 minutes."""
from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json

import pytest
from argon2 import PasswordHasher
from starlette.applications import Starlette
from streamlit.testing.v1 import AppTest

import api
import app
from pipelines.access import SCREEN, Actor, landing_path
from pipelines.admin import screen_links, users
from pipelines.store import db
from tests.conftest import ADMIN
from tests.server import ROOT, running_server, wait_run_over
from tests.test_app import _load_sample
from tests.test_auth_ui import log_in
from ui import widgets
from ui.auth import TEST_ACTOR_KEY

T0 = dt.datetime(2025, 3, 3, 9, 0)
LEADER = Actor("leader", "leader")
UNIT_USER = Actor("u02", "unit", "U02")


def _audit(con) -> list[tuple]:
    rows = con.execute("SELECT actor, action, subject, detail FROM audit_log WHERE action LIKE 'screen_link.%' "
                       "ORDER BY id").fetchall()
    return [(actor, action, subject, json.loads(detail)) for actor, action, subject, detail in rows]


def _last_seen(con, link_id: int) -> dt.datetime | None:
    return con.execute("SELECT last_seen_at FROM screen_links WHERE id = ?", [link_id]).fetchone()[0]


def test_a_link_is_shown_once_and_stored_only_as_its_digest(units):
    """The secret is zss_ plus 43 URL-safe characters; the database keeps its SHA-256 and its first 8 characters,
    never the secret; the creation is audited with the label and the unit; the address opens the big screen in kiosk
    mode."""
    secret = screen_links.create_link(units, ADMIN, " 三楼会商室大屏 ", now=T0)
    assert secret.startswith("zss_") and len(secret) == 47
    assert units.execute("SELECT id, label, unit_code, secret_hash, shown, created_at, created_by, last_seen_at, "
                         "revoked_at FROM screen_links").fetchall() == [
        (1, "三楼会商室大屏", None, hashlib.sha256(secret.encode()).hexdigest(), secret[:8], T0, ADMIN.name, None, None)]
    assert _audit(units) == [(ADMIN.name, "screen_link.created", "三楼会商室大屏", {"link_id": 1, "unit": None})]
    assert screen_links.address("https://zs.example.gov.cn/", secret) == \
        f"https://zs.example.gov.cn/cockpit?kiosk=1&screen={secret}"


def test_a_link_resolves_to_a_read_only_screen_of_its_scope(units):
    """A county link is a screen reading every unit, a unit's link a screen reading that unit; neither may submit,
    and both land on the big screen."""
    county = screen_links.create_link(units, ADMIN, "会商室", now=T0)
    unit = screen_links.create_link(units, ADMIN, "城东街道大厅", "U02", now=T0)
    assert screen_links.resolve(units, county, now=T0) == Actor("screen-1", SCREEN, None)
    assert screen_links.resolve(units, unit, now=T0) == Actor("screen-2", SCREEN, "U02")
    scopes = [(a.unit_scope, a.may_submit, landing_path(a)) for a in
              (screen_links.resolve(units, county, now=T0), screen_links.resolve(units, unit, now=T0))]
    assert scopes == [(None, False, "/cockpit"), ("U02", False, "/cockpit")]


@pytest.mark.parametrize("actor", [LEADER, UNIT_USER])
def test_only_admins_create_and_revoke_links(units, actor):
    """A leader or a unit user may neither create nor revoke a link; nothing is written."""
    screen_links.create_link(units, ADMIN, "会商室", now=T0)
    with pytest.raises(PermissionError, match="不是管理员，不能管理大屏链接"):
        screen_links.create_link(units, actor, "我的大屏", now=T0)
    with pytest.raises(PermissionError, match="不是管理员，不能管理大屏链接"):
        screen_links.revoke_link(units, actor, 1, now=T0)
    assert units.execute("SELECT count(*), count(revoked_at) FROM screen_links").fetchone() == (1, 0)
    assert len(_audit(units)) == 1


@pytest.mark.parametrize("label, unit, message", [
    ("  ", None, "请写明大屏链接用于哪块屏幕"),
    ("", "U02", "请写明大屏链接用于哪块屏幕"),
    ("新区大屏", "U09", "单元 U09 不在单元名录中"),
])
def test_creation_refused(units, label, unit, message):
    """No link without a label, nor for a unit not in the register."""
    with pytest.raises(ValueError, match=message):
        screen_links.create_link(units, ADMIN, label, unit, now=T0)
    assert units.execute("SELECT count(*) FROM screen_links").fetchone()[0] == 0


def test_a_link_outlives_any_session(units, monkeypatch):
    """A session opened with the link ends at its 168-hour limit; the link still shows the screen 8 days and 400 days
    on, each visit after 10 minutes recorded."""
    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    users.create_demo_accounts(units, ADMIN, now=T0)
    token, _ = users.login(units, "leader", "demo", now=T0)
    secret = screen_links.create_link(units, ADMIN, "会商室", now=T0)
    for later in (dt.timedelta(days=8), dt.timedelta(days=400)):
        assert users.resolve_session(units, token, now=T0 + later) is None
        assert screen_links.resolve(units, secret, now=T0 + later) == Actor("screen-1", SCREEN, None)
        assert _last_seen(units, 1) == T0 + later


def test_revoked_and_unknown_links_are_refused_with_the_reason(units):
    """A revoked link says so (audited once, with its label); a secret nobody created, an API token, an empty or
    missing one are unknown; revoking twice or an unknown id is refused."""
    secret = screen_links.create_link(units, ADMIN, "会商室", "U01", now=T0)
    screen_links.revoke_link(units, ADMIN, 1, now=T0 + dt.timedelta(hours=1))
    with pytest.raises(screen_links.LinkRefused) as refused:
        screen_links.resolve(units, secret, now=T0 + dt.timedelta(hours=2))
    assert str(refused.value) == "此大屏链接已被撤销，请联系管理员"
    for other in ("zss_" + "x" * 43, "zsk_" + secret[4:], secret[:-1], "", None):
        with pytest.raises(screen_links.LinkRefused) as refused:
            screen_links.resolve(units, other, now=T0)
        assert str(refused.value) == "此大屏链接无效，请核对链接或联系管理员"
    for link_id in (1, 99):
        with pytest.raises(ValueError, match=f"大屏链接 {link_id} 不存在或已撤销"):
            screen_links.revoke_link(units, ADMIN, link_id, now=T0)
    assert units.execute("SELECT revoked_at, revoked_by FROM screen_links").fetchall() == [
        (T0 + dt.timedelta(hours=1), ADMIN.name)]
    assert [a[1:] for a in _audit(units)] == [("screen_link.created", "会商室", {"link_id": 1, "unit": "U01"}),
                                              ("screen_link.revoked", "会商室", {"link_id": 1, "unit": "U01"})]


def test_a_wall_is_seen_at_most_every_ten_minutes(units):
    """The first visit is recorded; one 9 min 59 s later is not; one 10 minutes after the recorded one is."""
    secret = screen_links.create_link(units, ADMIN, "会商室", now=T0)
    visits = [(T0 + dt.timedelta(hours=1), T0 + dt.timedelta(hours=1)),
              (T0 + dt.timedelta(hours=1, minutes=9, seconds=59), T0 + dt.timedelta(hours=1)),
              (T0 + dt.timedelta(hours=1, minutes=10), T0 + dt.timedelta(hours=1, minutes=10))]
    for visit, recorded in visits:
        screen_links.resolve(units, secret, now=visit)
        assert _last_seen(units, 1) == recorded, visit


def test_list_names_each_links_scope_and_state(units):
    """Newest first, with the unit's name (None for the county); 'showing' while the last visit is within 10 minutes
    plus two refreshes (60 s each: 12 minutes), 'quiet' from then on or when never seen, 'revoked' once revoked."""
    for label, unit in (("会商室", None), ("开发区大厅", "U01"), ("旧屏", None)):
        secret = screen_links.create_link(units, ADMIN, label, unit, now=T0)
        screen_links.resolve(units, secret, now=T0)
    screen_links.revoke_link(units, ADMIN, 3, now=T0)
    units.execute("UPDATE screen_links SET last_seen_at = NULL WHERE id = 2")
    listed = screen_links.list_links(units, 60, now=T0 + dt.timedelta(minutes=11, seconds=59))
    assert listed[["id", "label", "unit_code", "unit_name", "state"]].fillna("—").values.tolist() == [
        [3, "旧屏", "—", "—", "revoked"], [2, "开发区大厅", "U01", "经济开发区", "quiet"], [1, "会商室", "—", "—", "showing"]]
    assert screen_links.list_links(units, 60, now=T0 + dt.timedelta(minutes=12))["state"].tolist() == [
        "revoked", "quiet", "quiet"]


def test_the_api_refuses_a_screen_link_as_a_bearer_token(units):
    """/api/report with a live link's secret as the bearer token is 401, saying a link is not an API token."""
    secret = screen_links.create_link(units, ADMIN, "会商室", now=T0)
    units.close()
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/api/report", "root_path": "", "query_string": b"as_of=2025-03-03",
             "headers": [(b"authorization", f"Bearer {secret}".encode())], "client": ("127.0.0.1", 5000),
             "server": ("127.0.0.1", 8501), "scheme": "http"}
    asyncio.run(Starlette(routes=api.ROUTES)(scope, receive, send))
    assert sent[0]["status"] == 401
    assert json.loads(sent[1]["body"]) == {
        "error": "invalid_token", "message": "大屏链接不是 API 令牌，只能用于打开大屏；API 令牌由管理员在“系统管理 · 集成”中创建"}


def _open(**query: str) -> AppTest:
    """The dashboard opened by a browser with no session cookie, at this query."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def test_a_link_opens_the_big_screen_alone_and_stops_once_revoked(units):
    """Opened with ?screen= and no login, the dashboard shows the big screen (no login form) and keeps the link and
    kiosk mode in the address; no other page is registered; after the link is revoked the next run shows the reason
    and no big screen."""
    secret = screen_links.create_link(units, ADMIN, "会商室", now=T0)
    units.close()
    at = _open(screen=secret)
    assert not at.exception
    assert 'name="password"' not in "".join(element.value for element in at.html)
    assert [info.value for info in at.info] == [widgets.NO_DATA]  # the big screen of an empty store
    assert (at.query_params["screen"], at.query_params["kiosk"]) == (secret, "1")
    for other in [p[0] for p in app.PAGES if p[0] != "pages/cockpit.py"]:
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(other)
    with db.cursor() as cur:
        screen_links.revoke_link(cur, ADMIN, 1)
    at.run()
    assert not at.exception
    page = "".join(element.value for element in at.html)
    assert "此大屏链接已被撤销，请联系管理员" in page and 'name="password"' not in page and not at.info


def test_navigation_registers_only_the_big_screen_for_a_screen(units):
    """A screen actor (of a unit's link) gets the big screen and nothing else; the big screen opens."""
    units.close()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state[TEST_ACTOR_KEY] = Actor("screen-1", SCREEN, "U02")
    at.run()
    assert not at.exception
    for other in [p[0] for p in app.PAGES if p[0] != "pages/cockpit.py"]:
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(other)
    at.switch_page("pages/cockpit.py").run()
    assert not at.exception


def test_a_wall_shows_the_big_screen_logged_out_until_the_link_is_revoked(units, tmp_path, browser, monkeypatch):
    """In Chromium with no session: the link shows the big screen in kiosk mode (no login form, no menu); another
    page's address (the first a fresh server serves) and a reload show it too; once an admin revokes the link on 集成,
    the open wall shows the reason at its next refresh (5 s) without a reload, and no panel of the big screen."""
    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    users.create_demo_accounts(units, ADMIN)
    _load_sample(units, tmp_path)
    secret = screen_links.create_link(units, ADMIN, "三楼会商室大屏")
    units.close()
    with running_server(tmp_path / "test.duckdb", {"ZS_SCREEN_REFRESH_SECONDS": "5"}) as base:
        wall = browser.new_page(viewport={"width": 1920, "height": 1080})
        link = screen_links.address(base, secret)
        # First on the fresh server another page's address: it falls back to the big screen, the link kept.
        for opened in (lambda: wall.goto(f"{base}/projects?screen={secret}"), lambda: wall.goto(link), wall.reload):
            opened()
            wall.get_by_text("招引智控 · 领导驾驶舱").first.wait_for(timeout=30000)
            assert wall.url == link
            assert wall.locator("input[name=password]").count() == 0 and wall.get_by_text("项目库").count() == 0
            assert not wall.locator("[data-testid='stSidebar']").is_visible()
        admin = browser.new_page(viewport={"width": 1600, "height": 1000})
        log_in(admin, base, "admin", "demo")
        admin.goto(f"{base}/admin")
        admin.get_by_role("tab", name="集成").click()
        admin.get_by_text("撤销大屏链接", exact=True).wait_for(timeout=30000)
        wait_run_over(admin, timeout=60000)
        admin.locator("button").filter(has_text="撤销").first.click()
        admin.get_by_text("已撤销大屏链接 1").wait_for(timeout=30000)
        wall.get_by_text("此大屏链接已被撤销，请联系管理员").wait_for(timeout=20000)
        assert wall.get_by_text("招引智控 · 领导驾驶舱").count() == 0
