"""Plotly figures of the desk pages, read at a desk in Streamlit's light theme (the big screen draws its own,
without plotly: ui/cockpit.py). Builders take what pipelines return and only draw it."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

FLOWS = (("signed", "签约"), ("commenced", "开工"), ("in_stats", "纳统"), ("production", "投产"))
RATES = (("commencement_rate", "签约项目开工率"), ("stats_rate", "开工项目纳统率"))
COLOURS = ("#2563eb", "#7c3aed", "#059669", "#d97706")
RATE_COLOURS = ("#db2777", "#0891b2")


def trend_figure(trend: pd.DataFrame, targets: dict[str, float]) -> go.Figure:
    """The year's flows so far at each month-end (pipelines.screens.cockpit.trend) on the left, the two rates against
    their targets (dotted lines) on the right."""
    figure = make_subplots(rows=1, cols=2, subplot_titles=("本年累计新增（个）", "两率（%）"),
                           horizontal_spacing=0.08)
    months = [f"{day.year}-{day.month:02d}" for day in trend["day"]]
    # Values as lists: the figure JSON then reads plainly (plotly would pack numpy arrays as typed arrays).
    for (column, label), colour in zip(FLOWS, COLOURS):
        figure.add_trace(go.Scatter(x=months, y=trend[column].tolist(), name=label, mode="lines+markers",
                                    line={"color": colour, "width": 2}), row=1, col=1)
    # The two targets lie close (75%, 80%): one label under its line, the other above.
    for (column, label), colour, place in zip(RATES, RATE_COLOURS, ("bottom left", "top left")):
        values = pd.to_numeric(trend[column], errors="coerce") * 100
        figure.add_trace(go.Scatter(x=months, y=values.tolist(), name=label, mode="lines+markers", connectgaps=False,
                                    line={"color": colour, "width": 2}), row=1, col=2)
        figure.add_hline(y=targets[column] * 100, line={"color": colour, "dash": "dot", "width": 1}, row=1, col=2,
                         annotation_text=f"{label}目标 {targets[column]:.0%}", annotation_font_color=colour,
                         annotation_position=place)
    figure.update_yaxes(rangemode="tozero", row=1, col=1)
    figure.update_yaxes(range=[0, 105], ticksuffix="%", row=1, col=2)
    figure.update_xaxes(type="category", tickangle=-45)
    figure.update_layout(height=340, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                         legend={"orientation": "h", "y": -0.3}, hovermode="x unified")
    return figure
