"""API tokens (DOMAIN §1, issue 6): how a program acts as a user over the HTTP API (`Authorization: Bearer zsk_…`).

An admin creates a token for a user and sees it once; the database keeps only its SHA-256 digest and its first
characters. A token acts with its user's current role and unit, so it reads and sends exactly what that user may
on the pages. It is refused once revoked, from its expiry on, and while its user is disabled; a password change
does not end it (revoking does). Creations, revocations and refused uses of a known token are written to the audit
log; an unknown token is not (it names nobody, and a 256-bit token cannot be guessed). The admin page and the
API (api.py) call this module; it never imports Streamlit."""
from __future__ import annotations

import datetime as dt
import secrets

import duckdb
import pandas as pd

from pipelines.access import Actor, require_admin
from pipelines.admin.users import TOUCH_EVERY, account_of, secret_digest
from pipelines.store import db

PREFIX = "zsk_"  # what every token starts with, so one pasted into a chat or a script is recognisable
SHOWN = len(PREFIX) + 4  # characters of a token kept in clear for lists
# A token's state as the admin page names it.
STATE_LABELS = {"active": "有效", "expired": "已过期", "revoked": "已撤销", "user_disabled": "账户已停用"}



def create_token(con: duckdb.DuckDBPyConnection, actor: Actor, username: str, label: str, *,
                 expires_at: dt.datetime | None = None, now: dt.datetime | None = None) -> str:
    """A new token acting as `username`, created by an admin: the token itself, to be shown once (only its digest is
    kept). Refused when the user does not exist or is disabled, the label is blank or the expiry is not after now."""
    require_admin(actor, "不能管理 API 令牌")
    now = now or dt.datetime.now()
    label = label.strip()
    account = account_of(con, username)
    if account is None:
        raise ValueError(f"用户 {username} 不存在")
    if not label:
        raise ValueError("请写明令牌的用途")
    if expires_at is not None and expires_at <= now:
        raise ValueError("到期时间须晚于现在")
    if con.execute("SELECT disabled_at IS NOT NULL FROM users WHERE username = $name",
                   {"name": account.username}).fetchone()[0]:
        raise ValueError(f"用户 {account.username} 已停用，不能为其创建令牌")
    token = PREFIX + secrets.token_urlsafe(32)
    with db.transaction(con):
        token_id = con.execute(
            "INSERT INTO api_tokens (username, label, token_hash, shown, created_at, created_by, expires_at) "
            "VALUES ($name, $label, $hash, $shown, $now, $by, $expires) RETURNING id",
            {"name": account.username, "label": label, "hash": secret_digest(token), "shown": token[:SHOWN], "now": now,
             "by": actor.name, "expires": expires_at}).fetchone()[0]
        db.audit(con, actor.name, "api_token.created", account.username,
                 {"token_id": token_id, "label": label, "expires_at": expires_at})
    return token


def revoke_token(con: duckdb.DuckDBPyConnection, actor: Actor, token_id: int, *, now: dt.datetime | None = None) -> None:
    """Revoke a token for good (admins only); refused for an unknown or already revoked token."""
    require_admin(actor, "不能管理 API 令牌")
    with db.transaction(con):
        revoked = con.execute(
            "UPDATE api_tokens SET revoked_at = $now, revoked_by = $by WHERE id = $id AND revoked_at IS NULL "
            "RETURNING username, label", {"id": token_id, "now": now or dt.datetime.now(), "by": actor.name}).fetchall()
        if not revoked:
            raise ValueError(f"令牌 {token_id} 不存在或已撤销")
        db.audit(con, actor.name, "api_token.revoked", revoked[0][0], {"token_id": token_id, "label": revoked[0][1]})


def list_tokens(con: duckdb.DuckDBPyConnection, *, now: dt.datetime | None = None) -> pd.DataFrame:
    """Every token, newest first: id, username, display_name, role, unit_code, label, shown (its first characters),
    created_at, created_by, expires_at, last_used_at, revoked_at, revoked_by and state (a key of STATE_LABELS:
    revoked before expired before user_disabled, else active)."""
    return con.execute(
        "SELECT t.id, t.username, u.display_name, u.role, u.unit_code, t.label, t.shown, t.created_at, t.created_by, "
        "t.expires_at, t.last_used_at, t.revoked_at, t.revoked_by, "
        "CASE WHEN t.revoked_at IS NOT NULL THEN 'revoked' WHEN t.expires_at <= $now THEN 'expired' "
        "     WHEN u.disabled_at IS NOT NULL THEN 'user_disabled' ELSE 'active' END AS state "
        "FROM api_tokens t JOIN users u USING (username) ORDER BY t.id DESC",
        {"now": now or dt.datetime.now()}).df()


def resolve(con: duckdb.DuckDBPyConnection, token: str | None, *, client: str | None = None,
            now: dt.datetime | None = None) -> Actor | None:
    """The user a token acts as (its current role and unit), or None for a missing or unknown token, a revoked or
    expired one, or one whose user is disabled (those refusals are audited). Counts as a use of the token."""
    if not token or not token.startswith(PREFIX):
        return None
    now = now or dt.datetime.now()
    row = con.execute(
        "SELECT t.id, u.username, u.role, u.unit_code, t.revoked_at, t.expires_at, u.disabled_at, t.last_used_at "
        "FROM api_tokens t JOIN users u USING (username) WHERE t.token_hash = $hash",
        {"hash": secret_digest(token)}).fetchone()
    if row is None:
        return None
    token_id, username, role, unit_code, revoked_at, expires_at, disabled_at, last_used_at = row
    refused = ("revoked" if revoked_at is not None else "expired" if expires_at is not None and now >= expires_at
               else "user_disabled" if disabled_at is not None else None)
    if refused:
        with db.transaction(con):
            db.audit(con, username, "api_token.refused", username,
                     {"token_id": token_id, "reason": refused, "client": client})
        return None
    if last_used_at is None or now - last_used_at >= TOUCH_EVERY:
        try:
            con.execute("UPDATE api_tokens SET last_used_at = $now WHERE id = $id", {"id": token_id, "now": now})
        except duckdb.TransactionException:
            pass  # a parallel request with the same token recorded the use at the same moment
    return Actor(username, role, unit_code)
