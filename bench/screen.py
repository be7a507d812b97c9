"""Benchmark of the leadership big screen (领导驾驶舱): time to its first full render at demo size, in a real
browser against a real server.

Usage: .venv/bin/python -m bench.screen [--runs 5] [--path "/cockpit?kiosk=1"] [--db PATH] [--rebuild]
                                        [--url http://host:port --no-login] [--screenshot FILE.png]

Without --url it builds the demo county (python -m pipelines.demo, 8 units, 422 projects) into
bench/out/screen_demo.duckdb (its workbooks beside it; reused unless --rebuild; --db names another file), evaluates the warnings once as
of the last day of last month (python -m alerts.check) so that the screen has some to show, starts the server
(tests/server.py running_server: `streamlit run app.py`, scheduler off so that no background evaluation
competes), and logs in through the login form as the demo leader. With --url it measures a server already
running there (for instance `streamlit run pages/cockpit.py` while the page is not yet in app.py's navigation).

Each run opens a new browser tab at 1920×1080 and times from navigation to the screen fully drawn: the script
run finished (no stale element left), the six headline cards, the four tables and the four chart panels
(.zs-chart, drawn on the server as SVG images and HTML bars) each with its drawing present and its images
decoded. The first run is cold (a fresh server: nothing cached, the page's modules imported on first use); the
following runs are warm (the server's cached figures). For scale it times the same way two floors, each a
Streamlit page on a server of its own: one holding a three-bar plotly chart (what a page pays for plotly.js,
4.7 MB, being loaded and compiled, whatever it draws) and one holding a single line of HTML (Streamlit's
frontend alone); and it prints the load average, since the browser's share depends on a free CPU. It prints
every run, the medians of the warm runs and whether the cold one meets the goal of issue 18: at most 2 s. This is a
benchmark, not a test.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

from tests.server import CHROMIUM, CHROMIUM_ARGS, free_port, get, running_server

GOAL_SECONDS = 2.0
CHARTS, CARDS, TABLES = 4, 6, 4  # what pages/cockpit.py draws
DEMO_LEADER, DEMO_PASSWORD = "leader", "demo"
# The floors: a page of one plotly chart, and a page without plotly (one headline-card-like line of HTML).
PLOTLY_FLOOR = """import plotly.graph_objects as go
import streamlit as st
st.plotly_chart(go.Figure(go.Bar(x=[1, 2, 3], y=[3, 1, 2])), theme=None, config={"displayModeBar": False})
"""
BARE_FLOOR = """import streamlit as st
st.html("<div class='zs-card'>floor</div>")
"""


def drawn(cards: int = 0, tables: int = 0, charts: int = 0, plotly: int = 0) -> str:
    """A script true once the page is complete: the run is over, nothing is stale, the cards, tables, chart panels
    (each with its SVG images decoded, or its bars) and plotly charts (each with its SVG) are all drawn."""
    return f"""() => {{
        const app = document.querySelector('[data-testid="stApp"]');
        const charts = [...document.querySelectorAll('.zs-chart')].filter(p => {{
            const images = [...p.querySelectorAll('img')];
            return (images.length > 0 || p.querySelector('.zs-fbar, .zs-bfill') !== null)
                && images.every(i => i.complete && i.naturalWidth > 0);
        }});
        const plotly = [...document.querySelectorAll('.js-plotly-plot')].filter(p => p.querySelector('.main-svg'));
        return app !== null && app.dataset.testScriptState === 'notRunning'
            && document.querySelectorAll('[data-stale="true"]').length === 0
            && document.querySelectorAll('.zs-card').length === {cards}
            && document.querySelectorAll('.zs-tabular').length === {tables}
            && charts.length === {charts}
            && plotly.length === {plotly};
    }}"""


@contextlib.contextmanager
def floor_server(source: str) -> Iterator[str]:
    """A Streamlit server of a floor page (its source); yields its base URL."""
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "floor.py"
        page.write_text(source, encoding="utf-8")
        port = free_port()
        process = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(page), "--server.port", str(port),
                                    "--server.address", "127.0.0.1", "--server.headless", "true"],
                                   cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                with contextlib.suppress(OSError):
                    if get(f"{base}/_stcore/health", timeout=2) == b"ok":
                        break
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the floor page's server did not start")
                time.sleep(0.3)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=20)


def _demo_database(path: Path, rebuild: bool) -> Path:
    """The demo county with its warnings evaluated, built once."""
    if rebuild:
        for stale in (path, path.with_name(path.name + ".wal")):
            stale.unlink(missing_ok=True)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pipelines.demo", "--db", str(path), "--out",
                        str(path.with_name(path.stem + "_workbooks"))], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        last_month_end = dt.date.today().replace(day=1) - dt.timedelta(days=1)
        subprocess.run([sys.executable, "-m", "alerts.check", "--as-of", last_month_end.isoformat(), "--db",
                        str(path)], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return path


def _log_in(context, base: str) -> None:
    page = context.new_page()
    page.goto(f"{base}/")
    page.fill("#zs-username", DEMO_LEADER)
    page.fill("#zs-password", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.close()


def _time_render(context, url: str, complete: str, screenshot: Path | None = None) -> float:
    page = context.new_page()
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_function(complete, timeout=60_000, polling=50)
    elapsed = time.perf_counter() - started
    if screenshot is not None:
        page.screenshot(path=str(screenshot))
    page.close()
    return elapsed


def measure(base: str, path: str, floors: tuple[str, str], runs: int, login: bool,
            screenshot: Path | None) -> tuple[list[float], list[float], list[float]]:
    """Seconds to a complete screen, to the complete plotly floor and to the complete bare floor, for each run (the
    first one first), taken in turn so that all see the same load."""
    from playwright.sync_api import sync_playwright

    screen_drawn = drawn(cards=CARDS, tables=TABLES, charts=CHARTS)
    plotly_floor, bare_floor = floors
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1920, "height": 1080})
        if login:
            _log_in(context, base)
        screen_times, plotly_times, bare_times = [], [], []
        for i in range(runs):
            screen_times.append(_time_render(context, base + path, screen_drawn,
                                             screenshot if i == runs - 1 else None))
            plotly_times.append(_time_render(context, plotly_floor + "/", drawn(plotly=1)))
            bare_times.append(_time_render(context, bare_floor + "/", drawn(cards=1)))
        browser.close()
    return screen_times, plotly_times, bare_times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="page loads; the first is cold (default 5)")
    parser.add_argument("--path", default="/cockpit?kiosk=1", help="the page's path and query (default %(default)s)")
    parser.add_argument("--db", type=Path, default=HERE / "out" / "screen_demo.duckdb")
    parser.add_argument("--rebuild", action="store_true", help="build the demo database again")
    parser.add_argument("--url", help="measure a server already running there instead of starting one")
    parser.add_argument("--no-login", action="store_true", help="do not log in first (a server without login)")
    parser.add_argument("--screenshot", type=Path, help="save the last run's screen here (PNG)")
    args = parser.parse_args(argv)
    if args.url:
        server = contextlib.nullcontext(args.url.rstrip("/"))
    else:
        db = _demo_database(args.db.resolve(), args.rebuild)
        server = running_server(db, extra_env={"ZS_SCHEDULER_ENABLED": "false"})
    with server as base, floor_server(PLOTLY_FLOOR) as plotly_floor, floor_server(BARE_FLOOR) as bare_floor:
        times, plotly_times, bare_times = measure(base, args.path, (plotly_floor, bare_floor), args.runs,
                                                  not args.no_login, args.screenshot)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    for i, (seconds, plotly_seconds, bare_seconds) in enumerate(zip(times, plotly_times, bare_times), 1):
        print(f"run {i} ({'cold' if i == 1 else 'warm'}): screen {seconds:.2f} s, floor with plotly "
              f"{plotly_seconds:.2f} s, floor without {bare_seconds:.2f} s")
    if len(times) > 1:
        print(f"warm medians: screen {statistics.median(times[1:]):.2f} s, floor with plotly "
              f"{statistics.median(plotly_times[1:]):.2f} s, floor without {statistics.median(bare_times[1:]):.2f} s")
    verdict = "meets" if times[0] <= GOAL_SECONDS else "misses"
    print(f"first render {times[0]:.2f} s {verdict} the goal of {GOAL_SECONDS:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
