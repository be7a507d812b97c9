"""pipelines.admin.tokens: API tokens created and revoked by admins, kept only as digests, acting as their user's
current role and unit, refused when revoked, expired or the user is disabled, and the audit trail of all of it."""
from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from argon2 import PasswordHasher

from pipelines.access import Actor
from pipelines.admin import tokens, users

ADMIN = Actor("admin", "admin")
T0 = dt.datetime(2025, 3, 3, 9, 0)


@pytest.fixture
def accounts(units, monkeypatch):
    """The demo accounts (admin, leader, u01–u03) of the three test units (hashed cheaply: passwords are not
    what these tests are about)."""
    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    users.create_demo_accounts(units, Actor("演示数据", "admin"), now=T0)
    return units


def _audit(con) -> list[tuple]:
    rows = con.execute("SELECT actor, action, subject, detail FROM audit_log WHERE action LIKE 'api_token.%' "
                       "ORDER BY id").fetchall()
    return [(actor, action, subject, json.loads(detail)) for actor, action, subject, detail in rows]


def test_a_token_is_shown_once_and_stored_only_as_its_digest(accounts):
    """The token is zsk_ plus 43 URL-safe characters; the database keeps its SHA-256 and its first 8 characters,
    never the token; the creation is audited with the label."""
    token = tokens.create_token(accounts, ADMIN, "U02", " 城东报送脚本 ", now=T0)
    assert token.startswith("zsk_") and len(token) == 47
    row = accounts.execute("SELECT id, username, label, token_hash, shown, created_at, created_by, expires_at, "
                           "last_used_at, revoked_at FROM api_tokens").fetchall()
    assert row == [(1, "u02", "城东报送脚本", hashlib.sha256(token.encode()).hexdigest(), token[:8], T0, "admin",
                    None, None, None)]
    assert _audit(accounts) == [("admin", "api_token.created", "u02",
                                 {"token_id": 1, "label": "城东报送脚本", "expires_at": None})]


@pytest.mark.parametrize("actor", [Actor("leader", "leader"), Actor("u02", "unit", "U02")])
def test_only_admins_create_and_revoke_tokens(accounts, actor):
    """A leader or a unit user may neither create nor revoke a token, not even for itself."""
    token_id = 1
    tokens.create_token(accounts, ADMIN, "u02", "脚本", now=T0)
    with pytest.raises(PermissionError, match="不是管理员，不能管理 API 令牌"):
        tokens.create_token(accounts, actor, actor.name, "我的令牌", now=T0)
    with pytest.raises(PermissionError):
        tokens.revoke_token(accounts, actor, token_id, now=T0)
    assert accounts.execute("SELECT count(*), count(revoked_at) FROM api_tokens").fetchone() == (1, 0)


@pytest.mark.parametrize("username, label, expires_at, message", [
    ("nobody", "脚本", None, "用户 nobody 不存在"),
    ("u02", "  ", None, "请写明令牌的用途"),
    ("u02", "脚本", T0, "到期时间须晚于现在"),
    ("u02", "脚本", T0 - dt.timedelta(days=1), "到期时间须晚于现在"),
    ("u03", "脚本", None, "用户 u03 已停用，不能为其创建令牌"),
])
def test_creation_refused(accounts, username, label, expires_at, message):
    """No token for an unknown or disabled user, without a label, or expiring at or before its creation."""
    users.set_disabled(accounts, ADMIN, "u03", True, now=T0)
    with pytest.raises(ValueError, match=message):
        tokens.create_token(accounts, ADMIN, username, label, expires_at=expires_at, now=T0)
    assert accounts.execute("SELECT count(*) FROM api_tokens").fetchone()[0] == 0


def test_a_token_acts_as_its_users_current_role_and_unit(accounts):
    """Each role's token resolves to that user's Actor; a user given another unit later is that unit's user."""
    made = {name: tokens.create_token(accounts, ADMIN, name, "脚本", now=T0) for name in ("admin", "leader", "u02")}
    assert {name: tokens.resolve(accounts, token, now=T0) for name, token in made.items()} == {
        "admin": Actor("admin", "admin"), "leader": Actor("leader", "leader"), "u02": Actor("u02", "unit", "U02")}
    accounts.execute("UPDATE users SET unit_code = 'U03' WHERE username = 'u02'")
    assert tokens.resolve(accounts, made["u02"], now=T0) == Actor("u02", "unit", "U03")


