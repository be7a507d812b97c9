"""Administration (系统管理, DOMAIN §1): the unit register, annual targets, 一票否优, accounts, the audit log and
backups — everything only the bureau's admins may do (notification channels: alerts.channels).

Every function refuses an actor who is not an admin (PermissionError) before it reads or writes anything, and
every write runs in one transaction with an audit entry naming the admin. Unit and target edits go through the
one writer (pipelines.ingest.load) as a submission, like a register or targets workbook of one row, so they are dated,
attributed and change the data version that keys the pages' caches. Settings changes are in
pipelines.admin.overrides. Never imports Streamlit."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import math
import secrets
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.access import Actor, require_admin
from pipelines.admin import users, vetoes
from pipelines.cells import CellProblem, parse_count, parse_non_negative, parse_year
from pipelines.ingest.desk import Upload, ingest_upload, preview_upload
from pipelines.ingest.load import Submission, load
from pipelines.ingest.normalise import Normalised
from pipelines.ingest.run import FileReport
from pipelines.ingest.validate import Record, Validated, name_key
from pipelines.settings import Settings, current
from pipelines.store import db, queries
from pipelines.vocabulary import TARGET_FIELDS, TARGETS, UNIT_KINDS, WAN_PER_YI

# What the audit log calls each action; an action not listed is shown as recorded.
ACTIONS = {
    "auth.login": "登录", "auth.login_failed": "登录失败", "auth.locked": "账户锁定", "auth.logout": "退出登录",
    "auth.session_expired": "登录超时", "user.created": "创建账户", "user.password_set": "设置密码",
    "user.disabled": "停用账户", "user.enabled": "启用账户", "user.unlocked": "解除锁定",
    "submission.loaded": "载入文件或录入", "submission.rejected": "拒收文件", "unit.upsert": "单元名录变更",
    "settings.override": "修改规则设置", "settings.override_cleared": "恢复规则默认值",
    "veto.set": "设置一票否优", "veto.cleared": "取消一票否优",
    "channel.added": "添加通知渠道", "channel.enabled": "启用通知渠道", "channel.disabled": "停用通知渠道",
    "channel.tested": "发送测试消息", "api_token.created": "创建 API 令牌", "api_token.revoked": "撤销 API 令牌",
    "api_token.refused": "API 令牌被拒", "screen_link.created": "创建大屏链接", "screen_link.revoked": "撤销大屏链接",
    "backup.exported": "下载备份",
}
WORKBOOK_LABELS = {"projects": "月度项目进展表", "units": "单元名录表", "targets": "年度目标任务表"}
# Generated passwords avoid characters that are easily confused when read out or copied by hand (0/O, 1/l/I).
_PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
_GENERATED_PASSWORD_LENGTH = 12
_AUDIT_ROWS = 2000  # most audit entries one filter shows
# Target fields given in 亿元 (the targets workbook's unit for money) and stored in 万元.
MONEY_TARGETS = frozenset(t.column for t in TARGETS if t.unit == "亿元")


def _edit_submission(con: duckdb.DuckDBPyConnection, actor: Actor, kind: str, description: str,
                     values: dict[str, object], now: dt.datetime) -> int:
    """Write one register or targets row typed in on the screen as a submission of its own (through
    pipelines.ingest.load, which audits it); return the submission id."""
    digest = hashlib.sha256(json.dumps([kind, values, now.isoformat()], ensure_ascii=False, default=str)
                            .encode("utf-8")).hexdigest()
    plan = Normalised(Validated(kind, records=[Record("系统管理", 1, values, [], [])]))
    return load(con, Submission(kind, f"系统管理：{description}", digest, now, actor, "loaded"), plan)


# ---- units ------------------------------------------------------------------------------------------------------

def _save_unit(con: duckdb.DuckDBPyConnection, actor: Actor, code: str, name: str, kind: str, group: str,
               adding: bool, now: dt.datetime | None) -> bool:
    require_admin(actor)
    code, name, group = code.strip(), name.strip(), group.strip()
    if not code or not name or not group:
        raise ValueError("单元编码、单元名称和考核组别都不能为空")
    if kind not in UNIT_KINDS:
        raise ValueError(f"单元类型须为 {'/'.join(UNIT_KINDS)} 之一")
    register = {c: (n, k, g) for c, n, k, g in con.execute("SELECT code, name, kind, assess_group FROM units").fetchall()}
    if adding and code in register:
        raise ValueError(f"单元编码 {code} 已被“{register[code][0]}”使用")
    if not adding and code not in register:
        raise ValueError(f"单元 {code} 不在单元名录中")
    holder = next((c for c, (n, _, _) in register.items() if c != code and name_key(n) == name_key(name)), None)
    if holder is not None:
        raise ValueError(f"“{name}”已是单元 {holder} 的名称，同一名称不能对应两个编码")
    if register.get(code) == (name, kind, group):
        return False
    _edit_submission(con, actor, "units", f"{'新增' if adding else '修改'}单元 {code}",
                     {"code": code, "name": name, "kind": kind, "group": group}, now or dt.datetime.now())
    return True


def add_unit(con: duckdb.DuckDBPyConnection, actor: Actor, code: str, name: str, kind: str, group: str, *,
             now: dt.datetime | None = None) -> None:
    """Add a unit to the register with its kind (one of UNIT_KINDS) and assessment group; audited. Refused
    (ValueError) for a blank field, an unknown kind, a code in use or a name another unit has."""
    _save_unit(con, actor, code, name, kind, group, True, now)


def edit_unit(con: duckdb.DuckDBPyConnection, actor: Actor, code: str, name: str, kind: str, group: str, *,
              now: dt.datetime | None = None) -> bool:
    """Change a registered unit's name, kind and assessment group; audited with before and after. False when
    nothing changed. Refused (ValueError) for a blank field, an unknown kind or unit, or a name another unit has."""
    return _save_unit(con, actor, code, name, kind, group, False, now)


# ---- targets ----------------------------------------------------------------------------------------------------

def shown_target(field: str) -> str:
    """The column of target_table showing a target field: a money field's in 亿元 ends in _yi instead of _wan."""
    return field.removesuffix("_wan") + "_yi" if field in MONEY_TARGETS else field


