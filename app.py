"""招引智控 entry point.

Imported by the ASGI server (`streamlit run app.py` finds `app` below), this module is the server: an
`st.App` whose lifespan opens the one database connection of the process and whose routes add the HTTP API.
Executed by Streamlit as the page script of every session (`__name__ == "__main__"`), it only frames and
routes: page config and navigation."""
from __future__ import annotations

import logging
import threading
from contextlib import asynccontextmanager

import streamlit as st

from alerts import scheduler
from pipelines import settings
from pipelines.access import SCREEN, landing_path
from pipelines.admin import overrides, users
from pipelines.ingest import load
from pipelines.screens import project as project_screen
from pipelines.store import db
from ui import auth, chinese


def _first_start() -> None:
    """At server start: create the first admin if the database has none, printing a generated password once
    (it is in the server log and nowhere else)."""
    with db.cursor() as cur:
        password = users.ensure_first_admin(cur)
    if password:
        print(f"招引智控：已创建管理员账户 {users.FIRST_ADMIN}，初始密码 {password}（仅显示这一次，请登录后修改）",
              flush=True)


def _warm_up() -> None:
    """ui.data.warm_up in the background: the first reader of the big screen does not wait for its figures. A
    failure costs only the head start (the page computes them itself), so it is logged, never raised."""
    try:
        from ui import data

        data.warm_up()
    except Exception:  # a head start only: the pages compute whatever is missing
        logging.getLogger(__name__).exception("招引智控：预热缓存失败（页面会在首次打开时自行计算）")


