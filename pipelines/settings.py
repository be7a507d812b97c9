"""The one typed settings object: defaults from settings.toml, overridden by a file and the environment."""
from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULTS_FILE = ROOT / "settings.toml"


class SettingsError(ValueError):
    """A settings file or environment variable holds a value the product cannot use."""


@dataclass(frozen=True)
class StoreSettings:
    db_path: str


@dataclass(frozen=True)
class IngestSettings:
    max_file_mb: float
    max_unzipped_mb: float
    max_compression_ratio: float
    max_rows: int
    header_search_rows: int
    max_columns: int
    max_cell_chars: int
    reader_memory_mb: int
    reader_seconds: float
    total_change_share: float


@dataclass(frozen=True)
class FigureSettings:
    assess_min_investment_wan: float
    stats_min_investment_wan: float
    commencement_target: float
    stats_target: float
    rate_cohort: str
    rate_yellow_band_points: float
    time_progress_basis: str
    production_target: float
    funds_target: float
    completion_decimals: int


@dataclass(frozen=True)
class DutySettings:
    due_day: int
    remind_days_before: int


@dataclass(frozen=True)
class AssessmentSettings:
    weight_signed_major: float
    weight_signed_amount: float
    weight_commenced: float
    weight_production: float
    weight_commencement_rate: float
    weight_stats_rate: float
    weight_in_stats: float
    weight_signed_50yi: float
    weight_signed_10_50yi: float
    weight_signed_5_10yi: float
    weight_invested_year: float
    major_manufacturing_min_wan: float
    bonus_major_manufacturing: float
    bonus_other_min_wan: float
    bonus_other: float
    bonus_cap: float
    deduction_per_late_report: float
    deduction_per_forgotten_update: float
    deduction_per_late_task: float
    deduction_cap: float


@dataclass(frozen=True)
class WarningSettings:
    stale_update_yellow_months: int
    stale_update_red_months: int
    signed_not_commenced_yellow_months: int
    signed_not_commenced_red_months: int
    planned_start_missed_red_months: int
    commenced_not_in_stats_yellow_months: int
    commenced_not_in_stats_red_months: int
    lead_not_evaluated_yellow_days: int
    lead_not_evaluated_red_days: int
    investment_stalled_yellow_reports: int
    investment_stalled_red_reports: int
    rate_min_denominator: int
    behind_schedule_yellow_points: float
    behind_schedule_red_points: float


@dataclass(frozen=True)
class NotifySettings:
    dry_run: bool
    max_attempts: int
    backoff_seconds: float
    timeout_seconds: float
    redeliver_hours: float
    max_lines: int
    smtp_host: str
    smtp_port: int
    smtp_user: str
    smtp_password: str
    smtp_from: str
    smtp_starttls: bool


@dataclass(frozen=True)
class InboxSettings:
    dir: str
    archive_dir: str
    rejected_dir: str
    scan_seconds: float
    settle_seconds: float


@dataclass(frozen=True)
class SchedulerSettings:
    enabled: bool
    evaluate_interval_minutes: float
    misfire_grace_minutes: float
    daily_hour: int
    daily_minute: int


@dataclass(frozen=True)
class ScreenSettings:
    title: str
    refresh_seconds: float
    trend_months: int
    funnel_cohort: str
    warnings_shown: int
    stuck_shown: int


@dataclass(frozen=True)
class TaskSettings:
    remind_days: int


@dataclass(frozen=True)
class ServerSettings:
    keep_alive_seconds: float
    public_url: str
    warm_up_after_load_seconds: float


@dataclass(frozen=True)
class AuthSettings:
    max_failed_logins: int
    lock_minutes: float
    session_idle_hours: float
    session_absolute_hours: float
    password_min_length: int
    cookie_secure: bool
    initial_admin_password: str


@dataclass(frozen=True)
class BulletinSettings:
    title: str
    issuer: str
    recipients: str
    copy_to: str
    first_number: int
    next_steps: str


@dataclass(frozen=True)
class Settings:
    store: StoreSettings
    ingest: IngestSettings
    figures: FigureSettings
    duty: DutySettings
    assessment: AssessmentSettings
    warnings: WarningSettings
    notify: NotifySettings
    scheduler: SchedulerSettings
    tasks: TaskSettings
    inbox: InboxSettings
    auth: AuthSettings
    screen: ScreenSettings
    server: ServerSettings
    bulletin: BulletinSettings


_SECTIONS = {f.name: f.type for f in dataclasses.fields(Settings)}
_CHOICES = {("figures", "rate_cohort"): ("year", "cumulative"), ("screen", "funnel_cohort"): ("year", "all"),
            ("figures", "time_progress_basis"): ("completed_months", "month")}
# Inclusive bounds of settings whose valid values are narrower than "not negative".
_RANGES = {("auth", "max_failed_logins"): (1, 100), ("auth", "password_min_length"): (1, 128),
           ("auth", "session_idle_hours"): (0.01, 8760), ("auth", "session_absolute_hours"): (0.01, 8760),
           ("scheduler", "daily_hour"): (0, 23), ("scheduler", "daily_minute"): (0, 59),
           ("scheduler", "evaluate_interval_minutes"): (0.01, 1440),
           ("screen", "refresh_seconds"): (5, 3600), ("screen", "trend_months"): (2, 60),
           ("figures", "commencement_target"): (0, 1), ("figures", "stats_target"): (0, 1),
           ("figures", "production_target"): (0, 1), ("figures", "funds_target"): (0, 1),
           ("figures", "completion_decimals"): (0, 3),
           ("notify", "max_lines"): (5, 1000), ("server", "keep_alive_seconds"): (1, 3600),
           ("server", "warm_up_after_load_seconds"): (0, 3600),
           ("duty", "due_day"): (1, 28),  # every month has a day 28
           ("duty", "remind_days_before"): (0, 27), ("tasks", "remind_days"): (0, 60),
           ("bulletin", "first_number"): (1, 999)}
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


