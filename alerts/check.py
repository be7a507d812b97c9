"""`python -m alerts.check --as-of YYYY-MM-DD [--json] [--db PATH]`: evaluate every rule once and print the
warnings open after that evaluation (DOMAIN §9)."""
from __future__ import annotations

import argparse
import datetime as dt
import sys

import pandas as pd

from alerts.evaluate import evaluate, open_warnings
from alerts.rules import RULE_BY_ID
from pipelines import cli
from pipelines.vocabulary import GRADE_LABELS


@cli.refuses_when_busy
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m alerts.check", description=__doc__.splitlines()[0])
    parser.add_argument("--as-of", type=cli.day, default=dt.date.today(), help="the day, YYYY-MM-DD (default today)")
    cli.output_arguments(parser)
    args = parser.parse_args(argv)
    with cli.database(args.db) as con:
        evaluate(con, args.as_of)
        warnings = open_warnings(con)
    alerts = [{"rule": w.rule, "subject": w.subject, "unit": w.unit_code, "grade": w.grade,
               "since": None if pd.isna(w.since) else pd.Timestamp(w.since).date().isoformat(),
               "detail": w.detail} for w in warnings.itertuples(index=False)]
    cli.emit({"as_of": args.as_of.isoformat(), "alerts": alerts}, args.json, _print_table)
    return 0


def _print_table(data: dict) -> None:
    for alert in data["alerts"]:
        print(f"[{GRADE_LABELS[alert['grade']]}] {RULE_BY_ID[alert['rule']].name} {alert['unit'] or ''} "
              f"{alert['detail']}")
    print(f"共 {len(data['alerts'])} 条预警（截至 {data['as_of']}）")


if __name__ == "__main__":
    sys.exit(main())