def target_table(con: duckdb.DuckDBPyConnection, actor: Actor, year: int) -> pd.DataFrame:
    """Every registered unit with its targets for `year` in force now — one column per target field
    (pipelines.vocabulary.TARGET_FIELDS), named by shown_target: counts, and 签约金额 and 本年完成投资 in 亿元 as the
    targets workbook gives them; empty where none was set — and when and by whom they were last set."""
    require_admin(actor)
    frame = con.execute(
        "SELECT u.code, u.name, u.assess_group, t.signed_major, t.signed_amount_wan / $wan_per_yi AS signed_amount_yi, "
        "t.commenced, t.production, t.major_manufacturing, t.in_stats, t.signed_50yi, t.signed_10_50yi, "
        "t.signed_5_10yi, t.invested_year_wan / $wan_per_yi AS invested_year_yi, t.received_at, s.submitted_by "
        "FROM units u LEFT JOIN (SELECT * FROM targets WHERE year = $year "
        "  QUALIFY row_number() OVER (PARTITION BY unit_code ORDER BY received_at DESC, submission_id DESC) = 1) t "
        "ON t.unit_code = u.code LEFT JOIN submissions s ON s.id = t.submission_id "
        "ORDER BY u.assess_group, u.code", {"year": year, "wan_per_yi": WAN_PER_YI}).df()
    return frame


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or (
        isinstance(value, str) and not value.strip())


