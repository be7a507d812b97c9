"""Soak benchmark (not a test): a real server under browsers and API clients for a set number of minutes.

Usage: .venv/bin/python -m bench.soak [--minutes 3] [--api-clients 6] [--browsers 2] [--db PATH]

It builds the demo county into a fresh database (python -m pipelines.demo), creates an admin API token, and starts
the server (`streamlit run app.py`, loopback only) with the scheduler evaluating every 15 s. Then, until the time
is up:
- each API client loops: GET /api/health, GET /api/report for a day of the demo's year, POST /api/submissions with
  a workbook of its own (a new project each time, so every file loads), and now and then a hostile file (one cell
  at the far corner, refused) — through kept-alive connections (requests.Session), idle for a few seconds between
  calls as real clients are;
- each browser session (Chromium, headless) logs in as the demo leader and opens 驾驶舱, 单元看板, 考核排名, 项目库 and
  预警中心 in turn, waiting for each page's script to finish.
Every 5 s it samples the server's resident memory. At the end it prints requests, errors and p50/p95 latency per
route, the memory over time, and checks that every file answered `loaded` is in the database with as many
snapshots as the answer said. Goals (issue 14): 0 errors, 0 lost files, server RSS ≤ 1 GB.
"""
from __future__ import annotations

import argparse
import collections
import datetime as dt
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb
import requests
import xlsxwriter

from tests.server import CHROMIUM, CHROMIUM_ARGS, ROOT, running_server

RSS_GOAL_MB = 1024
PAGES = ("/cockpit", "/unit", "/ranking", "/projects", "/warnings")
HEADERS = ["报告期", "填报单位", "项目名称", "投资方", "产业类别", "计划总投资(万元)", "签约日期"]