def test_refused_tokens_and_what_the_audit_log_says(accounts):
    """Missing, malformed and unknown tokens resolve to None and are not audited; a revoked token, an expired one
    (from its expiry to the microsecond) and one whose user is disabled resolve to None, each refusal audited
    with its reason; enabling the user again lets its token through."""
    expires = T0 + dt.timedelta(days=30)
    kept = tokens.create_token(accounts, ADMIN, "u01", "到期", expires_at=expires, now=T0)
    revoked = tokens.create_token(accounts, ADMIN, "u01", "撤销", now=T0)
    tokens.revoke_token(accounts, ADMIN, 2, now=T0)
    disabled = tokens.create_token(accounts, ADMIN, "u02", "停用", now=T0)
    users.set_disabled(accounts, ADMIN, "u02", True, now=T0)
    before = len(_audit(accounts))
    for unknown in (None, "", kept[4:], "zsk_" + "A" * 43):
        assert tokens.resolve(accounts, unknown, now=T0) is None
    assert len(_audit(accounts)) == before
    assert tokens.resolve(accounts, kept, now=expires - dt.timedelta(microseconds=1)) == Actor("u01", "unit", "U01")
    assert tokens.resolve(accounts, kept, now=expires, client="10.0.0.7") is None
    assert tokens.resolve(accounts, revoked, now=T0) is None
    assert tokens.resolve(accounts, disabled, now=T0) is None
    assert [(a[1], a[2], a[3]) for a in _audit(accounts)[before:]] == [
        ("api_token.refused", "u01", {"token_id": 1, "reason": "expired", "client": "10.0.0.7"}),
        ("api_token.refused", "u01", {"token_id": 2, "reason": "revoked", "client": None}),
        ("api_token.refused", "u02", {"token_id": 3, "reason": "user_disabled", "client": None})]
    users.set_disabled(accounts, ADMIN, "u02", False, now=T0)
    assert tokens.resolve(accounts, disabled, now=T0) == Actor("u02", "unit", "U02")


def test_a_use_is_recorded_at_most_once_a_minute(accounts):
    """last_used_at is the first use, unchanged 59 seconds later, and moves at one minute."""
    token = tokens.create_token(accounts, ADMIN, "u02", "脚本", now=T0)
    last_used = lambda: accounts.execute("SELECT last_used_at FROM api_tokens").fetchone()[0]  # noqa: E731
    for moment, expected in [(T0, T0), (T0 + dt.timedelta(seconds=59), T0),
                             (T0 + dt.timedelta(minutes=1), T0 + dt.timedelta(minutes=1))]:
        tokens.resolve(accounts, token, now=moment)
        assert last_used() == expected


def test_revoking_is_final_and_audited(accounts):
    """A revoked token stays revoked (a second revocation and an unknown id are refused); the audit log names the
    admin, the user and the label."""
    tokens.create_token(accounts, ADMIN, "u02", "脚本", now=T0)
    tokens.revoke_token(accounts, ADMIN, 1, now=T0 + dt.timedelta(hours=1))
    for token_id in (1, 99):
        with pytest.raises(ValueError, match=f"令牌 {token_id} 不存在或已撤销"):
            tokens.revoke_token(accounts, ADMIN, token_id, now=T0)
    assert accounts.execute("SELECT revoked_at, revoked_by FROM api_tokens").fetchall() == [
        (T0 + dt.timedelta(hours=1), "admin")]
    assert _audit(accounts)[-1] == ("admin", "api_token.revoked", "u02", {"token_id": 1, "label": "脚本"})


def test_list_names_each_tokens_user_and_state(accounts):
    """The list, newest first, shows each token's user, label, first characters and state: revoked wins over
    expired, expired over a disabled user; the others are active."""
    expires = T0 + dt.timedelta(days=1)
    made = [tokens.create_token(accounts, ADMIN, name, label, expires_at=expiry, now=T0) for name, label, expiry in [
        ("u01", "有效", None), ("u01", "撤销且到期", expires), ("u02", "到期", expires), ("u03", "停用", None)]]
    tokens.revoke_token(accounts, ADMIN, 2, now=T0)
    users.set_disabled(accounts, ADMIN, "u03", True, now=T0)
    listed = tokens.list_tokens(accounts, now=expires)
    assert listed[["id", "username", "display_name", "unit_code", "label", "shown", "state"]].values.tolist() == [
        [4, "u03", "城西街道填报员", "U03", "停用", made[3][:8], "user_disabled"],
        [3, "u02", "城东街道填报员", "U02", "到期", made[2][:8], "expired"],
        [2, "u01", "经济开发区填报员", "U01", "撤销且到期", made[1][:8], "revoked"],
        [1, "u01", "经济开发区填报员", "U01", "有效", made[0][:8], "active"]]
    assert [tokens.STATE_LABELS[s] for s in listed["state"]] == ["账户已停用", "已过期", "已撤销", "有效"]
