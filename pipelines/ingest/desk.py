"""The submission desk (数据填报): the report month a unit hands in now, a workbook sent from a browser checked
(writing nothing) and then loaded through pipelines.ingest.run, the changes it brings grouped as the desk shows them,
and the history of the files each unit sent with the rows that were refused and why.

Scope: a unit user's file is always loaded as its own unit's (pipelines.ingest.run forces it) and its history lists
only its unit's files; `unit` arguments here are that scope (None: every unit), never a wish of the page."""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.access import Actor
from pipelines.ingest import run
from pipelines.ingest.validate import Problem
from pipelines.months import add_months
from pipelines.store import queries

# The file types the desk accepts (pipelines.ingest.workbook reads them).
UPLOAD_TYPES = ("xlsx", "xls", "csv")
# File names longer than this (in bytes) are not kept for the temporary copy (file systems stop at 255).
_LONGEST_NAME = 200

# The groups of changes the desk shows before loading: label → the kinds of change (run.preview_changes)
# in it. The first five are always shown, 日期更正 only when a file brings one.
CHANGE_GROUPS: dict[str, tuple[str, ...]] = {
    "新项目": ("新项目",),
    "达到节点": ("达到节点",),
    "金额变化": ("金额变化",),
    "状态变化": ("状态变化",),
    "本期未报": (run.LEFT_OUT,),
    "被拒收": (run.REJECTED,),
    "整表替换后移出": (run.DROPPED,),
    "日期更正": ("日期更正", "节点日期清空"),
}
ALWAYS_SHOWN = ("新项目", "达到节点", "金额变化", "状态变化", "本期未报")
# A submission's state as the history shows it.
STATUS_LABELS = {"loaded": "已载入", "rejected": "整份退回"}
REPLACED_LABEL = "已被后报文件替代"


def period_due(today: dt.date) -> dt.date:
    """The report month units hand in during the month of `today`: the month before it (its update is due by
    [duty] due_day of this month)."""
    return add_months(today.replace(day=1), -1)


def report_months(today: dt.date, count: int) -> list[dt.date]:
    """The report months a file can be for, newest first: the month of `today`, then `count` − 1 months before it."""
    this_month = today.replace(day=1)
    return [add_months(this_month, -back) for back in range(count)]


def received_at(day: dt.date | None, now: dt.datetime) -> dt.datetime:
    """When the bureau received a file: now, unless an admin back-fills it as received on an earlier `day`
    (then at the start of that day, as `python -m pipelines.ingest --received-at` does)."""
    if day is None or day >= now.date():
        return now
    return dt.datetime.combine(day, dt.time())


@dataclass(frozen=True)
class Upload:
    """A workbook as the browser sent it: the file's name and its bytes."""

    file_name: str
    content: bytes

    @property
    def digest(self) -> str:
        """SHA-256 of the bytes: the same file gives the same digest (as run.content_hash)."""
        return hashlib.sha256(self.content).hexdigest()


@contextlib.contextmanager
def _saved(upload: Upload) -> Iterator[Path]:
    # The readers take a path, tell CSV from its extension and name a CSV's one sheet after the file, so the
    # bytes are written under the sender's file name (its last part only) in a folder of their own.
    name = Path(upload.file_name).name
    if name in ("", ".", "..") or len(name.encode()) > _LONGEST_NAME:
        name = "upload" + Path(name).suffix[:8]
    with tempfile.TemporaryDirectory(prefix="zs-upload-") as folder:
        path = Path(folder) / name
        path.write_bytes(upload.content)
        yield path


def preview_upload(con: duckdb.DuckDBPyConnection, upload: Upload, actor: Actor, *, period: dt.date | None = None,
                   unit_code: str | None = None, received: dt.datetime | None = None,
                   mode: str = "amend") -> run.Preview:
    """What loading the upload would do, writing nothing (run.preview_file): rejected rows with their row,
    column and reason, warnings, and the changes against the projects' state as last reported (for a replacement,
    the projects that would drop out of the month)."""
    with _saved(upload) as path:
        return run.preview_file(con, path, actor, received_at=received, period=period, unit_code=unit_code,
                                file_name=upload.file_name, mode=mode)


def ingest_upload(con: duckdb.DuckDBPyConnection, upload: Upload, actor: Actor, *, period: dt.date | None = None,
                  unit_code: str | None = None, received: dt.datetime | None = None,
                  mode: str = "amend") -> run.FileReport:
    """Load the upload (run.ingest_file with the same arguments as its preview): its report, with the new
    submission's number."""
    with _saved(upload) as path:
        return run.ingest_file(con, path, actor, received_at=received, period=period, unit_code=unit_code,
                               file_name=upload.file_name, mode=mode)


def problems_frame(problems: list[Problem]) -> pd.DataFrame:
    """Problems found in a file as a table: sheet, row, column, reason."""
    return pd.DataFrame([(p.sheet, p.row, p.column, p.reason) for p in problems],
                        columns=["sheet", "row", "column", "reason"])


def change_groups(changes: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """A preview's changes by group (CHANGE_GROUPS), in the groups' order: every always-shown group, even empty,
    and 日期更正 when there is one."""
    groups = {label: changes[changes["change"].isin(kinds)].reset_index(drop=True)
              for label, kinds in CHANGE_GROUPS.items()}
    return {label: found for label, found in groups.items() if label in ALWAYS_SHOWN or len(found)}


def history(con: duckdb.DuckDBPyConnection, unit: str | None, limit: int,
            as_of: dt.date | None = None) -> pd.DataFrame:
    """The submissions of `unit` (None: every unit), the latest sent first, at most `limit`: id, kind, file_name,
    unit_code, unit_name, period, received_at, submitted_by, submitter (display name), rows_loaded, rows_rejected,
    rows_warned, status (loaded / rejected), replaced (a later file for its unit and month is in force),
    status_label (已载入, 已被后报文件替代, 整份退回), message (why a file was refused whole). A unit's history
    holds the files reporting it and the files its users sent that were refused whole."""
    found = queries.frame(con, "submission_history", unit=unit, id=None, limit=limit,
                          as_of=as_of or dt.date.today())
    found["status_label"] = found["status"].map(STATUS_LABELS).where(~found["replaced"], REPLACED_LABEL)
    return found


def with_problems(files: pd.DataFrame) -> pd.DataFrame:
    """The files of a history with something to explain: refused whole, or with rows refused or warned."""
    return files[(files["status"] == "rejected") | (files["rows_rejected"] > 0) | (files["rows_warned"] > 0)]


def problems(con: duckdb.DuckDBPyConnection, submission_id: int, unit: str | None) -> pd.DataFrame:
    """The rows submission `submission_id` refused (severity 'error') and those it loaded with a warning: sheet,
    row_number, column_name, severity, reason. LookupError when the submission is not in `unit`'s history."""
    found = queries.rows(con, "submission_history", unit=unit, id=submission_id, limit=1, as_of=dt.date.today())
    if not found:
        raise LookupError(f"submission {submission_id} is not in the history of {unit or 'any unit'}")
    return queries.frame(con, "submission_problems", id=submission_id)
