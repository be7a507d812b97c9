"""Write the monthly 通报 for a report month (or as of a day) to a Word or Excel file.

Usage: python -m pipelines.bulletin (--period YYYY-MM [--known-by YYYY-MM-DD] | --as-of YYYY-MM-DD)
                                    --out FILE.docx|FILE.xlsx [--edition] [--db PATH]
--period P is the 通报 for month P (DOMAIN §4): the figures at P's last day, counting the files received by the end
of --known-by (default today), e.g. "11月通报" produced on 12 December counts November's reports sent by the 10th.
Without --edition the file is a draft (期号 "第  期（草稿）", nothing kept); with --edition (and --period) the next
numbered edition is produced with the drafted 四、存在问题 and 五、下步工作, kept, its 期号 printed and its file
written (pipelines.bulletin.editions)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipelines import cli
from pipelines.bulletin import editions
from pipelines.bulletin.content import NoUnits
from pipelines.bulletin.files import RENDERERS
from pipelines.ingest.run import CLI_ACTOR
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
    parser.add_argument("--edition", action="store_true", help="with --period: produce and keep the next numbered "
                                                                   "edition (admin)")
    parser.add_argument("--db", help="database file (default: ZS_DB or settings)")
    args = parser.parse_args(argv)
    if args.known_by and not args.period:
        parser.error("--known-by 须与 --period 一起使用")
    if args.edition and not args.period:
        parser.error("--edition 须与 --period 一起使用：编号印发的是某月的通报")
    as_of, known_by = args.as_of, None
    if args.period:
        as_of, known_by = month_end(args.period), cli.knowledge_day(parser, args.period, args.known_by)
    render = RENDERERS.get(args.out.suffix.lower().lstrip("."))
    if render is None:
        print(f"不支持的文件类型：{args.out.name}。通报只能导出为 .docx（Word）或 .xlsx（Excel）。", file=sys.stderr)
        return 1
    with cli.database(args.db) as con:
        try:
            if args.edition:
                edition = editions.produce(con, CLI_ACTOR, args.period, known_by)
                data = editions.edition_file(con, edition.year, edition.number, args.out.suffix.lower().lstrip("."))
                print(f"已印发{edition.label}通报")
            else:
                data = render(con, as_of, known_by=known_by)
        except (NoUnits, editions.EditionRefused) as exc:
            print(exc, file=sys.stderr)
            return 1
    cli.write_out(args.out, data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