def set_targets(con: duckdb.DuckDBPyConnection, actor: Actor, year: int, unit_code: str,
                values: Mapping[str, object], *, now: dt.datetime | None = None) -> int:
    """Set a unit's targets for a year (a new row: the latest one received wins), keyed by target field
    (pipelines.vocabulary.TARGET_FIELDS) and given as the targets workbook gives them — counts as whole numbers,
    签约金额 and 本年完成投资 in 亿元; a target left blank (None, empty, NaN) is not set. Returns the submission id.
    Refused (ValueError, naming the target) for an unknown unit or target, a bad year or number, or no target."""
    require_admin(actor)
    if not con.execute("SELECT count(*) FROM units WHERE code = $code", {"code": unit_code}).fetchone()[0]:
        raise ValueError(f"单元 {unit_code} 不在单元名录中")
    unknown = set(values) - set(TARGET_FIELDS)
    if unknown:
        raise ValueError(f"未知的目标项：{'、'.join(sorted(unknown))}")
    row: dict[str, object] = {}
    try:
        row["year"] = parse_year(year)
    except CellProblem as exc:
        raise ValueError(f"年度：{exc}") from None
    for target in TARGETS:
        value = values.get(target.column)
        if _blank(value):
            continue
        try:
            row[target.column] = (parse_non_negative(value) * WAN_PER_YI if target.column in MONEY_TARGETS
                                  else parse_count(value))
        except CellProblem as exc:
            raise ValueError(f"{target.label}（{target.unit}）：{exc}") from None
    if len(row) == 1:
        raise ValueError("没有填写任何目标值")
    return _edit_submission(con, actor, "targets", f"{row['year']}年 {unit_code} 年度目标", {**row, "unit": unit_code},
                            now or dt.datetime.now())


# ---- 一票否优 ----------------------------------------------------------------------------------------------------

def veto_table(con: duckdb.DuckDBPyConnection, actor: Actor, year: int) -> pd.DataFrame:
    """The units flagged 一票否优 for `year`: unit_code, name, note (the reason), set_by, set_at."""
    require_admin(actor)
    flags = queries.frame(con, "veto_flags", year=year, known_by=None)
    names = dict(con.execute("SELECT code, name FROM units").fetchall())
    return flags.assign(name=flags["unit_code"].map(names))[["unit_code", "name", "note", "set_by", "set_at"]]


def set_veto(con: duckdb.DuckDBPyConnection, actor: Actor, year: int, unit_code: str, reason: str, *,
             now: dt.datetime | None = None) -> None:
    """Flag a unit 一票否优 for a year (it cannot be rated 优秀 whatever its projects), with the reason, or change
    the reason of an existing flag; audited with before and after. Refused (ValueError) without a reason or for an
    unknown unit."""
    require_admin(actor)
    reason = reason.strip()
    if not reason:
        raise ValueError("请写明一票否优的原因")
    if not con.execute("SELECT count(*) FROM units WHERE code = $code", {"code": unit_code}).fetchone()[0]:
        raise ValueError(f"单元 {unit_code} 不在单元名录中")
    with db.transaction(con):
        vetoes.write_veto(con, actor, year, unit_code, reason, now or dt.datetime.now())


def clear_veto(con: duckdb.DuckDBPyConnection, actor: Actor, year: int, unit_code: str) -> None:
    """Lift a unit's 一票否优 for a year; audited with the reason it had. Refused (ValueError) when it has none."""
    require_admin(actor)
    with db.transaction(con):
        removed = con.execute("DELETE FROM veto_flags WHERE year = $year AND unit_code = $unit RETURNING note",
                              {"year": year, "unit": unit_code}).fetchall()
        if not removed:
            raise ValueError(f"单元 {unit_code} 在 {year} 年没有一票否优")
        db.audit(con, actor.name, "veto.cleared", unit_code, {"year": year, "before": removed[0][0], "after": None})


# ---- accounts ---------------------------------------------------------------------------------------------------

def accounts(con: duckdb.DuckDBPyConnection, actor: Actor, *, now: dt.datetime | None = None) -> pd.DataFrame:
    """Every account, admins first, then leaders, then units by name: username, display_name, role, unit_code,
    state (正常 / 已锁定 / 已停用), demo (still has the demo password), last_login_at, created_at."""
    require_admin(actor)
    return con.execute(
        "SELECT username, display_name, role, unit_code, "
        "CASE WHEN disabled_at IS NOT NULL THEN '已停用' WHEN locked_until > $now THEN '已锁定' ELSE '正常' END AS state, "
        "demo, last_login_at, created_at FROM users "
        "ORDER BY CASE role WHEN 'admin' THEN 0 WHEN 'leader' THEN 1 ELSE 2 END, username",
        {"now": now or dt.datetime.now()}).df()


def _generated_password(config: Settings) -> str:
    length = max(_GENERATED_PASSWORD_LENGTH, config.auth.password_min_length)
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))


