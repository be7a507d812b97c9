"""Settings changed on the administration screen: rule numbers stored in the database (settings_overrides) on top
of settings.toml, the ZS_SETTINGS file and the ZS_* variables.

Only the keys in EDITABLE can be changed here — targets, thresholds, score weights, the due day, the notification
dry-run — never paths or secrets. A value is validated by pipelines.settings.load exactly as the file's are; a bad
one raises SettingsError in Chinese and nothing is saved. Every change and removal is written to the audit log
with the value before and after, and then put in force in this process (`apply`): pages and the scheduler read
settings.current() on each run, so a change shows at the next rerun and the next evaluation. The server calls
`apply` once at start, after the database opens. Never imports Streamlit."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from dataclasses import dataclass

import duckdb

from pipelines import settings
from pipelines.access import Actor, require_admin
from pipelines.settings import Settings, SettingsError
from pipelines.store import db

SECTIONS = {"figures": "指标与目标", "duty": "更新时限", "assessment": "考核得分", "warnings": "预警阈值",
            "notify": "通知"}
# The keys an admin may change on the screen, with what the screen calls them (units in brackets).
EDITABLE: dict[tuple[str, str], str] = {
    ("figures", "assess_min_investment_wan"): "考核项目门槛：计划总投资（万元）",
    ("figures", "stats_min_investment_wan"): "可纳统项目门槛：计划总投资（万元）",
    ("figures", "commencement_target"): "签约项目开工率目标（小数，1 即 100%）",
    ("figures", "stats_target"): "开工项目纳统率目标（小数，1 即 100%）",
    ("figures", "rate_cohort"): "两率统计口径",
    ("figures", "rate_yellow_band_points"): "两率黄色区间宽度（低于目标的百分点）",
    ("figures", "time_progress_basis"): "序时进度口径",
    ("figures", "production_target"): "开工项目投产率目标（小数，0 为不设目标）",
    ("figures", "funds_target"): "资金到位率目标（小数，0 为不设目标）",
    ("figures", "completion_decimals"): "完成进度保留小数位数（0–3）",
    ("duty", "due_day"): "月度更新截止日（次月几日，1–28）",
    ("duty", "remind_days_before"): "催报：截止日前几天开始提醒（0–27）",
    ("assessment", "weight_signed_major"): "权重：签约亿元以上项目数（分）",
    ("assessment", "weight_signed_amount"): "权重：签约金额（分）",
    ("assessment", "weight_commenced"): "权重：新开工项目数（分）",
    ("assessment", "weight_production"): "权重：新投产项目数（分）",
    ("assessment", "weight_commencement_rate"): "权重：签约项目开工率（分）",
    ("assessment", "weight_stats_rate"): "权重：开工项目纳统率（分）",
    ("assessment", "weight_in_stats"): "权重：新纳统项目数（分，0 为不计分）",
    ("assessment", "weight_signed_50yi"): "权重：签约50亿元以上项目数（分，0 为不计分）",
    ("assessment", "weight_signed_10_50yi"): "权重：签约10亿至50亿元项目数（分，0 为不计分）",
    ("assessment", "weight_signed_5_10yi"): "权重：签约5亿至10亿元项目数（分，0 为不计分）",
    ("assessment", "weight_invested_year"): "权重：本年完成投资（分，0 为不计分）",
    ("assessment", "major_manufacturing_min_wan"): "重大制造业项目门槛：计划总投资（万元）",
    ("assessment", "bonus_major_manufacturing"): "加分：每个重大制造业项目（分）",
    ("assessment", "bonus_other_min_wan"): "其他加分项目门槛：计划总投资（万元）",
    ("assessment", "bonus_other"): "加分：每个其他加分项目（分）",
    ("assessment", "bonus_cap"): "加分上限（分）",
    ("assessment", "deduction_per_late_report"): "扣分：每次迟报、漏报月度报表（分）",
    ("assessment", "deduction_per_forgotten_update"): "扣分：按时报表中每个漏报项目（分）",
    ("assessment", "deduction_cap"): "扣分上限（分）",
    ("warnings", "stale_update_yellow_months"): "逾期未更新：黄色（落后月数）",
    ("warnings", "stale_update_red_months"): "逾期未更新：红色（落后月数）",
    ("warnings", "signed_not_commenced_yellow_months"): "签约未开工：黄色（签约后月数）",
    ("warnings", "signed_not_commenced_red_months"): "签约未开工：红色（签约后月数）",
    ("warnings", "planned_start_missed_red_months"): "应开工未开工：红色（超过计划开工日期月数）",
    ("warnings", "commenced_not_in_stats_yellow_months"): "开工未纳统：黄色（开工后月数）",
    ("warnings", "commenced_not_in_stats_red_months"): "开工未纳统：红色（开工后月数）",
    ("warnings", "lead_not_evaluated_yellow_days"): "线索未研判：黄色（登记后天数）",
    ("warnings", "lead_not_evaluated_red_days"): "线索未研判：红色（登记后天数）",
    ("warnings", "investment_stalled_yellow_reports"): "投资停滞：黄色（未增长的报告期数）",
    ("warnings", "investment_stalled_red_reports"): "投资停滞：红色（未增长的报告期数）",
    ("warnings", "rate_min_denominator"): "两率未达标：最小分母（项目数）",
    ("warnings", "behind_schedule_yellow_points"): "落后序时进度：黄色（差距百分点，负数）",
    ("warnings", "behind_schedule_red_points"): "落后序时进度：红色（差距百分点，负数）",
    ("notify", "dry_run"): "通知演练模式（只记录、不真正发送）",
    ("notify", "max_lines"): "每条通知逐条列出的预警数（其余只计数，5–1000）",
}
# Settings with a fixed set of values: value → what the screen calls it.
CHOICES = {("figures", "rate_cohort"): {"year": "当年（签约/开工在考核年度内）", "cumulative": "累计（截至当日的全部）"},
           ("figures", "time_progress_basis"): {"completed_months": "已结束月份数 ÷ 12（月中按上月计）",
                                                "month": "所在月份 ÷ 12"}}
_TYPE_WORDS = {"int": "整数", "float": "数值", "bool": "是/否", "str": "文字"}
# pipelines.settings words its refusals in English for the log; the screen says the same in Chinese.
_REASONS = (
    (re.compile(r"is not a valid (\w+)"), lambda m: f"不是有效的{_TYPE_WORDS.get(m[1], m[1])}"),
    (re.compile(r"must be one of (.+), not"), lambda m: f"只能是 {'、'.join(m[1].split(', '))}"),
    (re.compile(r"must be between (\S+) and (\S+),"), lambda m: f"须在 {m[1]} 到 {m[2]} 之间"),
    (re.compile(r"must not be negative"), lambda m: "不能为负数"),
    (re.compile(r"must be at (?:least|most) (\w+) = (\S+) \(red"),
     lambda m: f"红色阈值不能比黄色阈值“{EDITABLE[('warnings', m[1])]}”（{m[2]}）更宽"),
)


@dataclass(frozen=True)
class Entry:
    """One editable setting as the screen lists it: the value from the settings file (and environment), the value
    in force, and who overrode it when (None when it is not overridden)."""

    section: str
    key: str
    label: str
    kind: str  # int / float / bool / str
    file_value: object
    value: object
    changed_by: str | None
    changed_at: dt.datetime | None

    @property
    def name(self) -> str:
        return f"{self.section}.{self.key}"


def stored(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, object]]:
    """The overrides in the database as settings.load takes them: {section: {key: value}}."""
    found: dict[str, dict[str, object]] = {}
    for section, key, value in con.execute("SELECT section, key, value FROM settings_overrides ORDER BY 1, 2").fetchall():
        found.setdefault(section, {})[key] = json.loads(value)
    return found


def apply(con: duckdb.DuckDBPyConnection) -> Settings:
    """Put in force in this process the settings of the file and environment with the database's overrides on top;
    return them. Raises SettingsError if a stored override is no longer valid (e.g. after an upgrade)."""
    in_force = settings.load(overrides=stored(con))
    settings.use(in_force)
    return in_force


def _value(config: Settings, section: str, key: str) -> object:
    return getattr(getattr(config, section), key)


def _kind(config: Settings, section: str, key: str) -> str:
    fields = {f.name: f.type for f in dataclasses.fields(getattr(config, section))}
    kind = fields[key]
    return kind if isinstance(kind, str) else kind.__name__


def _refusal(section: str, key: str, value: object, error: SettingsError) -> SettingsError:
    text = str(error)
    reason = next((say(m) for pattern, say in _REASONS if (m := pattern.search(text))), text)
    return SettingsError(f"“{EDITABLE[(section, key)]}”的值 {value!r} 无效：{reason}。未保存。")


def entries(con: duckdb.DuckDBPyConnection) -> list[Entry]:
    """Every editable setting in the order of EDITABLE, with its file value, value in force and last override."""
    file_config = settings.load()
    in_force = settings.current()
    changes = {(s, k): (by, at) for s, k, by, at in
               con.execute("SELECT section, key, changed_by, changed_at FROM settings_overrides").fetchall()}
    return [Entry(section, key, label, _kind(in_force, section, key), _value(file_config, section, key),
                  _value(in_force, section, key), *changes.get((section, key), (None, None)))
            for (section, key), label in EDITABLE.items()]


def _check_editable(section: str, key: str) -> None:
    if (section, key) not in EDITABLE:
        raise SettingsError(f"设置 {section}.{key} 不能在页面上修改（路径、密钥等只在设置文件或环境变量中配置）")


def set_override(con: duckdb.DuckDBPyConnection, actor: Actor, section: str, key: str, value: object, *,
                 now: dt.datetime | None = None) -> Settings:
    """Override one editable setting (admins only): validated with every other override through settings.load,
    stored as the value of the setting's type, audited with the value in force before and after, and put in
    force. Returns the settings now in force. A bad value raises SettingsError and saves nothing."""
    require_admin(actor, "不能修改系统设置")
    _check_editable(section, key)
    overrides = stored(con)
    before = _value(settings.load(overrides=overrides), section, key)
    overrides.setdefault(section, {})[key] = value
    try:
        after = _value(settings.load(overrides=overrides), section, key)
    except SettingsError as exc:
        raise _refusal(section, key, value, exc) from None
    with db.transaction(con):
        con.execute("INSERT OR REPLACE INTO settings_overrides VALUES ($section, $key, $value, $by, $at)",
                    {"section": section, "key": key, "value": json.dumps(after), "by": actor.name,
                     "at": now or dt.datetime.now()})
        db.audit(con, actor.name, "settings.override", f"{section}.{key}", {"before": before, "after": after})
    return apply(con)


def clear_override(con: duckdb.DuckDBPyConnection, actor: Actor, section: str, key: str) -> Settings:
    """Remove the override of one setting (admins only), so the settings file's value applies again; audited with
    the value before and after. Returns the settings now in force. Refused (ValueError) when it is not overridden."""
    require_admin(actor, "不能修改系统设置")
    _check_editable(section, key)
    overrides = stored(con)
    if key not in overrides.get(section, {}):
        raise ValueError(f"设置 {section}.{key} 没有在页面上修改过")
    before = _value(settings.load(overrides=overrides), section, key)
    del overrides[section][key]
    after = _value(settings.load(overrides=overrides), section, key)
    with db.transaction(con):
        con.execute("DELETE FROM settings_overrides WHERE section = $section AND key = $key",
                    {"section": section, "key": key})
        db.audit(con, actor.name, "settings.override_cleared", f"{section}.{key}", {"before": before, "after": after})
    return apply(con)
