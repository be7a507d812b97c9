"""The HTTP API served beside the pages (st.App routes)."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from pipelines import state, store


async def health(_request: Request) -> JSONResponse:
    """Liveness plus what the server holds: schema version and how much data is loaded."""
    with store.cursor() as cur:
        facts = state.store_facts(cur)
    return JSONResponse({"status": "ok", **facts})


ROUTES = [Route("/api/health", health, methods=["GET"])]
