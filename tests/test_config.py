"""Configuration: the committed demo file loads, overrides apply, bad values name their key."""

from pathlib import Path

import pytest

from wfm_connector.config import ConfigError, StatusCategory, load_config

pytestmark = pytest.mark.unit
DEMO = Path(__file__).resolve().parent.parent / "config" / "demo.yaml"


def test_demo_config_loads_with_paths_under_the_project():
    cfg = load_config(DEMO, environ={})
    assert cfg.timezone == "America/New_York"
    assert cfg.interval_minutes == 15
    assert {s.path for s in cfg.sources.values()} == {DEMO.parent.parent / ".wfm" / "demo-data"}
    assert cfg.status_categories.get("Lunch", StatusCategory.NON_PRODUCTIVE) == StatusCategory.NON_PRODUCTIVE
    assert cfg.status_categories.get("Some custom status", StatusCategory.NON_PRODUCTIVE) == StatusCategory.NON_PRODUCTIVE
    assert cfg.status_categories.get("Offline", StatusCategory.NON_PRODUCTIVE) == StatusCategory.OFFLINE


def test_environment_overrides_nested_keys():
    cfg = load_config(
        DEMO,
        environ={"WFM_INTERVAL_MINUTES": "30", "WFM_QUEUE_LOG__SERVICE_LEVEL_SECONDS": "45",
                 "WFM_DATABASE_URL": "ignored: not a config key"},
    )  # fmt: skip
    assert cfg.interval_minutes == 30
    assert cfg.queue_log.service_level_seconds == 45


@pytest.mark.parametrize(
    ("environ", "key", "problem"),
    [
        ({"WFM_INTERVAL_MINUTES": "20"}, "interval_minutes", "Input should be 15 or 30"),
        ({"WFM_TIMEZONE": "Mars/Olympus"}, "timezone", "unknown IANA time zone 'Mars/Olympus'"),
        ({"WFM_STATUS_CATEGORIES__BREAK": "nap"}, "status_categories.Break", "Input should be"),
        (
            {"WFM_STATUS_CATEGORIES__AVAILABLE": "offline"},
            "status_categories",
            "must be productive",
        ),
        ({"WFM_CONNECT__INSTANCE_ARN": "instance-1"}, "connect.instance_arn", "must be an ARN"),
    ],
)
def test_invalid_values_fail_naming_key_and_problem(environ, key, problem):
    with pytest.raises(ConfigError) as err:
        load_config(DEMO, environ=environ)
    message = str(err.value)
    assert f"  {key}: " in message
    assert problem in message


def test_variables_that_name_no_section_are_not_settings():
    # secrets the configuration points at share the prefix: they must not become settings
    cfg = load_config(DEMO, environ={"WFM_PII_HMAC_KEY": "s" * 32, "WFM_SFTP_KEY": "-----",
                                     "WFM_FAULT": "x", "WFM_TIMEZONE": "Europe/Paris"})  # fmt: skip
    assert cfg.timezone == "Europe/Paris"


def test_profile_must_name_a_known_target(tmp_path):
    text = DEMO.read_text().replace("target: local", "target: sftp")
    path = tmp_path / "wfm.yaml"
    path.write_text(text)
    with pytest.raises(
        ConfigError, match=r"export_profiles\.0\.target: no export target named 'sftp'"
    ):
        load_config(path, environ={})


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_config(tmp_path / "nope.yaml", environ={})


def test_connect_system_statuses_are_always_known(tmp_path):
    text = DEMO.read_text()
    start = text.index("status_categories:")
    end = text.index("queue_log:")
    path = tmp_path / "wfm.yaml"
    path.write_text(text[:start] + "status_categories:\n  Break: non_productive\n" + text[end:])
    cfg = load_config(path, environ={})
    assert cfg.status_categories.get("Available", StatusCategory.NON_PRODUCTIVE) == StatusCategory.PRODUCTIVE
    assert cfg.status_categories.get("Offline", StatusCategory.NON_PRODUCTIVE) == StatusCategory.OFFLINE
    assert cfg.status_categories.get("Break", StatusCategory.NON_PRODUCTIVE) == StatusCategory.NON_PRODUCTIVE


def test_partitions_start_30_days_before_today_unless_set(tmp_path):
    # New York's today, minus 30 days (so the UI lists a month, not years of empty days);
    # the demo pins the day before its simulated day
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    import yaml

    raw = yaml.safe_load(DEMO.read_text())
    assert load_config(DEMO, environ={}).first_partition.isoformat() == "2026-11-01"
    del raw["partitions_start_date"]
    (tmp_path / "wfm.yaml").write_text(yaml.safe_dump(raw))
    today = datetime.now(ZoneInfo("America/New_York")).date()
    assert load_config(tmp_path / "wfm.yaml", environ={}).first_partition == today - timedelta(30)
