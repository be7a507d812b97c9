"""领导驾驶舱: the big screen for leaders, laid out for 1920×1080 without scrolling (a smaller window shows it scaled
down whole, ui.cockpit.FIT_SCRIPT). It refreshes itself every [screen] refresh_seconds and shows new data and new
warnings without a reload. `?kiosk=1` hides Streamlit's
header, toolbar and sidebar and the as-of picker, for a wall screen."""
import datetime as dt

import streamlit as st

from pipelines.settings import current
from ui import auth, cockpit, data, widgets

auth.require_actor()  # nobody logged in: the login screen instead, and nothing below runs

screen = current().screen
kiosk = st.query_params.get("kiosk") == "1"
st.set_page_config(layout="wide", initial_sidebar_state="collapsed")
st.html(cockpit.page_style(kiosk))

# Heights in pixels: three columns that together fill a 1080-pixel screen below the header and the cards.
LEFT = (320, 245, 234)
MIDDLE = (255, 330, 214)
RIGHT = (460, 339)


@st.fragment(run_every=screen.refresh_seconds)
def big_screen(picked: dt.date | None) -> None:
    """The whole screen as of the picked day, or live (today, rolling over at midnight) when none is picked."""
    # Asked again at every refresh: a wall screen keeps its session alive while it runs, and stops showing data
    # once the session has ended or the account is disabled. The county for admins and leaders, a unit its own.
    scope = auth.require_actor().unit_scope
    if not data.facts()["projects"]:
        widgets.no_data_yet()
        return
    view = data.screen(picked or dt.date.today(), scope)
    st.html(cockpit.header(screen.title, view.scope_name, view.as_of, picked is None, view.time_progress,
                           dt.datetime.now()) + cockpit.CLOCK_SCRIPT + cockpit.FIT_SCRIPT, unsafe_allow_javascript=True)
    st.html(cockpit.headline_cards(view.headline, view.time_progress))
    left, middle, right = st.columns([1, 1.25, 1.2], gap="small")
    with left.container(gap="xsmall"):
        st.html(cockpit.rate_gauges(view.rates, LEFT[0]))
        st.html(cockpit.funnel_chart(view.funnel, view.funnel_cohort, view.year, LEFT[1]))
        st.html(cockpit.mix_chart(view.industry_mix, view.size_mix, LEFT[2]))
    with middle.container(gap="xsmall"):
        st.html(cockpit.trend_chart(view.trend, MIDDLE[0]))
        st.html(cockpit.ranking_table(view.ranking, MIDDLE[1]))
        st.html(cockpit.reporting_table(view.reporting, MIDDLE[2]))
    with right.container(gap="xsmall"):
        st.html(cockpit.warnings_table(view.warnings, view.warning_counts, RIGHT[0], view.task_counts))
        st.html(cockpit.stuck_table(view.stuck, RIGHT[1]))


# The as-of picker lives in the (collapsed) sidebar, so that the screen keeps its height; kiosk mode has none.
picked = None if kiosk else st.sidebar.date_input(
    "回看日期", value=None, max_value=dt.date.today(), format="YYYY-MM-DD", key="as_of",
    help="选择过去某天，查看当时的驾驶舱；留空为实时")
big_screen(picked)
