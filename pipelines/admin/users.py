"""Accounts and sessions (DOMAIN §1): who may log in, with which role and unit, and for how long.

Passwords are kept as argon2id hashes; an account is locked for `auth.lock_minutes` after
`auth.max_failed_logins` consecutive failures; a session ends `auth.session_idle_hours` after its last use or
`auth.session_absolute_hours` after its login, whichever comes first. The browser holds only a random token;
the database holds its SHA-256 digest. Every login, failure, lock, logout and change of an account is written
to the audit log. The HTTP routes (api.py) and the pages (ui/auth.py) call this module; it never
imports Streamlit."""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
import threading
from dataclasses import dataclass

import duckdb
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from pipelines import settings
from pipelines.access import SYSTEM, Actor, require_admin
from pipelines.settings import AuthSettings, Settings
from pipelines.store import db

DEMO_PASSWORD = "demo"  # the password of every demo account, shown on the login page of a demo database
FIRST_ADMIN = "admin"  # the account created at the first start of a real deployment
DEMO_LEADER = "leader"
# last_seen_at is written at most this often per session: a write on every page rerun would only add
# contention, and idle limits are counted in hours.
TOUCH_EVERY = dt.timedelta(minutes=1)
SESSION_COOKIE = "zs_session"  # the HttpOnly cookie that carries a browser's session token

_hasher = PasswordHasher()
# One login at a time in this process: an account's failure count is read, judged and written without a race
# (a parallel guess cannot slip past the lock), and hashing cannot starve the server of threads.
_login_lock = threading.Lock()


class LoginRefused(Exception):
    """A login that did not succeed. `reason`: 'invalid' (unknown name or wrong password), 'locked', 'disabled'."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Account:
    """A user as the screens show it: login name, display name, role and (for unit users) unit."""

    username: str
    display_name: str
    role: str
    unit_code: str | None

    @property
    def actor(self) -> Actor:
        """The Actor every read and write of this user receives (its name is the login name)."""
        return Actor(self.username, self.role, self.unit_code)


def _config(config: Settings | None) -> Settings:
    return config or settings.current()


def _normal(username: str) -> str:
    return username.strip().lower()


def secret_digest(secret: str) -> str:
    """What the database keeps of a secret shown once (a session token, an API token, a big-screen link): its
    SHA-256, so that the secret itself is never stored."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@functools.cache
def _unknown_user_hash() -> str:
    # Verified against when the name is unknown, so an unknown name takes as long as a wrong password.
    return _hasher.hash(secrets.token_urlsafe(16))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _check_password(password: str, config: Settings) -> None:
    if len(password) < config.auth.password_min_length:
        raise ValueError(f"密码至少需要 {config.auth.password_min_length} 个字符")


def _insert_user(con: duckdb.DuckDBPyConnection, actor: Actor, account: Account, password_hash: str, demo: bool,
                 now: dt.datetime, detail: dict | None = None) -> None:
    """Write (or, for a name that exists, replace) one account and audit it, in one transaction; refused
    (ValueError) when the role and unit do not make an Actor or the unit is not registered."""
    Actor(account.username, account.role, account.unit_code)
    with db.transaction(con):
        if account.unit_code is not None and not con.execute(
                "SELECT count(*) FROM units WHERE code = $code", {"code": account.unit_code}).fetchone()[0]:
            raise ValueError(f"单元 {account.unit_code} 不在单元名录中")
        con.execute("DELETE FROM sessions WHERE username = $name", {"name": account.username})
        con.execute(
            "INSERT OR REPLACE INTO users VALUES ($name, $display, $role, $unit, $hash, $demo, 0, NULL, NULL, NULL, "
            "$now, $now)",
            {"name": account.username, "display": account.display_name, "role": account.role,
             "unit": account.unit_code, "hash": password_hash, "demo": demo, "now": now},
        )
        db.audit(con, actor.name, "user.created", account.username,
                 {"role": account.role, "unit": account.unit_code, "demo": demo, **(detail or {})})


