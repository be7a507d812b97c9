"""The inbox: workbooks dropped into a shared folder are loaded as if uploaded, then moved out of the way.

Many bureaus collect reports in a shared folder. A file in `inbox.dir` is loaded once it has stopped changing (same
size and modification time at two scans at least `inbox.settle_seconds` apart), so a file still being copied is
left alone. Files at the top level are loaded as an admin (the unit comes from the file);
files in a subfolder named after a unit (code or name) are loaded as that unit, with its rights. A loaded or
duplicate file moves to `inbox.archive_dir/YYYY-MM/`, a rejected one to `inbox.rejected_dir`; beside it, a
problems file in plain Chinese lists every rejected row with its column and reason."""
from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.access import Actor
from pipelines.ingest.run import FileReport, ingest_file
from pipelines.settings import ROOT, InboxSettings, Settings, current

ADMIN = Actor("收件箱", "admin")
# Office lock files, partial downloads and the like: never reports.
_IGNORED_PREFIXES = ("~$", ".", "~")
_IGNORED_SUFFIXES = (".tmp", ".part", ".crdownload", ".filepart", ".partial", ".download")
_STATUS = {"loaded": "已载入", "duplicate": "重复文件，未重复载入", "rejected": "整份拒收"}


@dataclass
class Outcome:
    """What became of one inbox file."""

    file: str
    status: str               # loaded / duplicate / rejected
    moved_to: str
    problems_file: str | None
    report: FileReport | None = field(default=None, repr=False)


def _folder(path: str) -> Path:
    folder = Path(path)
    return folder if folder.is_absolute() else ROOT / folder


def _is_candidate(path: Path) -> bool:
    name = path.name
    return path.is_file() and not name.startswith(_IGNORED_PREFIXES) and not name.lower().endswith(_IGNORED_SUFFIXES)


class Inbox:
    """One inbox folder and what was seen in it at the previous scan (how a still-growing file is told apart)."""

    def __init__(self, settings: InboxSettings | None = None) -> None:
        self.settings = settings or current().inbox
        self.dir = _folder(self.settings.dir)
        self.archive = _folder(self.settings.archive_dir)
        self.rejected = _folder(self.settings.rejected_dir)
        self._seen: dict[Path, tuple[tuple[int, float], dt.datetime]] = {}  # signature, first seen

    def _files(self) -> list[tuple[Path, str | None]]:
        """Candidate files with the unit folder they sit in (None at the top level), oldest first."""
        found = [(p, None) for p in self.dir.iterdir() if _is_candidate(p)]
        for folder in (d for d in self.dir.iterdir() if d.is_dir() and not d.name.startswith(".")):
            found += [(p, folder.name) for p in folder.iterdir() if _is_candidate(p)]
        return sorted(found, key=lambda item: item[0].stat().st_mtime)

    def _settled(self, path: Path, now: dt.datetime) -> bool:
        """True when the file has kept its size and modification time since an earlier scan at least
        settle_seconds ago (timed by this process's clock: a shared folder's clock may be off)."""
        stat = path.stat()
        signature = (stat.st_size, stat.st_mtime)
        previous = self._seen.get(path)
        if previous is None or previous[0] != signature:
            self._seen[path] = (signature, now)
            return False
        return (now - previous[1]).total_seconds() >= self.settings.settle_seconds

    def scan(self, con: duckdb.DuckDBPyConnection, now: dt.datetime | None = None,
             config: Settings | None = None) -> list[Outcome]:
        """Load every settled file of the inbox and move it to the archive or the rejected folder; return what
        became of each. Files still changing stay for a later scan."""
        now = now or dt.datetime.now()
        for folder in (self.dir, self.archive, self.rejected):
            folder.mkdir(parents=True, exist_ok=True)
        units = dict(con.execute("SELECT code, name FROM units").fetchall())
        by_name = {name: code for code, name in units.items()} | {code: code for code in units}
        outcomes = []
        for path, folder in self._files():
            if not self._settled(path, now):
                continue
            self._seen.pop(path, None)
            outcomes.append(self._take(con, path, folder, by_name, now, config))
        # forget files that went away without being taken (renamed or deleted by a person)
        self._seen = {p: s for p, s in self._seen.items() if p.exists()}
        return outcomes

    def _take(self, con: duckdb.DuckDBPyConnection, path: Path, folder: str | None, units: dict[str, str],
              now: dt.datetime, config: Settings | None) -> Outcome:
        unit = units.get(folder) if folder else None
        if folder and unit is None:
            report = FileReport(path.name, None, "rejected",
                                message=f"文件夹“{folder}”不是招商单元的编码或名称：请放到本单元的文件夹或收件箱根目录")
        else:
            actor = Actor(f"收件箱/{folder}", "unit", unit) if unit else ADMIN
            report = ingest_file(con, path, actor, received_at=now, config=config)
        target_dir = self.rejected if report.status == "rejected" else self.archive / f"{now:%Y-%m}"
        target_dir.mkdir(parents=True, exist_ok=True)
        prefix = f"{now:%Y%m%d-%H%M%S}_" + (f"{folder}_" if folder else "")
        target = target_dir / (prefix + path.name)
        shutil.move(str(path), target)
        problems = None
        if report.status == "rejected" or report.rejections or report.warnings:
            problems = target.with_name(target.name + ".问题说明.txt")
            problems.write_text(problems_text(report, now), encoding="utf-8-sig")  # BOM: Notepad opens it right
        return Outcome(path.name, report.status, str(target), str(problems) if problems else None, report)


def problems_text(report: FileReport, now: dt.datetime) -> str:
    """The problems file: what became of the file and every rejected row or warning, one per line, in words a
    填报员 can act on."""
    lines = [f"文件：{report.file}", f"处理时间：{now:%Y-%m-%d %H:%M}", f"结果：{_STATUS[report.status]}"]
    if report.message:
        lines.append(f"原因：{report.message}")
    if report.status == "loaded":
        lines.append(f"载入 {report.rows_loaded} 行，拒收 {report.rows_rejected} 行。请改正被拒收的行后重新报送整份表"
                     "（同一单元同一月份的新文件会整体取代旧文件，只报送改正的行会使其他项目退回上月状态）。")
    if report.status != "rejected" or not report.message:
        lines += ["", "被拒收的行："] + [f"  {p.reason}" for p in report.rejections] if report.rejections else []
    if report.warnings:
        lines += ["", "提示（已载入，请核对）："] + [f"  {p.reason}" for p in report.warnings]
    return "\n".join(lines) + "\n"
