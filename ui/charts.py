"""The big screen's look: plotly figures on one dark theme with CJK fonts, and the few HTML pieces around them
(page style, header with its clock, headline cards). Builders take what pipelines.cockpit returns and only
draw it: every value and status arrives computed."""
from __future__ import annotations

import datetime as dt
import html

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from alerts.rules import RED, YELLOW
from pipelines.vocabulary import WAN_PER_YI
from ui import format

FONT = "'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', 'PingFang SC', sans-serif"
BACKGROUND = "#07101f"
PANEL = "#0d1a30"
BORDER = "#1d3557"
TEXT = "#e8eef8"
MUTED = "#8ea3c4"
GRID = "#1c2d49"
ACCENT = "#38bdf8"
SERIES = ("#38bdf8", "#a78bfa", "#34d399", "#fbbf24", "#f472b6", "#22d3ee")
# Colours of the statuses the figures and the warnings already decided.
STATUS_COLOURS = {"达标": "#34d399", "黄": "#fbbf24", "红": "#f87171", None: MUTED}
GRADE_COLOURS = {YELLOW: "#fbbf24", RED: "#f87171"}
ON_PACE_COLOURS = {True: "#34d399", False: "#fbbf24", None: MUTED}
OLD_DATA_COLOURS = {True: "#f87171", False: "#38bdf8"}
WEEKDAYS = "一二三四五六日"

BASE_LAYOUT = {
    "paper_bgcolor": PANEL, "plot_bgcolor": PANEL,
    "font": {"family": FONT, "color": TEXT, "size": 16},
    "margin": {"l": 12, "r": 12, "t": 44, "b": 12},
    "title": {"x": 0.01, "xanchor": "left", "y": 0.98, "yanchor": "top", "font": {"size": 20, "color": TEXT}},
    "showlegend": False,
}
# Static (no toolbar, hover or zoom): nothing to click on a wall screen, and less for the browser to set up.
CONFIG = {"displayModeBar": False, "staticPlot": True}


def _figure(title: str, height: int) -> go.Figure:
    figure = go.Figure()
    figure.update_layout(**BASE_LAYOUT, height=height, title_text=title)
    return figure


def _axis(**extra) -> dict:
    return {"gridcolor": GRID, "zerolinecolor": GRID, "linecolor": BORDER, "tickfont": {"size": 14, "color": MUTED},
            **extra}


def rate_gauges(rates: pd.DataFrame, height: int) -> go.Figure:
    """The two rates as gauges side by side: the bar coloured by its status (达标/黄/红), a mark at its target,
    the hits over the cohort in the title; '—' without a cohort."""
    figure = _figure("", height)
    figure.update_layout(margin={"l": 16, "r": 16, "t": 16, "b": 8})
    width = 1 / len(rates)
    for i, rate in enumerate(rates.itertuples(index=False)):
        empty = rate.value is None or pd.isna(rate.value)
        domain = {"x": [i * width + 0.05, (i + 1) * width - 0.05], "y": [0.1, 0.78]}
        centre = (domain["x"][0] + domain["x"][1]) / 2
        figure.add_trace(go.Indicator(
            mode="gauge" if empty else "gauge+number", value=0 if empty else rate.value * 100, domain=domain,
            number={"suffix": "%", "valueformat": ".1f"},
            gauge={"axis": {"range": [0, 100], "visible": False},
                   "bar": {"color": STATUS_COLOURS.get(rate.status, MUTED), "thickness": 0.7},
                   "bgcolor": GRID, "borderwidth": 0,
                   "threshold": {"line": {"color": TEXT, "width": 5}, "thickness": 1, "value": rate.target * 100}},
        ))
        texts = [(f"<b>{rate.label}</b>", 1.0, 20, TEXT),
                 (f"目标 {format.percent(rate.target, 0)} · {rate.hits}/{rate.base}", 0.87, 16, MUTED),
                 (rate.status or "无基数", 0.0, 18, STATUS_COLOURS.get(rate.status, MUTED))]
        if empty:
            texts.append(("—", 0.2, 44, MUTED))
        for text, y, size, colour in texts:
            figure.add_annotation(text=text, x=centre, y=y, xref="paper", yref="paper", xanchor="center",
                                  showarrow=False, font={"size": size, "color": colour})
    return figure