def create_user(con: duckdb.DuckDBPyConnection, actor: Actor, username: str, display_name: str, role: str,
                password: str, unit_code: str | None = None, *, config: Settings | None = None,
                now: dt.datetime | None = None) -> Account:
    """A new account, created by an admin; refused if the name is taken, the role and unit do not fit, the unit
    is not registered or the password is shorter than auth.password_min_length."""
    require_admin(actor, "不能管理账户")
    _check_password(password, _config(config))
    account = Account(_normal(username), display_name.strip(), role, unit_code)
    if not account.username:
        raise ValueError("用户名不能为空")
    if account_of(con, account.username) is not None:
        raise ValueError(f"用户名 {account.username} 已存在")
    _insert_user(con, actor, account, _hasher.hash(password), False, now or dt.datetime.now())
    return account


def account_of(con: duckdb.DuckDBPyConnection, username: str) -> Account | None:
    """The account with this login name, or None."""
    row = con.execute("SELECT username, display_name, role, unit_code FROM users WHERE username = $name",
                      {"name": _normal(username)}).fetchone()
    return Account(*row) if row else None


def _change(con: duckdb.DuckDBPyConnection, actor: Actor, username: str, action: str, assignments: str,
            params: dict, end_sessions: bool, now: dt.datetime) -> None:
    """Apply one admin change to an existing account (assignments come from this module, never from input)."""
    name = _normal(username)
    with db.transaction(con):
        # `assignments` is one of this module's literals; every value is a bound parameter.
        changed = con.execute(f"UPDATE users SET {assignments}, updated_at = $now WHERE username = $name "
                              "RETURNING username", {**params, "name": name, "now": now}).fetchall()
        if not changed:
            raise ValueError(f"用户 {name} 不存在")
        if end_sessions:
            con.execute("DELETE FROM sessions WHERE username = $name", {"name": name})
        db.audit(con, actor.name, action, name, {})


def set_password(con: duckdb.DuckDBPyConnection, actor: Actor, username: str, password: str, *,
                 config: Settings | None = None, now: dt.datetime | None = None) -> None:
    """Give an account a new password (an admin for anyone, a user for itself); its sessions end, and it is no
    longer listed as a demo account."""
    if actor.role != "admin" and actor.name != _normal(username):
        raise PermissionError(f"{actor.name} 只能修改自己的密码")
    _check_password(password, _config(config))
    _change(con, actor, username, "user.password_set", "password_hash = $hash, demo = false",
            {"hash": _hasher.hash(password)}, True, now or dt.datetime.now())


def set_disabled(con: duckdb.DuckDBPyConnection, actor: Actor, username: str, disabled: bool, *,
                 now: dt.datetime | None = None) -> None:
    """Disable an account (it cannot log in and its sessions end) or enable it again; admins only, and never
    their own account."""
    require_admin(actor, "不能管理账户")
    if _normal(username) == actor.name:
        raise ValueError("不能停用或启用自己的账户")
    now = now or dt.datetime.now()
    _change(con, actor, username, "user.disabled" if disabled else "user.enabled", "disabled_at = $at",
            {"at": now if disabled else None}, disabled, now)


def unlock(con: duckdb.DuckDBPyConnection, actor: Actor, username: str, *, now: dt.datetime | None = None) -> None:
    """Lift a lock before its time and clear the failure count; admins only."""
    require_admin(actor, "不能管理账户")
    _change(con, actor, username, "user.unlocked", "failed_logins = 0, locked_until = NULL", {}, False,
            now or dt.datetime.now())


