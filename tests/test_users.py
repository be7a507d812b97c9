"""pipelines.admin.users: argon2 passwords, lockout after repeated failures, disabled accounts, sessions that end
after idle and absolute limits, the audit trail, the demo accounts and the first admin of a deployment."""
from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from argon2 import PasswordHasher

from pipelines import settings
from pipelines.access import Actor
from pipelines.admin import users
from pipelines.admin.users import Account, LoginRefused

ADMIN = Actor("admin", "admin")
T0 = dt.datetime(2025, 3, 3, 9, 0)
PASSWORD = "青岚2025-qlx"
PRODUCT_HASHER = users._hasher


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch):
    """Argon2 with the cheapest parameters: the product's cost (≈0.2 s a hash here) is checked once below."""
    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


def _config(**auth):
    return settings.load(env={}, overrides={"auth": auth} if auth else None)


@pytest.fixture
def wang(units):
    """A unit user of U02 (城东街道) with PASSWORD, created by an admin."""
    users.create_user(units, ADMIN, " Wang.Li ", "王丽", "unit", PASSWORD, "U02", now=T0)
    return units


def _audit(con, since: int = 0) -> list[tuple[str, str, str]]:
    rows = con.execute("SELECT actor, action, detail FROM audit_log WHERE id > ? ORDER BY id", [since]).fetchall()
    return [(actor, action, json.loads(detail).get("reason", "")) for actor, action, detail in rows]


def _last_audit_id(con) -> int:
    return con.execute("SELECT coalesce(max(id), 0) FROM audit_log").fetchone()[0]


def _refused(con, password: str, at: dt.datetime, config=None) -> str:
    with pytest.raises(LoginRefused) as refused:
        users.login(con, "wang.li", password, config=config, now=at)
    return refused.value.reason


def test_product_hashes_with_argon2id_defaults_and_upgrades_weaker_hashes(wang, monkeypatch):
    """The product hashes with argon2-cffi's defaults (argon2id, RFC 9106 low-memory profile); a stored hash
    with weaker parameters is replaced by one with the defaults at the next successful login."""
    monkeypatch.setattr(users, "_hasher", PRODUCT_HASHER)
    users.login(wang, "wang.li", PASSWORD, now=T0)
    stored = wang.execute("SELECT password_hash FROM users WHERE username = 'wang.li'").fetchone()[0]
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert users.login(wang, "wang.li", PASSWORD, now=T0)


def test_password_is_stored_as_argon2id_and_a_login_opens_a_session(wang):
    """The stored hash is argon2id (never the password); the right password gives a token whose SHA-256 alone
    is stored, and the token resolves to the user's account and Actor."""
    stored = wang.execute("SELECT password_hash FROM users WHERE username = 'wang.li'").fetchone()[0]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    token, account = users.login(wang, "WANG.LI", PASSWORD, client="10.1.2.3", now=T0)
    assert account == Account("wang.li", "王丽", "unit", "U02")
    assert wang.execute("SELECT token_hash FROM sessions").fetchall() == [(hashlib.sha256(token.encode()).hexdigest(),)]
    assert users.resolve_session(wang, token, now=T0) == account
    assert account.actor == Actor("wang.li", "unit", "U02")


@pytest.mark.parametrize("name, password", [("wang.li", PASSWORD + "x"), ("wang.li", ""), ("li.wang", PASSWORD)])
def test_wrong_password_or_unknown_name_is_refused_alike(wang, name, password):
    """A wrong password and an unknown name are both 'invalid' and open no session."""
    with pytest.raises(LoginRefused, match="invalid"):
        users.login(wang, name, password, now=T0)
    assert wang.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0


