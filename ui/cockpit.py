"""The big screen's look on one dark theme with CJK fonts: its charts drawn on the server as inline SVG and HTML
bars (no plotly.js for the browser to load), the tables, the page style, the header with its clock and the
headline cards. Builders take what pipelines.screens.cockpit returns and only draw it: every value and status arrives
computed; each returns one titled panel of the height asked."""
from __future__ import annotations

import base64
import datetime as dt
import html
import math

import pandas as pd

from pipelines.vocabulary import RED, WAN_PER_YI, YELLOW
from ui import format

FONT = "'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', 'PingFang SC', sans-serif"
BACKGROUND = "#07101f"
PANEL = "#0d1a30"
BORDER = "#1d3557"
TEXT = "#e8eef8"
MUTED = "#8ea3c4"
GRID = "#1c2d49"
ACCENT = "#38bdf8"
INK = "#04111f"  # text on a coloured bar
SERIES = ("#38bdf8", "#a78bfa", "#34d399", "#fbbf24", "#f472b6", "#22d3ee")
# Colours of the statuses the figures and the warnings already decided.
STATUS_COLOURS = {"达标": "#34d399", "黄": "#fbbf24", "红": "#f87171", None: MUTED}
GRADE_COLOURS = {YELLOW: "#fbbf24", RED: "#f87171"}
ON_PACE_COLOURS = {True: "#34d399", False: "#fbbf24", None: MUTED}
WEEKDAYS = "一二三四五六日"

# A panel's border, padding and title line take this much of its height (the CSS of .zs-panel and
# .zs-panel-title in page_style); the rest is the chart's.
PANEL_CHROME = 2 + 16 + 34
# The left and middle columns' inner widths on the 1920-pixel screen (pages/cockpit.py): the SVG charts are drawn
# at that width, so that their text has its own size there (elsewhere the drawing scales with the column), and the
# funnel decides from it which texts fit inside their bars.
LEFT_WIDTH, MIDDLE_WIDTH = 514, 651


def _value(value) -> float | None:
    """A figure that may be missing (None, NaN, pd.NA) as a float or None."""
    return None if value is None or pd.isna(value) else float(value)


def _panel(title: str, height: int, body: str, kind: str = "zs-chart", extra: str = "") -> str:
    """A titled dark panel of fixed height; the title is given as escaped HTML, `extra` (a legend) at its right."""
    return (f"<div class='zs-panel {kind}' style='height:{height}px'><div class='zs-panel-title'>{title}{extra}</div>"
            f"{body}</div>")


def _svg(width: float, height: int, content: str, alt: str) -> str:
    """An SVG drawing as an image of the given height and the column's width, `alt` saying what it shows. An image
    because st.html keeps only HTML tags (DOMPurify's html profile drops <svg>); the image can use the system's
    fonts but not the page's style, so it names its own."""
    drawing = (f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width:g} {height:g}' "
               f"font-family=\"{FONT}\">{content}</svg>")
    source = base64.b64encode(drawing.encode()).decode()
    return (f"<img class='zs-svg' alt='{html.escape(alt)}' width='100%' height='{height}' "
            f"src='data:image/svg+xml;base64,{source}'>")


def _text(x: float, y: float, text: str, size: int, colour: str, anchor: str = "middle", bold: bool = False,
          extra: str = "") -> str:
    weight = " font-weight='700'" if bold else ""
    return (f"<text x='{x:.1f}' y='{y:.1f}' font-size='{size}' fill='{colour}' text-anchor='{anchor}'{weight}"
            f"{extra}>{html.escape(text)}</text>")


def _arc(cx: float, cy: float, r: float, share: float) -> str:
    """The path of the gauge's arc from its left end over `share` (0–1) of the half circle."""
    angle = math.pi * (1 - share)
    return (f"M {cx - r:.1f} {cy:.1f} A {r:.1f} {r:.1f} 0 0 1 {cx + r * math.cos(angle):.1f} "
            f"{cy - r * math.sin(angle):.1f}")


def _cohort(rate) -> str:
    """The gauge's cohort: hits over base, in projects ('49/69') or in 亿元 ('18.20/499.20亿元')."""
    if rate.measure == "amount":
        return f"{format.yi(rate.hits)}/{format.yi(rate.base)}亿元"
    return f"{int(rate.hits)}/{int(rate.base)}"


GAUGE_COLUMNS = 2  # gauges per row: four rates fill two rows of the left column