def login(con: duckdb.DuckDBPyConnection, username: str, password: str, *, client: str | None = None,
          config: Settings | None = None, now: dt.datetime | None = None) -> tuple[str, Account]:
    """Check a name and password and open a session: (the token for the browser's cookie, the account).

    Raises LoginRefused: 'invalid' for an unknown name or a wrong password, 'locked' while the account is
    locked (also on the failure that locks it), 'disabled' for a disabled account with the right password.
    A lock is judged before the password, so guesses during a lock learn nothing."""
    auth = _config(config).auth
    now = now or dt.datetime.now()
    name = _normal(username)[:64]
    with _login_lock:
        row = con.execute("SELECT display_name, role, unit_code, password_hash, failed_logins, locked_until, "
                          "disabled_at FROM users WHERE username = $name", {"name": name}).fetchone()
        if row is None:
            _verify(_unknown_user_hash(), password)
            _audit_login(con, name, "auth.login_failed", client, reason="unknown_user")
            raise LoginRefused("invalid")
        display_name, role, unit_code, password_hash, failures, locked_until, disabled_at = row
        if locked_until is not None and now < locked_until:
            _audit_login(con, name, "auth.login_failed", client, reason="locked")
            raise LoginRefused("locked")
        if not _verify(password_hash, password):
            raise LoginRefused(_record_failure(con, name, failures + 1, client, auth, now))
        if disabled_at is not None:
            _audit_login(con, name, "auth.login_failed", client, reason="disabled")
            raise LoginRefused("disabled")
        token = secrets.token_urlsafe(32)
        with db.transaction(con):
            if _hasher.check_needs_rehash(password_hash):
                con.execute("UPDATE users SET password_hash = $hash WHERE username = $name",
                            {"hash": _hasher.hash(password), "name": name})
            con.execute("UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = $now "
                        "WHERE username = $name", {"name": name, "now": now})
            con.execute("INSERT INTO sessions VALUES ($hash, $name, $now, $now)",
                        {"hash": secret_digest(token), "name": name, "now": now})
            # Sessions nobody came back to are removed here rather than by a job of their own.
            con.execute("DELETE FROM sessions WHERE last_seen_at <= $idle OR created_at <= $absolute",
                        _expiry_bounds(auth, now))
            db.audit(con, name, "auth.login", name, {"client": client})
    return token, Account(name, display_name, role, unit_code)


def _audit_login(con: duckdb.DuckDBPyConnection, name: str, action: str, client: str | None, **detail) -> None:
    with db.transaction(con):
        db.audit(con, name, action, name, {"client": client, **detail})


def _record_failure(con: duckdb.DuckDBPyConnection, name: str, failures: int, client: str | None,
                    auth: AuthSettings, now: dt.datetime) -> str:
    """Count a wrong password, locking the account when the count reaches auth.max_failed_logins; the reason
    the login is refused ('locked' or 'invalid')."""
    locks = failures >= auth.max_failed_logins
    with db.transaction(con):
        con.execute("UPDATE users SET failed_logins = $count, locked_until = $until WHERE username = $name",
                    {"name": name, "count": 0 if locks else failures,
                     "until": now + dt.timedelta(minutes=auth.lock_minutes) if locks else None})
        db.audit(con, name, "auth.login_failed", name, {"client": client, "reason": "wrong_password",
                                                        "failures": failures})
        if locks:
            db.audit(con, name, "auth.locked", name, {"client": client, "minutes": auth.lock_minutes})
    return "locked" if locks else "invalid"


def _expiry_bounds(auth: AuthSettings, now: dt.datetime) -> dict[str, dt.datetime]:
    """A session whose last use is at or before `idle`, or whose login is at or before `absolute`, has ended."""
    return {"idle": now - dt.timedelta(hours=auth.session_idle_hours),
            "absolute": now - dt.timedelta(hours=auth.session_absolute_hours)}


