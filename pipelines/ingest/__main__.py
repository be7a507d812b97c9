"""Load workbooks from the command line (pipelines.ingest.run), or hand them to the running server.

Usage: python -m pipelines.ingest FILE... [--received-at YYYY-MM-DD] [--period YYYY-MM] [--unit CODE]
                                          [--mode amend|replace] [--db PATH] [--json] [--server URL --token zsk_…]
A second file for a unit and month amends the earlier ones (--mode amend, the default); --mode replace makes it
replace them (整表替换: the projects it leaves out fall back to their previous report), DOMAIN §3.
Given a server (--server URL --token zsk_…, or ZS_API_URL and ZS_API_TOKEN) the files are not loaded here but sent
to its /api/submissions, loaded there as the token's user, with the same output: the way to load while the server
holds the database, or from another machine.
Exit 0 when every file was read (rows may still be rejected), 1 when a file was rejected whole,
2 when the database is held by the running server, or the server refused a file or could not be reached (one line
on stderr; the reports of the files it took are printed)."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import secrets
import sys
import urllib.error
import urllib.request
from pathlib import Path

from pipelines import cli
from pipelines.ingest.run import CLI_ACTOR, DROPPED, LEFT_OUT, MODES, ingest_file
from pipelines.store import db

HAND_OFF_HINT = "设置 ZS_API_URL 与 ZS_API_TOKEN 后可经服务载入"


def _print_report(report: dict) -> None:
    """One file's report (FileReport.as_json, from this process or the server) as the lines a 填报员 reads."""
    status = {"loaded": "已载入", "duplicate": "重复文件，未载入", "rejected": "整份拒收"}[report["status"]]
    print(f"{report['file']}: {status}" + (f"（{report['kind']}）" if report["kind"] else ""))
    if report["message"]:
        print(f"  {report['message']}")
    if report["status"] == "loaded":
        print(f"  载入 {report['rows_loaded']} 行，拒收 {report['rows_rejected']} 行")
    for problem in report["rejections"] if report["status"] == "loaded" else []:
        print(f"  ✗ {problem['reason']}")
    for problem in report["warnings"]:
        print(f"  ! {problem['reason']}")
    for note in report["notes"]:
        print(f"  · {note}")
    for item in report["missing_projects"]:
        print(f"  ? {_missing_text(item)}")


def _missing_text(item: dict) -> str:
    """One project the month will lack, in the words of its reason (pipelines.ingest.run.LEFT_OUT …)."""
    reason = item.get("reason", LEFT_OUT)
    if reason == LEFT_OUT:
        return f"上期（{item['last_period']}）在报、本期未报：{item['code']} {item['name']}"
    if reason == DROPPED:
        return f"整表替换后移出{item['period']}：{item['code']} {item['name']}（退回上一期的报送）"
    return f"{reason}：{item['code']} {item['name']}"


class _HandOffFailed(Exception):
    """The server refused a file sent to it (token, rights, size) or could not be reached; the one-line reason."""


def _multipart(path: Path, fields: dict[str, str]) -> tuple[bytes, str]:
    """A multipart/form-data body with `fields` and the file as field `file`; the body and its Content-Type."""
    boundary = f"zs-{secrets.token_hex(16)}"
    head = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
                   for name, value in fields.items())
    name = re.sub(r'["\r\n]', "_", path.name)
    head += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
             "Content-Type: application/octet-stream\r\n\r\n")
    tail = f"\r\n--{boundary}--\r\n"
    return head.encode() + path.read_bytes() + tail.encode(), f"multipart/form-data; boundary={boundary}"


