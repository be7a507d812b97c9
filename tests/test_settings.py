"""pipelines.settings: defaults from settings.toml, overridden by a ZS_SETTINGS file, ZS_* variables and code;
a value the product cannot use is refused naming its key."""
from __future__ import annotations

import re

import pytest

from pipelines import settings
from pipelines.settings import (
    DEFAULTS_FILE,
    ROOT,
    AssessmentSettings,
    AuthSettings,
    BulletinSettings,
    DutySettings,
    FigureSettings,
    InboxSettings,
    IngestSettings,
    NotifySettings,
    SchedulerSettings,
    ScreenSettings,
    ServerSettings,
    Settings,
    SettingsError,
    StoreSettings,
    TaskSettings,
    WarningSettings,
)


def test_defaults_load_as_typed_values():
    """With no file and no environment the settings are exactly settings.toml's, each of its declared type."""
    assert settings.load(env={}) == Settings(
        store=StoreSettings(db_path="data/zhaoshang.duckdb"),
        ingest=IngestSettings(max_file_mb=50.0, max_unzipped_mb=400.0, max_compression_ratio=200.0, max_rows=200000,
                              header_search_rows=30, max_columns=256, max_cell_chars=32767, reader_memory_mb=2048,
                              reader_seconds=60.0, total_change_share=0.5),
        figures=FigureSettings(assess_min_investment_wan=10000.0, stats_min_investment_wan=500.0,
                               commencement_target=0.75, stats_target=0.8, rate_cohort="year",
                               rate_yellow_band_points=10.0, time_progress_basis="completed_months",
                               production_target=0.0, funds_target=0.0, completion_decimals=1),
        duty=DutySettings(due_day=10, remind_days_before=3),
        assessment=AssessmentSettings(
            weight_signed_major=25.0, weight_signed_amount=15.0, weight_commenced=20.0, weight_production=10.0,
            weight_commencement_rate=15.0, weight_stats_rate=15.0, weight_in_stats=0.0, weight_signed_50yi=0.0,
            weight_signed_10_50yi=0.0, weight_signed_5_10yi=0.0, weight_invested_year=0.0,
            major_manufacturing_min_wan=70000.0,
            bonus_major_manufacturing=3.0, bonus_other_min_wan=30000.0, bonus_other=1.0, bonus_cap=10.0,
            deduction_per_late_report=1.0, deduction_per_forgotten_update=0.5,
            deduction_per_late_task=0.0, deduction_cap=10.0),
        warnings=WarningSettings(
            stale_update_yellow_months=1, stale_update_red_months=2, signed_not_commenced_yellow_months=3,
            signed_not_commenced_red_months=6, planned_start_missed_red_months=3,
            commenced_not_in_stats_yellow_months=1, commenced_not_in_stats_red_months=2,
            lead_not_evaluated_yellow_days=30, lead_not_evaluated_red_days=60, investment_stalled_yellow_reports=3,
            investment_stalled_red_reports=6, rate_min_denominator=3, behind_schedule_yellow_points=-10.0,
            behind_schedule_red_points=-30.0),
        notify=NotifySettings(
            dry_run=True, max_attempts=3, backoff_seconds=2.0, timeout_seconds=10.0, redeliver_hours=24.0,
            max_lines=50, smtp_host="", smtp_port=587,
            smtp_user="", smtp_password="", smtp_from="", smtp_starttls=True),
        auth=AuthSettings(max_failed_logins=5, lock_minutes=15.0, session_idle_hours=8.0,
                          session_absolute_hours=168.0, password_min_length=8, cookie_secure=False,
                          initial_admin_password=""),
        scheduler=SchedulerSettings(enabled=True, evaluate_interval_minutes=5.0, misfire_grace_minutes=10.0,
                                    daily_hour=8, daily_minute=30),
        tasks=TaskSettings(remind_days=3),
        inbox=InboxSettings(dir="data/inbox", archive_dir="data/archive", rejected_dir="data/rejected",
                            scan_seconds=60.0, settle_seconds=10.0),
        screen=ScreenSettings(title="招引智控 · 领导驾驶舱", refresh_seconds=60.0, trend_months=12, funnel_cohort="year",
                              warnings_shown=10, stuck_shown=8),
        server=ServerSettings(keep_alive_seconds=75.0, public_url="", warm_up_after_load_seconds=10.0),
        bulletin=BulletinSettings(title="招商引资工作通报", issuer="县招商引资工作领导小组办公室", recipients="各招商单元",
                                  copy_to="县委、县政府领导，县招商引资工作领导小组成员单位", first_number=1,
                                  next_steps=(
                                      "（一）加快在谈项目签约落地。各单元对照年度目标和序时进度，逐项排定在谈项目签约时间，确保应签尽签。\n"
                                      "（二）推动签约项目开工纳统。对签约未开工、开工未纳统的项目逐一明确责任人和时间节点。\n"
                                      "（三）按时准确报送项目进展。各单元于每月规定时间前报送月度项目进展表，确保数据真实完整，杜绝迟报漏报。")),
    )
    assert isinstance(settings.load(env={}).ingest.max_rows, int)