def resolve_session(con: duckdb.DuckDBPyConnection, token: str | None, *, config: Settings | None = None,
                    now: dt.datetime | None = None) -> Account | None:
    """The account a session token stands for, or None when there is no such session, it has ended (idle or
    absolute limit; it is then removed and audited) or the account is disabled. Counts as a use of the session."""
    if not token:
        return None
    now = now or dt.datetime.now()
    digest = secret_digest(token)
    row = con.execute(
        "SELECT u.username, u.display_name, u.role, u.unit_code, u.disabled_at, s.created_at, s.last_seen_at "
        "FROM sessions s JOIN users u USING (username) WHERE s.token_hash = $hash", {"hash": digest}).fetchone()
    if row is None:
        return None
    *fields, disabled_at, created_at, last_seen_at = row
    bounds = _expiry_bounds(_config(config).auth, now)
    if disabled_at is not None or last_seen_at <= bounds["idle"] or created_at <= bounds["absolute"]:
        with db.transaction(con):
            ended = con.execute("DELETE FROM sessions WHERE token_hash = $hash RETURNING username",
                                {"hash": digest}).fetchall()
            if ended:
                db.audit(con, fields[0], "auth.session_expired", fields[0],
                         {"login": created_at, "last_seen": last_seen_at})
        return None
    if now - last_seen_at >= TOUCH_EVERY:
        try:
            con.execute("UPDATE sessions SET last_seen_at = $now WHERE token_hash = $hash",
                        {"hash": digest, "now": now})
        except duckdb.TransactionException:
            pass  # another tab of the same session touched it at the same moment: that use is recorded
    return Account(*fields)


def logout(con: duckdb.DuckDBPyConnection, token: str | None, *, client: str | None = None) -> Account | None:
    """End the session of this token (audited); the account it belonged to, or None if there was none."""
    if not token:
        return None
    with db.transaction(con):
        ended = con.execute("DELETE FROM sessions WHERE token_hash = $hash RETURNING username",
                            {"hash": secret_digest(token)}).fetchall()
        if not ended:
            return None
        db.audit(con, ended[0][0], "auth.logout", ended[0][0], {"client": client})
    return account_of(con, ended[0][0])


def ensure_first_admin(con: duckdb.DuckDBPyConnection, *, config: Settings | None = None,
                       now: dt.datetime | None = None) -> str | None:
    """At the first start of a deployment (no admin account yet) create `admin` with auth.initial_admin_password,
    or with a generated password, which is returned so the server can print it once. None when an admin
    exists or the password came from the settings."""
    if con.execute("SELECT count(*) FROM users WHERE role = 'admin'").fetchone()[0]:
        return None
    config = _config(config)
    given = config.auth.initial_admin_password
    if given:
        _check_password(given, config)
    password = given or secrets.token_urlsafe(12)
    _insert_user(con, SYSTEM, Account(FIRST_ADMIN, "系统管理员", "admin", None), _hasher.hash(password), False,
                 now or dt.datetime.now(), {"first_start": True, "password": "settings" if given else "generated"})
    return None if given else password


def create_demo_accounts(con: duckdb.DuckDBPyConnection, actor: Actor, *, now: dt.datetime | None = None) -> list[str]:
    """The demo's accounts, all with DEMO_PASSWORD: `admin`, `leader`, and one per registered unit named after
    its code in lower case (U01 → u01). Existing accounts of those names are replaced. Returns the names."""
    now = now or dt.datetime.now()
    accounts = [Account(FIRST_ADMIN, "演示管理员", "admin", None), Account(DEMO_LEADER, "演示领导", "leader", None)]
    accounts += [Account(code.lower(), f"{name}填报员", "unit", code)
                 for code, name in con.execute("SELECT code, name FROM units ORDER BY code").fetchall()]
    password_hash = _hasher.hash(DEMO_PASSWORD)  # one hash for all: the password is published anyway
    for account in accounts:
        _insert_user(con, actor, account, password_hash, True, now)
    return [a.username for a in accounts]


def demo_accounts(con: duckdb.DuckDBPyConnection) -> list[Account]:
    """Enabled accounts whose password is still DEMO_PASSWORD, admin first, then leaders, then units by name.
    A database with any is a demo database: the login page lists them."""
    rows = con.execute("SELECT username, display_name, role, unit_code FROM users "
                       "WHERE demo AND disabled_at IS NULL "
                       "ORDER BY CASE role WHEN 'admin' THEN 0 WHEN 'leader' THEN 1 ELSE 2 END, username").fetchall()
    return [Account(*row) for row in rows]