def _send_file(server: str, token: str | None, path: Path, fields: dict[str, str]) -> list[dict]:
    """POST one workbook to the server's /api/submissions as the token's user: the file reports it answers
    (FileReport.as_json each). A connection reset (a proxy or the server closing a connection it kept) is retried
    once: a file that did arrive is then answered as a duplicate, so nothing is loaded twice. Raises
    _HandOffFailed when the server refuses or cannot be reached."""
    try:
        body, content_type = _multipart(path, fields)
    except OSError as exc:
        raise _HandOffFailed(f"无法读取 {path}：{exc.strerror}") from None
    headers = {"Content-Type": content_type, **({"Authorization": f"Bearer {token}"} if token else {})}
    retried = False
    while True:
        request = urllib.request.Request(f"{server.rstrip('/')}/api/submissions", data=body, headers=headers,
                                         method="POST")
        try:
            with urllib.request.urlopen(request, timeout=600) as answer:
                return json.load(answer)["files"]
        except urllib.error.HTTPError as refused:
            try:
                reason = json.load(refused)["message"]
            except (ValueError, KeyError, TypeError):
                reason = refused.reason
            raise _HandOffFailed(f"服务拒收 {path.name}（HTTP {refused.code}）：{reason}") from None
        except OSError as exc:  # URLError (refused connection, unknown host), resets and timeouts
            if not retried and _was_reset(exc):
                retried = True
                continue
            raise _HandOffFailed(f"无法连接服务 {server}：{getattr(exc, 'reason', exc)}") from None


def _was_reset(exc: OSError) -> bool:
    """Whether the connection was reset or closed before the answer (directly, or inside a URLError)."""
    return isinstance(exc, (ConnectionResetError, BrokenPipeError)) or isinstance(
        getattr(exc, "reason", None), (ConnectionResetError, BrokenPipeError))


def _load_here(args: argparse.Namespace) -> list[dict]:
    """Load the files into the database file this process opens (StoreBusy while another process holds it)."""
    received_at = dt.datetime.combine(args.received_at, dt.time()) if args.received_at else None
    with cli.database(args.db) as con:
        return [ingest_file(con, path, CLI_ACTOR, received_at=received_at, period=args.period,
                            unit_code=args.unit, mode=args.mode).as_json() for path in args.files]


def _hand_off(args: argparse.Namespace) -> tuple[list[dict], _HandOffFailed | None]:
    """Send the files one by one to the server: the reports of those it took, and why it stopped (None when every
    file was sent)."""
    fields = {name: value for name, value in (
        ("period", args.period and f"{args.period:%Y-%m}"), ("unit", args.unit),
        ("received_at", args.received_at and args.received_at.isoformat()), ("mode", args.mode)) if value}
    reports: list[dict] = []
    try:
        for path in args.files:
            reports += _send_file(args.server, args.token, path, fields)
    except _HandOffFailed as failed:
        return reports, failed
    return reports, None


@cli.refuses_when_busy
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.ingest", description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument("--received-at", type=cli.day, help="date the bureau received the files (back-filling)")
    parser.add_argument("--period", type=cli.month, help="报告期 for files without a 报告期 column, YYYY-MM")
    parser.add_argument("--unit", help="填报单位 (code or name) for files without a 填报单位 column")
    parser.add_argument("--mode", choices=MODES, default="amend",
                        help="a second file for a unit and month: amend (default) or replace the earlier ones")
    parser.add_argument("--db", help="database file (default: ZS_DB or settings)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--server", default=os.environ.get("ZS_API_URL"),
                        help="send the files to this server instead of opening a database (default: ZS_API_URL)")
    parser.add_argument("--token", default=os.environ.get("ZS_API_TOKEN"),
                        help="API token for --server (default: ZS_API_TOKEN)")
    args = parser.parse_args(argv)
    if args.server and args.db:
        parser.error("--db 与 --server（或 ZS_API_URL）只能用其一")
    failed = None
    if args.server:
        reports, failed = _hand_off(args)
    else:
        try:
            reports = _load_here(args)
        except db.StoreBusy as busy:
            raise db.StoreBusy(f"{busy}；{HAND_OFF_HINT}") from busy
    if args.json:
        print(json.dumps({"files": reports}, ensure_ascii=False, indent=1))
    else:
        for report in reports:
            _print_report(report)
    if failed:
        print(failed, file=sys.stderr)
        return cli.BUSY_EXIT
    return 1 if any(r["status"] == "rejected" for r in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
