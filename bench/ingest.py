"""Benchmark of the whole project ingestion (read → validate → normalise → load) on generated workbooks.

Usage: .venv/bin/python -m bench.ingest [--rows 5000 50000] [--out bench/out] [--profile]

For each size it writes a realistic 月度项目进展表 (title row, 序号, several units, every column filled,
some dates and amounts as text, a few bad rows, a 合计 row and a signature line), then ingests it in a fresh
subprocess on a fresh database with the units registered, and prints wall time of `ingest_file`, the peak
RSS of that process (VmHWM) before and after the ingest, and rows loaded/rejected.
Then the hostile shapes of issue 14, each ingested the same way: one cell at the far corner (XFD1048576), a stray
space in XFD1 of a 2,000-row report, sparse cells spread over the whole sheet, a CSV row of a million columns
and a CSV cell of 5 MB; each must be answered (refused, with its reason) in bounded time and memory.
Peak memory is the larger of the ingesting process and the child that reads the file.
Goals (on the 2-core machine): 5,000 rows < 2 s, 50,000 rows ≤ 5 s; every hostile file ≤ 10 s; peak RSS ≤ 500 MB.
--profile prints the 25 most expensive functions (cumulative time) of each run to stderr.
This is a benchmark, not a test: pytest does not collect it."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

GOALS = {5000: 2.0, 50000: 5.0}  # rows → seconds
HOSTILE_GOAL_SECONDS = 10.0
PEAK_GOAL_MB = 500
PERIOD = dt.date(2024, 10, 1)
RECEIVED_AT = dt.datetime(2024, 11, 5)
UNITS = [
    ("U01", "经济开发区", "园区", "园区组"), ("U02", "高新技术产业园", "园区", "园区组"),
    ("U03", "城东街道", "乡镇街道", "乡镇组"), ("U04", "城西街道", "乡镇街道", "乡镇组"),
    ("U05", "横店镇", "乡镇街道", "乡镇组"), ("U06", "南马镇", "乡镇街道", "乡镇组"),
    ("U07", "商务局", "部门", "部门组"), ("U08", "纺织服装产业链专班", "专班", "部门组"),
]
_PLACES = ("东阳", "金华", "义乌", "杭州", "宁波", "上海", "苏州", "深圳", "温州", "绍兴", "台州", "合肥")
_FIRMS = ("华鑫", "恒力", "锦程", "天成", "宏达", "晶辉", "瑞丰", "嘉诚", "众信", "博远", "新元", "永盛", "海川", "金泰")
_PRODUCTS = {
    "制造业": (("新材料", "功能性面料", "精密轴承", "光伏组件", "汽车零部件", "智能装备", "电子元器件", "磁性材料"),
             ("纺织服装", "新能源", "高端装备", "电子信息", "新材料")),
    "服务业": (("商业综合体", "物流园", "数字经济产业园", "总部大楼", "电商直播基地"), ("现代物流", "数字经济", "商贸")),
    "农业": (("高效农业示范园", "中药材种植基地", "生态农场"), ("现代农业", "中医药")),
    "文旅": (("影视文化产业园", "古镇旅游开发", "研学营地"), ("影视文化", "旅游")),
    "康养": (("康养小镇", "养老服务中心", "中医康复医院"), ("健康养老", "中医药")),
    "其他": (("人才公寓", "城市更新"), ("城市建设",)),
}
_INDUSTRY_WEIGHTS = {"制造业": 50, "服务业": 20, "农业": 8, "文旅": 10, "康养": 7, "其他": 5}
_PHASES = ("", "一期", "二期", "三期", "扩建", "技改")
_PROGRESS = ("主体厂房封顶", "完成桩基施工", "设备进场安装", "办理施工许可", "土地摘牌", "方案设计中", "已试生产", "洽谈合同条款")
_ISSUES = ("", "用电指标待落实", "用地指标紧张", "融资进度慢", "环评待批复", "无")
_LEADERS = ("王副县长", "李副县长", "陈常委", "赵主任", "周书记")
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
_GIVEN = ("明", "伟", "芳", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛")
_HEADER_ROW = 2  # title on row 1, a blank row, then the header


def _uscc(rng: random.Random) -> str:
    from pipelines.cells import uscc_check_char

    body = "91330783" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
    return body + uscc_check_char(body)


def _text_date(day: dt.date, rng: random.Random) -> str:
    return rng.choice((f"{day.year}/{day.month}/{day.day}", f"{day.year}年{day.month}月{day.day}日",
                       f"{day.year}.{day.month}.{day.day}", f"{day:%Y-%m-%d}"))


def _project(rng: random.Random, serial: int, unit: tuple, names: set[str]) -> dict[str, object]:
    """One realistic project row, header → value, consistent with DOMAIN §2–§3 order rules."""
    from pipelines.vocabulary import MILESTONES

    period_end = dt.date(2024, 10, 31)
    industry = rng.choices(list(_INDUSTRY_WEIGHTS), weights=list(_INDUSTRY_WEIGHTS.values()))[0]
    products, chains = _PRODUCTS[industry]
    firm = rng.choice(_FIRMS)
    name = f"{rng.choice(_PLACES)}{firm}{rng.choice(products)}{rng.choice(_PHASES)}项目"
    if (unit[0], name) in names:
        name = name.removesuffix("项目") + f"项目（{serial}号地块）"
    names.add((unit[0], name))
    total = round(min(max(rng.lognormvariate(10.0, 1.2), 800), 600000), 2)
    foreign = rng.random() < 0.1
    row: dict[str, object] = {
        "报告期": f"{PERIOD:%Y-%m}",
        "填报单位": unit[0] if rng.random() < 0.8 else unit[1],
        "项目编号": f"DY{PERIOD.year}{serial:06d}" if rng.random() < 0.8 else None,
        "项目名称": name,
        "投资方": f"{rng.choice(_PLACES)}{firm}{rng.choice(('实业', '科技', '控股', '集团', '发展'))}有限公司",
        "统一社会信用代码": _uscc(rng),
        "产业类别": industry,
        "产业链": rng.choice(chains),
        "是否外资": "是" if foreign else "否",
        "计划总投资(万元)": total,
        "固定资产投资(万元)": round(total * rng.uniform(0.6, 0.95), 2),
        "外资金额(万美元)": round(total * rng.uniform(0.05, 0.2) / 7.2, 2) if foreign else 0,
        "用地面积(亩)": round(rng.uniform(5, 400), 1),
    }
    stage = rng.randint(0, len(MILESTONES) - 1)
    day = dt.date(2021, 1, 1) + dt.timedelta(days=rng.randint(0, 1300))
    dates: dict[str, dt.date] = {}
    for m in MILESTONES[: stage + 1]:
        if day > period_end:
            break
        dates[m.id] = day
        row[m.header] = day if rng.random() > 0.02 else _text_date(day, rng)
        day += dt.timedelta(days=rng.randint(10, 150))
    if "signed" in dates:
        row["计划开工日期"] = dates["signed"] + dt.timedelta(days=rng.randint(30, 120))
    row["项目状态"] = rng.choices(("正常推进", "暂缓", "终止"), weights=(85, 10, 5))[0]
    row["年度计划投资(万元)"] = round(total * rng.uniform(0.1, 0.4), 2)
    share = rng.uniform(0.05, 0.9) if "commenced" in dates else 0.0
    row["累计完成投资(万元)"] = round(total * share, 2)
    row["累计到位资金(万元)"] = round(total * min(share * 1.1, 1), 2)
    if rng.random() < 0.01:  # amounts typed as text with thousands separators
        row["计划总投资(万元)"] = f"{total:,.2f}"
    row["本月进展"] = rng.choice(_PROGRESS)
    row["存在问题"] = rng.choice(_ISSUES)
    row["包联领导"] = rng.choice(_LEADERS)
    row["联系人"] = rng.choice(_SURNAMES) + rng.choice(_GIVEN)
    row["联系电话"] = f"1{rng.choice('3578')}{rng.randint(0, 999999999):09d}"
    if rng.random() < 0.001:  # a few rows a 填报员 got wrong
        row["开工日期" if "commenced" in dates else "线索登记日期"] = "2024-13-01"
    return row


def write_workbook(path: Path, n_rows: int, seed: int = 20241105) -> Path:
    """A projects workbook of n_rows projects across the benchmark units, as a real unit would send it."""
    import xlsxwriter

    from pipelines.ingest.columns import PROJECT_COLUMNS

    rng = random.Random(seed)
    headers = [c.header for c in PROJECT_COLUMNS]
    book = xlsxwriter.Workbook(path, {"constant_memory": True})
    sheet = book.add_worksheet("项目进展")
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_string(0, 0, f"全县{PERIOD.year}年{PERIOD.month}月招商引资项目推进情况表")
    sheet.write_row(_HEADER_ROW, 0, ["序号", *headers])
    names: set[str] = set()
    for i in range(n_rows):
        row = _project(rng, i + 1, UNITS[i % len(UNITS)], names)
        r = _HEADER_ROW + 1 + i
        sheet.write_number(r, 0, i + 1)
        for j, header in enumerate(headers, start=1):
            value = row.get(header)
            if value is None:
                continue
            if isinstance(value, dt.date):
                sheet.write_datetime(r, j, value, date_format)
            elif isinstance(value, (int, float)):
                sheet.write_number(r, j, value)
            else:
                sheet.write_string(r, j, value)
    last = _HEADER_ROW + n_rows + 1
    sheet.write_string(last, 1, "合计")
    sheet.write_string(last + 2, 1, "填表人：张三    审核人：李四")
    book.close()
    return path


def write_hostile(out: Path) -> list[Path]:
    """The hostile shapes: far corner, stray space far right, sparse cells, a million CSV columns, a 5 MB cell."""
    import xlsxwriter

    made = []
    far = out / "hostile_far_corner.xlsx"
    with xlsxwriter.Workbook(str(far)) as book:
        sheet = book.add_worksheet("项目进展")
        sheet.write_row(0, 0, ["报告期", "填报单位", "项目名称", "产业类别", "计划总投资(万元)"])
        sheet.write_row(1, 0, ["2024-10", "经济开发区", "远角项目", "制造业", 12000])
        sheet.write_string(1_048_575, 16_383, "x")
    made.append(far)
    stray = write_workbook(out / "hostile_stray_space.xlsx", 2000)
    _with_cell(stray, "XFD1", " ")
    made.append(stray)
    sparse = out / "hostile_sparse.xlsx"
    with xlsxwriter.Workbook(str(sparse)) as book:
        sheet = book.add_worksheet("项目进展")
        for i in range(64):
            sheet.write_number(i * 16_000, i * 255, i)
    made.append(sparse)
    wide = out / "hostile_million_columns.csv"
    wide.write_text("项目名称" + ",x" * 1_000_000 + "\r\n", encoding="utf-8")
    made.append(wide)
    giant = out / "hostile_5mb_cell.csv"
    giant.write_text("报告期,填报单位,项目名称\r\n2024-10,经济开发区," + "长" * (5 * (1 << 20) // 3) + "\r\n", encoding="utf-8")
    made.append(giant)
    return made


def _with_cell(path: Path, ref: str, text: str) -> None:
    """Add one inline-string cell at `ref` to row 1 of the first sheet of an xlsx written by xlsxwriter."""
    import re
    import zipfile

    copy = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                cell = f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'.encode()
                data = re.sub(rb'(<row r="1"[^>]*>.*?)(</row>)', lambda m, cell=cell: m.group(1) + cell + m.group(2),
                              data, count=1, flags=re.DOTALL)
            target.writestr(item, data)
    copy.replace(path)


def _peak_mb() -> float:
    """This process's peak RSS in MB. Not ru_maxrss, which Linux carries over from the process that started this
    one: every file measured after the 50,000-row one showed the benchmark's own 400 MB."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024


