"""Settings changed on the administration screen: rule numbers stored in the database (settings_overrides) on top
of settings.toml, the ZS_SETTINGS file and the ZS_* variables.

Only the keys in EDITABLE can be changed here — targets, thresholds, score weights, the due day, the notification
dry-run, the 通报's 版头 and 版记 texts — never paths or secrets; EDITABLE also says what the screen calls each (its Chinese name and unit), so the
screen never shows a configuration key. A value is validated by pipelines.settings.load exactly as the file's are; a bad
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

SECTIONS = {"figures": "指标与目标", "duty": "报送时限", "assessment": "考核得分", "warnings": "预警阈值",
            "notify": "通知", "bulletin": "月度通报"}


@dataclass(frozen=True)
class Setting:
    """What the screen calls one editable setting: its name in the bureau's words, the unit its number counts in
    ('%' for a fraction shown as a percentage; '' for a choice or a yes/no), a note on its range or meaning, and for
    a setting with a fixed set of values what each value is called."""

    label: str
    unit: str = ""
    note: str = ""
    choices: dict[str, str] | None = None

    @property
    def title(self) -> str:
        """The name with its unit, as the screen lists it: 签约亿元以上项目数权重（分）."""
        return f"{self.label}（{self.unit}）" if self.unit else self.label

    @property
    def percent(self) -> bool:
        return self.unit == "%"

    def on_screen(self, value: object) -> object:
        """A stored value as the screen's input shows it: a fraction as a percentage (a quarter → 25.0); rounded,
        for a fraction times 100 is not always a whole number in floating point."""
        return round(value * 100, 9) if self.percent else value

    def from_screen(self, value: object) -> object:
        """A value typed on the screen as stored: a percentage as a fraction (25 → a quarter)."""
        return round(value / 100, 11) if self.percent and isinstance(value, (int, float)) else value

    def shown(self, value: object) -> str:
        """A stored value in words: 是/否, a choice's name, or the number in the setting's unit (75%, 10000万元)."""
        if isinstance(value, bool):
            return "是" if value else "否"
        if self.choices:
            return self.choices.get(value, str(value))
        if isinstance(value, (int, float)):
            return f"{self.on_screen(value):g}{self.unit}"
        return str(value)


def _weight(label: str, note: str = "") -> Setting:
    return Setting(f"{label}权重", "分", note)


_UNSCORED = "0 为只显示完成进度、不计分"
# The keys an admin may change on the screen — targets, thresholds, score weights, the due day, the notification
# dry-run — with what the screen calls them; grouped by SECTIONS in this order.
EDITABLE: dict[tuple[str, str], Setting] = {
    ("figures", "assess_min_investment_wan"): Setting("考核项目计划总投资门槛", "万元", "达到此数的项目计入亿元以上考核口径"),
    ("figures", "stats_min_investment_wan"): Setting("可纳统项目计划总投资门槛", "万元", "达到此数的项目才能纳入投资统计"),
    ("figures", "commencement_target"): Setting("签约项目开工率目标", "%"),
    ("figures", "stats_target"): Setting("开工项目纳统率目标", "%"),
    ("figures", "rate_cohort"): Setting("两率统计口径", choices={"year": "当年（签约/开工在考核年度内）",
                                                                "cumulative": "累计（截至当日的全部）"}),
    ("figures", "rate_yellow_band_points"): Setting("两率黄色区间宽度", "个百分点", "低于目标不超过此数为黄色，更低为红色"),
    ("figures", "time_progress_basis"): Setting("序时进度口径", choices={
        "completed_months": "已结束月份数 ÷ 12（月中按上月计）", "month": "所在月份 ÷ 12"}),
    ("figures", "production_target"): Setting("开工项目投产率目标", "%", "0 为不设目标"),
    ("figures", "funds_target"): Setting("资金到位率目标", "%", "0 为不设目标"),
    ("figures", "completion_decimals"): Setting("完成进度保留小数位数", "位", "0–3"),
    ("duty", "due_day"): Setting("月度更新截止日", "日", "报告月的次月几日前报送，1–28"),
    ("duty", "remind_days_before"): Setting("催报提前天数", "天", "截止日前几天起每日提醒未报单元，0 为仅截止日当天，0–27"),
    ("assessment", "weight_signed_major"): _weight("签约亿元以上项目数"),
    ("assessment", "weight_signed_amount"): _weight("签约金额"),
    ("assessment", "weight_commenced"): _weight("新开工项目数"),
    ("assessment", "weight_production"): _weight("新投产项目数"),
    ("assessment", "weight_commencement_rate"): _weight("签约项目开工率"),
    ("assessment", "weight_stats_rate"): _weight("开工项目纳统率"),
    ("assessment", "weight_in_stats"): _weight("新纳统项目数", _UNSCORED),
    ("assessment", "weight_signed_50yi"): _weight("签约50亿元以上项目数", _UNSCORED),
    ("assessment", "weight_signed_10_50yi"): _weight("签约10亿至50亿元项目数", _UNSCORED),
    ("assessment", "weight_signed_5_10yi"): _weight("签约5亿至10亿元项目数", _UNSCORED),
    ("assessment", "weight_invested_year"): _weight("本年完成投资", _UNSCORED),
    ("assessment", "major_manufacturing_min_wan"): Setting("重大制造业项目计划总投资门槛", "万元",
                                                           "达到此数的制造业项目计加分，并用于一票评优"),
    ("assessment", "bonus_major_manufacturing"): Setting("每个重大制造业项目加分", "分"),
    ("assessment", "bonus_other_min_wan"): Setting("其他加分项目计划总投资门槛", "万元"),
    ("assessment", "bonus_other"): Setting("每个其他加分项目加分", "分"),
    ("assessment", "bonus_cap"): Setting("加分上限", "分"),
    ("assessment", "deduction_per_late_report"): Setting("每次迟报、漏报月度报表扣分", "分"),
    ("assessment", "deduction_per_forgotten_update"): Setting("按时报表中每个漏报项目扣分", "分"),
    ("assessment", "deduction_per_late_task"): Setting("每个逾期督办事项扣分", "分", "0 为督办逾期不扣分"),
    ("assessment", "deduction_cap"): Setting("扣分上限", "分"),
    ("warnings", "stale_update_yellow_months"): Setting("逾期未更新黄色预警", "个月", "落后的月数"),
    ("warnings", "stale_update_red_months"): Setting("逾期未更新红色预警", "个月", "落后的月数"),
    ("warnings", "signed_not_commenced_yellow_months"): Setting("签约未开工黄色预警", "个月", "签约后的月数"),
    ("warnings", "signed_not_commenced_red_months"): Setting("签约未开工红色预警", "个月", "签约后的月数"),
    ("warnings", "planned_start_missed_red_months"): Setting("应开工未开工红色预警", "个月",
                                                             "超过计划开工日期的月数；一超过即为黄色"),
    ("warnings", "commenced_not_in_stats_yellow_months"): Setting("开工未纳统黄色预警", "个月", "开工后的月数"),
    ("warnings", "commenced_not_in_stats_red_months"): Setting("开工未纳统红色预警", "个月", "开工后的月数"),
    ("warnings", "lead_not_evaluated_yellow_days"): Setting("线索未研判黄色预警", "天", "线索登记后的天数"),
    ("warnings", "lead_not_evaluated_red_days"): Setting("线索未研判红色预警", "天", "线索登记后的天数"),
    ("warnings", "investment_stalled_yellow_reports"): Setting("投资停滞黄色预警", "期", "累计完成投资未增长的报告期数"),
    ("warnings", "investment_stalled_red_reports"): Setting("投资停滞红色预警", "期", "累计完成投资未增长的报告期数"),
    ("warnings", "rate_min_denominator"): Setting("两率未达标预警最小分母", "个项目", "分母少于此数不预警"),
    ("warnings", "behind_schedule_yellow_points"): Setting("落后序时进度黄色预警", "个百分点",
                                                           "完成率减序时进度的差距，负数"),
    ("warnings", "behind_schedule_red_points"): Setting("落后序时进度红色预警", "个百分点", "完成率减序时进度的差距，负数"),
    ("notify", "dry_run"): Setting("通知演练模式", note="是：只记入发送日志，不真正发送"),
    ("notify", "max_lines"): Setting("每条通知逐条列出的预警数", "条", "其余只计数，5–1000"),
    ("bulletin", "title"): Setting("通报版头机关名称", note="首页顶端的红色标题，如“青岚县招商引资工作通报”"),
    ("bulletin", "issuer"): Setting("编发单位", note="版头左侧、落款和印发机关"),
    ("bulletin", "recipients"): Setting("主送", note="正文前的主送机关"),
    ("bulletin", "copy_to"): Setting("抄送", note="版记中的抄送机关"),
    ("bulletin", "first_number"): Setting("本年第一期期号", "期", "本年尚未印发通报时，第一期的期号，1–999"),
    ("bulletin", "next_steps"): Setting("“下步工作”默认草稿", note="每行一段；印发前在“通报编发”页按当月工作改写"),
}
# Keys of SECTIONS' sections that stay in the settings file: how notifications are delivered, not a rule.
FILE_ONLY = frozenset({("notify", "max_attempts"), ("notify", "backoff_seconds"), ("notify", "timeout_seconds"),
                       ("notify", "redeliver_hours"), ("notify", "smtp_host"), ("notify", "smtp_port"),
                       ("notify", "smtp_user"), ("notify", "smtp_password"), ("notify", "smtp_from"),
                       ("notify", "smtp_starttls")})
_TYPE_WORDS = {"int": "整数", "float": "数值", "bool": "是/否", "str": "文字"}
# pipelines.settings words its refusals in English for the log; the screen says the same in Chinese.
# Each says it in the unit of the setting being changed (`it`): a percentage's bounds as percentages.
_REASONS = (
    (re.compile(r"is not a valid (\w+)"), lambda m, it: f"不是有效的{_TYPE_WORDS.get(m[1], m[1])}"),
    (re.compile(r"must be one of (.+), not"), lambda m, it: f"只能是 {'、'.join(m[1].split(', '))}"),
    (re.compile(r"must be between (\S+) and (\S+),"),
     lambda m, it: f"须在 {it.shown(float(m[1]))} 到 {it.shown(float(m[2]))} 之间"),
    (re.compile(r"must not be negative"), lambda m, it: "不能为负数"),
    (re.compile(r"must be at (?:least|most) (\w+) = (\S+) \(red"),
     lambda m, it: f"红色阈值不能比黄色阈值“{EDITABLE[('warnings', m[1])].title}”（{it.shown(float(m[2]))}）更宽"),
)


@dataclass(frozen=True)
class Entry:
    """One editable setting as the screen lists it: the value from the settings file (and environment), the value
    in force, and who overrode it when (None when it is not overridden)."""

    section: str
    key: str
    setting: Setting  # what the screen calls it
    kind: str  # int / float / bool / str
    file_value: object
    value: object
    changed_by: str | None
    changed_at: dt.datetime | None

    @property
    def name(self) -> str:
        """The configuration key (section.key): for the audit log and the settings file, never shown as a label."""
        return f"{self.section}.{self.key}"

    @property
    def label(self) -> str:
        """The name with its unit: 签约亿元以上项目数权重（分）."""
        return self.setting.title


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
    it = EDITABLE[(section, key)]
    reason = next((say(m, it) for pattern, say in _REASONS if (m := pattern.search(text))), text)
    return SettingsError(f"“{it.title}”的值 {it.shown(value)} 无效：{reason}。未保存。")


def entries(con: duckdb.DuckDBPyConnection) -> list[Entry]:
    """Every editable setting in the order of EDITABLE, with its file value, value in force and last override."""
    file_config = settings.load()
    in_force = settings.current()
    changes = {(s, k): (by, at) for s, k, by, at in
               con.execute("SELECT section, key, changed_by, changed_at FROM settings_overrides").fetchall()}
    return [Entry(section, key, setting, _kind(in_force, section, key), _value(file_config, section, key),
                  _value(in_force, section, key), *changes.get((section, key), (None, None)))
            for (section, key), setting in EDITABLE.items()]


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
