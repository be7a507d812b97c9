"""The report of DOMAIN §9: figures, scores and ranks of every unit as of a day, as JSON or a terminal table.

Usage: python -m pipelines.report --as-of YYYY-MM-DD [--json] [--db PATH]"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys

import duckdb

from pipelines import cli, settings
from pipelines.figures.assessment import assess
from pipelines.vocabulary import WAN_PER_YI

FIGURE_FIELDS = ("signed", "signed_amount_wan", "commenced", "in_stats", "completed", "production",
                 "commencement_rate", "stats_rate", "overdue_updates")
UNIT_FIELDS = ("code", "name", "group", *FIGURE_FIELDS, "bonus", "deduction", "score", "rank", "group_rank",
               "excellent")


def _plain(value: object) -> object:
    """A JSON-ready Python value: numpy scalars unwrapped, NaN as None."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def report(con: duckdb.DuckDBPyConnection, as_of: dt.date, config: settings.Settings | None = None) -> dict:
    """The report object of DOMAIN §9 as of the end of `as_of`; rates are fractions or None, score unrounded."""
    result = assess(con, as_of, config)
    return {
        "as_of": as_of.isoformat(),
        "year": result.year,
        "time_progress": result.time_progress,
        "overall": {name: _plain(result.overall[name]) for name in FIGURE_FIELDS},
        "units": [{name: _plain(row[name]) for name in UNIT_FIELDS} for row in result.units.to_dict("records")],
    }


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.1%}"


def _print_table(data: dict) -> None:
    print(f"截至 {data['as_of']}（{data['year']}年，序时进度 {data['time_progress']:.1%}）")
    header = f"{'排名':>4} {'组内':>4} {'单元':<12} {'签约':>4} {'签约额(亿)':>10} {'开工':>4} {'纳统':>4} {'投产':>4} " \
             f"{'开工率':>7} {'纳统率':>7} {'逾期':>4} {'得分':>7}"
    print(header)
    for unit in data["units"]:
        mark = " 优秀" if unit["excellent"] else ""
        print(f"{unit['rank']:>4} {unit['group_rank']:>4} {unit['name']:<12} {unit['signed']:>4} "
              f"{unit['signed_amount_wan'] / WAN_PER_YI:>10.2f} {unit['commenced']:>4} {unit['in_stats']:>4} "
              f"{unit['production']:>4} {_percent(unit['commencement_rate']):>7} {_percent(unit['stats_rate']):>7} "
              f"{unit['overdue_updates']:>4} {unit['score']:>7.2f}{mark}")
    overall = data["overall"]
    print(f"全县：签约 {overall['signed']} 个，{overall['signed_amount_wan'] / WAN_PER_YI:.2f} 亿元；开工 {overall['commenced']}；"
          f"纳统 {overall['in_stats']}；投产 {overall['production']}；开工率 {_percent(overall['commencement_rate'])}；"
          f"纳统率 {_percent(overall['stats_rate'])}")


@cli.refuses_when_busy
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.report", description=__doc__.splitlines()[0])
    parser.add_argument("--as-of", type=cli.day, default=dt.date.today(), help="the day, YYYY-MM-DD (default today)")
    parser.add_argument("--json", action="store_true", help="print the JSON object of DOMAIN §9")
    parser.add_argument("--db", help="database file (default: ZS_DB or settings)")
    args = parser.parse_args(argv)
    with cli.database(args.db) as con:
        data = report(con, args.as_of)
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=1))
    else:
        _print_table(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
