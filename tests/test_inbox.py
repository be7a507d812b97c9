"""pipelines.ingest.inbox: files dropped into the shared folder load once complete, then move to the archive or, with
a problems file a 填报员 can act on, to the rejected folder; a file still being copied waits."""
from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pytest

from alerts import scheduler
from pipelines import settings
from pipelines.ingest.inbox import Inbox
from pipelines.store import db
from tests.fixtures import build


@pytest.fixture
def inbox(units, tmp_path) -> Inbox:
    """The test's inbox (folders under tmp_path, see conftest) with no settle time: two scans take a file."""
    config = settings.load(overrides={"inbox": {"settle_seconds": 0}})
    box = Inbox(config.inbox)
    box.dir.mkdir(parents=True, exist_ok=True)
    return box


def _tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_good_bad_and_half_written_files(units, inbox, tmp_path):
    """The good file loads and is archived; the bad one is moved aside with its problems; the one still being
    copied stays until it is complete and unchanged, then loads."""
    good = build.town_report(inbox.dir)
    bad = build.no_header_workbook(inbox.dir)
    whole = build.west_report_xls(tmp_path).read_bytes()
    half = inbox.dir / "城西街道10月.xls"
    half.write_bytes(whole[: len(whole) // 2])
    now = dt.datetime(2024, 11, 5, 9, 0)

    assert inbox.scan(units, now) == []  # first sighting of every file: nothing is taken yet
    half.write_bytes(whole[: len(whole) * 3 // 4])  # the copy goes on
    taken = {o.file: o for o in inbox.scan(units, now)}
    assert {name: o.status for name, o in taken.items()} == {good.name: "loaded", bad.name: "rejected"}
    assert _tree(inbox.dir) == [half.name]
    assert Path(taken[good.name].moved_to).parent == inbox.archive / "2024-11"
    assert taken[good.name].problems_file is None
    problems = Path(taken[bad.name].problems_file).read_text(encoding="utf-8-sig")
    assert problems.startswith(f"文件：{bad.name}\n处理时间：2024-11-05 09:00\n结果：整份拒收\n原因：")
    assert _tree(inbox.rejected) == sorted([f"20241105-090000_{bad.name}", f"20241105-090000_{bad.name}.问题说明.txt"])

    half.write_bytes(whole)  # the copy completes
    assert inbox.scan(units, now) == []
    [west] = inbox.scan(units, now)
    assert (west.file, west.status) == (half.name, "loaded")
    assert _tree(inbox.dir) == []
    assert units.execute("SELECT file_name, status FROM submissions ORDER BY id").fetchall() == [
        (good.name, "loaded"), (bad.name, "rejected"), (half.name, "loaded")]
    assert units.execute("SELECT DISTINCT submitted_by FROM submissions").fetchall() == [("收件箱",)]


def test_a_file_touched_recently_waits_for_the_settle_time(units, tmp_path):
    """Unchanged since the previous scan is not enough: the file must also be older than settle_seconds."""
    box = Inbox(settings.load(overrides={"inbox": {"settle_seconds": 3600}}).inbox)
    box.dir.mkdir(parents=True)
    build.town_report(box.dir)
    now = dt.datetime.now()
    assert box.scan(units, now) == [] and box.scan(units, now) == []
    assert box.scan(units, now + dt.timedelta(hours=2))[0].status == "loaded"


def test_office_lock_and_partial_download_files_are_ignored(units, inbox):
    """~$ lock files, dot files and .part/.tmp downloads are never taken for reports."""
    for name in ("~$城东街道.xlsx", ".DS_Store", "城东街道.xlsx.part", "报表.tmp", "下载中.crdownload"):
        (inbox.dir / name).write_bytes(b"x")
    assert inbox.scan(units) == [] and inbox.scan(units) == []
    assert len(_tree(inbox.dir)) == 5


def test_loaded_file_with_bad_rows_gets_a_problems_file_too(units, inbox):
    """A file loaded with some rows rejected is archived with a problems file listing each rejected row."""
    rows = [build.report_row("年产5万吨饲料项目"), build.report_row("", industry="制造业")]
    build.write_xlsx(inbox.dir / "城东街道11月.xlsx", build.project_table(rows))
    inbox.scan(units)
    [outcome] = inbox.scan(units)
    assert outcome.status == "loaded" and outcome.report.rows_rejected == 1
    text = Path(outcome.problems_file).read_text(encoding="utf-8-sig")
    assert "载入 1 行，拒收 1 行" in text and "重新报送整份表" in text
    assert f"  {outcome.report.rejections[0].reason}" in text.splitlines()
    assert "项目名称" in outcome.report.rejections[0].reason


def test_unit_folder_loads_as_that_unit(units, inbox):
    """A file in the 经济开发区 folder is loaded as that unit: 城东街道's rows in it are refused as another
    unit's; a folder that names no unit sends its file to the rejected folder, saying why."""
    (inbox.dir / "经济开发区").mkdir()
    (inbox.dir / "招商科").mkdir()
    town_file = build.town_report(inbox.dir / "经济开发区")
    zone_file = build.zone_report(inbox.dir / "招商科")
    inbox.scan(units)
    outcomes = {o.file: o for o in inbox.scan(units)}
    zone = outcomes[zone_file.name]
    assert (zone.status, Path(zone.moved_to).parent) == ("rejected", inbox.rejected)
    assert zone.report.message == "文件夹“招商科”不是招商单元的编码或名称：请放到本单元的文件夹或收件箱根目录"
    town = outcomes[town_file.name]
    assert (town.report.rows_loaded, town.report.rows_rejected) == (0, 3)
    assert town.report.rejections[0].reason == "第4行（年产10万吨新材料项目）填报单位 只能填报本单位（经济开发区）的项目，此行是“城东街道”的"
    assert units.execute("SELECT DISTINCT submitted_by FROM submissions WHERE file_name = ?", [town.file]).fetchall() == [
        ("收件箱/经济开发区",)]


def test_scheduler_scans_the_inbox_and_evaluates_after_the_load(units, tmp_path):
    """With the scheduler running, a file dropped into the inbox is loaded by the inbox job, archived, and the
    load is followed by an evaluation of the warnings."""
    db.open_for_process(tmp_path / "test.duckdb")
    try:
        scheduler.start(settings.load(overrides={"inbox": {"scan_seconds": 1, "settle_seconds": 0},
                                                 "scheduler": {"evaluate_interval_minutes": 600}}))
        inbox_dir = Path(settings.current().inbox.dir)
        inbox_dir.mkdir(parents=True, exist_ok=True)
        build.town_report(inbox_dir)
        deadline = time.monotonic() + 30
        while not units.execute("SELECT count(*) FROM scheduler_runs WHERE job_id = 'evaluate_after_load' "
                                "AND outcome = 'ok'").fetchone()[0]:
            assert time.monotonic() < deadline, "no evaluation after the inbox load"
            time.sleep(0.2)
        counts = [json.loads(c) for (c,) in units.execute(
            "SELECT counts FROM scheduler_runs WHERE job_id = 'inbox' AND outcome = 'ok'").fetchall()]
        assert {"loaded": 1, "duplicate": 0, "rejected": 0} in counts
        assert units.execute("SELECT status, submitted_by FROM submissions").fetchall() == [("loaded", "收件箱")]
    finally:
        scheduler.shutdown()
        db.close_for_process()


@pytest.mark.parametrize("wide_open", [False, True])
def test_a_file_the_reader_cannot_survive_goes_to_the_rejected_folder_once(units, inbox, monkeypatch, wide_open):
    """A far-corner xlsx is refused by the scan (or, with the guards opened wide, makes the reader abort in its
    child process): either way it is moved aside with its problems file, not tried again at the next scan, and
    the next file loads."""
    if wide_open:
        monkeypatch.setenv("ZS_INGEST_MAX_COLUMNS", "16384")
        monkeypatch.setenv("ZS_INGEST_MAX_ROWS", "2000000")
        settings.use(None)
    far = build.far_corner(inbox.dir)
    now = dt.datetime(2024, 11, 5, 9, 0)
    assert inbox.scan(units, now) == []
    [outcome] = inbox.scan(units, now)
    assert (outcome.file, outcome.status) == (far.name, "rejected")
    reason = "文件无法读取：读取时超出内存上限" if wide_open else "有内容延伸到 XFD1048576"
    assert reason in Path(outcome.problems_file).read_text(encoding="utf-8-sig")
    assert _tree(inbox.dir) == []
    good = build.town_report(inbox.dir)
    assert inbox.scan(units, now) == []
    assert [(o.file, o.status) for o in inbox.scan(units, now)] == [(good.name, "loaded")]
