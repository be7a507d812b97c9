"""Who is using the dashboard: the Actor of this browser, resolved on the server on every run from the
session cookie (set by api.py's login route) or from the big-screen link it was opened with, and the login screen
shown in place of a page when there is none.

A wall screen opens `/cockpit?kiosk=1&screen=zss_…` (pipelines.admin.screen_links). The first run keeps the secret
in the session, and the address keeps it too (a switch to another page carries it along), so that a reload opens it
again; every run, and every refresh of the big screen's fragment, resolves it anew, so a revoked link shows
REVOKED at the wall's next refresh instead of the data.

Pages call `require_actor()` first and pass `actor.unit_scope` to every read, so a unit user reads only its
own unit whatever a widget or the URL asks for.

Tests: AppTest cannot send cookies. A test runs a page as someone by putting an Actor under TEST_ACTOR_KEY
before the run: `at.session_state[TEST_ACTOR_KEY] = Actor("王丽", "unit", "U02")`. No browser can set it: no
widget binds that key, Streamlit ignores values a browser sends for a widget the script did not create, and
a browser could send only text or numbers, never the Actor object this module requires."""
from __future__ import annotations

import html
from urllib.parse import urlencode, urlsplit

import streamlit as st

from pipelines import access, settings
from pipelines.access import SCREEN, Actor
from pipelines.admin import screen_links, users
from pipelines.store import db

TEST_ACTOR_KEY = "_zs_test_actor"
PAGE_KEY = "_zs_page"  # the url path of the page this run shows (set by app.py's navigation)
SCREEN_KEY = "_zs_screen"  # the secret of the big-screen link this session was opened with
SCREEN_ONLY = "大屏链接只能显示大屏，请打开管理员提供的完整链接"
SCREEN_PAGES = ("", "cockpit")  # the url paths a big-screen link may run: '' ("/", sending it on) and the big screen
ROLE_LABELS = {"admin": "管理员", "leader": "领导", "unit": "单元用户"}


def _session_token() -> str | None:
    """The session cookie the browser sent when it opened this session (a reload sends the current one)."""
    token = st.context.cookies.get(users.SESSION_COOKIE)
    # Under AppTest the cookies are a mock whose every value is a mock, not text: nobody is logged in.
    return token if isinstance(token, str) and token else None


def _screen_secret() -> str | None:
    """The secret of the big-screen link this session was opened with: the address's (`?screen=`), remembered in
    the session for the runs whose address lost it; None for a session opened without one."""
    given = st.query_params.get(screen_links.PARAMETER)
    if given:
        st.session_state[SCREEN_KEY] = given
    return st.session_state.get(SCREEN_KEY)


def kept_query() -> dict[str, str] | None:
    """The query a switch to another page keeps: a big-screen session's link (in kiosk mode), so that a reload of
    the page it lands on opens the link again; None (nothing kept) for everyone else."""
    secret = st.session_state.get(SCREEN_KEY)
    return {"kiosk": "1", screen_links.PARAMETER: secret} if secret else None


def _identify() -> tuple[Actor | None, str | None]:
    """(The Actor of this browser session or None, why the big-screen link it was opened with shows nothing or
    None): the test's Actor, else the link's screen, else the account of a live session cookie."""
    given = st.session_state.get(TEST_ACTOR_KEY)
    if isinstance(given, Actor):
        return given, None
    secret = _screen_secret()
    if secret is not None:
        try:
            with db.cursor() as cur:
                return screen_links.resolve(cur, secret), None
        except screen_links.LinkRefused as refused:
            return None, str(refused)
    token = _session_token()
    if token is None:
        return None, None
    with db.cursor() as cur:
        account = users.resolve_session(cur, token)
    return (account.actor if account else None), None


def current_actor() -> Actor | None:
    """The Actor of this browser session: the test's, else a big-screen link's screen, else the account of a live
    session cookie, else None."""
    return _identify()[0]


def require_actor() -> Actor:
    """The Actor of this browser session; when there is none, the login screen (or, for a refused big-screen link,
    why it shows nothing), and the run stops."""
    actor, refusal = _identify()
    if actor is None:
        if refusal:
            screen_refused(refusal)
        else:
            login_screen()
        st.stop()
    if actor.role == SCREEN and st.session_state.get(PAGE_KEY) not in SCREEN_PAGES:
        # app.py registers only the big screen for a link; a page run without its navigation refuses it too
        screen_refused(SCREEN_ONLY)
        st.stop()
    return actor


def site_address() -> str:
    """Where users open the product: [server] public_url, else the scheme and host this page was reached at ('' when
    neither is known: links then stay relative)."""
    public = settings.current().server.public_url
    if public:
        return public
    page = urlsplit(st.context.url or "")
    return f"{page.scheme}://{page.netloc}" if page.netloc else ""


def screen_refused(message: str) -> None:
    """In place of the big screen: why its link shows nothing, large enough to read across the room."""
    st.html(f"""<div role="alert" style="max-width:820px;margin:16vh auto 0;padding:2.6rem 3rem;border-radius:14px;
background:#10223f;color:#fff;text-align:center;font-size:2.2rem;line-height:1.6;border-top:6px solid #d9822b">
{html.escape(message)}<div style="margin-top:1rem;font-size:1.1rem;color:#b8c4d6">招引智控 · 大屏链接</div></div>""")


def _refusal_message() -> str | None:
    reason = st.query_params.get("login")
    auth = settings.current().auth
    if reason == "invalid":
        return "用户名或密码错误。"
    if reason == "locked":
        return (f"连续 {auth.max_failed_logins} 次密码错误，账户已锁定 {auth.lock_minutes:g} 分钟。"
                "请稍后再试，或请管理员解锁。")
    if reason == "disabled":
        return "该账户已停用，请联系管理员。"
    if _session_token():
        return "登录已超时，请重新登录。"
    return None


