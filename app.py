"""招引智控 entry point.

Imported by the ASGI server (`streamlit run app.py` finds `app` below), this module is the server: an
`st.App` whose lifespan opens the one database connection of the process and whose routes add the HTTP API.
Executed by Streamlit as the page script of every session (`__name__ == "__main__"`), it only frames and
routes: page config and navigation."""
from __future__ import annotations

from contextlib import asynccontextmanager

import streamlit as st

from pipelines import settings, store


@asynccontextmanager
async def lifespan(_app):
    """Open the database for this process on start; checkpoint and close it on shutdown."""
    path = settings.db_path()
    store.open_for_process(path)
    try:
        yield {"db_path": str(path)}
    finally:
        store.close_for_process()


def _routes() -> list:
    from api import ROUTES

    return ROUTES


def _navigation() -> None:
    st.set_page_config(page_title="招引智控", page_icon="📈", layout="wide")
    page = st.navigation([
        st.Page("pages/projects.py", title="项目库", icon="🗂️", url_path="projects", default=True),
    ])
    page.run()


if __name__ == "__main__":
    _navigation()
else:
    app = st.App(__file__, lifespan=lifespan, routes=_routes())
