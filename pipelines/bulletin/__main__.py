"""Write the monthly 通报 as of a day to a Word or Excel file.

Usage: python -m pipelines.bulletin --as-of YYYY-MM-DD --out FILE.docx|FILE.xlsx [--db PATH]"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipelines import cli
from pipelines.bulletin.content import NoUnits
from pipelines.bulletin.files import RENDERERS


@cli.refuses_when_busy
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.bulletin", description=__doc__.splitlines()[0])
    parser.add_argument("--as-of", type=cli.day, required=True, help="the day, YYYY-MM-DD")
    parser.add_argument("--out", type=Path, required=True, help="the file to write, .docx or .xlsx")
    parser.add_argument("--db", help="database file (default: ZS_DB or settings)")
    args = parser.parse_args(argv)
    render = RENDERERS.get(args.out.suffix.lower().lstrip("."))
    if render is None:
        print(f"不支持的文件类型：{args.out.name}。通报只能导出为 .docx（Word）或 .xlsx（Excel）。", file=sys.stderr)
        return 1
    with cli.database(args.db) as con:
        try:
            data = render(con, args.as_of)
        except NoUnits as exc:
            print(exc, file=sys.stderr)
            return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    print(f"已写出 {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