def test_every_setting_is_commented_in_settings_toml():
    """Each key in settings.toml has a comment line directly above it saying what it is."""
    lines = DEFAULTS_FILE.read_text(encoding="utf-8").splitlines()
    undocumented = [line.split("=")[0].strip() for i, line in enumerate(lines)
                    if re.match(r"^\w+\s*=", line) and not lines[i - 1].startswith("#")]
    assert undocumented == []


@pytest.mark.parametrize("env, section, key, value", [
    ({"ZS_INGEST_MAX_ROWS": "20000"}, "ingest", "max_rows", 20000),
    ({"ZS_INGEST_MAX_FILE_MB": "12.5"}, "ingest", "max_file_mb", 12.5),
    ({"ZS_FIGURES_COMMENCEMENT_TARGET": "0.7"}, "figures", "commencement_target", 0.7),
    ({"ZS_FIGURES_RATE_COHORT": "cumulative"}, "figures", "rate_cohort", "cumulative"),
    ({"ZS_DUTY_DUE_DAY": "15"}, "duty", "due_day", 15),
    ({"ZS_STORE_DB_PATH": "/srv/zs.duckdb"}, "store", "db_path", "/srv/zs.duckdb"),
    ({"ZS_NOTIFY_DRY_RUN": "false"}, "notify", "dry_run", False),
    ({"ZS_NOTIFY_DRY_RUN": "0"}, "notify", "dry_run", False),
    ({"ZS_NOTIFY_SMTP_STARTTLS": "True"}, "notify", "smtp_starttls", True),
    ({"ZS_NOTIFY_SMTP_STARTTLS": "1"}, "notify", "smtp_starttls", True),
    ({"ZS_NOTIFY_SMTP_PASSWORD": "s3cret"}, "notify", "smtp_password", "s3cret"),
    ({"ZS_AUTH_INITIAL_ADMIN_PASSWORD": "s3cret-admin"}, "auth", "initial_admin_password", "s3cret-admin"),
    ({"ZS_AUTH_COOKIE_SECURE": "true"}, "auth", "cookie_secure", True),
])
def test_environment_overrides_a_setting(env, section, key, value):
    """ZS_<SECTION>_<KEY> replaces the default with a value of the setting's type."""
    assert getattr(getattr(settings.load(env=env), section), key) == value


def test_zs_db_sets_the_database_path(tmp_path):
    """ZS_DB alone sets the database path, made absolute."""
    assert settings.load(env={"ZS_DB": str(tmp_path / "x.duckdb")}).store.db_path == str(tmp_path / "x.duckdb")


@pytest.mark.parametrize("env, named", [
    ({"ZS_FIGURES_RATE_COHORT": "weekly"}, "rate_cohort"),
    ({"ZS_INGEST_MAX_ROWS": "many"}, "max_rows"),
    ({"ZS_INGEST_MAX_ROWS": "1.5"}, "max_rows"),
    ({"ZS_FIGURES_STATS_TARGET": "80%"}, "stats_target"),
    ({"ZS_DUTY_DUE_DAY": "-1"}, "due_day"),
    ({"ZS_NOTIFY_DRY_RUN": "yes"}, "dry_run"),
    ({"ZS_SCHEDULER_DAILY_HOUR": "24"}, "daily_hour must be between 0 and 23"),
    ({"ZS_AUTH_MAX_FAILED_LOGINS": "0"}, "max_failed_logins must be between 1 and 100"),
    ({"ZS_AUTH_SESSION_IDLE_HOURS": "0"}, "session_idle_hours"),
    ({"ZS_SCHEDULER_DAILY_MINUTE": "60"}, "daily_minute"),
    ({"ZS_SCHEDULER_EVALUATE_INTERVAL_MINUTES": "0"}, "evaluate_interval_minutes"),
    ({"ZS_SCREEN_REFRESH_SECONDS": "1"}, "refresh_seconds must be between 5 and 3600"),
    ({"ZS_SCREEN_FUNNEL_COHORT": "quarter"}, "funnel_cohort"),
])
def test_bad_values_are_refused_naming_the_key(env, named):
    """A value of the wrong type, outside its choices or range, or negative raises SettingsError naming the setting."""
    with pytest.raises(SettingsError, match=named):
        settings.load(env=env)