def create_account(con: duckdb.DuckDBPyConnection, actor: Actor, username: str, display_name: str, role: str,
                   unit_code: str | None = None, *, config: Settings | None = None) -> str:
    """Open an account with a generated password and return the password, to be shown once (users.create_user
    refuses a taken name, a role and unit that do not fit, an unknown unit)."""
    require_admin(actor)
    password = _generated_password(config or current())
    users.create_user(con, actor, username, display_name.strip() or username, role, password,
                      unit_code if role == "unit" else None, config=config)
    return password


def reset_password(con: duckdb.DuckDBPyConnection, actor: Actor, username: str, *,
                   config: Settings | None = None) -> str:
    """Give an account a new generated password (its sessions end) and return it, to be shown once."""
    require_admin(actor)
    password = _generated_password(config or current())
    users.set_password(con, actor, username, password, config=config)
    return password


# ---- the audit log ----------------------------------------------------------------------------------------------

def audit_choices(con: duckdb.DuckDBPyConnection, actor: Actor) -> tuple[list[str], list[str]]:
    """Who appears in the audit log and which actions it holds (each sorted), for the filters."""
    require_admin(actor)
    names = [n for (n,) in con.execute("SELECT DISTINCT actor FROM audit_log ORDER BY 1").fetchall()]
    actions = [a for (a,) in con.execute("SELECT DISTINCT action FROM audit_log ORDER BY 1").fetchall()]
    return names, actions


def audit_entries(con: duckdb.DuckDBPyConnection, actor: Actor, *, who: str | None = None, action: str | None = None,
                  since: dt.date | None = None, until: dt.date | None = None, limit: int = _AUDIT_ROWS) -> pd.DataFrame:
    """The audit log, newest first, at most `limit` entries: logged_at, actor, action, action_label, subject, detail
    (JSON); only `who`'s, only `action`, and only from `since` to the end of `until` when given."""
    require_admin(actor)
    frame = con.execute(
        "SELECT id, logged_at, actor, action, subject, detail FROM audit_log "
        "WHERE ($who IS NULL OR actor = $who) AND ($action IS NULL OR action = $action) "
        "AND ($since IS NULL OR logged_at >= CAST($since AS DATE)) "
        "AND ($until IS NULL OR logged_at < CAST($until AS DATE) + INTERVAL 1 DAY) "
        "ORDER BY id DESC LIMIT $limit",
        {"who": who, "action": action, "since": since, "until": until, "limit": limit}).df()
    frame.insert(3, "action_label", frame["action"].map(lambda a: ACTIONS.get(a, a)))
    return frame


# ---- workbooks and backups --------------------------------------------------------------------------------------

def load_workbook(con: duckdb.DuckDBPyConnection, actor: Actor, upload: Upload, kind: str) -> FileReport:
    """Load an uploaded unit register (kind 'units') or targets workbook ('targets') as the 数据填报 page loads a
    monthly file; a workbook of another kind is refused (status 'rejected', nothing written)."""
    require_admin(actor)
    found = preview_upload(con, upload, actor).report.kind
    if found not in (None, kind):
        return FileReport(upload.file_name, found, "rejected",
                          message=f"这是一份{WORKBOOK_LABELS[found]}，不能在这里上传")
    return ingest_upload(con, upload, actor)


def backup(con: duckdb.DuckDBPyConnection, actor: Actor) -> bytes:
    """The whole database as a ZIP of DuckDB's EXPORT DATABASE (schema.sql, load.sql and one Parquet file per
    table), consistent as of one moment; audited. README says how to restore it (IMPORT DATABASE)."""
    require_admin(actor)
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="zs-backup-") as folder:
        # The folder is ours (tempfile), never input; EXPORT takes no bound parameter for it.
        con.execute(f"EXPORT DATABASE '{folder}' (FORMAT parquet)")
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(Path(folder).iterdir()):
                archive.write(path, path.name)
    with db.transaction(con):
        db.audit(con, actor.name, "backup.exported", None, {"bytes": buffer.tell()})
    return buffer.getvalue()


def backup_file_name(now: dt.datetime) -> str:
    """The name a backup downloads under, e.g. zhaoshang-backup-20250131-0930.zip."""
    return f"zhaoshang-backup-{now:%Y%m%d-%H%M}.zip"
