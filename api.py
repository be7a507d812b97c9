"""The HTTP API served beside the pages (st.App routes).

- `GET /api/health` — liveness and what the server holds (schema version, counts, open warnings, the scheduler).
  No token: it names no project, unit or person, and monitoring polls it.
- `GET /api/report?as_of=YYYY-MM-DD` — the report of DOMAIN §9 as of that day; `?period=YYYY-MM&known_by=YYYY-MM-DD`
  the report for a month (period end its last day, files received by the end of known_by, default today). A unit token gets only its own
  unit under "units"; "overall" stays the county's, which the 通报 publishes to every unit anyway.
- `POST /api/submissions` — a workbook as multipart field `file` (optional `period`, `unit`, `mode` = amend (default)
  or replace (整表替换, DOMAIN §3), and for admins `received_at`), loaded as the token's user; the answer is `{"files": [FileReport]}`, exactly what
  `python -m pipelines.ingest --json` prints. A unit token's rows of another unit come back rejected.
- `GET /api/tasks?as_of=YYYY-MM-DD` — the 督办事项 as known at the end of that day (DOMAIN §9, §10; a unit token gets
  its own unit's); `POST /api/tasks` (admins) issues one from a JSON body (title, requirement, unit, project, source,
  source_rule, source_subject, source_period, important, deadline); `POST /api/tasks/{code}/respond|return|close|
  cancel|extend` takes an action (JSON: text, deadline for extend); an admin may add `at` (ISO time, not in the
  future nor before the task's previous action) to back-fill the paper record. Refusals: 400/403/404/409 with the
  reason.
- `GET /api/backup` (admins) — the whole database as the ZIP 系统管理 › 备份 downloads (audited), so a nightly job
  can keep copies while the server holds the database: `curl -H "Authorization: Bearer zsk_…" -o backup.zip …`.
- `POST /api/login` (form fields `username`, `password`, sent by the login screen's plain HTML form) opens a
  session, sets its token as an HttpOnly, SameSite=Lax cookie and sends the browser to the landing page of its
  role (303). A refused login goes back to the login screen: `/?login=invalid|locked|disabled&user=NAME`.
  `POST /api/logout` ends the session, deletes the cookie and goes back to `/`. The pages read the cookie on each
  run through st.context.cookies (ui/auth.py), so a reload keeps the login and the server alone decides when it
  ends. Both refuse a request whose Origin is another site.

The report and submissions need `Authorization: Bearer zsk_…` (a token from pipelines.admin.tokens). Every refusal is
JSON `{"error": code, "message": 中文说明}`: 401 missing/invalid token, 403 not allowed, 400 bad input, 413 too
large. Database work runs in a worker thread on its own cursor, off the event loop."""
from __future__ import annotations

