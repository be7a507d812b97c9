"""督办事项 as known at the end of a day (DOMAIN §9, §10), as JSON or a terminal table.

Usage: python -m pipelines.tasks [--as-of YYYY-MM-DD] [--json] [--db PATH]"""
from __future__ import annotations

import argparse
import datetime as dt
import sys

from pipelines import cli
from pipelines.admin.tasks import STATE_LABELS, listing


def _print_table(data: dict) -> None:
    print(f"督办事项（截至 {data['as_of']}，共 {len(data['tasks'])} 项）")
    for t in data["tasks"]:
        flags = "".join(mark for mark, on in (("［重要］", t["important"]), ("［临期］", t["due_soon"]),
                                               ("［逾期］", t["late"])) if on)
        print(f"{t['code']}  {t['unit']}  期限 {t['deadline']}  {STATE_LABELS[t['state']]}{flags}  {t['title']}")


@cli.refuses_when_busy
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.tasks", description=__doc__.splitlines()[0])
    parser.add_argument("--as-of", type=cli.day, default=None, help="the day, YYYY-MM-DD (default today)")
    cli.output_arguments(parser)
    args = parser.parse_args(argv)
    with cli.database(args.db) as con:
        data = listing(con, args.as_of or dt.date.today())
    cli.emit(data, args.json, _print_table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
