"""Big-screen links (大屏链接, issue 18): how a wall screen shows the 领导驾驶舱 without anyone logging in, for as
long as it runs.

An admin creates a link for the county's screen or one unit's, with a label naming the wall (三楼会商室大屏); the
link carries a random secret (`zss_…`) shown once, and the database keeps only its SHA-256 digest and first
characters. Unlike a session (pipelines.admin.users) a link has no idle or absolute expiry: it works until an admin
revokes it, and the next refresh of a revoked wall shows REVOKED instead of the data. Creations and revocations are
written to the audit log; refused uses are not (a revoked wall left running would write one every refresh).

A link resolves to an Actor of its own role, `screen` (pipelines.access.SCREEN), carrying the unit it shows (None:
the county) as a unit user carries its unit. A role of its own rather than a leader kept to the big screen by the
navigation alone: every leader's read and every check that names `leader` would then also hold for a screen, and a
screen would be one forgotten check away from the other pages; a role that only the big screen lists (app.py),
that no write accepts (require_admin, may_submit and may_acknowledge name other roles) and that the API never
resolves (pipelines.admin.tokens knows only `zsk_` tokens) is read-only by construction. The admin page and the
pages' login (ui/auth.py) call this module; it never imports Streamlit."""
from __future__ import annotations

import datetime as dt
import secrets

import duckdb
import pandas as pd

from pipelines.access import SCREEN, Actor, require_admin
from pipelines.admin.users import secret_digest
from pipelines.store import db

PREFIX = "zss_"  # what every link's secret starts with, so that it is never mistaken for an API token (zsk_)
SHOWN = len(PREFIX) + 4  # characters of a secret kept in clear for lists
PARAMETER = "screen"  # the query parameter of the big screen's address that carries the secret
# last_seen_at is written at most this often per link: often enough to tell a running wall from a dark one,
# rarely enough that a screen refreshing every few seconds does not write each time.
TOUCH_EVERY = dt.timedelta(minutes=10)
# A link's state as the admin page names it: seen within TOUCH_EVERY plus two of the screen's refreshes (a running
# wall is), not seen so lately (or never), revoked.
STATE_LABELS = {"showing": "使用中", "quiet": "有效（近期未打开）", "revoked": "已撤销"}
REVOKED = "此大屏链接已被撤销，请联系管理员"
UNKNOWN = "此大屏链接无效，请核对链接或联系管理员"


class LinkRefused(PermissionError):
    """A big-screen link that shows nothing: unknown (UNKNOWN) or revoked (REVOKED); the message says which."""



def address(base: str, secret: str) -> str:
    """The address a wall screen opens: the big screen in kiosk mode (no menu, no as-of picker) with the secret."""
    return f"{base.rstrip('/')}/cockpit?kiosk=1&{PARAMETER}={secret}"


def create_link(con: duckdb.DuckDBPyConnection, actor: Actor, label: str, unit_code: str | None = None, *,
                now: dt.datetime | None = None) -> str:
    """A new link to the county's big screen (unit_code None) or one unit's, created by an admin: its secret, to be
    shown once (only the digest is kept). Refused without a label or for a unit not in the register."""
    require_admin(actor, "不能管理大屏链接")
    label = label.strip()
    if not label:
        raise ValueError("请写明大屏链接用于哪块屏幕，如“三楼会商室大屏”")
    if unit_code is not None and not con.execute("SELECT count(*) FROM units WHERE code = $code",
                                                 {"code": unit_code}).fetchone()[0]:
        raise ValueError(f"单元 {unit_code} 不在单元名录中")
    secret = PREFIX + secrets.token_urlsafe(32)
    with db.transaction(con):
        link_id = con.execute(
            "INSERT INTO screen_links (label, unit_code, secret_hash, shown, created_at, created_by) "
            "VALUES ($label, $unit, $hash, $shown, $now, $by) RETURNING id",
            {"label": label, "unit": unit_code, "hash": secret_digest(secret), "shown": secret[:SHOWN],
             "now": now or dt.datetime.now(), "by": actor.name}).fetchone()[0]
        db.audit(con, actor.name, "screen_link.created", label, {"link_id": link_id, "unit": unit_code})
    return secret


def revoke_link(con: duckdb.DuckDBPyConnection, actor: Actor, link_id: int, *, now: dt.datetime | None = None) -> None:
    """Revoke a link for good (admins only): the wall showing it stops at its next refresh. Refused for an unknown
    or already revoked link."""
    require_admin(actor, "不能管理大屏链接")
    with db.transaction(con):
        revoked = con.execute(
            "UPDATE screen_links SET revoked_at = $now, revoked_by = $by WHERE id = $id AND revoked_at IS NULL "
            "RETURNING label, unit_code",
            {"id": link_id, "now": now or dt.datetime.now(), "by": actor.name}).fetchall()
        if not revoked:
            raise ValueError(f"大屏链接 {link_id} 不存在或已撤销")
        db.audit(con, actor.name, "screen_link.revoked", revoked[0][0], {"link_id": link_id, "unit": revoked[0][1]})


def list_links(con: duckdb.DuckDBPyConnection, refresh_seconds: float, *, now: dt.datetime | None = None) -> pd.DataFrame:
    """Every link, newest first: id, label, unit_code, unit_name (None: the county's screen), shown (its first
    characters), created_at, created_by, last_seen_at, revoked_at, revoked_by and state (a key of STATE_LABELS:
    'showing' when seen within TOUCH_EVERY plus two refreshes of `refresh_seconds`)."""
    now = now or dt.datetime.now()
    return con.execute(
        "SELECT l.id, l.label, l.unit_code, u.name AS unit_name, l.shown, l.created_at, l.created_by, l.last_seen_at, "
        "l.revoked_at, l.revoked_by, "
        "CASE WHEN l.revoked_at IS NOT NULL THEN 'revoked' WHEN l.last_seen_at > $recent THEN 'showing' "
        "     ELSE 'quiet' END AS state "
        "FROM screen_links l LEFT JOIN units u ON u.code = l.unit_code ORDER BY l.id DESC",
        {"recent": now - TOUCH_EVERY - dt.timedelta(seconds=2 * refresh_seconds)}).df()


def resolve(con: duckdb.DuckDBPyConnection, secret: str | None, *, now: dt.datetime | None = None) -> Actor:
    """The screen Actor of a link (its unit scope the link's unit, None for the county's screen), however long ago it
    was created or last seen; LinkRefused with UNKNOWN or REVOKED. Counts as the wall being seen (last_seen_at)."""
    if not secret or not secret.startswith(PREFIX):
        raise LinkRefused(UNKNOWN)
    row = con.execute("SELECT id, unit_code, revoked_at, last_seen_at FROM screen_links WHERE secret_hash = $hash",
                      {"hash": secret_digest(secret)}).fetchone()
    if row is None:
        raise LinkRefused(UNKNOWN)
    link_id, unit_code, revoked_at, last_seen_at = row
    if revoked_at is not None:
        raise LinkRefused(REVOKED)
    now = now or dt.datetime.now()
    if last_seen_at is None or now - last_seen_at >= TOUCH_EVERY:
        try:
            con.execute("UPDATE screen_links SET last_seen_at = $now WHERE id = $id", {"id": link_id, "now": now})
        except duckdb.TransactionException:
            pass  # another tab showing the same link recorded the visit at the same moment
    return Actor(f"screen-{link_id}", SCREEN, unit_code)