def test_lockout_after_max_failures_and_unlock_after_lock_minutes(wang):
    """With the defaults (5 failures, 15 minutes): failures 1–4 are 'invalid', the 5th locks; while locked even
    the right password is 'locked'; one second before the 15 minutes it still is, at 15 minutes it logs in."""
    second = dt.timedelta(seconds=1)
    reasons = [_refused(wang, "guess", T0 + i * second) for i in range(5)]
    assert reasons == ["invalid"] * 4 + ["locked"]
    locked_at = T0 + 4 * second
    assert wang.execute("SELECT failed_logins, locked_until FROM users").fetchone() == (
        0, locked_at + dt.timedelta(minutes=15))
    assert _refused(wang, PASSWORD, locked_at + dt.timedelta(minutes=15) - second) == "locked"
    token, _ = users.login(wang, "wang.li", PASSWORD, now=locked_at + dt.timedelta(minutes=15))
    assert token


def test_lock_settings_are_read_from_auth_settings(wang):
    """auth.max_failed_logins = 2 and auth.lock_minutes = 1: the 2nd failure locks for one minute."""
    config = _config(max_failed_logins=2, lock_minutes=1)
    assert [_refused(wang, "guess", T0, config) for _ in range(2)] == ["invalid", "locked"]
    assert _refused(wang, PASSWORD, T0 + dt.timedelta(seconds=59), config) == "locked"
    assert users.login(wang, "wang.li", PASSWORD, config=config, now=T0 + dt.timedelta(minutes=1))


def test_a_success_clears_the_failure_count(wang):
    """Four failures, a success, four more failures: never five in a row, so never locked."""
    for _ in range(4):
        _refused(wang, "guess", T0)
    users.login(wang, "wang.li", PASSWORD, now=T0)
    assert [_refused(wang, "guess", T0) for _ in range(4)] == ["invalid"] * 4


def test_admin_unlocks_before_time(wang):
    """An admin's unlock lifts the lock at once."""
    for _ in range(5):
        _refused(wang, "guess", T0)
    users.unlock(wang, ADMIN, "wang.li", now=T0)
    assert users.login(wang, "wang.li", PASSWORD, now=T0)


def test_disabled_user_cannot_log_in_and_loses_its_sessions(wang):
    """Disabling ends the user's sessions; then the right password is 'disabled', a wrong one 'invalid';
    enabled again, it logs in."""
    token, _ = users.login(wang, "wang.li", PASSWORD, now=T0)
    users.set_disabled(wang, ADMIN, "wang.li", True, now=T0)
    assert users.resolve_session(wang, token, now=T0) is None
    assert _refused(wang, PASSWORD, T0) == "disabled"
    assert _refused(wang, "guess", T0) == "invalid"
    users.set_disabled(wang, ADMIN, "wang.li", False, now=T0)
    assert users.login(wang, "wang.li", PASSWORD, now=T0)


def test_session_ends_after_idle_hours(wang):
    """Default 8 idle hours: used 7h59m after its last use it lives (and that use counts), 8 hours after the
    last use it has ended, is removed and audited."""
    token, account = users.login(wang, "wang.li", PASSWORD, now=T0)
    first_use = T0 + dt.timedelta(hours=7, minutes=59)
    assert users.resolve_session(wang, token, now=first_use) == account
    before = _last_audit_id(wang)
    assert users.resolve_session(wang, token, now=first_use + dt.timedelta(hours=8)) is None
    assert wang.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0
    assert _audit(wang, before) == [("wang.li", "auth.session_expired", "")]


def test_session_ends_after_absolute_hours_however_used(wang):
    """Default 168 hours: a session used every hour still ends 168 hours after its login."""
    token, account = users.login(wang, "wang.li", PASSWORD, now=T0)
    for hour in range(1, 168):
        assert users.resolve_session(wang, token, now=T0 + dt.timedelta(hours=hour)) == account
    assert users.resolve_session(wang, token, now=T0 + dt.timedelta(hours=168)) is None


def test_use_is_written_at_most_once_a_minute(wang):
    """A use 59 s after the last written one leaves last_seen_at; one at 60 s writes it."""
    token, _ = users.login(wang, "wang.li", PASSWORD, now=T0)
    users.resolve_session(wang, token, now=T0 + dt.timedelta(seconds=59))
    assert wang.execute("SELECT last_seen_at FROM sessions").fetchone()[0] == T0
    users.resolve_session(wang, token, now=T0 + dt.timedelta(seconds=60))
    assert wang.execute("SELECT last_seen_at FROM sessions").fetchone()[0] == T0 + dt.timedelta(seconds=60)


