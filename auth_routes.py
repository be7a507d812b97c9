"""Logging in and out over HTTP, beside the pages (st.App routes, served through api.ROUTES).

`POST /api/login` (form fields `username`, `password`, sent by the login screen's plain HTML form) opens a
session, sets its token as an HttpOnly, SameSite=Lax cookie and sends the browser to the landing page of its
role (303). A refused login goes back to the login screen: `/?login=invalid|locked|disabled&user=NAME`.
`POST /api/logout` ends the session, deletes the cookie and goes back to `/`. The pages read the cookie on
each run through st.context.cookies (ui/auth.py), so a reload keeps the login and the server alone decides
when it ends. Both routes refuse a request whose Origin is another site."""
from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.routing import Route

from pipelines import settings, store, users
from pipelines.access import Actor

COOKIE = "zs_session"
# Where each role lands after logging in (url paths of pages in app.py's navigation).
LANDING = {"admin": "/cockpit", "leader": "/cockpit", "unit": "/unit"}


def landing_path(actor: Actor) -> str:
    """The page a user is sent to after logging in: the big screen for admins and leaders, the unit page for
    unit users."""
    return LANDING[actor.role]


def _cross_site(request: Request) -> bool:
    # Browsers send Origin with every form POST; one naming another host is a forged request (login CSRF).
    origin = request.headers.get("origin")
    return origin is not None and urlsplit(origin).netloc != request.headers.get("host")


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def _open_session(username: str, password: str, client: str | None) -> tuple[str, users.Account]:
    with store.cursor() as cur:
        return users.login(cur, username, password, client=client)


def _end_session(token: str | None, client: str | None) -> None:
    with store.cursor() as cur:
        users.logout(cur, token, client=client)


async def login(request: Request) -> PlainTextResponse | RedirectResponse:
    """Check the form's name and password; on success set the session cookie and go to the landing page."""
    if _cross_site(request):
        return PlainTextResponse("拒绝来自其他站点的登录请求", status_code=403)
    form = await request.form()
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    try:
        # Hashing takes tens of milliseconds: off the event loop.
        token, account = await run_in_threadpool(_open_session, username, password, _client(request))
    except users.LoginRefused as refused:
        return RedirectResponse("/?" + urlencode({"login": refused.reason, "user": username.strip()[:64]}),
                                status_code=303)
    auth = settings.current().auth
    response = RedirectResponse(landing_path(account.actor), status_code=303)
    response.set_cookie(COOKIE, token, max_age=round(auth.session_absolute_hours * 3600), path="/",
                        secure=auth.cookie_secure, httponly=True, samesite="lax")
    return response


async def logout(request: Request) -> PlainTextResponse | RedirectResponse:
    """End this browser's session, delete its cookie and go back to the login screen."""
    if _cross_site(request):
        return PlainTextResponse("拒绝来自其他站点的退出请求", status_code=403)
    await run_in_threadpool(_end_session, request.cookies.get(COOKIE), _client(request))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE, path="/", secure=settings.current().auth.cookie_secure, httponly=True,
                           samesite="lax")
    return response


def first_start() -> None:
    """At server start: create the first admin if the database has none, printing a generated password once
    (it is in the server log and nowhere else)."""
    with store.cursor() as cur:
        password = users.ensure_first_admin(cur)
    if password:
        print(f"招引智控：已创建管理员账户 {users.FIRST_ADMIN}，初始密码 {password}（仅显示这一次，请登录后修改）",
              flush=True)


ROUTES = [
    Route("/api/login", login, methods=["POST"]),
    Route("/api/logout", logout, methods=["POST"]),
]