def funnel_chart(funnel: pd.DataFrame, cohort: str, year: int, height: int) -> go.Figure:
    """The funnel from 线索 to 投产 of the cohort ('year': leads registered in `year`; 'all'): projects reaching
    each milestone, the conversion from the step before and the median days it took."""
    figure = _figure(f"项目漏斗（{f'{year}年登记线索' if cohort == 'year' else '全部项目'}）", height)
    widest = max(int(funnel["reached"].max()), 1)
    texts = []
    for step in funnel.itertuples(index=False):
        parts = [f"{step.reached}"]
        if step.conversion is not None and not pd.isna(step.conversion):
            parts.append(f"转化 {format.percent(step.conversion, 0)}")
        if step.median_days is not None and not pd.isna(step.median_days):
            parts.append(f"{step.median_days:.0f}天")
        texts.append(" · ".join(parts))
    figure.add_trace(go.Funnel(
        y=funnel["label"], x=funnel["reached"], text=texts, textinfo="text",
        # inside the wide steps, beside the narrow ones, where the text would not fit
        textposition=["inside" if n >= widest * 0.4 else "outside" for n in funnel["reached"]],
        insidetextfont={"size": 16, "color": "#04111f"}, outsidetextfont={"size": 16, "color": TEXT},
        marker={"color": [SERIES[i % len(SERIES)] for i in range(len(funnel))]}, connector={"fillcolor": GRID}, constraintext="none", cliponaxis=False,
    ))
    figure.update_yaxes(tickfont={"size": 16, "color": TEXT}, automargin=True)
    figure.update_layout(margin={"l": 12, "r": 12, "t": 44, "b": 8})
    return figure


def mix_chart(industry_mix: pd.DataFrame, size_mix: pd.DataFrame, height: int) -> go.Figure:
    """计划总投资 per industry (亿元) and the number of projects per size band, as two bar charts."""
    figure = make_subplots(rows=1, cols=2, horizontal_spacing=0.2,
                           subplot_titles=("按产业 · 计划总投资(亿元)", "按规模档次 · 项目数"))
    figure.update_layout(**BASE_LAYOUT, height=height, title_text="在库项目结构")
    amounts = industry_mix["investment_wan"] / WAN_PER_YI
    figure.add_trace(go.Bar(y=industry_mix["industry"], x=amounts, orientation="h", marker={"color": SERIES[1]},
                            text=[f"{a:,.0f}" for a in amounts], textposition="outside", cliponaxis=False), row=1, col=1)
    figure.add_trace(go.Bar(y=size_mix["size_band"], x=size_mix["projects"], orientation="h",
                            marker={"color": ACCENT}, text=[f"{n}" for n in size_mix["projects"]],
                            textposition="outside", cliponaxis=False),
                  row=1, col=2)
    figure.update_traces(textfont={"size": 15, "color": TEXT})
    figure.update_yaxes(autorange="reversed", tickfont={"size": 15, "color": TEXT}, automargin=True)
    figure.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
    figure.update_annotations(font={"size": 15, "color": MUTED})
    figure.update_layout(margin={"l": 12, "r": 40, "t": 70, "b": 8}, bargap=0.3)
    return figure


def _month_tick(day: dt.date, first: bool) -> str:
    """'11月'; with the year beneath on the first point and where a year starts."""
    return f"{day.month}月<br>{day.year}" if first or day.month == 1 else f"{day.month}月"


def trend_chart(trend: pd.DataFrame, height: int) -> go.Figure:
    """The year's flows so far at each month-end (lines, left axis) and the two rates (dashed, right axis, %)."""
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    figure.update_layout(**BASE_LAYOUT, height=height, title_text="月度走势")
    flows = (("signed", "签约"), ("commenced", "开工"), ("in_stats", "纳统"), ("production", "投产"))
    for i, (column, label) in enumerate(flows):
        figure.add_trace(go.Scatter(x=trend["month"], y=trend[column], name=label, mode="lines+markers",
                                    line={"color": SERIES[i], "width": 3}, marker={"size": 7}), secondary_y=False)
    rates = (("commencement_rate", "开工率"), ("stats_rate", "纳统率"))
    for i, (column, label) in enumerate(rates):
        values = pd.to_numeric(trend[column], errors="coerce") * 100
        figure.add_trace(go.Scatter(x=trend["month"], y=values, name=label, mode="lines+markers",
                                    line={"color": SERIES[4 + i], "width": 2, "dash": "dash"}, marker={"size": 6}),
                         secondary_y=True)
    # The legend on the title's line, clear of the axes' top ticks.
    figure.update_layout(showlegend=True, margin={"l": 12, "r": 12, "t": 52, "b": 12},
                         legend={"orientation": "h", "x": 0.99, "xanchor": "right", "y": 0.985, "yref": "container",
                                 "yanchor": "top", "font": {"size": 14}, "itemwidth": 30, "bgcolor": "rgba(0,0,0,0)"})
    figure.update_xaxes(_axis(type="category", automargin=True, tickangle=0, tickvals=list(trend["month"]),
                              ticktext=[_month_tick(day, i == 0) for i, day in enumerate(trend["day"])]))
    figure.update_yaxes(_axis(rangemode="tozero", automargin=True,
                              title={"text": "本年累计(个)", "font": {"size": 13, "color": MUTED}}), secondary_y=False)
    figure.update_yaxes(_axis(range=[0, 105], dtick=25, ticksuffix="%", showgrid=False, automargin=True),
                        secondary_y=True)
    return figure


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
    return (f"<div class='zs-panel' style='height:{height}px'><div class='zs-panel-title'>{title}</div>"
            f"<div class='zs-scroll'><table class='zs-table'><colgroup>{columns}</colgroup><thead><tr>{head}</tr>"
            f"</thead><tbody>{body}</tbody></table></div></div>")


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