def test_settings_file_overrides_and_the_environment_wins_over_it(tmp_path):
    """A ZS_SETTINGS file overrides the defaults; a ZS_* variable overrides the file."""
    path = tmp_path / "local.toml"
    path.write_text("[ingest]\nmax_rows = 5000\nmax_file_mb = 20\n[figures]\nrate_cohort = \"cumulative\"\n",
                    encoding="utf-8")
    loaded = settings.load(env={"ZS_SETTINGS": str(path), "ZS_INGEST_MAX_ROWS": "7000"})
    assert (loaded.ingest.max_rows, loaded.ingest.max_file_mb, loaded.figures.rate_cohort) == (7000, 20.0, "cumulative")


@pytest.mark.parametrize("text, message", [
    ("[ingest]\nmax_rowz = 5\n", "unknown setting [ingest] max_rowz"),
    ("[alerts]\nenabled = true\n", "unknown section [alerts]"),
    ("[ingest]\nmax_rows = \n", "cannot read settings file"),
])
def test_settings_file_with_unknown_keys_or_bad_syntax_is_refused(tmp_path, text, message):
    """A settings file naming a key or section the product does not have, or not TOML at all, is refused."""
    path = tmp_path / "local.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError, match=re.escape(message)):
        settings.load(env={"ZS_SETTINGS": str(path)})


def test_missing_settings_file_is_refused(tmp_path):
    """ZS_SETTINGS naming a file that does not exist is an error, not silently ignored."""
    with pytest.raises(SettingsError, match="cannot read settings file"):
        settings.load(env={"ZS_SETTINGS": str(tmp_path / "nope.toml")})


def test_overrides_in_code_are_checked_like_the_rest():
    """overrides= (used by tests and the admin screen) apply last and are validated."""
    assert settings.load(env={"ZS_INGEST_MAX_ROWS": "9"}, overrides={"ingest": {"max_rows": 5}}).ingest.max_rows == 5
    with pytest.raises(SettingsError, match="unknown setting"):
        settings.load(env={}, overrides={"ingest": {"rows": 5}})


def test_db_path_precedence(tmp_path, monkeypatch):
    """The database is --db if given, else ZS_DB, else [store] db_path under the repository root."""
    monkeypatch.setenv("ZS_DB", str(tmp_path / "env.duckdb"))
    settings.use(None)
    assert settings.db_path(tmp_path / "arg.duckdb") == tmp_path / "arg.duckdb"
    assert settings.db_path() == tmp_path / "env.duckdb"
    monkeypatch.delenv("ZS_DB")
    settings.use(None)
    assert settings.db_path() == ROOT / "data" / "zhaoshang.duckdb"


def test_current_is_loaded_once_and_use_replaces_it(monkeypatch):
    """current() reads file and environment once; use() puts given settings in force until reset."""
    monkeypatch.setenv("ZS_INGEST_MAX_ROWS", "123")
    settings.use(None)
    assert settings.current().ingest.max_rows == 123
    monkeypatch.setenv("ZS_INGEST_MAX_ROWS", "456")
    assert settings.current().ingest.max_rows == 123
    settings.use(settings.load(env={}))
    assert settings.current().ingest.max_rows == 200000
    settings.use(None)
    assert settings.current().ingest.max_rows == 456


@pytest.mark.parametrize("key, value, refused", [
    ("stale_update_red_months", 1, False),          # equal to yellow: allowed
    ("stale_update_red_months", 0, True),           # milder than yellow
    ("lead_not_evaluated_red_days", 29, True),
    ("investment_stalled_red_reports", 3, False),
    ("behind_schedule_red_points", -10, False),     # gaps are negative: red is the lower one
    ("behind_schedule_red_points", -9.5, True),
])
def test_red_threshold_is_never_milder_than_yellow(key, value, refused):
    """A 红 threshold milder than its 黄 one stops the settings with both keys named; equal is allowed."""
    if refused:
        with pytest.raises(settings.SettingsError, match=key.replace("_red_", "_yellow_")):
            settings.load(overrides={"warnings": {key: value}})
    else:
        assert getattr(settings.load(overrides={"warnings": {key: value}}).warnings, key) == value
