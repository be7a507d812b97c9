"""What every command shares: argument types for days and months, the --json/--db options and printing JSON or a
table, opening the database with the settings the dashboard would use, and refusing in one line (exit 2) while the
dashboard server holds the database."""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb

from pipelines import settings
from pipelines.admin import overrides
from pipelines.cells import CellProblem, parse_period
from pipelines.months import RANGE_TEXT, in_range, month_end
from pipelines.store import db

BUSY_EXIT = 2


def day(text: str) -> dt.date:
    """An argparse type: a day written YYYY-MM-DD."""
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' 不是 YYYY-MM-DD 格式的日期") from None
    if not in_range(day):
        raise argparse.ArgumentTypeError(f"'{text}' 超出可用的日期范围（{RANGE_TEXT}）")
    return day


def month(text: str) -> dt.date:
    """An argparse type: a report month (2024-10, 2024年10月, …) as its first day."""
    try:
        return parse_period(text)
    except CellProblem as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def knowledge_day(parser: argparse.ArgumentParser, period: dt.date, known_by: dt.date | None) -> dt.date:
    """The knowledge day K of the report for month `period` (DOMAIN §4): --known-by, default today; a day before the
    month's last is refused as the parser refuses a bad argument."""
    known_by = known_by or dt.date.today()
    if known_by < month_end(period):
        parser.error(f"--known-by 不能早于 {period:%Y-%m} 的最后一天（{month_end(period)}）")
    return known_by


def output_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of a command that prints the JSON of DOMAIN §9 or a table: --json and --db."""
    parser.add_argument("--json", action="store_true", help="print the JSON object of DOMAIN §9")
    parser.add_argument("--db", help="database file (default: ZS_DB or settings)")


def emit(data: dict, as_json: bool, table: Callable[[dict], None]) -> None:
    """Print `data` as indented JSON (Chinese kept as written) or through `table`. A reader that stops early
    (`| head`) ends the output quietly, as other command-line tools do, instead of a BrokenPipeError traceback."""
    try:
        if as_json:
            print(json.dumps(data, ensure_ascii=False, indent=1))
        else:
            table(data)
        sys.stdout.flush()
    except BrokenPipeError:
        # Python would report the pipe again when it flushes stdout at exit: point stdout at nothing first.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def write_out(path: Path, data: bytes) -> None:
    """Write a command's output file (its folder made when missing) and say where."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    print(f"已写出 {path}")


@contextlib.contextmanager
def database(path: str | None) -> Iterator[duckdb.DuckDBPyConnection]:
    """The database of `--db` (else ZS_DB, else the settings' path), opened for a command with the admins'
    settings overrides put in force, so that a command scores, warns and checks exactly as the dashboard does;
    closed afterwards. Raises StoreBusy while another process holds it."""
    con = db.connect(settings.db_path(path))
    try:
        overrides.apply(con)
        yield con
    finally:
        con.close()


def refuses_when_busy(main: Callable[[list[str] | None], int]) -> Callable[[list[str] | None], int]:
    """Wrap a command's main(): when the database is held by another process, print the one-line reason and
    return BUSY_EXIT instead of a traceback."""
    @functools.wraps(main)
    def run(argv: list[str] | None = None) -> int:
        try:
            return main(argv)
        except db.StoreBusy as exc:
            print(exc, file=sys.stderr)
            return BUSY_EXIT
    return run
