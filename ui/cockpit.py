"""The big screen's look on one dark theme with CJK fonts: its charts drawn on the server as inline SVG and HTML
bars (no plotly.js for the browser to load), the tables, the page style, the header with its clock and the
headline cards, laid out for 1920×1080 in design pixels that scale with the viewport (see DESIGN_WIDTH). Builders
take what pipelines.screens.cockpit returns and only draw it: every value and status arrives computed; each returns
one titled panel for its place in the layout (HEIGHTS, WIDE_AREAS), and `screen` the whole screen."""
from __future__ import annotations

import base64
import datetime as dt
import html
import math
import re
from types import SimpleNamespace

import pandas as pd

from pipelines.screens.cockpit import Cockpit
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

# The screen is designed at 1920×1080 and drawn in design pixels `u` (the CSS custom property --u: the smaller of
# the viewport's width ÷ 1920 and height ÷ 1080), so that it scales whole from a 1366×768 wall to a 3840×2160 one;
# a wider wall (21:9, 32:9) takes its scale from its height and lays the panels out in six columns (WIDE_AREAS);
# a phone or any portrait viewport shows them one under the other at their natural height (page_style).
DESIGN_WIDTH = 1920
PAD_X, GAP = 16, 10  # the screen's padding at the sides and the gap between panels, in u
HEADER_HEIGHT, CARDS_HEIGHT = 52, 160  # the header line and the headline strip, in u
GRID_HEIGHT = 832  # what the panels share of the 1080 u below the header and the cards (less paddings and gaps)
# The panels in their three columns (widths as shares), with their heights in u at 16:9: each column's heights
# and gaps add up to GRID_HEIGHT, and a smaller or larger 16:9 screen scales them with --u.
COLUMN_SHARES = (0.95, 1.2, 1.3)
COLUMNS = (("gauges", "funnel", "mix"), ("trend", "ranking", "reporting"), ("warnings", "stuck"))
HEIGHTS = {"gauges": 350, "funnel": 240, "mix": 222, "trend": 240, "ranking": 350, "reporting": 222,
           "warnings": 610, "stuck": 212}
# A wall wider than 12:5: two rows of six columns, each panel in its named area (one spanning both rows is twice
# as tall).
WIDE_ASPECT = "12/5"
WIDE_AREAS = ("gauges trend trend ranking warnings stuck", "funnel mix reporting ranking warnings stuck")
# A panel's border, padding and title line take this much of its height (.zs-panel and .zs-panel-title in
# page_style); a table's header row and each of its rows (one line; a warning's row is two) take these.
PANEL_CHROME = 2 + 16 + 36
HEAD_ROW, TABLE_ROW, TALL_ROW = 34, 32, 52
LOOP_SECONDS_PER_ROW = 3  # how fast a panel whose rows do not fit scrolls through them
# The columns' inner widths at 1920×1080 (less the panel's border and padding): the SVG charts are drawn at that
# width, so that their text has its own size there and scales with the screen elsewhere, and the funnel decides
# from it which texts fit inside their bars.
LEFT_WIDTH, MIDDLE_WIDTH = (round((DESIGN_WIDTH - 2 * PAD_X - 2 * GAP) * share / sum(COLUMN_SHARES)) - 22
                            for share in COLUMN_SHARES[:2])
# A phone (or any portrait viewport) is 460 u wide at most (page_style): its panels' inner width, at which the
# phone's drawings are made.
PHONE_DESIGN_WIDTH, PHONE_PAD_X = 460, 8
PHONE_WIDTH = PHONE_DESIGN_WIDTH - 2 * PHONE_PAD_X - 22


def wide_height(name: str) -> float:
    """The panel's height in u on a wide wall: the whole grid when its area spans both rows, else half of it."""
    rows = sum(name in row.split() for row in WIDE_AREAS)
    return GRID_HEIGHT if rows == 2 else (GRID_HEIGHT - GAP) / 2