def _section_class(name: str) -> type:
    return globals()[_SECTIONS[name]] if isinstance(_SECTIONS[name], str) else _SECTIONS[name]


def _coerce(section: str, key: str, value: object, kind: type, source: str) -> object:
    """Return value as the field's type, or raise SettingsError naming where it came from."""
    try:
        if kind in ("int", int):
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            coerced: object = int(value)  # type: ignore[arg-type]
        elif kind in ("bool", bool):
            # TOML gives a bool; the environment gives text
            coerced = value if isinstance(value, bool) else _BOOLEANS[str(value).strip().lower()]
        elif kind in ("float", float):
            if isinstance(value, bool):
                raise ValueError
            coerced = float(value)  # type: ignore[arg-type]
        else:
            coerced = str(value)
    except (TypeError, ValueError, KeyError):
        raise SettingsError(f"{source}: [{section}] {key} = {value!r} is not a valid {kind}") from None
    allowed = _CHOICES.get((section, key))
    if allowed and coerced not in allowed:
        raise SettingsError(f"{source}: [{section}] {key} must be one of {', '.join(allowed)}, not {coerced!r}")
    bounds = _RANGES.get((section, key))
    if bounds and not bounds[0] <= coerced <= bounds[1]:  # type: ignore[operator]
        raise SettingsError(f"{source}: [{section}] {key} must be between {bounds[0]} and {bounds[1]}, not {coerced!r}")
    if isinstance(coerced, (int, float)) and coerced < 0 and not key.startswith("behind_schedule"):  # gaps are negative
        raise SettingsError(f"{source}: [{section}] {key} must not be negative ({coerced})")
    return coerced


def _merge(base: dict, override: dict, source: str) -> None:
    for section, values in override.items():
        if section not in base or not isinstance(values, dict):
            raise SettingsError(f"{source}: unknown section [{section}]")
        for key, value in values.items():
            if key not in base[section]:
                raise SettingsError(f"{source}: unknown setting [{section}] {key}")
            base[section][key] = value


def load(env: dict[str, str] | None = None, overrides: dict | None = None) -> Settings:
    """Settings from settings.toml, then the file named by ZS_SETTINGS, then ZS_* variables, then overrides."""
    env = dict(os.environ if env is None else env)
    raw = tomllib.loads(DEFAULTS_FILE.read_text(encoding="utf-8"))
    if env.get("ZS_SETTINGS"):
        path = Path(env["ZS_SETTINGS"])
        try:
            _merge(raw, tomllib.loads(path.read_text(encoding="utf-8")), str(path))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(f"{path}: cannot read settings file: {exc}") from exc
    for section, values in raw.items():
        for key in values:
            name = f"ZS_{section}_{key}".upper()
            if name in env:
                values[key] = env[name]
    if env.get("ZS_DB"):
        raw["store"]["db_path"] = str(Path(env["ZS_DB"]).resolve())
    if overrides:
        _merge(raw, overrides, "overrides")
    sections = {}
    for section, cls in _SECTIONS.items():
        cls = _section_class(section)
        given = raw.get(section, {})
        fields = {f.name: f.type for f in dataclasses.fields(cls)}
        missing = set(fields) - set(given)
        if missing:
            raise SettingsError(f"settings.toml: [{section}] lacks {', '.join(sorted(missing))}")
        sections[section] = cls(**{k: _coerce(section, k, given[k], t, "settings") for k, t in fields.items()})
    _check_grades(sections["warnings"])
    return Settings(**sections)


def _check_grades(warnings: WarningSettings) -> None:
    """A warning's 红 threshold is the worse one: at least its 黄 threshold (months, days, reports), or at most
    it for behind_schedule (negative gaps in points). Raises SettingsError naming both keys."""
    for yellow in (f.name for f in dataclasses.fields(warnings) if "_yellow_" in f.name):
        red = yellow.replace("_yellow_", "_red_")
        y, r = getattr(warnings, yellow), getattr(warnings, red)
        worse_is_lower = yellow.startswith("behind_schedule")
        if (r > y) if worse_is_lower else (r < y):
            bound = "at most" if worse_is_lower else "at least"
            raise SettingsError(f"settings: [warnings] {red} = {r:g} must be {bound} {yellow} = {y:g} "
                                "(red is the worse grade)")


_current: Settings | None = None


def current() -> Settings:
    """The settings in force for this process, loaded on first use."""
    global _current
    if _current is None:
        _current = load()
    return _current


def use(settings: Settings | None) -> None:
    """Put these settings in force (None: reload from file and environment on next use)."""
    global _current
    _current = settings


def db_path(explicit: str | os.PathLike | None = None) -> Path:
    """The database file: --db if given, else ZS_DB, else [store] db_path, relative to the repository root."""
    if explicit:
        return Path(explicit).resolve()
    path = Path(current().store.db_path)
    return path if path.is_absolute() else ROOT / path
