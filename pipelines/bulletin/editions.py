"""The numbered editions of the monthly 通报 (issue 18): an admin produces the 通报 of a month that has ended, known
by a day from the month's end to today, with 四、存在问题 and 五、下步工作 as edited; it gets the year's next 期号
(settings [bulletin] first_number for the year's first) and is kept with its texts and files, so that it downloads
again byte for byte whatever the data has become since. Every refusal is a Chinese reason and writes nothing."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from pipelines.access import Actor, require_admin
from pipelines.bulletin.content import Bulletin, bulletin_content
from pipelines.bulletin.excel import render_xlsx
from pipelines.bulletin.word import render_docx
from pipelines.months import month_end
from pipelines.settings import Settings, current
from pipelines.store import db

FORMATS = ("docx", "xlsx")
_COLUMNS = "year, number, period, known_by, problems_text, next_steps_text, produced_by, produced_at"


class EditionRefused(ValueError):
    """The edition cannot be produced as asked (the month has not ended, the day is out of range)."""


@dataclass(frozen=True)
class Edition:
    """One produced 通报: its 期号 in the year it is dated, the report month (first day) and knowledge day it was
    made for, the texts of 四 and 五 as printed, who produced it and when."""

    year: int
    number: int
    period: dt.date
    known_by: dt.date
    problems_text: str
    next_steps_text: str
    produced_by: str
    produced_at: dt.datetime

    @property
    def label(self) -> str:
        """'2026年第3期'."""
        return f"{self.year}年第{self.number}期"

    def file_name(self, fmt: str) -> str:
        """'招商引资工作通报2026年第3期（2026年11月）.docx' (the 机关名称 in force when it is downloaded)."""
        return f"{current().bulletin.title}{self.label}（{self.period.year}年{self.period.month}月）.{fmt}"


def next_number(con: duckdb.DuckDBPyConnection, year: int, config: Settings | None = None) -> int:
    """The 期号 the next edition dated in `year` gets: one after the year's last, or [bulletin] first_number for
    the year's first."""
    last = con.execute("SELECT max(number) FROM bulletin_editions WHERE year = ?", [year]).fetchone()[0]
    return (config or current()).bulletin.first_number if last is None else last + 1


def _check(period: dt.date, known_by: dt.date, today: dt.date) -> dt.date:
    """The period end of the report for month `period` known by `known_by` (DOMAIN §4), or EditionRefused."""
    end = month_end(period)
    if end > today:
        raise EditionRefused(f"{period.year}年{period.month}月尚未结束，不能印发该月的通报。")
    if known_by < end:
        raise EditionRefused(f"数据截至日期 {known_by:%Y-%m-%d} 早于统计期最后一天 {end:%Y-%m-%d}，"
                             "月度通报只能统计该月结束以后收到的报表。")
    if known_by > today:
        raise EditionRefused(f"数据截至日期 {known_by:%Y-%m-%d} 晚于今天，不能统计尚未收到的报表。")
    return end


def preview(con: duckdb.DuckDBPyConnection, period: dt.date, known_by: dt.date, *,
            problems_text: str | None = None, next_steps_text: str | None = None,
            today: dt.date | None = None) -> Bulletin:
    """The 通报 the next edition for month `period` known by `known_by` would be, with the drafts of 四 and 五
    unless texts are given, numbered as a draft; EditionRefused as `produce` would refuse it."""
    end = _check(period, known_by, today or dt.date.today())
    return bulletin_content(con, end, known_by=known_by, problems_text=problems_text,
                            next_steps_text=next_steps_text)


def produce(con: duckdb.DuckDBPyConnection, actor: Actor, period: dt.date, known_by: dt.date, *,
            problems_text: str | None = None, next_steps_text: str | None = None,
            today: dt.date | None = None, now: dt.datetime | None = None) -> Edition:
    """Produce and keep the next numbered edition of the 通报 for month `period` known by `known_by`: 四 and 五 as
    given (None: the drafts), dated `known_by` and numbered in its year; audited. PermissionError for anyone but
    an admin; EditionRefused for a month not yet ended or a knowledge day before its end or after today; NoUnits
    without a unit register."""
    require_admin(actor, "不能印发通报")
    end = _check(period, known_by, today or dt.date.today())
    with db.transaction(con):
        year = known_by.year
        number = next_number(con, year)
        bulletin = bulletin_content(con, end, known_by=known_by, problems_text=problems_text,
                                    next_steps_text=next_steps_text, number=number)
        edition = Edition(year, number, period.replace(day=1), known_by, bulletin.problems, bulletin.next_steps,
                          actor.name, now or dt.datetime.now())
        con.execute(f"INSERT INTO bulletin_editions ({_COLUMNS}, docx, xlsx) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [edition.year, edition.number, edition.period, edition.known_by, edition.problems_text,
                     edition.next_steps_text, edition.produced_by, edition.produced_at, render_docx(bulletin),
                     render_xlsx(bulletin)])
        db.audit(con, actor.name, "bulletin_edition", edition.label,
                 {"period": f"{edition.period:%Y-%m}", "known_by": edition.known_by.isoformat()})
    return edition


def editions(con: duckdb.DuckDBPyConnection) -> list[Edition]:
    """Every kept edition, newest first."""
    rows = con.execute(f"SELECT {_COLUMNS} FROM bulletin_editions ORDER BY year DESC, number DESC").fetchall()
    return [Edition(*row) for row in rows]


def edition_file(con: duckdb.DuckDBPyConnection, year: int, number: int, fmt: str = "docx") -> bytes:
    """The file of an edition exactly as it was produced: Word ('docx') or Excel ('xlsx'); LookupError when there
    is no such edition."""
    if fmt not in FORMATS:
        raise ValueError(f"通报只能下载为 {' 或 '.join(FORMATS)}，不能是 {fmt}")
    # The column name comes from the allow-list above, never from input as such.
    found = con.execute(f"SELECT {fmt} FROM bulletin_editions WHERE year = ? AND number = ?",
                        [year, number]).fetchone()
    if found is None:
        raise LookupError(f"没有{year}年第{number}期通报。")
    return bytes(found[0])
