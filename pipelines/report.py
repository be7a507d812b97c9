"""The report of DOMAIN §9: figures, scores and ranks of every unit as of a day or for a report month, as JSON or a
terminal table.

Usage: python -m pipelines.report [--as-of YYYY-MM-DD | --period YYYY-MM [--known-by YYYY-MM-DD]] [--json] [--db PATH]
--as-of D is the period end and knowledge day D (DOMAIN §4); --period P is the report for month P: period end its
last day, knowledge day --known-by (default today)."""
from __future__ import annotations

import argparse
import datetime as dt
import math
import sys

import duckdb

from pipelines import cli, settings
from pipelines.figures.assessment import Assessment, assess, completion, records
from pipelines.months import due_date, month_end
from pipelines.vocabulary import TARGETS, WAN_PER_YI

FIGURE_FIELDS = ("signed", "signed_amount_wan", "commenced", "in_stats", "completed", "production",
                 "commencement_rate", "stats_rate", "production_rate", "funds_rate", "invested_year_wan",
                 "investment_completion_rate", "overdue_updates", "reports_expected",
                 "reports_received", "reports_on_time", "reporting_rate", "on_time_rate", "late_reports",
                 "forgotten_updates")
UNIT_FIELDS = ("code", "name", "group", *FIGURE_FIELDS, "bonus", "deduction", "score", "rank", "group_rank",
               "excellent", "late_tasks", "veto_proposed")


def _plain(value: object) -> object:
    """A JSON-ready Python value: numpy scalars unwrapped, NaN as None."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def report(con: duckdb.DuckDBPyConnection, as_of: dt.date, config: settings.Settings | None = None,
           known_by: dt.date | None = None) -> dict:
    """The report object of DOMAIN §9 for the period end `as_of` known by the end of `known_by` (default: as of
    `as_of`); rates are fractions or None, score unrounded."""
    return _as_json(assess(con, as_of, config, known_by=known_by, ledger=False))


def _as_json(result: Assessment) -> dict:
    as_of, progress = result.as_of, result.time_progress
    targets = dict(zip(result.targets.index.tolist(), records(result.targets)))
    # the fields printed and the actuals of the targets' completion
    units = records(result.units[list(dict.fromkeys([*UNIT_FIELDS, *(t.actual for t in TARGETS)]))])
    return {
        "as_of": as_of.isoformat(),
        "period_end": as_of.isoformat(),
        "known_by": result.known.isoformat(),
        "year": result.year,
        "time_progress": progress,
        "overall": {**{name: _plain(result.overall[name]) for name in FIGURE_FIELDS},
                    **result.county_completion()},
        "units": [{**{name: _plain(row[name]) for name in UNIT_FIELDS},
                   **completion(row, targets.get(row["code"]), progress)} for row in units],
    }


def month_report(con: duckdb.DuckDBPyConnection, period: dt.date, known_by: dt.date,
                 config: settings.Settings | None = None) -> dict:
    """The report for month `period` (DOMAIN §4): period end its last day, known by `known_by` (on or after it),
    with `period` (YYYY-MM), its `due_date`, and `not_reported`: the units that owe the month and whose report
    for it had not arrived by `known_by`, each {code, name}."""
    end = month_end(period)
    if known_by < end:
        raise ValueError(f"known_by {known_by} is before the end of {period:%Y-%m}")
    config = config or settings.current()
    result = assess(con, end, config, known_by=known_by, ledger=False)
    data = _as_json(result)
    data["period"] = f"{period:%Y-%m}"
    data["due_date"] = due_date(period, config.duty.due_day).isoformat()
    names = {u["code"]: u["name"] for u in data["units"]}
    data["not_reported"] = [{"code": code, "name": names[code]}
                            for code in result.reports.not_received(period) if code in names]
    return data


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.1%}"


def _print_table(data: dict) -> None:
    if "period" in data:
        print(f"{data['period']} 月报（数据截至 {data['known_by']}，{data['year']}年，序时进度 {data['time_progress']:.1%}）")
        if data["not_reported"]:
            print(f"尚未报送（截止 {data['due_date']}）：{'、'.join(u['name'] for u in data['not_reported'])}")
    else:
        print(f"截至 {data['as_of']}（{data['year']}年，序时进度 {data['time_progress']:.1%}）")
    header = f"{'排名':>4} {'组内':>4} {'单元':<12} {'签约':>4} {'签约额(亿)':>10} {'开工':>4} {'纳统':>4} {'投产':>4} " \
             f"{'开工率':>7} {'纳统率':>7} {'报送率':>7} {'及时率':>7} {'扣分':>5} {'得分':>7}"
    print(header)
    for unit in data["units"]:
        mark = " 优秀" if unit["excellent"] else ""
        print(f"{unit['rank']:>4} {unit['group_rank']:>4} {unit['name']:<12} {unit['signed']:>4} "
              f"{unit['signed_amount_wan'] / WAN_PER_YI:>10.2f} {unit['commenced']:>4} {unit['in_stats']:>4} "
              f"{unit['production']:>4} {_percent(unit['commencement_rate']):>7} {_percent(unit['stats_rate']):>7} "
              f"{_percent(unit['reporting_rate']):>7} {_percent(unit['on_time_rate']):>7} {unit['deduction']:>5.1f} "
              f"{unit['score']:>7.2f}{mark}")
    overall = data["overall"]
    print(f"全县：签约 {overall['signed']} 个，{overall['signed_amount_wan'] / WAN_PER_YI:.2f} 亿元；开工 {overall['commenced']}；"
          f"纳统 {overall['in_stats']}；投产 {overall['production']}；开工率 {_percent(overall['commencement_rate'])}；"
          f"纳统率 {_percent(overall['stats_rate'])}；报送率 {_percent(overall['reporting_rate'])}，"
          f"及时率 {_percent(overall['on_time_rate'])}")


@cli.refuses_when_busy
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.report", description=__doc__.splitlines()[0])
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--as-of", type=cli.day, help="the day, YYYY-MM-DD (default today)")
    which.add_argument("--period", type=cli.month, help="the report for this month, YYYY-MM")
    parser.add_argument("--known-by", type=cli.day,
                        help="with --period: the files received by the end of this day (default today)")
    cli.output_arguments(parser)
    args = parser.parse_args(argv)
    if args.known_by and not args.period:
        parser.error("--known-by 须与 --period 一起使用")
    known_by = cli.knowledge_day(parser, args.period, args.known_by) if args.period else None
    with cli.database(args.db) as con:
        if args.period:
            data = month_report(con, args.period, known_by)
        else:
            data = report(con, args.as_of or dt.date.today())
    cli.emit(data, args.json, _print_table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