class Tally:
    """Requests per route: latencies of those answered as expected, and what went wrong with the others."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seconds: dict[str, list[float]] = collections.defaultdict(list)
        self.errors: dict[str, list[str]] = collections.defaultdict(list)
        self.loaded: list[tuple[int, int]] = []  # (submission id, rows the answer says were loaded)

    def ok(self, route: str, seconds: float) -> None:
        with self.lock:
            self.seconds[route].append(seconds)

    def error(self, route: str, what: str) -> None:
        with self.lock:
            self.errors[route].append(what)


def _workbook(path: Path, unit: str, period: str, name: str) -> Path:
    with xlsxwriter.Workbook(str(path)) as book:
        sheet = book.add_worksheet("项目进展")
        sheet.write_row(0, 0, HEADERS)
        sheet.write_row(1, 0, [period, unit, name, "青岚测试有限公司", "制造业", 12000, "2024-03-08"])
    return path


def _far_corner(path: Path) -> Path:
    with xlsxwriter.Workbook(str(path)) as book:
        sheet = book.add_worksheet("项目进展")
        sheet.write_row(0, 0, HEADERS)
        sheet.write_string(1_048_575, 16_383, "x")
    return path


def _api_client(number: int, base: str, token: str, period: str, until: float, folder: Path, tally: Tally) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    report_day = dt.date.today().replace(day=1) - dt.timedelta(days=1)
    round_ = 0
    while time.monotonic() < until:
        round_ += 1
        calls = [("GET /api/health", lambda: session.get(f"{base}/api/health", timeout=120)),
                 ("GET /api/report", lambda: session.get(f"{base}/api/report",
                                                         params={"as_of": report_day.isoformat()}, timeout=120))]
        good = _workbook(folder / f"c{number}_{round_}.xlsx", "U01", period, f"压测项目{number}-{round_}")
        calls.append(("POST /api/submissions", lambda: session.post(
            f"{base}/api/submissions", files={"file": (good.name, good.read_bytes())}, timeout=300)))
        if round_ % 5 == 0:
            bad = _far_corner(folder / f"c{number}_{round_}_far.xlsx")
            calls.append(("POST /api/submissions (hostile)", lambda: session.post(
                f"{base}/api/submissions", files={"file": (bad.name, bad.read_bytes())}, timeout=300)))
        for route, call in calls:
            started = time.perf_counter()
            try:
                answer = call()
            except requests.RequestException as exc:
                tally.error(route, type(exc).__name__)
                continue
            if answer.status_code != 200:
                tally.error(route, f"HTTP {answer.status_code}")
                continue
            tally.ok(route, time.perf_counter() - started)
            if route == "POST /api/submissions":
                [file] = answer.json()["files"]
                if file["status"] != "loaded":
                    tally.error(route, f"status {file['status']}: {file['message']}")
                else:
                    with tally.lock:
                        tally.loaded.append((file["submission_id"], file["rows_loaded"]))
            elif route.endswith("(hostile)") and answer.json()["files"][0]["status"] != "rejected":
                tally.error(route, "hostile file not refused")
            time.sleep(2 + number % 3)  # clients pause between calls: connections sit idle in the pool


def _browser(number: int, base: str, until: float, tally: Tally) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = chromium.new_page(viewport={"width": 1366, "height": 768})
        page.goto(base)
        page.locator("input[name=username]").fill("leader", timeout=60000)
        page.locator("input[name=password]").fill("demo")
        with page.expect_navigation():
            page.locator("form[action='/api/login'] button").click()
        turn = number
        while time.monotonic() < until:
            path = PAGES[turn % len(PAGES)]
            turn += 1
            started = time.perf_counter()
            try:
                page.goto(base + path, timeout=120000)
                page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for(timeout=120000)
                if page.locator("[data-testid='stException']").count():
                    tally.error(f"page {path}", "exception shown")
                    continue
            except Exception as exc:  # a timeout or a lost page is an error of the soak, not of this script
                tally.error(f"page {path}", type(exc).__name__)
                continue
            tally.ok(f"page {path}", time.perf_counter() - started)
            page.wait_for_timeout(3000)
        chromium.close()


def _rss_mb(pid: int) -> float:
    """Resident memory of the server process and its children (the file readers it forks), in MB."""
    total = 0
    pids = [pid] + [int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True,
                                                   text=True).stdout.split()]
    for one in pids:
        try:
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def _server_pid(port: int) -> int | None:
    found = subprocess.run(["pgrep", "-f", f"streamlit run app.py --server.port {port}"], capture_output=True,
                           text=True).stdout.split()
    return int(found[0]) if found else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3)
    parser.add_argument("--api-clients", type=int, default=6)
    parser.add_argument("--browsers", type=int, default=2)
    parser.add_argument("--db", type=Path, help="database file to build the demo into (default: a temporary one)")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="soak-"))
    db_file = args.db or folder / "soak.duckdb"
    subprocess.run([sys.executable, "-m", "pipelines.demo", "--db", str(db_file), "--out", str(folder / "demo")],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    from pipelines.access import Actor
    from pipelines.admin import tokens
    from pipelines.store import db

    con = db.connect(db_file)
    token = tokens.create_token(con, Actor("压测", "admin"), "admin", "压测")
    period = con.execute("SELECT strftime(max(period), '%Y-%m') FROM snapshots").fetchone()[0]
    con.close()

    tally = Tally()
    memory: list[tuple[float, float]] = []
    env = {"ZS_SCHEDULER_EVALUATE_INTERVAL_MINUTES": "0.25"}
    with running_server(db_file, env) as base:
        port = int(base.rsplit(":", 1)[1])
        pid = _server_pid(port)
        started = time.monotonic()
        until = started + args.minutes * 60
        workers = [threading.Thread(target=_api_client, args=(n, base, token, period, until, folder, tally))
                   for n in range(args.api_clients)]
        workers += [threading.Thread(target=_browser, args=(n, base, until, tally)) for n in range(args.browsers)]
        for worker in workers:
            worker.start()
        while any(w.is_alive() for w in workers):
            if pid is not None:
                memory.append((time.monotonic() - started, _rss_mb(pid)))
            time.sleep(5)
        for worker in workers:
            worker.join()

    con = duckdb.connect(str(db_file), read_only=True)
    lost = [(sid, rows) for sid, rows in tally.loaded
            if con.execute("SELECT count(*) FROM snapshots s JOIN submissions f ON f.id = s.submission_id "
                           "WHERE f.id = ? AND f.status = 'loaded'", [sid]).fetchone()[0] != rows]
    con.close()

    print(f"{'route':<34} {'requests':>9} {'errors':>7} {'p50 s':>7} {'p95 s':>7}")
    routes = sorted(set(tally.seconds) | set(tally.errors))
    for route in routes:
        times = sorted(tally.seconds[route])
        p50 = statistics.median(times) if times else float("nan")
        p95 = times[min(len(times) - 1, int(0.95 * len(times)))] if times else float("nan")
        print(f"{route:<34} {len(times) + len(tally.errors[route]):>9} {len(tally.errors[route]):>7} {p50:>7.2f} "
              f"{p95:>7.2f}")
    for route in routes:
        for what, count in collections.Counter(tally.errors[route]).items():
            print(f"  error {route}: {what} × {count}")
    peak = max((mb for _, mb in memory), default=0.0)
    sampled = memory[::max(1, len(memory) // 12)]
    print("server RSS MB over time: " + ", ".join(f"{t:.0f}s {mb:.0f}" for t, mb in sampled))
    errors = sum(len(e) for e in tally.errors.values())
    print(f"files loaded {len(tally.loaded)}, lost {len(lost)}; errors {errors}; peak RSS {peak:.0f} MB "
          f"(goal ≤ {RSS_GOAL_MB})")
    ok = errors == 0 and not lost and peak <= RSS_GOAL_MB
    print("verdict: " + ("ok" if ok else "MISSED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
