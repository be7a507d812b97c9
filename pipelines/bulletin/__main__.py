"""Write the monthly 通报 for a report month (or as of a day) to a Word or Excel file.

Usage: python -m pipelines.bulletin (--period YYYY-MM [--known-by YYYY-MM-DD] | --as-of YYYY-MM-DD)
                                    --out FILE.docx|FILE.xlsx [--db PATH]
--period P is the 通报 for month P (DOMAIN §4): the figures at P's last day, counting the files received by the end
of --known-by (default today), e.g. "11月通报" produced on 12 December counts November's reports sent by the 10th."""
from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from pipelines import cli
from pipelines.bulletin.content import NoUnits
from pipelines.bulletin.files import RENDERERS
from pipelines.months import month_end


@cli.refuses_when_busy
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.bulletin", description=__doc__.splitlines()[0])
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--period", type=cli.month, help="the report month, YYYY-MM")
    which.add_argument("--as-of", type=cli.day, help="the day, YYYY-MM-DD (figures and files as of its end)")
    parser.add_argument("--known-by", type=cli.day, help="with --period: files received by the end of this day "
                                                          "(default today)")
    parser.add_argument("--out", type=Path, required=True, help="the file to write, .docx or .xlsx")
    parser.add_argument("--db", help="database file (default: ZS_DB or settings)")
    args = parser.parse_args(argv)
    if args.known_by and not args.period:
        parser.error("--known-by 须与 --period 一起使用")
    as_of, known_by = args.as_of, None
    if args.period:
        as_of, known_by = month_end(args.period), args.known_by or dt.date.today()
        if known_by < as_of:
            parser.error(f"--known-by 不能早于 {args.period:%Y-%m} 的最后一天（{as_of}）")
    render = RENDERERS.get(args.out.suffix.lower().lstrip("."))
    if render is None:
        print(f"不支持的文件类型：{args.out.name}。通报只能导出为 .docx（Word）或 .xlsx（Excel）。", file=sys.stderr)
        return 1
    with cli.database(args.db) as con:
        try:
            data = render(con, as_of, known_by=known_by)
        except NoUnits as exc:
            print(exc, file=sys.stderr)
            return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    print(f"已写出 {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