def test_unknown_or_missing_token_resolves_to_nobody(wang):
    """A token never issued, an empty cookie and no cookie all mean nobody is logged in."""
    assert [users.resolve_session(wang, t, now=T0) for t in ("forged-token", "", None)] == [None, None, None]


def test_logout_ends_the_session(wang):
    """Logging out removes the session (its token resolves to nobody) and returns the account; a second
    logout with the same token finds nothing."""
    token, account = users.login(wang, "wang.li", PASSWORD, now=T0)
    assert users.logout(wang, token, client="10.1.2.3") == account
    assert users.resolve_session(wang, token, now=T0) is None
    assert users.logout(wang, token) is None


def test_a_login_removes_sessions_that_ended_unseen(wang):
    """Sessions past their idle limit that nobody came back to are removed at the next login."""
    users.login(wang, "wang.li", PASSWORD, now=T0)
    users.login(wang, "wang.li", PASSWORD, now=T0 + dt.timedelta(hours=9))
    assert wang.execute("SELECT created_at FROM sessions").fetchall() == [(T0 + dt.timedelta(hours=9),)]


def test_every_login_failure_lock_and_logout_is_audited(wang):
    """The audit log holds, in order: an unknown name, four wrong passwords, the fifth with the lock, a try
    while locked, the login after the lock and the logout, each under the name tried."""
    before = _last_audit_id(wang)
    with pytest.raises(LoginRefused):
        users.login(wang, "nobody", "x", client="10.9.9.9", now=T0)
    for _ in range(5):
        _refused(wang, "guess", T0)
    _refused(wang, PASSWORD, T0 + dt.timedelta(minutes=1))
    token, _ = users.login(wang, "wang.li", PASSWORD, client="10.1.2.3", now=T0 + dt.timedelta(minutes=15))
    users.logout(wang, token, client="10.1.2.3")
    assert _audit(wang, before) == [
        ("nobody", "auth.login_failed", "unknown_user"),
        *[("wang.li", "auth.login_failed", "wrong_password")] * 5,
        ("wang.li", "auth.locked", ""),
        ("wang.li", "auth.login_failed", "locked"),
        ("wang.li", "auth.login", ""),
        ("wang.li", "auth.logout", ""),
    ]
    client = wang.execute("SELECT detail FROM audit_log WHERE action = 'auth.login'").fetchone()[0]
    assert json.loads(client) == {"client": "10.1.2.3"}


def test_creating_accounts_is_checked(units):
    """Only admins create accounts; names are stored trimmed and in lower case and must be new; a unit user
    needs a registered unit and other roles none; a password needs auth.password_min_length (8) characters."""
    with pytest.raises(PermissionError):
        users.create_user(units, Actor("leader", "leader"), "x", "某", "leader", PASSWORD)
    assert users.create_user(units, ADMIN, " ZhangSan ", "张三", "leader", "12345678") == Account(
        "zhangsan", "张三", "leader", None)
    for args, message in [
        (("zhangsan", "张三", "leader", PASSWORD), "已存在"),
        (("a", "某", "unit", PASSWORD, "U09"), "不在单元名录"),
        (("a", "某", "unit", PASSWORD), "unit user has exactly one unit"),
        (("a", "某", "leader", PASSWORD, "U01"), "unit user has exactly one unit"),
        (("a", "某", "clerk", PASSWORD), "unknown role"),
        (("a", "某", "leader", "1234567"), "至少需要 8 个字符"),
        (("  ", "某", "leader", PASSWORD), "用户名不能为空"),
    ]:
        with pytest.raises(ValueError, match=message):
            users.create_user(units, ADMIN, *args)
    assert [r[0] for r in units.execute("SELECT username FROM users").fetchall()] == ["zhangsan"]


