"""Logging in through the pages and the HTTP routes: the login screen in place of any page, the demo accounts
listed only in a demo database, the Actor's unit scope enforced where the 项目库 reads, and a real server that
sets and deletes the session cookie (HTTP and a real browser)."""
from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

import app
from pipelines.access import Actor, landing_path
from pipelines.admin import users
from pipelines.store import db
from tests.server import ROOT, running_server
from tests.test_app import ROWS, _load_sample
from ui.auth import TEST_ACTOR_KEY

U02_USER = Actor("u02", "unit", "U02")


def _app(actor: Actor | None = None, script: str = "app.py", **query: str) -> AppTest:
    """A script (the dashboard's entry point unless named) run once as `actor` (None: nobody logged in), with
    these query parameters."""
    at = AppTest.from_file(str(ROOT / script), default_timeout=30)
    if actor is not None:
        at.session_state[TEST_ACTOR_KEY] = actor
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def _page_html(at: AppTest) -> str:
    return "".join(element.value for element in at.html)


@pytest.fixture
def library(units, tmp_path):
    """The 项目库 sample (two U01 projects, one U02) loaded; the database closed for the page to open."""
    _load_sample(units, tmp_path)
    return units


def test_nobody_logged_in_gets_the_login_form_and_no_data(library):
    """Without a session the page shows the login form posting to /api/login, no project and no demo list."""
    library.close()
    at = _app()
    assert not at.exception
    page = _page_html(at)
    assert '<form method="post" action="/api/login">' in page
    assert 'name="username"' in page and 'type="password"' in page and "登录" in page
    assert "演示模式" not in page
    assert len(at.dataframe) == 0 and len(at.title) == 0


def test_demo_database_lists_its_accounts_on_the_login_screen(units):
    """In a demo database the login screen names each demo account and the password demo."""
    users.create_demo_accounts(units, Actor("演示数据", "admin"))
    units.close()
    page = _page_html(_app())
    assert "演示模式" in page and "<code>demo</code>" in page
    for name in ("admin", "leader", "u01", "u02", "u03"):
        assert f"<code>{name}</code>" in page
    assert "城东街道填报员" in page


@pytest.mark.parametrize("reason, message", [
    ("invalid", "用户名或密码错误。"),
    ("locked", "连续 5 次密码错误，账户已锁定 15 分钟。"),
    ("disabled", "该账户已停用，请联系管理员。"),
])
def test_a_refused_login_says_why_and_keeps_the_name(con, reason, message):
    """Sent back by /api/login with ?login=REASON&user=NAME, the screen says why in Chinese and refills the name
    (escaped: the URL is not trusted)."""
    con.close()
    page = _page_html(_app(login=reason, user='u02"><b>x'))
    assert message in page
    assert 'value="u02&quot;&gt;&lt;b&gt;x"' in page


def test_unit_user_reads_only_its_unit_even_with_another_chosen(library):
    """A U02 user's 项目库 lists only U02's project; its unit filter offers only U02, and choosing U01 anyway
    (as a forged widget value would) still shows only U02's project, never U01's."""
    library.close()
    at = _app(U02_USER, "pages/projects.py")
    assert not at.exception
    assert list(at.dataframe[0].value["项目名称"]) == ["古镇文旅综合体"]
    assert (at.multiselect[0].value, at.multiselect[0].options) == (["U02"], ["城东街道"])
    at.multiselect[0].set_value(["U01"]).run()
    assert list(at.dataframe[0].value["项目名称"]) == ["古镇文旅综合体"]
    assert at.metric[0].value == "1"


@pytest.mark.parametrize("actor", [Actor("admin", "admin"), Actor("leader", "leader")])
def test_admins_and_leaders_read_every_unit(library, actor):
    """Admins and leaders see every unit's projects."""
    library.close()
    assert sorted(_app(actor, "pages/projects.py").dataframe[0].value["项目名称"]) == sorted(row[2] for row in ROWS)


@pytest.mark.parametrize("actor, scope", [
    (Actor("admin", "admin"), None), (Actor("leader", "leader"), None), (U02_USER, "U02")])
def test_unit_scope_is_the_unit_of_unit_users_only(actor, scope):
    """The restriction every read receives: a unit user's unit; None (all units) for admins and leaders."""
    assert actor.unit_scope == scope