def warnings_table(warnings: pd.DataFrame, counts: dict[str, int], height: int) -> str:
    """The latest open warnings, red first: grade, rule and unit, what holds; the title counts them by grade."""
    title = (f"实时预警 {_coloured(f'● 红 {counts.get(RED, 0)}', GRADE_COLOURS[RED])} "
             f"{_coloured(f'● 黄 {counts.get(YELLOW, 0)}', GRADE_COLOURS[YELLOW])}")
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


def data_age_chart(data_age: pd.DataFrame, height: int) -> go.Figure:
    """Days since each unit's last accepted monthly file, oldest on top, red when too old or never sent."""
    figure = _figure("数据时效（距最近一次报送）", height)
    days = data_age["days"].astype("Float64").fillna(0).astype(float)
    figure.add_trace(go.Bar(
        y=data_age["name"], x=days, orientation="h",
        marker={"color": [OLD_DATA_COLOURS[bool(old)] for old in data_age["old"]]},
        text=[format.days_ago(d) for d in data_age["days"]], textposition="outside", textfont={"size": 15},
        constraintext="none", cliponaxis=False,
    ))
    # Oldest on top; room for at least eight bars, so that one unit's bar is not a block.
    figure.update_yaxes(range=[max(len(data_age), 8) - 0.5, -0.5], tickfont={"size": 15, "color": TEXT},
                        automargin=True)
    figure.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
    figure.update_layout(margin={"l": 12, "r": 64, "t": 44, "b": 8}, bargap=0.35)
    return figure


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
    """The headline strip as HTML: each flow with its target, completion and gap to 序时进度; a bar filled to
    the completion with a mark at 序时进度; coloured green on pace, amber behind."""
    cards = []
    for item in headline.itertuples(index=False):
        money = item.item == "signed_amount_wan"
        value = format.yi(item.actual) if money else f"{int(item.actual)}"
        unit = "亿元" if money else "个"
        if item.target is None or pd.isna(item.target):
            lines = ["未下达年度目标", "&nbsp;"]
            completion, colour = None, ACCENT
        else:
            target = format.yi(item.target) if money else f"{int(item.target)}"
            lines = [f"目标 {target}{unit} · 完成 {format.percent(item.completion)}",
                     f"较序时进度 {format.gap_points(item.gap_points)} 个百分点"]
            completion, colour = item.completion, ON_PACE_COLOURS[bool(item.on_pace)]
        cards.append(_card(item.label, value, unit, lines, completion, time_progress, colour))
    return f"<div class='zs-cards'>{''.join(cards)}</div>"


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


def page_style(kiosk: bool) -> str:
    """The dark page; in kiosk mode also without Streamlit's header, toolbar and sidebar, edge to edge."""
    style = f"""
    .stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] {{ background: {BACKGROUND}; color: {TEXT}; }}
    [data-testid="stMainBlockContainer"] {{ padding: 10px 16px 0 16px; max-width: 100%; }}
    [data-testid="stHeader"] {{ background: transparent; }}
    .zs-header {{ display: flex; align-items: baseline; gap: 28px; font-family: {FONT}; color: {TEXT};
                  border-bottom: 2px solid {BORDER}; padding: 2px 4px 6px 4px; }}
    .zs-title {{ font-size: 32px; font-weight: 700; letter-spacing: 2px; color: #f8fbff; }}
    .zs-meta {{ font-size: 19px; color: {MUTED}; flex: 1; }}
    .zs-clock {{ font-size: 22px; color: {ACCENT}; font-variant-numeric: tabular-nums; }}
    .zs-cards {{ display: grid; grid-template-columns: repeat(5, 1fr); gap: 12px; font-family: {FONT}; }}
    .zs-card {{ background: {PANEL}; border: 1px solid {BORDER}; border-radius: 6px; padding: 8px 16px; }}
    .zs-label {{ font-size: 18px; color: {MUTED}; }}
    .zs-value {{ font-size: 42px; font-weight: 700; line-height: 1.15; font-variant-numeric: tabular-nums; }}
    .zs-unit {{ font-size: 18px; margin-left: 6px; color: {MUTED}; font-weight: 400; }}
    .zs-sub {{ font-size: 16px; color: {TEXT}; line-height: 1.4; }}
    .zs-bar {{ position: relative; height: 8px; background: {GRID}; border-radius: 4px; margin: 4px 0 6px 0; }}
    .zs-fill {{ height: 8px; border-radius: 4px; }}
    .zs-mark {{ position: absolute; top: -4px; width: 3px; height: 16px; background: {TEXT}; }}
    [data-testid="stPlotlyChart"] {{ border: 1px solid {BORDER}; border-radius: 6px; overflow: hidden; }}
    .zs-panel {{ background: {PANEL}; border: 1px solid {BORDER}; border-radius: 6px; padding: 8px 10px;
                 box-sizing: border-box; display: flex; flex-direction: column; font-family: {FONT}; }}
    .zs-panel-title {{ font-size: 20px; color: {TEXT}; padding: 0 2px 6px 2px; }}
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