import datetime as dt
import functools
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import (
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Route
from starlette.types import Message, Receive

from alerts import scheduler
from pipelines import report, settings
from pipelines.access import Actor, landing_path, safe_next
from pipelines.admin import register, screen_links, tasks, tokens, users
from pipelines.cells import CellProblem, parse_period
from pipelines.ingest import run
from pipelines.months import RANGE_TEXT, in_range, month_end
from pipelines.store import db, state

# Room in a request body for the multipart boundaries, part headers and the small fields around the file.
_ENVELOPE_BYTES = 64 * 1024
_FORM_FIELDS = ("period", "unit", "received_at", "mode")


async def health(_request: Request) -> JSONResponse:
    """Liveness plus what the server holds: schema version, how much data is loaded, how many warnings are open,
    and the scheduler (running, its jobs' next runs, the latest runs)."""
    with db.cursor() as cur:
        facts = state.store_facts(cur)
        open_warnings = cur.execute("SELECT count(*) FROM warnings WHERE resolved_at IS NULL").fetchone()[0]
        jobs = scheduler.status(cur)
    return JSONResponse({"status": "ok", **facts, "open_warnings": open_warnings, "scheduler": jobs})


class _Refused(Exception):
    """A request the API will not serve: the HTTP status, an English error code and the reason in Chinese."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message

    def response(self) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if self.status == 401 else None
        return JSONResponse({"error": self.error, "message": self.message}, status_code=self.status, headers=headers)


def _bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _Refused(401, "missing_token", "缺少 API 令牌：请求头须带 Authorization: Bearer zsk_…（令牌由管理员创建）")
    return token.strip()


def _token_actor(token: str, client: str | None) -> Actor | None:
    with db.cursor() as cur:
        return tokens.resolve(cur, token, client=client)


def _with_token(handler: Callable[[Request, Actor], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    """The route: `handler` called with the user of the request's bearer token; 401 without a valid token, and
    any refusal answered as its JSON."""
    @functools.wraps(handler)
    async def route(request: Request) -> Response:
        try:
            client = request.client.host if request.client else None
            token = _bearer(request)
            if token.startswith(screen_links.PREFIX):  # a big-screen link shows the big screen, nothing else
                raise _Refused(401, "invalid_token",
                               "大屏链接不是 API 令牌，只能用于打开大屏；API 令牌由管理员在“系统管理 · 集成”中创建")
            actor = await run_in_threadpool(_token_actor, token, client)
            if actor is None:
                raise _Refused(401, "invalid_token", "API 令牌无效、已撤销或已过期，或其用户已停用")
            return await handler(request, actor)
        except _Refused as refused:
            return refused.response()
    return route


def _scoped_report(as_of: dt.date, actor: Actor, period: dt.date | None = None,
                   known_by: dt.date | None = None) -> dict:
    """The §9 report as of `as_of` (or for month `period` known by `known_by`) as this user may read it: a unit
    user's own unit only (and the units not yet reported, which every unit reads in the 通报 anyway); every unit
    otherwise."""
    with db.cursor() as cur:
        data = report.month_report(cur, period, known_by) if period else report.report(cur, as_of)
    if actor.unit_scope is not None:
        data["units"] = [unit for unit in data["units"] if unit["code"] == actor.unit_scope]
    return data


def _query_day(request: Request, name: str, example: str) -> dt.date:
    """The query's day `name` (YYYY-MM-DD within the product's range), or a 400 saying what is wrong."""
    try:
        day = dt.date.fromisoformat(request.query_params.get(name, ""))
    except ValueError:
        raise _Refused(400, f"bad_{name}", f"{name} 须为 YYYY-MM-DD 格式的日期，如 {example}") from None
    if not in_range(day):
        raise _Refused(400, f"bad_{name}", f"{name} 超出可用的日期范围（{RANGE_TEXT}）")
    return day


@_with_token
async def report_route(request: Request, actor: Actor) -> JSONResponse:
    """The report of DOMAIN §9: as of the query's `as_of` day, or for the month `period` (YYYY-MM) known by
    `known_by` (default today; not before the month's last day), DOMAIN §4."""
    params = request.query_params
    if "period" not in params:
        if "known_by" in params:
            raise _Refused(400, "bad_known_by", "known_by 须与 period 一起使用，如 /api/report?period=2024-11&known_by=2024-12-10")
        as_of = _query_day(request, "as_of", "/api/report?as_of=2024-11-30")
        return JSONResponse(await run_in_threadpool(_scoped_report, as_of, actor))
    if "as_of" in params:
        raise _Refused(400, "bad_period", "as_of 与 period 只能用其一")
    try:
        period = parse_period(params["period"])
    except CellProblem as problem:
        raise _Refused(400, "bad_period", f"period 须为 YYYY-MM 格式的月份：{problem}") from None
    if not in_range(month_end(period)):
        raise _Refused(400, "bad_period", f"period 超出可用的日期范围（{RANGE_TEXT}）")
    known_by = (_query_day(request, "known_by", "/api/report?period=2024-11&known_by=2024-12-10")
                if "known_by" in params else dt.date.today())
    if known_by < month_end(period):
        raise _Refused(400, "bad_known_by", f"known_by 不能早于 {period:%Y-%m} 的最后一天（{month_end(period)}）")
    return JSONResponse(await run_in_threadpool(_scoped_report, month_end(period), actor, period, known_by))


def _list_tasks(as_of: dt.date, actor: Actor) -> dict:
    with db.cursor() as cur:
        return tasks.listing(cur, as_of, actor.unit_scope)


@_with_token
async def tasks_route(request: Request, actor: Actor) -> JSONResponse:
    """GET: the 督办事项 as known at the end of `as_of` (default today), a unit token's own unit's only. POST (admins):
    issue one from the JSON body."""
    if request.method == "GET":
        as_of = (_query_day(request, "as_of", "/api/tasks?as_of=2024-11-30") if "as_of" in request.query_params
                 else dt.date.today())
        return JSONResponse(await run_in_threadpool(_list_tasks, as_of, actor))
    body = await _json_body(request)
    try:
        fields = {"title": body.get("title"), "unit": body.get("unit"), "requirement": body.get("requirement") or "",
                  "project": body.get("project") or None, "source": body.get("source") or "manual",
                  "source_rule": body.get("source_rule"), "source_subject": body.get("source_subject"),
                  "source_period": _body_day(body, "source_period"), "important": bool(body.get("important")),
                  "deadline": _body_day(body, "deadline"), "at": _body_moment(body),
                  "warnings": _body_warnings(body)}
    except ValueError as bad:
        raise _Refused(400, "bad_request", str(bad)) from None
    return JSONResponse(await run_in_threadpool(_task_write, actor, None, "issue", fields), status_code=201)


def _body_warnings(body: dict) -> list[tuple[str, str]] | None:
    """A task from several warnings: "warnings": [{"rule": …, "subject": …}, …] (or [rule, subject] pairs)."""
    given = body.get("warnings")
    if given is None:
        return None
    if not isinstance(given, list) or len(given) > 200:
        raise ValueError("warnings 须为预警列表：[{\"rule\": …, \"subject\": …}]，最多 200 条")
    pairs = []
    for item in given:
        rule, subject = (item.get("rule"), item.get("subject")) if isinstance(item, dict) else \
            (item if isinstance(item, list) and len(item) == 2 else (None, None))
        if not isinstance(rule, str) or not isinstance(subject, str) or not rule or not subject:
            raise ValueError("warnings 中每条预警须有 rule 和 subject")
        pairs.append((rule, subject))
    return pairs


@_with_token
async def task_action_route(request: Request, actor: Actor) -> JSONResponse:
    """POST /api/tasks/{code}/{action}: respond, return, close, cancel or extend, from the JSON body (text — also
    called answer, reason or note —, deadline for an extension, at for an admin back-filling)."""
    code, action = request.path_params["code"], request.path_params["action"]
    body = await _json_body(request)
    try:
        fields = {"text": next((body[k] for k in ("text", "answer", "reason", "note") if body.get(k)), None),
                  "deadline": _body_day(body, "deadline"), "at": _body_moment(body)}
    except ValueError as bad:
        raise _Refused(400, "bad_request", str(bad)) from None
    return JSONResponse(await run_in_threadpool(_task_write, actor, code, action, fields))


def _task_write(actor: Actor, code: str | None, action: str, fields: dict) -> dict:
    """Issue a task or take an action on one as `actor`: {"task": …} as it stands today, or the refusal."""
    with db.cursor() as cur:
        try:
            if code is not None:
                if actor.unit_scope is not None and tasks.find(cur, code, actor.unit_scope) is None:
                    raise _Refused(404, "no_such_task", "没有这个督办事项")
                task = tasks.act(cur, actor, code, action, **fields)
            else:
                task = tasks.issue(cur, actor, **fields)
        except tasks.TaskRefused as refused:
            raise _Refused(refused.status, "task_refused", str(refused)) from None
    return {"task": task.as_json(dt.date.today(), settings.current().tasks.remind_days)}


async def _json_body(request: Request) -> dict:
    try:
        body = await request.json()
    except ValueError:
        raise _Refused(400, "bad_json", "请求体须为 JSON 对象") from None
    if not isinstance(body, dict):
        raise _Refused(400, "bad_json", "请求体须为 JSON 对象")
    return body


def _body_day(body: dict, name: str) -> dt.date | None:
    value = body.get(name)
    if value in (None, ""):
        return None
    try:
        day = dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ValueError(f"{name} 须为 YYYY-MM-DD 格式的日期") from None
    if not in_range(day):
        raise ValueError(f"{name} 超出可用的日期范围（{RANGE_TEXT}）")
    return day


def _body_moment(body: dict) -> dt.datetime | None:
    value = body.get("at")
    if value in (None, ""):
        return None
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise ValueError("at 须为 ISO 时间，如 2024-11-05T09:30") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone().replace(tzinfo=None)
    return moment


class _BodyTooLarge(Exception):
    pass


def _capped(receive: Receive, limit: int) -> Receive:
    """The request's body channel, stopping once more than `limit` bytes have come (a client may send no
    Content-Length, or a false one)."""
    received = 0

    async def capped() -> Message:
        nonlocal received
        message = await receive()
        received += len(message.get("body", b""))
        if received > limit:
            raise _BodyTooLarge
        return message
    return capped


def _options(form: FormData, actor: Actor) -> dict:
    """ingest_file's keyword arguments from the form's optional fields: period (a month), unit (code or name), mode
    (amend or replace), received_at (a day or moment; admins only, for back-filling)."""
    given = {name: str(form[name]).strip() for name in _FORM_FIELDS if str(form.get(name) or "").strip()}
    options: dict = {"unit_code": given.get("unit"), "mode": given.get("mode", "amend")}
    if options["mode"] not in run.MODES:
        raise _Refused(400, "bad_mode", "mode 须为 amend（补充更正，默认）或 replace（整表替换）")
    try:
        options["period"] = parse_period(given["period"]) if "period" in given else None
    except CellProblem as problem:
        raise _Refused(400, "bad_period", f"period：{problem}") from None
    if "received_at" in given and actor.role != "admin":
        raise _Refused(403, "received_at_admin_only", "只有管理员可以指定收到时间（received_at）")
    try:
        options["received_at"] = dt.datetime.fromisoformat(given["received_at"]) if "received_at" in given else None
        if options["received_at"] is not None and not in_range(options["received_at"]):
            raise _Refused(400, "bad_received_at", f"received_at 超出可用的日期范围（{RANGE_TEXT}）")
    except ValueError:
        raise _Refused(400, "bad_received_at", "received_at 须为 YYYY-MM-DD 或 YYYY-MM-DDTHH:MM 格式") from None
    return options


def _file_name(upload: UploadFile) -> str:
    # Old browsers send the client's whole path; the report names the file as the user knows it.
    return (upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1] or "未命名文件"


def _ingest(upload: UploadFile, actor: Actor, options: dict) -> dict:
    """Load the uploaded workbook as `actor`: its FileReport as JSON."""
    file_name = _file_name(upload)
    suffix = Path(file_name).suffix.lower()  # the reader tells CSV from the rest by it
    with tempfile.TemporaryDirectory(prefix="zs-upload-") as folder:
        path = Path(folder) / ("upload" + (suffix if suffix[1:].isalnum() else ""))
        with path.open("wb") as copy:
            shutil.copyfileobj(upload.file, copy)
        with db.cursor() as cur:
            return run.ingest_file(cur, path, actor, file_name=file_name, **options).as_json()


@_with_token
async def submissions(request: Request, actor: Actor) -> JSONResponse:
    """Load one workbook sent as multipart field `file`, answering like `python -m pipelines.ingest --json`."""
    if not actor.may_submit:
        raise _Refused(403, "may_not_submit", "领导账户只能查看，不能报送数据")
    limit_mb = settings.current().ingest.max_file_mb
    limit = limit_mb * (1 << 20)  # as the workbook reader counts it
    too_large = _Refused(413, "file_too_large", f"文件超过上限 {limit_mb:g}MB，请分批上传")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + _ENVELOPE_BYTES:
        raise too_large
    body = Request(request.scope, _capped(request.receive, int(limit) + _ENVELOPE_BYTES))
    try:
        form = await body.form(max_files=1, max_fields=len(_FORM_FIELDS))
    except _BodyTooLarge:
        raise too_large from None
    except HTTPException as bad:  # malformed multipart, too many fields or files
        raise _Refused(400, "bad_form", f"无法读取上传内容：{bad.detail}") from None
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise _Refused(400, "missing_file", "请以 multipart/form-data 的 file 字段上传工作簿")
        if upload.size is not None and upload.size > limit:
            raise too_large
        answer = await run_in_threadpool(_ingest, upload, actor, _options(form, actor))
    finally:
        await form.close()
    return JSONResponse({"files": [answer]})


def _backup(actor: Actor) -> bytes:
    with db.cursor() as cur:
        return register.backup(cur, actor)


@_with_token
async def backup_route(request: Request, actor: Actor) -> Response:
    """The database as the backup ZIP (pipelines.admin.register.backup), for an admin's token only."""
    if actor.role != "admin":
        raise _Refused(403, "admin_only", "只有管理员的 API 令牌可以下载数据库备份")
    archive = await run_in_threadpool(_backup, actor)
    name = register.backup_file_name(dt.datetime.now())
    return Response(archive, media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# ---------------------------------------------------------------------------------------- logging in and out

def _cross_site(request: Request) -> bool:
    # Browsers send Origin with every form POST; one naming another host is a forged request (login CSRF).
    origin = request.headers.get("origin")
    return origin is not None and urlsplit(origin).netloc != request.headers.get("host")


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def _open_session(username: str, password: str, client: str | None) -> tuple[str, users.Account]:
    with db.cursor() as cur:
        return users.login(cur, username, password, client=client)


def _end_session(token: str | None, client: str | None) -> None:
    with db.cursor() as cur:
        users.logout(cur, token, client=client)


async def login(request: Request) -> PlainTextResponse | RedirectResponse:
    """Check the form's name and password; on success set the session cookie and go to the landing page."""
    if _cross_site(request):
        return PlainTextResponse("拒绝来自其他站点的登录请求", status_code=403)
    form = await request.form()
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    asked = str(form.get("next", ""))
    asked = asked if safe_next(asked) else ""
    try:
        # Hashing takes tens of milliseconds: off the event loop.
        token, account = await run_in_threadpool(_open_session, username, password, _client(request))
    except users.LoginRefused as refused:
        return RedirectResponse("/?" + urlencode({"login": refused.reason, "user": username.strip()[:64]}
                                                 | ({"next": asked} if asked else {})), status_code=303)
    auth = settings.current().auth
    response = RedirectResponse(landing_path(account.actor, asked), status_code=303)
    response.set_cookie(users.SESSION_COOKIE, token, max_age=round(auth.session_absolute_hours * 3600), path="/",
                        secure=auth.cookie_secure, httponly=True, samesite="lax")
    return response


async def logout(request: Request) -> PlainTextResponse | RedirectResponse:
    """End this browser's session, delete its cookie and go back to the login screen."""
    if _cross_site(request):
        return PlainTextResponse("拒绝来自其他站点的退出请求", status_code=403)
    await run_in_threadpool(_end_session, request.cookies.get(users.SESSION_COOKIE), _client(request))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(users.SESSION_COOKIE, path="/", secure=settings.current().auth.cookie_secure, httponly=True,
                           samesite="lax")
    return response


ROUTES = [
    Route("/api/health", health, methods=["GET"]),
    Route("/api/report", report_route, methods=["GET"]),
    Route("/api/submissions", submissions, methods=["POST"]),
    Route("/api/backup", backup_route, methods=["GET"]),
    Route("/api/tasks", tasks_route, methods=["GET", "POST"]),
    Route("/api/tasks/{code}/{action}", task_action_route, methods=["POST"]),
    Route("/api/login", login, methods=["POST"]),
    Route("/api/logout", logout, methods=["POST"]),
]