def rate_gauges(rates: pd.DataFrame, height: int) -> str:
    """The rates as half-circle gauges, two a row: the arc coloured by its status (达标/黄/红), a mark at its
    target, the value in the middle, the target and the cohort (hits over base) under the name; a rate without a
    target is drawn in the accent colour without a mark or status (未设目标); '—' and 无基数 without a cohort."""
    inner = height - PANEL_CHROME
    columns = min(max(len(rates), 1), GAUGE_COLUMNS)
    rows = -(-max(len(rates), 1) // columns)
    cell_w, cell_h = LEFT_WIDTH / columns, inner / rows
    thickness = 14
    parts = []
    for i, rate in enumerate(rates.itertuples(index=False)):
        value, target = _value(rate.value), _value(rate.target)
        status = None if pd.isna(rate.status) else rate.status
        colour = STATUS_COLOURS.get(status, MUTED) if target is not None else ACCENT
        top = cell_h * (i // columns)
        cx, cy = cell_w * (i % columns + 0.5), top + cell_h - 12  # the arc's baseline, clear of the row below
        r = min(cy - top - 46 - thickness / 2, cell_w / 2 - 40)
        parts.append(_text(cx, top + 18, rate.label, 18, TEXT, bold=True))
        goal = "未设目标" if target is None else f"目标 {format.percent(target, 0)}"
        parts.append(_text(cx, top + 38, f"{goal} · {_cohort(rate)}", 14, MUTED))
        parts.append(f"<path d='{_arc(cx, cy, r, 1)}' fill='none' stroke='{GRID}' stroke-width='{thickness}'/>")
        if value is not None and value > 0:
            parts.append(f"<path d='{_arc(cx, cy, r, min(value, 1))}' fill='none' stroke='{colour}' "
                         f"stroke-width='{thickness}'/>")
        if target is not None:
            angle = math.pi * (1 - target)
            ends = [(cx + d * math.cos(angle), cy - d * math.sin(angle))
                    for d in (r - thickness / 2 - 4, r + thickness / 2 + 4)]
            parts.append(f"<line x1='{ends[0][0]:.1f}' y1='{ends[0][1]:.1f}' x2='{ends[1][0]:.1f}' "
                         f"y2='{ends[1][1]:.1f}' stroke='{TEXT}' stroke-width='3'/>")
        # The value and its status inside the arc.
        if value is None:
            parts.append(_text(cx, cy - 18, "—", 34, MUTED))
        else:
            parts.append(_text(cx, cy - 18, format.percent(value), 26, TEXT, bold=True))
        said = status or ("无基数" if value is None else "")
        parts.append(_text(cx, cy - 1, said, 15, colour if status else MUTED, bold=status is not None))
    alt = "；".join(f"{r.label} {format.percent(r.value)}" for r in rates.itertuples(index=False))
    return _panel("四率完成情况", height, _svg(LEFT_WIDTH, inner, "".join(parts), alt))


def _step_text(step) -> str:
    """'67 · 转化 77% · 43天': projects reaching the milestone, the conversion from the step before, median days."""
    parts = [f"{step.reached}"]
    if _value(step.conversion) is not None:
        parts.append(f"转化 {format.percent(step.conversion, 0)}")
    if _value(step.median_days) is not None:
        parts.append(f"{step.median_days:.0f}天")
    return " · ".join(parts)


def _text_width(text: str, size: int) -> float:
    """About how wide `text` is drawn in the CJK font, in pixels: CJK and '·' a full em, the rest about half."""
    return sum(size * (1.0 if ord(c) > 0x7F else 0.92 if c == "%" else 0.23 if c == " " else 0.56) for c in text)


# The funnel's track on the 1920-pixel screen: the left column less the labels; text beside a bar may run into
# the panel's right padding.
FUNNEL_TRACK, FUNNEL_SPARE = LEFT_WIDTH - 80, 10


def funnel_chart(funnel: pd.DataFrame, cohort: str, year: int, height: int) -> str:
    """The funnel from 线索 to 投产 of the cohort ('year': leads registered in `year`; 'all'): projects reaching
    each milestone as centred bars joined step to step, with the conversion from the step before and the median
    days it took: inside the bar where it fits, beside it where it fits there, else from the bar's left end on,
    dark over the bar and light beyond."""
    widest = max(int(funnel["reached"].max()), 1) if len(funnel) else 1
    shares = [int(n) / widest for n in funnel["reached"]]
    rows = []
    for i, step in enumerate(funnel.itertuples(index=False)):
        share, text = shares[i], _step_text(step)
        if i:  # the join from the step above, narrowing to this one
            above = shares[i - 1]
            rows.append(f"<div class='zs-fjoin'><span></span><div style='clip-path:polygon({50 - above * 50:.1f}% 0, "
                        f"{50 + above * 50:.1f}% 0, {50 + share * 50:.1f}% 100%, {50 - share * 50:.1f}% 100%)'>"
                        f"</div></div>")
        width, shown = _text_width(text, 16), html.escape(text)
        left, right = 50 - share * 50, 50 + share * 50
        if share * FUNNEL_TRACK >= width + 14:
            inner, under = shown, ""
        elif (1 - share) / 2 * FUNNEL_TRACK - 8 + FUNNEL_SPARE >= width:
            inner, under = "", f"<span class='zs-fout' style='left:calc({right:.2f}% + 8px)'>{shown}</span>"
        else:  # the same text twice in the same place: the bar, drawn over the light one, shows its dark one
            inner = f"<span class='zs-facross'>{shown}</span>"
            under = f"<span class='zs-fout' style='left:calc({left:.2f}% + 8px)'>{shown}</span>"
        rows.append(f"<div class='zs-frow'><span class='zs-flabel'>{html.escape(step.label)}</span>"
                    f"<div class='zs-ftrack'>{under}<div class='zs-fbar' style='left:{left:.2f}%;width:"
                    f"{share * 100:.2f}%;background:{SERIES[i % len(SERIES)]}'>{inner}</div></div></div>")
    title = f"项目漏斗（{f'{year}年登记线索' if cohort == 'year' else '全部项目'}）"
    return _panel(title, height, f"<div class='zs-funnel'>{''.join(rows)}</div>")


def _bar_list(bars: list[tuple[str, float, str, str, str]], slots: int = 0, value_room: int = 56) -> str:
    """Horizontal bars, one a row: (label, share of the longest, value text, bar colour, value colour) each, the
    label at the left and the value after the bar (`value_room` pixels kept for it); `slots` rows at least, so
    that a few bars are not blocks."""
    rows = "".join(
        f"<div class='zs-blabel'>{html.escape(label)}</div><div class='zs-btrack'><div class='zs-bfill' "
        f"style='width:calc((100% - {value_room}px) * {max(0.0, min(share, 1.0)):.4f});background:{colour}'></div>"
        f"<span class='zs-bvalue' style='color:{value_colour}'>{html.escape(value)}</span></div>"
        for label, share, value, colour, value_colour in bars)
    rows += "<div></div><div></div>" * max(slots - len(bars), 0)
    return (f"<div class='zs-bars' style='grid-template-rows:repeat({max(len(bars), slots, 1)}, minmax(0, 1fr))'>"
            f"{rows}</div>")


def _shares(values: list[float]) -> list[float]:
    longest = max(values, default=0) or 1
    return [v / longest for v in values]


def mix_chart(industry_mix: pd.DataFrame, size_mix: pd.DataFrame, height: int) -> str:
    """计划总投资 per industry (亿元) and the number of projects per size band, as two lists of bars."""
    amounts = (industry_mix["investment_wan"] / WAN_PER_YI).tolist()
    counts = [int(n) for n in size_mix["projects"]]
    by_industry = _bar_list([(name, share, f"{amount:,.0f}", SERIES[1], TEXT) for name, share, amount in
                             zip(industry_mix["industry"], _shares(amounts), amounts)])
    by_size = _bar_list([(band, share, f"{n}", ACCENT, TEXT) for band, share, n in
                         zip(size_mix["size_band"], _shares(counts), counts)])
    body = (f"<div class='zs-mix'><div><div class='zs-subtitle'>按产业 · 计划总投资(亿元)</div>{by_industry}</div>"
            f"<div><div class='zs-subtitle'>按规模档次 · 项目数</div>{by_size}</div></div>")
    return _panel("在库项目结构", height, body)


def _month_tick(day: dt.date, first: bool) -> tuple[str, str]:
    """'11月', with the year beneath on the first point and where a year starts."""
    return f"{day.month}月", f"{day.year}" if first or day.month == 1 else ""


def _count_axis(largest: float) -> list[int]:
    """Five ticks from 0 in a round step (1, 2, 2.5 or 5 × 10ⁿ) reaching `largest`: four steps, so that the grid
    lines also meet the rate axis's 25%, 50%, 75% and 100%."""
    magnitude = 1
    while True:
        for base in (1, 2, 2.5, 5):
            step = base * magnitude
            if step == int(step) and step * 4 >= largest:
                return [int(step * i) for i in range(5)]
        magnitude *= 10


TREND_FLOWS = (("signed", "签约"), ("commenced", "开工"), ("in_stats", "纳统"), ("production", "投产"))
TREND_RATES = (("commencement_rate", "开工率"), ("stats_rate", "纳统率"))


def _polyline(points: list[tuple[float, float | None]], colour: str, width: int, dash: bool, marker: float) -> str:
    """A line through the points that have a value (broken where one is missing), a dot on each."""
    runs, run = [], []
    for x, y in points:
        if y is None:
            runs, run = runs + [run] if run else runs, []
        else:
            run.append((x, y))
    runs += [run] if run else []
    dashing = " stroke-dasharray='7 5'" if dash else ""
    lines = "".join(f"<polyline points='{' '.join(f'{x:.1f},{y:.1f}' for x, y in r)}' fill='none' "
                    f"stroke='{colour}' stroke-width='{width}' stroke-linejoin='round'{dashing}/>" for r in runs if len(r) > 1)
    dots = "".join(f"<circle cx='{x:.1f}' cy='{y:.1f}' r='{marker}' fill='{colour}'/>" for r in runs for x, y in r)
    return lines + dots


def trend_chart(trend: pd.DataFrame, height: int) -> str:
    """The year's flows so far at each month-end (lines, left axis, with grid lines) and the two rates (dashed,
    right axis, %); the legend on the title's line."""
    inner = height - PANEL_CHROME
    left, right, top, bottom = 58, 50, 10, 42
    plot_w, plot_h = MIDDLE_WIDTH - left - right, inner - top - bottom
    ticks = _count_axis(max([float(trend[c].max()) for c, _ in TREND_FLOWS if len(trend)] or [0]))
    n = len(trend)
    xs = [left + 12 + (plot_w - 24) * (i / (n - 1) if n > 1 else 0.5) for i in range(n)]

    def y_at(share: float) -> float:
        return top + plot_h * (1 - share)

    parts = []
    for i, tick in enumerate(ticks):
        y = y_at(i / 4)
        parts.append(f"<line x1='{left}' y1='{y:.1f}' x2='{left + plot_w}' y2='{y:.1f}' stroke='{GRID}' "
                     f"stroke-width='1'/>")
        parts.append(_text(left - 8, y + 5, f"{tick}", 15, MUTED, "end"))
        parts.append(_text(left + plot_w + 8, y + 5, f"{i * 25}%", 15, MUTED, "start"))
    parts.append(_text(14, top + plot_h / 2, "本年累计(个)", 15, MUTED,
                       extra=f" transform='rotate(-90 14 {top + plot_h / 2:.1f})'"))
    parts.append(f"<line x1='{left}' y1='{top + plot_h}' x2='{left + plot_w}' y2='{top + plot_h}' "
                 f"stroke='{BORDER}' stroke-width='2'/>")
    for i, (x, day) in enumerate(zip(xs, trend["day"])):
        month, year = _month_tick(day, i == 0)
        parts.append(_text(x, top + plot_h + 20, month, 15, MUTED))
        if year:
            parts.append(_text(x, top + plot_h + 38, year, 14, MUTED))
    for (column, _), colour in zip(TREND_RATES, SERIES[4:]):
        values = [_value(v) for v in pd.to_numeric(trend[column], errors="coerce")]
        parts.append(_polyline([(x, None if v is None else y_at(min(v, 1))) for x, v in zip(xs, values)],
                               colour, 2, True, 3))
    for (column, _), colour in zip(TREND_FLOWS, SERIES):
        parts.append(_polyline([(x, y_at(float(v) / ticks[-1])) for x, v in zip(xs, trend[column])],
                               colour, 3, False, 3.5))
    legend = "".join(f"<span class='zs-key'><i style='border-top:3px {style} {colour}'></i>{label}</span>"
                     for (_, label), colour, style in
                     [*zip(TREND_FLOWS, SERIES, ["solid"] * 4), *zip(TREND_RATES, SERIES[4:], ["dashed"] * 2)])
    alt = "月度走势：" + "、".join(label for _, label in TREND_FLOWS + TREND_RATES)
    return _panel("月度走势", height, _svg(MIDDLE_WIDTH, inner, "".join(parts), alt),
                  extra=f"<span class='zs-legend'>{legend}</span>")


def _html_table(title: str, height: int, headers: list[str], rows: list[list[str]], widths: list[str],
                aligns: list[str], row_classes: list[str] | None = None) -> str:
    """A titled dark panel of fixed height holding a table; cells are given as escaped HTML, column widths as CSS
    (fixed pixels for short columns, the rest shared). Rows that do not fit scroll inside the panel, never the
    screen."""
    columns = "".join(f"<col style='width:{w}'>" for w in widths)
    head = "".join(f"<th style='text-align:{a}'>{h}</th>" for h, a in zip(headers, aligns))
    classes = row_classes or [""] * len(rows)
    body = "".join(f"<tr class='{c}'>" + "".join(f"<td style='text-align:{a}'>{cell}</td>"
                                                  for cell, a in zip(row, aligns)) + "</tr>"
                   for row, c in zip(rows, classes))
    return _panel(title, height, f"<div class='zs-scroll'><table class='zs-table'><colgroup>{columns}</colgroup>"
                                 f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>", "zs-tabular")


def _coloured(text: str, colour: str) -> str:
    return f"<span style='color:{colour}'>{html.escape(text)}</span>"


def ranking_table(ranking: pd.DataFrame, height: int) -> str:
    """Units by group and rank in it: score, places moved since last month, 优秀 (★), the two rates; the scope's
    unit highlighted."""
    rows = []
    for unit in ranking.itertuples(index=False):
        change = format.rank_change(unit.group_rank_change)
        colour = "#34d399" if change.startswith("▲") else "#f87171" if change.startswith("▼") else MUTED
        name = html.escape(unit.name) + (" <span class='zs-star'>★</span>" if unit.excellent else "")
        rows.append([html.escape(unit.group), str(unit.group_rank), name, _coloured(f"{unit.score:.2f}", ACCENT),
                     _coloured(change, colour), format.percent(unit.commencement_rate),
                     format.percent(unit.stats_rate)])
    return _html_table("考核排名（分组） <span class='zs-note'>★ 一票评优</span>", height,
                       ["组别", "组内", "单元", "得分", "较上月", "开工率", "纳统率"], rows,
                       ["72px", "52px", "auto", "76px", "70px", "80px", "80px"],
                       ["left", "center", "left", "right", "center", "right", "right"],
                       ["zs-mine" if mine else "" for mine in ranking["in_scope"]])


def warnings_table(warnings: pd.DataFrame, counts: dict[str, int], height: int,
                   tasks: dict[str, int] | None = None) -> str:
    """The latest open warnings, red first: grade, rule and unit, what holds; the title counts them by grade and
    the 督办事项 open, late and closed this year."""
    title = (f"实时预警 {_coloured(f'● 红 {counts.get(RED, 0)}', GRADE_COLOURS[RED])} "
             f"{_coloured(f'● 黄 {counts.get(YELLOW, 0)}', GRADE_COLOURS[YELLOW])}")
    if tasks:
        late = _coloured(f"逾期 {tasks['late']}", GRADE_COLOURS[RED])
        title += f" <span class='zs-note'>督办 办理中 {tasks['open']} · {late} · 本年办结 {tasks['closed']}</span>"
    if not len(warnings):
        return _html_table(title, height, ["等级", "规则 · 单元", "情况"], [["", "没有未解除的预警", ""]],
                           ["60px", "36%", "auto"], ["left", "left", "left"])
    rows = [[_coloured(f"● {w.grade_label}", GRADE_COLOURS[w.grade]),
             f"{html.escape(w.rule_name)}<div class='zs-minor'>{html.escape(w.unit_name or '')}</div>",
             f"<div class='zs-wrap'>{html.escape(w.detail or '')}</div>"]
            for w in warnings.itertuples(index=False)]
    return _html_table(title, height, ["等级", "规则 · 单元", "情况"], rows, ["60px", "36%", "auto"],
                       ["left", "left", "left"])


def stuck_table(stuck: pd.DataFrame, height: int) -> str:
    """The projects longest in their current stage: name, unit, stage (with status when not 正常推进), days."""
    rows = [[html.escape(p.project_name), html.escape(p.unit_name or ""),
             html.escape(p.stage_label if p.status == "active" else f"{p.stage_label}（{p.status_label}）"),
             f"{p.days}天"] for p in stuck.itertuples(index=False)]
    return _html_table("停滞最久的项目（当前阶段停留时间）", height, ["项目", "单元", "所处阶段", "停留"], rows,
                       ["auto", "24%", "25%", "72px"], ["left", "left", "left", "right"])


REPORT_STATE_COLOURS = {"received_on_time": "#34d399", "received_late": "#fbbf24", "not_received": "#f87171"}


def reporting_table(reporting: pd.DataFrame, height: int) -> str:
    """本期报送: which units have sent the month being collected, on time (green) or late (amber), and which not yet
    — grey with the days left before the due day, red after it; the title counts those sent and gives the year's
    报送率 and 及时率 of the scope (short enough for the 1920-pixel panel's one line)."""
    period = reporting.attrs.get("period")
    sent = int((reporting["state"] != "not_received").sum())
    due = None if reporting.empty else pd.Timestamp(reporting["due_date"].iloc[0]).date()
    title = "本期报送" if period is None else (
        f"本期报送 · {period.month}月" + ("" if due is None else f"（截止{due.month}月{due.day}日）")
        + f" <span class='zs-note'>已报 {sent}/{len(reporting)} · 报送率 "
        f"{format.percent(reporting.attrs.get('reporting_rate'))} · 及时率 {format.percent(reporting.attrs.get('on_time_rate'))}</span>")
    rows = []
    for unit in reporting.itertuples(index=False):
        if unit.state == "not_received":
            waiting = unit.days_left >= 0
            label = ("今天截止" if unit.days_left == 0 else f"还剩{unit.days_left}天") if waiting else \
                f"逾期{-unit.days_left}天"
            state = _coloured("待报" if waiting else "未报", MUTED if waiting else REPORT_STATE_COLOURS[unit.state])
        else:
            label = f"{pd.Timestamp(unit.first_received):%m-%d %H:%M}"
            state = _coloured("按时" if unit.state == "received_on_time" else "逾期",
                              REPORT_STATE_COLOURS[unit.state])
        rows.append([html.escape(unit.name), state, label])
    if not rows:
        rows = [["本月没有应报的单元", "", ""]]
    return _html_table(title, height, ["单元", "状态", "报送时间"], rows, ["auto", "64px", "120px"],
                       ["left", "center", "right"])


def _card(label: str, value: str, unit: str, lines: list[str], completion: float | None,
          progress: float, colour: str) -> str:
    bar = ""
    if completion is not None:
        filled = max(0.0, min(completion, 1.0)) * 100
        bar = (f"<div class='zs-bar'><div class='zs-fill' style='width:{filled:.1f}%;background:{colour}'></div>"
               f"<div class='zs-mark' style='left:{progress * 100:.1f}%'></div></div>")
    detail = "".join(f"<div class='zs-sub'>{line}</div>" for line in lines)
    return (f"<div class='zs-card'><div class='zs-label'>{html.escape(label)}</div>"
            f"<div class='zs-value' style='color:{colour}'>{value}<span class='zs-unit'>{unit}</span></div>"
            f"{bar}{detail}</div>")


def headline_cards(headline: pd.DataFrame, time_progress: float) -> str:
    """The headline strip as HTML: each figure with its target, completion and gap to 序时进度; a bar filled to
    the completion with a mark at 序时进度; coloured green on pace, amber behind. A figure without a target shows
    alone (本年完成投资 with its 年度投资完成率)."""
    cards = []
    for item in headline.itertuples(index=False):
        money = item.unit == "亿元"
        value = format.yi(item.actual) if money else f"{int(item.actual)}"
        if _value(item.target) is None:
            plan = _value(item.plan_rate)
            lines = ["未下达年度目标", "&nbsp;" if plan is None else f"年度投资完成率 {format.percent(plan)}"]
            completion, colour = None, ACCENT
        else:
            target = format.yi(item.target) if money else f"{int(item.target)}"
            lines = [f"目标 {target}{item.unit} · 完成 {format.percent(item.completion)}",
                     f"较序时进度 {format.gap_points(item.gap_points)} 个百分点"]
            completion, colour = item.completion, ON_PACE_COLOURS[bool(item.on_pace)]
        cards.append(_card(item.label, value, item.unit, lines, completion, time_progress, colour))
    columns = f"grid-template-columns:repeat({max(len(cards), 1)}, minmax(0, 1fr))"
    return f"<div class='zs-cards' style='{columns}'>{''.join(cards)}</div>"


def header(title: str, scope_name: str, as_of: dt.date, live: bool, time_progress: float,
           now: dt.datetime) -> str:
    """The header line: title; scope, the as-of day (live or looking back) and 序时进度; the clock."""
    when = f"数据截至 {as_of:%Y-%m-%d}" + ("（实时）" if live else "（回看）")
    clock = f"{now:%Y-%m-%d %H:%M:%S} 星期{WEEKDAYS[now.weekday()]}"
    return (f"<div class='zs-header'><div class='zs-title'>{html.escape(title)}</div>"
            f"<div class='zs-meta'>{html.escape(scope_name)} · {when} · {as_of.year}年序时进度 "
            f"{format.percent(time_progress)}</div><div class='zs-clock'>{clock}</div></div>")


# Ticks the header's clock every second in the browser (the server refreshes the screen once a minute); one
# interval per page, however often the header is drawn again.
CLOCK_SCRIPT = """<script>
if (!window.zsClock) {
  const pad = (n) => String(n).padStart(2, "0");
  window.zsClock = setInterval(() => {
    const d = new Date();
    const text = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
      `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} 星期${"日一二三四五六"[d.getDay()]}`;
    document.querySelectorAll(".zs-clock").forEach((el) => { el.textContent = text; });
  }, 1000);
}
</script>"""


# The screen is laid out for 1920×1080; a smaller window (a 1366×768 wall screen, a browser's own bars) shows it
# scaled down whole, as a drawing, rather than reflowed: columns squeezed by the browser cut the unit names and the
# fixed-height panels would scroll. Zoom (not transform) so that the layout itself fits and nothing scrolls.
FIT_SCRIPT = """<script>
if (!window.zsFit) {
  window.zsFit = () => document.documentElement.style.setProperty("--zs-zoom",
    String(Math.min(1, window.innerWidth / 1920, window.innerHeight / 1080)));
  window.addEventListener("resize", window.zsFit);
}
window.zsFit();
</script>"""


def page_style(kiosk: bool) -> str:
    """The dark page; in kiosk mode also without Streamlit's header, toolbar and sidebar, edge to edge."""
    style = f"""
    .stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] {{ background: {BACKGROUND}; color: {TEXT}; }}
    [data-testid="stMainBlockContainer"] {{ padding: 10px 16px 0 16px; max-width: 100%; zoom: var(--zs-zoom, 1); }}
    [data-testid="stHeader"] {{ background: transparent; }}
    .zs-header {{ display: flex; align-items: baseline; gap: 28px; font-family: {FONT}; color: {TEXT};
                  border-bottom: 2px solid {BORDER}; padding: 2px 4px 6px 4px; }}
    .zs-title {{ font-size: 32px; font-weight: 700; letter-spacing: 2px; color: #f8fbff; }}
    .zs-meta {{ font-size: 19px; color: {MUTED}; flex: 1; }}
    .zs-clock {{ font-size: 22px; color: {ACCENT}; font-variant-numeric: tabular-nums; }}
    .zs-cards {{ display: grid; gap: 12px; font-family: {FONT}; }}
    .zs-card {{ background: {PANEL}; border: 1px solid {BORDER}; border-radius: 6px; padding: 8px 16px; }}
    .zs-label {{ font-size: 18px; color: {MUTED}; }}
    .zs-value {{ font-size: 42px; font-weight: 700; line-height: 1.15; font-variant-numeric: tabular-nums; }}
    .zs-unit {{ font-size: 18px; margin-left: 6px; color: {MUTED}; font-weight: 400; }}
    .zs-sub {{ font-size: 16px; color: {TEXT}; line-height: 1.4; }}
    .zs-bar {{ position: relative; height: 8px; background: {GRID}; border-radius: 4px; margin: 4px 0 6px 0; }}
    .zs-fill {{ height: 8px; border-radius: 4px; }}
    .zs-mark {{ position: absolute; top: -4px; width: 3px; height: 16px; background: {TEXT}; }}
    .zs-panel {{ background: {PANEL}; border: 1px solid {BORDER}; border-radius: 6px; padding: 8px 10px;
                 box-sizing: border-box; display: flex; flex-direction: column; font-family: {FONT}; }}
    .zs-panel-title {{ font-size: 20px; line-height: 28px; height: 34px; box-sizing: border-box; color: {TEXT};
                       padding: 0 2px 6px 2px; position: relative; white-space: nowrap; }}
    .zs-svg {{ display: block; flex: none; overflow: visible; }}
    .zs-legend {{ position: absolute; right: 2px; top: 1px; display: flex; gap: 14px; font-size: 15px; color: {MUTED}; }}
    .zs-key i {{ display: inline-block; width: 20px; margin: 0 5px 4px 0; vertical-align: middle; }}
    .zs-funnel {{ flex: 1; min-height: 0; display: flex; flex-direction: column; padding: 2px 0 4px 0; }}
    .zs-frow {{ flex: 1 1 0; min-height: 0; display: flex; }}
    .zs-flabel {{ width: 72px; flex: none; padding-right: 8px; text-align: right; font-size: 16px; color: {TEXT};
                  align-self: center; white-space: nowrap; }}
    .zs-ftrack {{ position: relative; flex: 1; }}
    .zs-fbar {{ position: absolute; top: 0; bottom: 0; border-radius: 3px; display: flex; align-items: center; justify-content: center;
                font-size: 16px; font-weight: 600; color: {INK}; white-space: nowrap; overflow: hidden; }}
    .zs-fout {{ position: absolute; top: 50%; transform: translateY(-50%); font-size: 16px; color: {TEXT};
                white-space: nowrap; }}
    .zs-facross {{ position: absolute; left: 8px; font-weight: 400; }}
    .zs-fjoin {{ height: 5px; flex: none; display: flex; }}
    .zs-fjoin span {{ width: 80px; flex: none; }}
    .zs-fjoin div {{ flex: 1; background: {GRID}; }}
    .zs-mix {{ flex: 1; min-height: 0; display: grid; grid-template-columns: 1fr 1fr; gap: 20px; }}
    .zs-mix > div {{ display: flex; flex-direction: column; min-width: 0; }}
    .zs-subtitle {{ font-size: 15px; color: {MUTED}; padding: 0 0 4px 2px; white-space: nowrap; }}
    .zs-bars {{ flex: 1; min-height: 0; display: grid; grid-template-columns: max-content 1fr; column-gap: 10px;
                font-size: 15px; line-height: 18px; color: {TEXT}; overflow: hidden; }}
    .zs-blabel {{ align-self: center; text-align: right; white-space: nowrap; }}
    .zs-btrack {{ display: flex; align-items: center; gap: 8px; min-width: 0; }}
    .zs-bfill {{ height: 66%; max-height: 24px; border-radius: 0 3px 3px 0; }}
    .zs-bvalue {{ white-space: nowrap; font-variant-numeric: tabular-nums; }}
    .zs-note {{ font-size: 15px; color: #facc15; margin-left: 12px; }}
    .zs-scroll {{ flex: 1; overflow-y: auto; scrollbar-width: thin; }}
    .zs-table {{ width: 100%; border-collapse: collapse; table-layout: fixed; font-size: 17px; color: {TEXT};
                 line-height: 1.4; }}
    .zs-table th {{ position: sticky; top: 0; background: #14294a; color: {MUTED}; font-weight: 600;
                    font-size: 16px; padding: 4px 8px; white-space: nowrap; }}
    .zs-table td {{ padding: 3px 8px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
                    vertical-align: top; border-top: 1px solid {PANEL}; }}
    .zs-table tbody tr:nth-child(odd) td {{ background: #0f1f3a; }}
    .zs-table tbody tr:nth-child(even) td {{ background: #0b172c; }}
    .zs-table tbody tr.zs-mine td {{ background: #1e3a66; }}
    .zs-minor {{ font-size: 15px; color: {MUTED}; overflow: hidden; text-overflow: ellipsis; }}
    .zs-wrap {{ white-space: normal; display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical;
                overflow: hidden; line-height: 1.35; }}
    .zs-star {{ color: #facc15; }}
    [data-testid="stWidgetLabel"] p {{ color: {MUTED}; }}
    """
    if not kiosk:  # room for Streamlit's menu button at the top right
        style += """
    .zs-header { padding-right: 56px; }
    """
    if kiosk:
        style += """
    [data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
    [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
    footer { display: none; }
    [data-testid="stMainBlockContainer"] { padding-top: 8px; }
    """
    return f"<style>{style}</style>"