def rows_fit(height: float, row: int = TABLE_ROW) -> int:
    """How many table rows of `row` u a table panel `height` u tall shows below its title and header row."""
    return max(int((height - PANEL_CHROME - HEAD_ROW) // row), 0)


def _records(frame: pd.DataFrame) -> list[SimpleNamespace]:
    """The frame's rows as objects with its columns as attributes; pandas' itertuples is slow on arrow columns and
    copies the frame's attrs for every row."""
    return [SimpleNamespace(**row) for row in frame.to_dict("records")]


def _value(value) -> float | None:
    """A figure that may be missing (None, NaN, pd.NA) as a float or None."""
    return None if value is None or pd.isna(value) else float(value)


def _flex(height: float) -> str:
    """A panel's share of its column: its design height, grown and shrunk in proportion to it (a basis of 0 would
    not do: a flex item's base size is never less than its padding and border)."""
    return f"flex:{height:g} 1 calc({height:g} * var(--u))"


def _panel(name: str, title: str, body: str, kind: str = "zs-chart", extra: str = "") -> str:
    """A titled dark panel in its place `name` (HEIGHTS, WIDE_AREAS); the title is given as escaped HTML, `extra` (a
    legend) at its right."""
    return (f"<div class='zs-panel {kind}' style='{_flex(HEIGHTS[name])};grid-area:{name}'>"
            f"<div class='zs-panel-title'>{title}{extra}</div>{body}</div>")


def _svg(width: float, height: float, content: str, alt: str, kind: str = "zs-wide") -> str:
    """An SVG drawing as an image that fills its panel and keeps its proportions, `alt` saying what it shows;
    `kind` zs-wide for the screen, zs-narrow for the phone (page_style shows one of the two). An image because
    st.html keeps only HTML tags (DOMPurify's html profile drops <svg>); the image can use the system's fonts but
    not the page's style, so it names its own."""
    drawing = (f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width:g} {height:g}' "
               f"preserveAspectRatio='xMidYMid meet' font-family=\"{FONT}\">{content}</svg>")
    source = base64.b64encode(drawing.encode()).decode()
    return (f"<img class='zs-svg {kind}' alt='{html.escape(alt)}' width='{width:g}' height='{height:g}' "
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


def _gauges(rates: pd.DataFrame, width: float, height: float, columns: int) -> str:
    """The gauges drawn `columns` a row into width × height (see rate_gauges); the target and the cohort on two
    lines where one is too wide for the gauge's cell."""
    columns = min(max(len(rates), 1), columns)
    rows = -(-max(len(rates), 1) // columns)
    cell_w, cell_h = width / columns, height / rows
    thickness = 14
    parts = []
    for i, rate in enumerate(_records(rates)):
        value, target = _value(rate.value), _value(rate.target)
        status = None if pd.isna(rate.status) else rate.status
        colour = STATUS_COLOURS.get(status, MUTED) if target is not None else ACCENT
        top = cell_h * (i // columns)
        goal = [] if target is None else [f"目标 {format.percent(target, 0)}"]
        line = " · ".join([*goal, _cohort(rate)])
        lines = [line] if _text_width(line, 18) <= cell_w - 16 else [*goal, _cohort(rate)]
        parts.append(_text(cx := cell_w * (i % columns + 0.5), top + 20, rate.label, 20, TEXT, bold=True))
        parts += [_text(cx, top + 44 + 21 * j, text, 18, MUTED) for j, text in enumerate(lines)]
        cy = top + cell_h - 10  # the arc's baseline, clear of the row below
        r = min(cy - top - 32 - 21 * len(lines) - thickness / 2, cell_w / 2 - 40)
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
            parts.append(_text(cx, cy - 22, "—", 34, MUTED))
        else:
            parts.append(_text(cx, cy - 22, format.percent(value), 26, TEXT, bold=True))
        said = status or ("无基数" if value is None else "未设目标" if target is None else "")
        parts.append(_text(cx, cy - 2, said, 18, colour if status else MUTED, bold=status is not None))
    return "".join(parts)


def rate_gauges(rates: pd.DataFrame) -> str:
    """The rates as half-circle gauges, two a row (one a row on a phone): the arc coloured by its status
    (达标/黄/红), a mark at its target, the value in the middle, the target and the cohort (hits over base) under
    the name; a rate without a target is drawn in the accent colour without a mark, saying 未设目标 under its value;
    '—' and 无基数 without a cohort."""
    alt = "；".join(f"{r.label} {format.percent(r.value)}" for r in _records(rates))
    inner = HEIGHTS["gauges"] - PANEL_CHROME
    body = (_svg(LEFT_WIDTH, inner, _gauges(rates, LEFT_WIDTH, inner, 2), alt)
            + _svg(PHONE_WIDTH, 150 * len(rates), _gauges(rates, PHONE_WIDTH, 150 * len(rates), 1), alt,
                   "zs-narrow"))
    return _panel("gauges", "四率完成情况", body)


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


# The funnel's track on the narrower of the screen's left column and the phone, less the labels; text beside a bar
# may run into the panel's right padding.
FUNNEL_LABEL = 80
FUNNEL_TRACK, FUNNEL_SPARE = min(LEFT_WIDTH, PHONE_WIDTH) - FUNNEL_LABEL - 8, 10


def funnel_chart(funnel: pd.DataFrame, cohort: str, year: int) -> str:
    """The funnel from 线索 to 投产 of the cohort ('year': leads registered in `year`; 'all'): projects reaching
    each milestone as centred bars joined step to step, with the conversion from the step before and the median
    days it took: inside the bar where it fits, beside it where it fits there, else from the bar's left end on,
    dark over the bar and light beyond."""
    widest = max(int(funnel["reached"].max()), 1) if len(funnel) else 1
    shares = [int(n) / widest for n in funnel["reached"]]
    rows = []
    for i, step in enumerate(_records(funnel)):
        share, text = shares[i], _step_text(step)
        if i:  # the join from the step above, narrowing to this one
            above = shares[i - 1]
            rows.append(f"<div class='zs-fjoin'><span></span><div style='clip-path:polygon({50 - above * 50:.1f}% 0, "
                        f"{50 + above * 50:.1f}% 0, {50 + share * 50:.1f}% 100%, {50 - share * 50:.1f}% 100%)'>"
                        f"</div></div>")
        width, shown = _text_width(text, 18), html.escape(text)
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
    return _panel("funnel", title, f"<div class='zs-funnel'>{''.join(rows)}</div>")


def _bar_list(bars: list[tuple[str, float, str, str, str]], slots: int = 0, value_room: int = 56) -> str:
    """Horizontal bars, one a row: (label, share of the longest, value text, bar colour, value colour) each, the
    label at the left and the value after the bar (`value_room` u kept for it); `slots` rows at least, so
    that a few bars are not blocks."""
    rows = "".join(
        f"<div class='zs-blabel'>{html.escape(label)}</div><div class='zs-btrack'><div class='zs-bfill' "
        f"style='width:calc((100% - {value_room} * var(--u)) * {max(0.0, min(share, 1.0)):.4f});background:{colour}'>"
        f"</div>"
        f"<span class='zs-bvalue' style='color:{value_colour}'>{html.escape(value)}</span></div>"
        for label, share, value, colour, value_colour in bars)
    rows += "<div></div><div></div>" * max(slots - len(bars), 0)
    return (f"<div class='zs-bars' style='grid-template-rows:repeat({max(len(bars), slots, 1)}, minmax(0, 1fr))'>"
            f"{rows}</div>")


def _shares(values: list[float]) -> list[float]:
    longest = max(values, default=0) or 1
    return [v / longest for v in values]


def mix_chart(industry_mix: pd.DataFrame, size_mix: pd.DataFrame) -> str:
    """计划总投资 per industry (亿元) and the number of projects per size band, as two lists of bars."""
    amounts = (industry_mix["investment_wan"] / WAN_PER_YI).tolist()
    counts = [int(n) for n in size_mix["projects"]]
    by_industry = _bar_list([(name, share, f"{amount:,.0f}", SERIES[1], TEXT) for name, share, amount in
                             zip(industry_mix["industry"], _shares(amounts), amounts)])
    by_size = _bar_list([(band, share, f"{n}", ACCENT, TEXT) for band, share, n in
                         zip(size_mix["size_band"], _shares(counts), counts)])
    body = (f"<div class='zs-mix'><div><div class='zs-subtitle'>按产业 · 计划总投资(亿元)</div>{by_industry}</div>"
            f"<div><div class='zs-subtitle'>按规模档次 · 项目数</div>{by_size}</div></div>")
    return _panel("mix", "在库项目结构", body)


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


def _trend_drawing(trend: pd.DataFrame, width: float, height: float) -> str:
    """The trend drawn into width × height (see trend_chart); a month named at every point where they fit, else
    at every other one (or third…)."""
    left, right, top, bottom = 66, 50, 12, 48
    plot_w, plot_h = width - left - right, height - top - bottom
    ticks = _count_axis(max([float(trend[c].max()) for c, _ in TREND_FLOWS if len(trend)] or [0]))
    n = len(trend)
    xs = [left + 12 + (plot_w - 24) * (i / (n - 1) if n > 1 else 0.5) for i in range(n)]
    every = math.ceil(44 / ((plot_w - 24) / (n - 1))) if n > 1 else 1  # '12月' is about 40 wide

    def y_at(share: float) -> float:
        return top + plot_h * (1 - share)

    parts = []
    for i, tick in enumerate(ticks):
        y = y_at(i / 4)
        parts.append(f"<line x1='{left}' y1='{y:.1f}' x2='{left + plot_w}' y2='{y:.1f}' stroke='{GRID}' "
                     f"stroke-width='1'/>")
        parts.append(_text(left - 8, y + 6, f"{tick}", 18, MUTED, "end"))
        parts.append(_text(left + plot_w + 6, y + 6, f"{i * 25}%", 18, MUTED, "start"))
    parts.append(_text(14, top + plot_h / 2, "本年累计(个)", 18, MUTED,
                       extra=f" transform='rotate(-90 14 {top + plot_h / 2:.1f})'"))
    parts.append(f"<line x1='{left}' y1='{top + plot_h}' x2='{left + plot_w}' y2='{top + plot_h}' "
                 f"stroke='{BORDER}' stroke-width='2'/>")
    for i, (x, day) in enumerate(zip(xs, trend["day"])):
        if (n - 1 - i) % every:  # counted from the last point, the as-of day, which is always named
            continue
        month, year = _month_tick(day, i == 0 or i < every)
        parts.append(_text(x, top + plot_h + 22, month, 18, MUTED))
        if year:
            parts.append(_text(x, top + plot_h + 43, year, 18, MUTED))
    for (column, _), colour in zip(TREND_RATES, SERIES[4:]):
        values = [_value(v) for v in pd.to_numeric(trend[column], errors="coerce")]
        parts.append(_polyline([(x, None if v is None else y_at(min(v, 1))) for x, v in zip(xs, values)],
                               colour, 2, True, 3))
    for (column, _), colour in zip(TREND_FLOWS, SERIES):
        parts.append(_polyline([(x, y_at(float(v) / ticks[-1])) for x, v in zip(xs, trend[column])],
                               colour, 3, False, 3.5))
    return "".join(parts)


def trend_chart(trend: pd.DataFrame) -> str:
    """The year's flows so far at each month-end (lines, left axis 本年累计(个), with grid lines) and the two rates
    (dashed, right axis, %); the legend on the title's line."""
    legend = "".join(f"<span class='zs-key'><i style='border-top:3px {style} {colour}'></i>{label}</span>"
                     for (_, label), colour, style in
                     [*zip(TREND_FLOWS, SERIES, ["solid"] * 4), *zip(TREND_RATES, SERIES[4:], ["dashed"] * 2)])
    alt = "月度走势：" + "、".join(label for _, label in TREND_FLOWS + TREND_RATES)
    inner = HEIGHTS["trend"] - PANEL_CHROME
    body = (_svg(MIDDLE_WIDTH, inner, _trend_drawing(trend, MIDDLE_WIDTH, inner), alt)
            + _svg(PHONE_WIDTH, 260, _trend_drawing(trend, PHONE_WIDTH, 260), alt, "zs-narrow"))
    return _panel("trend", "月度走势", body,
                  extra=f"<span class='zs-legend'>{legend}</span>")


def scrolls(name: str, rows: int, row: int = TABLE_ROW) -> tuple[bool, bool]:
    """Whether the table panel `name` with `rows` rows of `row` u has more of them than it shows: at 16:9, and on a
    wide wall (where its panel is taller); such a panel scrolls through them by itself."""
    return rows > rows_fit(HEIGHTS[name], row), rows > rows_fit(wide_height(name), row)


def _html_table(name: str, title: str, headers: list[str], rows: list[list[str]], widths: list[int | str],
                aligns: list[str], row_classes: list[str] | None = None, row: int = TABLE_ROW,
                desk_only: tuple[int, ...] = ()) -> str:
    """A titled dark panel in its place `name` holding a table; cells are given as escaped HTML, column widths in u
    (short columns) or as CSS (the rest shared). Rows of `row` u each: when more than the panel shows (scrolls),
    the table holds them twice and rolls up through the first copy in a loop, pausing under the pointer; a phone
    shows every row once, at the panel's natural height, without the columns `desk_only`, breaking lines only in
    the columns of shared width."""
    kept = [" class='zs-desk'" if i in desk_only else " class='zs-grow'" if isinstance(w, str) else ""
            for i, w in enumerate(widths)]
    columns = "".join(f"<col{k} style='width:{w if isinstance(w, str) else f'calc({w} * var(--u))'}'>"
                      for w, k in zip(widths, kept))
    head = "".join(f"<th{k} style='text-align:{a}'>{h}</th>" for h, a, k in zip(headers, aligns, kept))
    classes = row_classes or [""] * len(rows)
    body = ["<tr class='" + " ".join(filter(None, [c, "zs-odd" if i % 2 else ""])) + "'>"
            + "".join(f"<td{k} style='text-align:{a}'>{cell}</td>" for cell, a, k in zip(cells, aligns, kept))
            + "</tr>"
            for i, (cells, c) in enumerate(zip(rows, classes))]
    loop, loop_wide = scrolls(name, len(rows), row)
    rolling = ""
    if loop:
        rolling = (" zs-loop" + (" zs-loop-wide" if loop_wide else "")
                   + f"' style='--zs-loop:{len(rows) * LOOP_SECONDS_PER_ROW}s")
        body += [tr.replace("<tr class='", "<tr aria-hidden='true' class='zs-dup ", 1) for tr in body]
    return _panel(name, title, f"<div class='zs-scroll{rolling}'><table class='zs-table'><colgroup>{columns}"
                               f"</colgroup><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>",
                  "zs-tabular" + (" zs-tall" if row == TALL_ROW else ""))


def _coloured(text: str, colour: str) -> str:
    return f"<span style='color:{colour}'>{html.escape(text)}</span>"


def ranking_table(ranking: pd.DataFrame) -> str:
    """Units by group and rank in it: score, places moved since last month, 优秀 (★), the two rates (not on a
    phone: they are 单元看板's); the scope's unit highlighted."""
    rows = []
    for unit in _records(ranking):
        change = format.rank_change(unit.group_rank_change)
        colour = "#34d399" if change.startswith("▲") else "#f87171" if change.startswith("▼") else MUTED
        name = html.escape(unit.name) + (" <span class='zs-star'>★</span>" if unit.excellent else "")
        rows.append([html.escape(unit.group), str(unit.group_rank), name, _coloured(f"{unit.score:.2f}", ACCENT),
                     _coloured(change, colour), format.percent(unit.commencement_rate),
                     format.percent(unit.stats_rate)])
    return _html_table("ranking", "考核排名（分组） <span class='zs-note'>★ 一票评优</span>",
                       ["组别", "组内", "单元", "得分", "较上月", "开工率", "纳统率"], rows,
                       [72, 48, "auto", 80, 70, 84, 84],
                       ["left", "center", "left", "right", "center", "right", "right"],
                       ["zs-mine" if mine else "" for mine in ranking["in_scope"]], desk_only=(5, 6))


def warnings_table(warnings: pd.DataFrame, counts: dict[str, int], tasks: dict[str, int] | None = None) -> str:
    """The latest open warnings, red first: grade, rule and unit, what holds; the title counts them by grade and
    the 督办事项 open, late and closed this year."""
    title = (f"实时预警 {_coloured(f'● 红 {counts.get(RED, 0)}', GRADE_COLOURS[RED])} "
             f"{_coloured(f'● 黄 {counts.get(YELLOW, 0)}', GRADE_COLOURS[YELLOW])}")
    if tasks:
        late = _coloured(f"逾期 {tasks['late']}", GRADE_COLOURS[RED])
        title += f" <span class='zs-note'>督办 办理中 {tasks['open']} · {late} · 本年办结 {tasks['closed']}</span>"
    if not len(warnings):
        return _html_table("warnings", title, ["等级", "规则 · 单元", "情况"], [["", "没有未解除的预警", ""]],
                           [64, "26%", "auto"], ["left", "left", "left"], row=TALL_ROW)
    rows = [[_coloured(f"● {w.grade_label}", GRADE_COLOURS[w.grade]),
             f"{html.escape(w.rule_name)}<div class='zs-minor'>{html.escape(w.unit_name or '')}</div>",
             f"<div class='zs-wrap'>{html.escape(w.detail or '')}</div>"]
            for w in _records(warnings)]
    return _html_table("warnings", title, ["等级", "规则 · 单元", "情况"], rows, [64, "26%", "auto"],
                       ["left", "left", "left"], row=TALL_ROW)


def stuck_table(stuck: pd.DataFrame) -> str:
    """The projects longest in their current stage: name, unit, stage (with status when not 正常推进), days."""
    rows = [[html.escape(p.project_name), html.escape(p.unit_name or ""),
             html.escape(p.stage_label if p.status == "active" else f"{p.stage_label}（{p.status_label}）"),
             f"{p.days}天"] for p in _records(stuck)]
    return _html_table("stuck", "停滞最久的项目（当前阶段停留时间）", ["项目", "单元", "所处阶段", "停留"], rows,
                       ["auto", "24%", "20%", 80], ["left", "left", "left", "right"])


REPORT_STATE_COLOURS = {"received_on_time": "#34d399", "received_late": "#fbbf24", "not_received": "#f87171"}


def reporting_table(reporting: pd.DataFrame) -> str:
    """本期报送: which units have sent the month being collected, on time (green) or late (amber), and which not yet
    — grey with the days left before the due day, red after it; the title counts those sent and gives the year's
    报送率 and 及时率 of the scope (short enough for the panel's one line at 16:9, hence no due day there: each
    row counts the days to it)."""
    period = reporting.attrs.get("period")
    sent = int((reporting["state"] != "not_received").sum())
    title = "本期报送" if period is None else (
        f"本期报送 · {period.month}月 <span class='zs-note'>已报 {sent}/{len(reporting)} · 报送率 "
        f"{format.percent(reporting.attrs.get('reporting_rate'))} · 及时率 {format.percent(reporting.attrs.get('on_time_rate'))}</span>")
    rows = []
    for unit in _records(reporting):
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
    return _html_table("reporting", title, ["单元", "状态", "报送时间"], rows, ["auto", 64, 136],
                       ["left", "center", "right"])


def _card(label: str, value: str, unit: str, lines: list[list[str]], completion: float | None,
          progress: float, colour: str) -> str:
    bar = ""
    if completion is not None:
        filled = max(0.0, min(completion, 1.0)) * 100
        bar = (f"<div class='zs-bar'><div class='zs-fill' style='width:{filled:.1f}%;background:{colour}'></div>"
               f"<div class='zs-mark' style='left:{progress * 100:.1f}%'></div></div>")
    # Each line's phrases are kept whole: a phone's narrow card breaks the line between them.
    detail = "".join("<div class='zs-sub'>" + " ".join(f"<span>{phrase}</span>" for phrase in line) + "</div>"
                     for line in lines)
    return (f"<div class='zs-card'><div class='zs-label'>{html.escape(label)}</div>"
            f"<div class='zs-value' style='color:{colour}'>{value}<span class='zs-unit'>{unit}</span></div>"
            f"{bar}{detail}</div>")


def headline_cards(headline: pd.DataFrame, time_progress: float) -> str:
    """The headline strip as HTML: each figure with its target, completion and gap to 序时进度; a bar filled to
    the completion with a mark at 序时进度; coloured green on pace, amber behind. A figure without a target shows
    alone (本年完成投资 with its 年度投资完成率)."""
    cards = []
    for item in _records(headline):
        money = item.unit == "亿元"
        value = format.yi(item.actual) if money else f"{int(item.actual)}"
        if _value(item.target) is None:
            plan = _value(item.plan_rate)
            lines = [["未下达年度目标"], ["&nbsp;" if plan is None else f"年度投资完成率 {format.percent(plan)}"]]
            completion, colour = None, ACCENT
        else:
            target = format.yi(item.target) if money else f"{int(item.target)}"
            lines = [[f"目标 {target}{item.unit} ·", f"完成 {format.percent(item.completion)}"],
                     ["较序时进度", f"{format.gap_points(item.gap_points)} 个百分点"]]
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


def screen(view: Cockpit, title: str, live: bool, now: dt.datetime) -> str:
    """The whole big screen as one piece of HTML (one element for the browser to draw): the header, the headline
    cards and the panels in their columns (COLUMNS)."""
    panels = {
        "gauges": rate_gauges(view.rates), "funnel": funnel_chart(view.funnel, view.funnel_cohort, view.year),
        "mix": mix_chart(view.industry_mix, view.size_mix), "trend": trend_chart(view.trend),
        "ranking": ranking_table(view.ranking), "reporting": reporting_table(view.reporting),
        "warnings": warnings_table(view.warnings, view.warning_counts, view.task_counts),
        "stuck": stuck_table(view.stuck)}
    columns = "".join(f"<div class='zs-col' style='flex:{share} 1 0'>{''.join(panels[name] for name in names)}</div>"
                      for share, names in zip(COLUMN_SHARES, COLUMNS))
    return (f"<div class='zs-screen'>{header(title, view.scope_name, view.as_of, live, view.time_progress, now)}"
            f"{headline_cards(view.headline, view.time_progress)}<div class='zs-grid'>{columns}</div></div>")


_UNITS = re.compile(r"(?<![\w#.-])(\d+(?:\.\d+)?)u\b")


def _in_units(css: str) -> str:
    """The CSS with each length written `18u` (design pixels) turned into calc(18 * var(--u))."""
    return _UNITS.sub(r"calc(\1 * var(--u))", css)


def page_style(kiosk: bool) -> str:
    """The dark page, every length in design pixels (u, see DESIGN_WIDTH): three columns at 16:9, six on a wide
    wall, one on a phone or any portrait viewport; in kiosk mode also without Streamlit's header, toolbar and
    sidebar, edge to edge."""
    wide_rows = " ".join(f'"{row}"' for row in WIDE_AREAS)
    style = f"""
    :root {{ --u: min(calc(100vw / {DESIGN_WIDTH}), calc(100vh / 1080)); }}
    .stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] {{ background: {BACKGROUND}; color: {TEXT}; }}
    [data-testid="stMainBlockContainer"] {{ padding: 8u {PAD_X}u 8u {PAD_X}u; max-width: 100%; }}
    [data-testid="stHeader"] {{ background: transparent; }}
    .zs-screen {{ height: calc(100vh - 16u); display: flex; flex-direction: column; gap: {GAP}u;
                  font-family: {FONT}; color: {TEXT}; }}
    .zs-header {{ height: {HEADER_HEIGHT}u; flex: none; box-sizing: border-box; display: flex; align-items: baseline;
                  gap: 28u; border-bottom: 2u solid {BORDER}; padding: 0 4u 6u 4u; white-space: nowrap; }}
    .zs-title {{ font-size: 34u; line-height: 44u; font-weight: 700; letter-spacing: 2u; color: #f8fbff; }}
    .zs-meta {{ font-size: 20u; color: {MUTED}; flex: 1; overflow: hidden; text-overflow: ellipsis; }}
    .zs-clock {{ font-size: 24u; color: {ACCENT}; font-variant-numeric: tabular-nums; }}
    .zs-cards {{ height: {CARDS_HEIGHT}u; flex: none; display: grid; gap: 12u; }}
    .zs-card {{ background: {PANEL}; border: 1px solid {BORDER}; border-radius: 6u; padding: 8u 14u; overflow: hidden;
                box-sizing: border-box; }}
    .zs-label {{ font-size: 20u; line-height: 24u; color: {MUTED}; white-space: nowrap; }}
    .zs-value {{ font-size: 44u; font-weight: 700; height: 48u; line-height: 48u; font-variant-numeric: tabular-nums;
                 white-space: nowrap; display: flex; align-items: baseline; }}
    .zs-unit {{ font-size: 20u; margin-left: 6u; color: {MUTED}; font-weight: 400; }}
    .zs-sub {{ font-size: 18u; color: {TEXT}; line-height: 25u; white-space: nowrap; }}
    .zs-sub span {{ white-space: nowrap; }}
    .zs-bar {{ position: relative; height: 8u; background: {GRID}; border-radius: 4u; margin: 4u 0 6u 0; }}
    .zs-fill {{ height: 8u; border-radius: 4u; }}
    .zs-mark {{ position: absolute; top: -4u; width: 3u; height: 16u; background: {TEXT}; }}
    .zs-grid {{ flex: 1; min-height: 0; display: flex; gap: {GAP}u; }}
    .zs-col {{ min-width: 0; display: flex; flex-direction: column; gap: {GAP}u; }}
    .zs-panel {{ background: {PANEL}; border: 1px solid {BORDER}; border-radius: 6u; padding: 8u 10u; min-height: 0;
                 min-width: 0; box-sizing: border-box; display: flex; flex-direction: column; overflow: hidden; }}
    .zs-panel-title {{ font-size: 22u; line-height: 30u; height: 36u; flex: none; box-sizing: border-box;
                       color: {TEXT}; padding: 0 2u 6u 2u; position: relative; white-space: nowrap; overflow: hidden;
                       text-overflow: ellipsis; }}
    .zs-svg {{ display: block; flex: 1; min-height: 0; width: 100%; height: 100%; object-fit: contain; }}
    .zs-narrow {{ display: none; }}
    .zs-legend {{ position: absolute; right: 2u; top: 0; display: flex; gap: 12u; font-size: 18u; color: {MUTED}; }}
    .zs-key i {{ display: inline-block; width: 20u; margin: 0 5u 4u 0; vertical-align: middle; }}
    .zs-funnel {{ flex: 1; min-height: 0; display: flex; flex-direction: column; padding: 2u 0 4u 0; }}
    .zs-frow {{ flex: 1 1 0; min-height: 0; display: flex; }}
    .zs-flabel {{ width: {FUNNEL_LABEL}u; flex: none; box-sizing: border-box; padding-right: 8u; text-align: right;
                  font-size: 18u; color: {TEXT}; align-self: center; white-space: nowrap; }}
    .zs-ftrack {{ position: relative; flex: 1; }}
    .zs-fbar {{ position: absolute; top: 0; bottom: 0; border-radius: 3u; display: flex; align-items: center;
                justify-content: center; font-size: 18u; font-weight: 600; color: {INK}; white-space: nowrap;
                overflow: hidden; }}
    .zs-fout {{ position: absolute; top: 50%; transform: translateY(-50%); font-size: 18u; color: {TEXT};
                white-space: nowrap; }}
    .zs-facross {{ position: absolute; left: 8u; font-weight: 400; }}
    .zs-fjoin {{ height: 4u; flex: none; display: flex; }}
    .zs-fjoin span {{ width: {FUNNEL_LABEL}u; flex: none; }}
    .zs-fjoin div {{ flex: 1; background: {GRID}; }}
    .zs-mix {{ flex: 1; min-height: 0; display: grid; grid-template-columns: 1fr 1fr; gap: 16u; }}
    .zs-mix > div {{ display: flex; flex-direction: column; min-width: 0; min-height: 0; }}
    .zs-subtitle {{ font-size: 18u; line-height: 24u; color: {MUTED}; padding: 0 0 4u 2u; white-space: nowrap; }}
    .zs-bars {{ flex: 1; min-height: 0; display: grid; grid-template-columns: max-content 1fr; column-gap: 8u;
                font-size: 18u; line-height: 20u; color: {TEXT}; overflow: hidden; }}
    .zs-blabel {{ align-self: center; text-align: right; white-space: nowrap; }}
    .zs-btrack {{ display: flex; align-items: center; gap: 6u; min-width: 0; }}
    .zs-bfill {{ height: 66%; max-height: 24u; border-radius: 0 3u 3u 0; }}
    .zs-bvalue {{ white-space: nowrap; font-variant-numeric: tabular-nums; }}
    .zs-note {{ font-size: 18u; color: #facc15; margin-left: 12u; }}
    .zs-scroll {{ flex: 1; min-height: 0; overflow-y: auto; scrollbar-width: none; }}
    .zs-table {{ width: 100%; border-collapse: collapse; table-layout: fixed; font-size: 18u; line-height: 24u;
                 color: {TEXT}; }}
    .zs-table th {{ position: sticky; top: 0; z-index: 1; background: #14294a; color: {MUTED}; font-weight: 600;
                    padding: 5u 8u; white-space: nowrap; }}
    .zs-table td {{ padding: 4u 8u; white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
                    vertical-align: top; }}
    .zs-tall .zs-table td {{ padding: 2u 8u; }}
    .zs-table tbody tr td {{ background: #0b172c; }}
    .zs-table tbody tr.zs-odd td {{ background: #0f1f3a; }}
    .zs-table tbody tr.zs-mine td {{ background: #1e3a66; }}
    .zs-minor {{ color: {MUTED}; overflow: hidden; text-overflow: ellipsis; }}
    .zs-wrap {{ white-space: normal; display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical;
                overflow: hidden; }}
    .zs-star {{ color: #facc15; }}
    .zs-dup {{ display: none; }}
    .zs-loop {{ overflow: hidden; }}
    .zs-loop .zs-dup {{ display: table-row; }}
    .zs-loop tbody {{ animation: zs-roll var(--zs-loop) linear infinite; }}
    .zs-loop:hover tbody {{ animation-play-state: paused; }}
    @keyframes zs-roll {{ from {{ transform: translateY(0); }} to {{ transform: translateY(-50%); }} }}
    [data-testid="stWidgetLabel"] p {{ color: {MUTED}; }}
    @media (min-aspect-ratio: {WIDE_ASPECT}) {{
      .zs-grid {{ display: grid; grid-template-columns: repeat(6, minmax(0, 1fr));
                  grid-template-rows: repeat(2, minmax(0, 1fr)); grid-template-areas: {wide_rows}; }}
      .zs-col {{ display: contents; }}
      .zs-loop:not(.zs-loop-wide) {{ overflow-y: auto; }}
      .zs-loop:not(.zs-loop-wide) .zs-dup {{ display: none; }}
      .zs-loop:not(.zs-loop-wide) tbody {{ animation: none; }}
    }}
    @media (max-width: 900px), (max-aspect-ratio: 1/1) {{
      :root {{ --u: min(calc(100vw / {PHONE_DESIGN_WIDTH}), 1.1px); }}
      [data-testid="stMainBlockContainer"] {{ padding: 8u {PHONE_PAD_X}u 24u {PHONE_PAD_X}u; }}
      .zs-screen {{ height: auto; }}
      .zs-header {{ height: auto; flex-wrap: wrap; gap: 2u 16u; white-space: normal; }}
      .zs-title {{ font-size: 28u; line-height: 38u; letter-spacing: 0; }}
      .zs-meta {{ flex-basis: 100%; order: 3; }}
      .zs-cards {{ height: auto; grid-template-columns: repeat(2, minmax(0, 1fr)) !important; gap: 8u; }}
      .zs-card {{ padding: 6u 10u; }}
      .zs-value {{ font-size: 38u; line-height: 46u; }}
      .zs-label, .zs-sub {{ white-space: normal; }}
      .zs-grid {{ display: flex; flex-direction: column; }}
      .zs-col {{ display: contents; }}
      .zs-panel {{ flex: none !important; }}
      .zs-panel-title {{ height: auto; white-space: normal; }}
      .zs-legend {{ position: static; flex-wrap: wrap; gap: 2u 12u; }}
      .zs-wide {{ display: none; }}
      .zs-narrow {{ display: block; flex: none; height: auto; max-width: {PHONE_WIDTH + 60}u; margin: 0 auto; }}
      .zs-frow {{ flex: none; height: 30u; }}
      .zs-mix {{ grid-template-columns: 1fr; }}
      .zs-bars {{ grid-template-rows: none !important; grid-auto-rows: 30u; }}
      .zs-scroll, .zs-loop {{ overflow: visible; }}
      .zs-table {{ table-layout: auto; }}
      .zs-table col {{ width: auto !important; }}
      .zs-table td.zs-grow {{ white-space: normal; }}
      .zs-wrap {{ display: block; }}
      .zs-dup, .zs-loop .zs-dup {{ display: none; }}
      .zs-loop tbody {{ animation: none; }}
      .zs-desk {{ display: none; }}
    }}
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
    """
    return f"<style>{_in_units(style)}</style>"