def _child(path: Path, profile: bool) -> dict:
    """Ingest one workbook into a fresh database in this process; timings and peak RSS in MB."""
    import resource
    import tempfile

    from pipelines.access import SYSTEM
    from pipelines.ingest.run import ingest_file
    from pipelines.store import db

    with tempfile.TemporaryDirectory() as tmp:
        con = db.connect(Path(tmp) / "bench.duckdb")
        now = dt.datetime(2024, 1, 1)
        con.executemany("INSERT INTO units VALUES (?, ?, ?, ?, ?, ?)", [(*u, now, now) for u in UNITS])
        baseline = _peak_mb()
        profiler = None
        if profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        import time

        started = time.perf_counter()
        report = ingest_file(con, path, SYSTEM, received_at=RECEIVED_AT)
        seconds = time.perf_counter() - started
        if profiler is not None:
            import pstats

            profiler.disable()
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
        peak = max(_peak_mb(), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)  # the reading child too
        con.close()
    return {"file": path.name, "status": report.status, "seconds": seconds, "baseline_mb": baseline,
            "peak_mb": peak, "loaded": report.rows_loaded, "rejected": report.rows_rejected,
            "message": report.message}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=list(GOALS))
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--no-hostile", action="store_true", help="skip the hostile shapes")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child(args.child, args.profile), ensure_ascii=False))
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    results = []
    for n in args.rows:
        path = write_workbook(args.out / f"projects_{n}.xlsx", n)
        results.append((n, path.stat().st_size / (1 << 20), _measure(path, args.profile)))
    print(f"{'rows':>7} {'file MB':>8} {'seconds':>8} {'goal s':>7} {'RSS before MB':>14} {'peak RSS MB':>12}"
          f" {'loaded':>7} {'rejected':>9}  verdict")
    failed = False
    for n, size, r in results:
        goal = GOALS.get(n)
        ok = (goal is None or r["seconds"] < goal) and r["peak_mb"] < PEAK_GOAL_MB and r["status"] == "loaded"
        failed |= not ok
        print(f"{n:>7} {size:>8.1f} {r['seconds']:>8.2f} {goal or '-':>7} {r['baseline_mb']:>14.0f}"
              f" {r['peak_mb']:>12.0f} {r['loaded']:>7} {r['rejected']:>9}  {'ok' if ok else 'MISSED'}")
    if not args.no_hostile:
        print(f"\n{'hostile file':<32} {'file MB':>8} {'seconds':>8} {'peak RSS MB':>12}  verdict  answer")
        for path in write_hostile(args.out):
            r = _measure(path, args.profile)
            ok = r["seconds"] <= HOSTILE_GOAL_SECONDS and r["peak_mb"] <= PEAK_GOAL_MB and r["status"] == "rejected"
            failed |= not ok
            print(f"{path.name:<32} {path.stat().st_size / (1 << 20):>8.1f} {r['seconds']:>8.2f} {r['peak_mb']:>12.0f}"
                  f"  {'ok' if ok else 'MISSED':<7}  {r['message']}")
    return 1 if failed else 0


def _measure(path: Path, profile: bool) -> dict:
    """Ingest `path` in a fresh process (python -m bench.ingest --child) and return what it measured."""
    command = [sys.executable, "-m", "bench.ingest", "--child", str(path)] + (["--profile"] if profile else [])
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    sys.exit(main())