class _WarmUpAfterLoads:
    """_warm_up once `[server] warm_up_after_load_seconds` after the last file loaded in this process: each load
    restarts the wait, so a run of uploads (units sending on the 10th) is followed by one warm-up, not one each."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def loaded(self, _submission_id: int) -> None:
        delay = settings.current().server.warm_up_after_load_seconds
        if delay <= 0:
            return
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(delay, _warm_up)
            self._timer.name, self._timer.daemon = "zs-warm-up", True
            self._timer.start()

    def stop(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()


@asynccontextmanager
async def lifespan(_app):
    """Open the database for this process and start its scheduler; on shutdown stop the scheduler (waiting for a
    running job), then checkpoint and close the database."""
    path = settings.db_path()
    db.open_for_process(path)
    warm_ups, stop_listening = _WarmUpAfterLoads(), None
    try:
        with db.cursor() as cur:  # the admins' settings overrides, in force before any page or job reads them
            overrides.apply(cur)
        _first_start()
        scheduler.start()
        threading.Thread(target=_warm_up, name="zs-warm-up", daemon=True).start()
        stop_listening = load.on_loaded(warm_ups.loaded)
        yield {"db_path": str(path)}
    finally:
        if stop_listening is not None:
            stop_listening()
        warm_ups.stop()
        scheduler.shutdown()
        db.close_for_process()


def _routes() -> list:
    from api import ROUTES

    return ROUTES


# The screens: file, title, icon (Streamlit's bundled Material Symbols: emoji need a font kiosks lack), URL path,
# menu section, the roles that may open them, shown in the menu (项目详情 is opened from links, with ?code=).
# A role not listed does not get the page registered at all (its URL falls back to the landing page), and every
# page checks the user again where it reads data. A big-screen link (role screen) gets the big screen alone.
_ALL = frozenset({"admin", "leader", "unit"})
PAGES = (
    ("pages/cockpit.py", "领导驾驶舱", ":material/monitoring:", "cockpit", "看板", frozenset({"admin", "leader", SCREEN}),
     True),
    ("pages/unit.py", "单元看板", ":material/home:", "unit", "看板", _ALL, True),
    ("pages/ranking.py", "考核排名", ":material/leaderboard:", "ranking", "看板", _ALL, True),
    ("pages/submit.py", "数据填报", ":material/upload_file:", "submit", "工作台", frozenset({"admin", "unit"}), True),
    ("pages/projects.py", "项目库", ":material/folder_open:", "projects", "工作台", _ALL, True),
    ("pages/project.py", "项目详情", ":material/description:", project_screen.PAGE, "工作台", _ALL, False),
    ("pages/warnings.py", "预警中心", ":material/notifications_active:", "warnings", "工作台", _ALL, True),
    ("pages/tasks.py", "督办中心", ":material/assignment_late:", "tasks", "工作台", _ALL, True),
    ("pages/problems.py", "问题清单", ":material/report_problem:", "problems", "工作台", _ALL, True),
    ("pages/bulletin.py", "通报编发", ":material/article:", "bulletin", "管理", frozenset({"admin"}), True),
    ("pages/admin.py", "系统管理", ":material/settings:", "admin", "管理", frozenset({"admin"}), True),
)


def _pages(role: str | None) -> dict[str, list]:
    """The pages of a role by menu section; logged out (None): every page, so that a bookmarked URL shows the
    login screen instead of "page not found"."""
    sections: dict[str, list] = {}
    for file, title, icon, url_path, section, roles, listed in PAGES:
        if role is None or role in roles:
            sections.setdefault(section, []).append(st.Page(file, title=title, icon=icon, url_path=url_path,
                                                            visibility="visible" if listed else "hidden"))
    return sections


_REFUSED_KEY = "zs_refused_page"  # set by a refused page's address, popped by the landing page's run


@st.dialog(chinese.NOT_FOUND_TITLE)
def _refused_notice() -> None:
    st.write(chinese.NOT_FOUND)


def _navigation() -> None:
    st.set_page_config(page_title="招引智控", page_icon="📈", layout="wide")
    actor = auth.current_actor()
    sections = _pages(actor and actor.role)
    pages = [page for section in sections.values() for page in section]

    def home() -> None:
        # "/" sends each role to its landing page; every page keeps its own URL (the default page is only "/").
        landing = landing_path(auth.require_actor()).strip("/")
        st.switch_page(next(p for p in pages if p.url_path == landing), query_params=auth.kept_query())

    def refused() -> None:
        # The address of a page this role may not open (a link meant for another role): its landing page, with a
        # notice. Streamlit's own "Page not found" dialog is sent before the switch and dropped with the queue the
        # new run clears whenever the switch comes first (seen under load), so these addresses never reach it.
        st.session_state[_REFUSED_KEY] = True
        home()

    if actor is not None:
        auth.account_box(actor)
    st.html(chinese.script(), unsafe_allow_javascript=True)  # Streamlit's own English texts in Chinese
    home_page = st.Page(home, title="首页", url_path="home", default=True, visibility="hidden")
    menu = actor is not None and actor.role != SCREEN  # a wall screen has no menu: it shows one page
    allowed = {page.url_path for page in pages}
    elsewhere = [st.Page(refused, title=chinese.NOT_FOUND_TITLE, url_path=url_path, visibility="hidden")
                 for *_, url_path, _, _, _ in PAGES if menu and url_path not in allowed]
    current = st.navigation({"": [home_page, *elsewhere], **sections}, position="sidebar" if menu else "hidden")
    st.session_state[auth.PAGE_KEY] = current.url_path  # the login screen sends the user back here
    if current.url_path in allowed and st.session_state.pop(_REFUSED_KEY, False):
        _refused_notice()
    current.run()


def _keep_connections_alive() -> None:
    """Have the HTTP server keep idle connections [server] keep_alive_seconds. Streamlit starts uvicorn with its
    default of 5 s and no option for it, so a reverse proxy or an API client reusing a connection idle for longer
    met a connection the server had just closed (16 of 1,350 requests of a soak failed so). uvicorn's settings are
    made before it imports this module, but each connection's protocol reads the keep-alive when the connection
    opens, after it: the protocols' constructors are wrapped here. tests/test_app.py holds a connection idle past
    5 s and sends a second request on it."""
    import importlib

    seconds = settings.current().server.keep_alive_seconds
    for module in ("uvicorn.protocols.http.h11_impl", "uvicorn.protocols.http.httptools_impl"):
        try:
            protocols = importlib.import_module(module)
        except ImportError:  # httptools is optional; uvicorn then serves with h11
            continue
        for protocol in (getattr(protocols, name, None) for name in ("H11Protocol", "HttpToolsProtocol")):
            if protocol is None or getattr(protocol.__init__, "keeps_alive", False):
                continue
            opened = protocol.__init__

            def keeping_alive(self, *args, _opened=opened, **kwargs):
                _opened(self, *args, **kwargs)
                self.timeout_keep_alive = seconds

            keeping_alive.keeps_alive = True
            protocol.__init__ = keeping_alive


def _route_every_session() -> None:
    """Have _navigation route every session. A process whose entry point sits beside a pages/ folder runs the page an
    address names directly, without the entry point, until some session has called st.navigation (Streamlit's
    multipage 'v1' mode, a process-wide flag the first st.navigation call turns off): the first sessions after a
    start could open any page by its address whatever their role — a wall screen's link /projects. Turned off here,
    before any session; tests/test_screen_links.py opens such an address first on a fresh server."""
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False


if __name__ == "__main__":
    _navigation()
else:
    _keep_connections_alive()
    _route_every_session()
    app = st.App(__file__, lifespan=lifespan, routes=_routes())