@pytest.mark.parametrize("actor, path", [
    (Actor("admin", "admin"), "/cockpit"), (Actor("leader", "leader"), "/cockpit"), (U02_USER, "/unit")])
def test_landing_page_by_role(actor, path):
    """After logging in, admins and leaders land on the big screen, unit users on their unit's page."""
    assert landing_path(actor) == path


@pytest.mark.parametrize("asked, path", [
    ("/tasks?code=DB2026-003", "/tasks?code=DB2026-003"), ("/project?code=ZS000149", "/project?code=ZS000149"),
    ("//evil.example/x", "/unit"), ("https://evil.example", "/unit"), ("/\\evil.example", "/unit"),
    ("/api/logout", "/unit"), ("/unit?x=a b", "/unit"), ("", "/unit"), ("/" + "x" * 600, "/unit")])
def test_a_login_returns_to_the_page_asked_for_when_it_is_this_sites(asked, path):
    """A link from a notification opens the login screen, which returns to it: only a path of this site (no other
    host, no API route, nothing odd); otherwise the landing page."""
    assert landing_path(U02_USER, asked) == path


def test_account_box_names_the_user_and_offers_logout(units):
    """The sidebar names the logged-in user (display name, role, unit) with a logout form posting to /api/logout."""
    users.create_demo_accounts(units, Actor("演示数据", "admin"))
    units.close()

    def box():
        from pipelines.access import Actor
        from ui import auth

        auth.account_box(Actor("u02", "unit", "U02"))

    at = AppTest.from_function(box, default_timeout=30).run()
    sidebar = "".join(element.value for element in at.sidebar.html)
    assert "城东街道填报员" in sidebar and "单元用户（U02）" in sidebar
    assert 'action="/api/logout"' in sidebar and "退出登录" in sidebar


def test_first_start_prints_a_generated_admin_password_once(con, capsys):
    """On an empty user table the server's start creates `admin` and prints its password once; that password
    logs in; the next start prints nothing."""
    con.close()
    app._first_start()
    printed = capsys.readouterr().out
    password = printed.split("初始密码 ")[1].split("（")[0]
    with db.cursor() as cur:
        assert users.login(cur, "admin", password)[1].role == "admin"
    app._first_start()
    assert capsys.readouterr().out == ""


class _Response:
    def __init__(self, status: int, headers) -> None:
        self.status, self.headers = status, headers