def _demo_table(accounts: list[users.Account]) -> str:
    rows = "".join(
        f"<tr><td><code>{html.escape(a.username)}</code></td><td>{ROLE_LABELS[a.role]}</td>"
        f"<td>{html.escape(a.display_name)}</td></tr>" for a in accounts)
    return (f'<div class="zs-demo"><p><b>演示模式</b>：以下账号的密码均为 <code>{users.DEMO_PASSWORD}</code></p>'
            f"<table><thead><tr><th>账号</th><th>身份</th><th>名称</th></tr></thead><tbody>{rows}</tbody></table></div>")


_STYLE = """<style>
[data-testid="stAppViewContainer"] { background: linear-gradient(160deg, #e9f0fa 0%, #f6f8fb 60%); }
.zs-login { max-width: 440px; margin: 4vh auto 0; padding: 2.2rem 2.4rem 1.6rem; border-radius: 14px;
  background: #fff; box-shadow: 0 6px 28px rgba(15, 45, 90, .12); border-top: 5px solid #1f5fbf; }
.zs-login h1 { font-size: 1.7rem; margin: 0; padding: 0; color: #12305c; letter-spacing: .08em; }
.zs-login .zs-sub { color: #5b6b80; margin: .2rem 0 1.4rem; font-size: .95rem; }
.zs-login label { display: block; font-size: .9rem; color: #33445a; margin: 13px 0 5px; }
.zs-login input { width: 100%; box-sizing: border-box; padding: 10px 12px; font-size: 1rem;
  border: 1px solid #c5cfdc; border-radius: 8px; }
.zs-login input:focus { outline: none; border-color: #1f5fbf; box-shadow: 0 0 0 3px rgba(31, 95, 191, .15); }
.zs-login button { width: 100%; margin-top: 1.4rem; padding: .7rem; font-size: 1.05rem; color: #fff;
  background: #1f5fbf; border: 0; border-radius: 8px; cursor: pointer; letter-spacing: .3em; }
.zs-login button:hover { background: #184d9c; }
.zs-login .zs-error { margin: 0 0 .4rem; padding: 10px 13px; border-radius: 8px; color: #9b1c1c;
  background: #fdecec; font-size: .92rem; }
.zs-login .zs-demo { margin-top: 1.6rem; padding-top: 1rem; border-top: 1px dashed #d5dce6; font-size: .88rem; }
.zs-login .zs-demo table { width: 100%; border-collapse: collapse; margin-top: .4rem; }
.zs-login .zs-demo th, .zs-login .zs-demo td { text-align: left; padding: .2rem .4rem; border: 0;
  border-bottom: 1px solid #eef1f5; }
.zs-login .zs-foot { margin-top: 1.2rem; color: #8a97a8; font-size: 13px; text-align: center; }
</style>"""


def _back_here() -> str:
    """The address (path and query) of the page being asked for, where a successful login returns: a link from a
    notification opens the login screen and then the page it pointed to. '' on the bare home page."""
    asked = st.query_params.get("next")
    if asked:  # a refused try keeps it in the address
        return asked if access.safe_next(asked) else ""
    page = st.session_state.get(PAGE_KEY) or ""
    if not page or page == "home":
        return ""
    query = {k: v for k, v in st.query_params.to_dict().items() if k not in ("login", "user", "next")}
    return f"/{page}" + (f"?{urlencode(query)}" if query else "")


def login_screen() -> None:
    """The login form (a plain HTML form posting to /api/login, so the password never passes through the
    page's session), the reason a previous try was refused, and in a demo database the demo accounts."""
    with db.cursor() as cur:
        demo = users.demo_accounts(cur)
    refusal = _refusal_message()
    user = html.escape(st.query_params.get("user", ""), quote=True)
    back = html.escape(_back_here(), quote=True)
    st.html(
        f"""{_STYLE}<div class="zs-login">
<h1>招引智控</h1><p class="zs-sub">项目招引智控系统 · 请登录</p>
{f'<p class="zs-error" role="alert">{refusal}</p>' if refusal else ''}
<form method="post" action="/api/login">
<input type="hidden" name="next" value="{back}">
<label for="zs-username">用户名</label>
<input id="zs-username" name="username" value="{user}" autocomplete="username" required autofocus>
<label for="zs-password">密码</label>
<input id="zs-password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">登录</button>
</form>
{_demo_table(demo) if demo else ''}
<p class="zs-foot">账户由招商办管理员开设；忘记密码请联系管理员重置。</p>
</div>"""
    )


def account_box(actor: Actor) -> None:
    """In the sidebar: who is logged in (name, role, unit) and a button to log out; nothing for a big screen's
    link, which has no account to log out of."""
    if actor.role == SCREEN:
        return
    with db.cursor() as cur:
        account = users.account_of(cur, actor.name)
    name = account.display_name if account else actor.name
    role = ROLE_LABELS[actor.role]
    st.sidebar.html(
        f"""<div style="font-size:.9rem;color:#33445a">{html.escape(name)}<br>
<span style="color:#5b6b80">{role}{'（' + html.escape(actor.unit_code) + '）' if actor.unit_code else ''}</span></div>
<form method="post" action="/api/logout" style="margin-top:.5rem">
<button type="submit" style="padding:.3rem .9rem;border:1px solid #c5cfdc;border-radius:6px;background:#fff;
cursor:pointer">退出登录</button></form>"""
    )