def test_password_change_by_admin_or_self_ends_sessions(wang):
    """A user changes its own password, an admin anyone's, another user no one's; the old password and the
    sessions opened with it stop working."""
    token, _ = users.login(wang, "wang.li", PASSWORD, now=T0)
    with pytest.raises(PermissionError):
        users.set_password(wang, Actor("zhao", "unit", "U01"), "wang.li", "another-pass")
    users.set_password(wang, Actor("wang.li", "unit", "U02"), "wang.li", "my-new-pass")
    assert users.resolve_session(wang, token, now=T0) is None
    assert _refused(wang, PASSWORD, T0) == "invalid"
    users.set_password(wang, ADMIN, "wang.li", "reset-by-admin", now=T0)
    assert users.login(wang, "wang.li", "reset-by-admin", now=T0)
    with pytest.raises(ValueError, match="不存在"):
        users.set_password(wang, ADMIN, "nobody", "reset-by-admin")


def test_admin_cannot_disable_itself(wang):
    """Disabling one's own account is refused, so the last admin cannot lock everyone out by a slip."""
    with pytest.raises(ValueError, match="自己"):
        users.set_disabled(wang, ADMIN, "ADMIN", True)


def test_demo_accounts_one_per_unit_with_the_demo_password(units):
    """admin, leader and one account per registered unit named after its code in lower case, all logging in
    with 'demo'; they are listed admin, leader, then units, and a changed password takes one off the list."""
    assert users.create_demo_accounts(units, ADMIN, now=T0) == ["admin", "leader", "u01", "u02", "u03"]
    listed = users.demo_accounts(units)
    assert [(a.username, a.role, a.unit_code) for a in listed] == [
        ("admin", "admin", None), ("leader", "leader", None), ("u01", "unit", "U01"), ("u02", "unit", "U02"),
        ("u03", "unit", "U03")]
    assert listed[3].display_name == "城东街道填报员"
    assert users.login(units, "u02", "demo", now=T0)[1].actor == Actor("u02", "unit", "U02")
    users.set_password(units, ADMIN, "u03", "not-the-demo-one")
    assert [a.username for a in users.demo_accounts(units)] == ["admin", "leader", "u01", "u02"]


def test_a_real_deployment_lists_no_demo_account(wang):
    """Accounts created by an admin are not demo accounts: the login page lists none."""
    assert users.demo_accounts(wang) == []


def test_demo_accounts_replace_an_existing_admin(units):
    """A database whose first start already created `admin` gets the demo's admin (password demo) instead."""
    users.ensure_first_admin(units, config=_config(initial_admin_password="from-the-env"))
    users.create_demo_accounts(units, ADMIN)
    assert users.login(units, "admin", "demo", now=T0)
    assert units.execute("SELECT count(*) FROM users WHERE role = 'admin'").fetchone()[0] == 1


def test_first_admin_from_settings(con):
    """With auth.initial_admin_password set, the first start creates `admin` with it and returns nothing to
    print; a later start changes nothing."""
    config = _config(initial_admin_password="from-the-env")
    assert users.ensure_first_admin(con, config=config, now=T0) is None
    assert users.login(con, "admin", "from-the-env", now=T0)[1].actor == Actor("admin", "admin")
    assert users.ensure_first_admin(con, config=_config(), now=T0) is None
    assert con.execute("SELECT count(*) FROM users").fetchone()[0] == 1
    detail = con.execute("SELECT detail FROM audit_log WHERE action = 'user.created'").fetchone()[0]
    assert json.loads(detail)["password"] == "settings"


def test_first_admin_with_a_generated_password(con):
    """Without a configured password the first start generates one (16 characters), returns it once, and it
    logs in; the second start returns None."""
    password = users.ensure_first_admin(con, config=_config(), now=T0)
    assert password is not None and len(password) == 16
    assert users.login(con, "admin", password, now=T0)
    assert users.ensure_first_admin(con, config=_config(), now=T0) is None


def test_first_admin_password_from_settings_must_be_long_enough(con):
    """A configured first password shorter than auth.password_min_length stops the start with a message."""
    with pytest.raises(ValueError, match="至少需要 8 个字符"):
        users.ensure_first_admin(con, config=_config(initial_admin_password="short"))
    assert con.execute("SELECT count(*) FROM users").fetchone()[0] == 0