def _post(url: str, fields: dict[str, str], headers: dict[str, str] | None = None) -> _Response:
    """POST a form without following redirects; the status and headers of the answer."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(url, data=urllib.parse.urlencode(fields).encode(), headers=headers or {})
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=30) as answer:
            return _Response(answer.status, answer.headers)
    except urllib.error.HTTPError as answer:
        return _Response(answer.code, answer.headers)


def test_login_and_logout_over_http_set_and_delete_the_session_cookie(units, tmp_path):
    """On a real server: a wrong password goes back to the login screen with the reason and no cookie; a login
    from another site is refused; the right password sets an HttpOnly, SameSite=Lax cookie for 168 hours and
    lands on the unit page; logout deletes the session and the cookie. The audit log holds all three."""
    users.create_demo_accounts(units, Actor("演示数据", "admin"))
    units.close()
    db_file = tmp_path / "test.duckdb"
    with running_server(db_file) as base:
        wrong = _post(f"{base}/api/login", {"username": "u02", "password": "nope"})
        assert (wrong.status, wrong.headers["location"]) == (303, "/?login=invalid&user=u02")
        assert wrong.headers["set-cookie"] is None
        forged = _post(f"{base}/api/login", {"username": "u02", "password": "demo"},
                       {"Origin": "http://elsewhere.example"})
        assert forged.status == 403
        right = _post(f"{base}/api/login", {"username": "u02", "password": "demo"}, {"Origin": base})
        assert (right.status, right.headers["location"]) == (303, "/unit")
        back = _post(f"{base}/api/login", {"username": "u02", "password": "demo", "next": "/tasks?code=DB2026-001"})
        assert (back.status, back.headers["location"]) == (303, "/tasks?code=DB2026-001")
        again = _post(f"{base}/api/login", {"username": "u02", "password": "nope", "next": "/tasks?code=DB2026-001"})
        assert again.headers["location"] == "/?login=invalid&user=u02&next=%2Ftasks%3Fcode%3DDB2026-001"
        cookie = right.headers["set-cookie"]
        token = cookie.split(";")[0].removeprefix(f"{users.SESSION_COOKIE}=")
        assert len(token) == 43
        assert sorted(p.strip() for p in cookie.split(";")[1:]) == ["HttpOnly", "Max-Age=604800", "Path=/",
                                                                   "SameSite=lax"]
        out = _post(f"{base}/api/logout", {}, {"Cookie": f"{users.SESSION_COOKIE}={token}"})
        assert (out.status, out.headers["location"]) == (303, "/")
        assert out.headers["set-cookie"].startswith(f'{users.SESSION_COOKIE}=""; expires=')
    con = duckdb.connect(str(db_file), read_only=True)
    assert con.execute("SELECT count(*) FROM sessions").fetchone()[0] == 1  # the second login's, not logged out
    assert con.execute("SELECT action FROM audit_log WHERE actor = 'u02' ORDER BY id").fetchall() == [
        ("auth.login_failed",), ("auth.login",), ("auth.login",), ("auth.login_failed",), ("auth.logout",)]
    con.close()


def log_in(page, base: str, username: str, password: str) -> None:
    """In a browser page: open the dashboard, fill the login form and submit it; wait for the landing page."""
    page.goto(base)
    page.locator("input[name=username]").fill(username, timeout=30000)
    page.locator("input[name=password]").fill(password)
    with page.expect_navigation():
        page.locator("form[action='/api/login'] button").click()


def test_browser_logs_in_through_the_form_and_stays_logged_in_on_reload(library, tmp_path, browser):
    """In Chromium: a wrong password shows the reason; the right one logs u02 in (its cookie is HttpOnly, so
    no script can read it), the 项目库 lists only U02's project, and a reload keeps the login."""
    users.create_demo_accounts(library, Actor("演示数据", "admin"))
    library.close()
    with running_server(tmp_path / "test.duckdb") as base:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        log_in(page, base, "u02", "wrong")
        page.get_by_text("用户名或密码错误。").wait_for(timeout=30000)
        log_in(page, base, "u02", "demo")
        assert [c["httpOnly"] for c in page.context.cookies() if c["name"] == users.SESSION_COOKIE] == [True]
        assert page.evaluate("document.cookie").find(users.SESSION_COOKIE) == -1
        for _ in range(2):
            page.goto(f"{base}/projects")
            page.get_by_role("heading", name="项目库").wait_for(timeout=30000)
            grid = page.locator("[data-testid='stDataFrame']")
            grid.filter(has_text="古镇文旅综合体").wait_for(timeout=30000)  # the grid fills its cells late
            assert "古镇文旅综合体" in grid.text_content() and "智能装备产业园" not in grid.text_content()
            page.reload()


@pytest.mark.parametrize("actor, refused, allowed", [
    (Actor("u01", "unit", "U01"), ["pages/cockpit.py", "pages/admin.py", "pages/bulletin.py"],
     ["pages/unit.py", "pages/ranking.py", "pages/submit.py", "pages/projects.py", "pages/project.py",
      "pages/warnings.py", "pages/tasks.py", "pages/problems.py"]),
    (Actor("领导", "leader"), ["pages/submit.py", "pages/admin.py", "pages/bulletin.py"],
     ["pages/cockpit.py", "pages/unit.py", "pages/ranking.py", "pages/projects.py", "pages/warnings.py",
      "pages/tasks.py", "pages/problems.py"]),
    (Actor("管理员", "admin"), [], [page[0] for page in app.PAGES]),
])
def test_navigation_registers_only_the_pages_of_the_role(library, actor, refused, allowed):
    """app.py registers for each role only the pages it may open: a unit user has no 驾驶舱 or 系统管理 to switch
    to, a leader no 数据填报 or 系统管理; every allowed page opens without an exception."""
    library.close()
    at = _app(actor)
    assert not at.exception
    for page in refused:
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page)
    for page in allowed:
        at.switch_page(page).run()
        assert not at.exception, page
