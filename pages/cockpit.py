"""领导驾驶舱: the big screen for leaders, drawn for 1920×1080 and scaled to the viewport (ui.cockpit: a 1366×768 or
3840×2160 wall shows the same screen smaller or larger, a 32:9 wall in six columns, a phone one panel under the
other). It refreshes itself every [screen] refresh_seconds and shows new data and new warnings without a reload.
`?kiosk=1` hides Streamlit's header, toolbar and sidebar and the as-of picker, for a wall screen."""
import datetime as dt

import streamlit as st

from pipelines.settings import current
from ui import auth, cockpit, data, widgets

auth.require_actor()  # nobody logged in: the login screen instead, and nothing below runs

screen = current().screen
kiosk = st.query_params.get("kiosk") == "1"
st.set_page_config(layout="wide", initial_sidebar_state="collapsed")
st.html(cockpit.page_style(kiosk))


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
    # One element for the browser to draw; the script ticks the header's clock.
    st.html(cockpit.screen(view, screen.title, picked is None, dt.datetime.now()) + cockpit.CLOCK_SCRIPT,
            unsafe_allow_javascript=True)


# The as-of picker lives in the (collapsed) sidebar, so that the screen keeps its height; kiosk mode has none.
picked = None if kiosk else st.sidebar.date_input(
    "回看日期", value=None, max_value=dt.date.today(), format="YYYY-MM-DD", key="as_of",
    help="选择过去某天，查看当时的驾驶舱；留空为实时")
big_screen(picked)
