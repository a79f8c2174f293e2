"""Golden files of the user-defined profiles: ``iex_agent_activity`` and ``custom_csv``.

The hand-built day of the agent-log test (tests/test_export_calabrio_agent_log.py): agent a1
(username user-a1), America/New_York, 15-minute intervals; Available 09:00, Break 09:05,
Available 09:10, logged out 09:20 local. Its agent events never show a contact, so:

- 09:00-09:15: online 900 s (Available 300 + Break 300 + Available 300), non-productive 300,
  idle 600, on contact 0 -> occupancy 0 / (0 + 600) = 0.00 %;
- 09:15-09:30: online 300 (until the logout at 09:20), idle 300, occupancy 0.00 %;
- the day: online 1200, idle 900, non-productive 300, on contact 0, ACW 0, routed 0.
"""

from __future__ import annotations

import pytest

from tests.test_connect_parity import AGENT, config, reconcile, stable_id
from tests.test_export_calabrio_agent_log import CTRS, EVENTS
from wfm_connector import pipeline
from wfm_connector.config import ConfigError
from wfm_connector.exports.formats import FORMATS

pytestmark = pytest.mark.integration


def render(db, tmp_path, **profile):
    cfg = config(tmp_path, export_profiles=[{"name": "p", "target": "local", **profile}])
    window = reconcile(db, cfg, EVENTS, CTRS)
    return FORMATS[profile["format"]](db, window, cfg.export_profiles[0], cfg), cfg, window


def test_iex_agent_activity_defaults(db, tmp_path):
    rendered, cfg, window = render(db, tmp_path, format="iex_agent_activity")
    a = stable_id(AGENT)
    # pipe-delimited, '#fields' line, mmddyyyy dates, one row per agent for the day
    assert rendered.name == "iex_p_110226_0000.txt"
    assert rendered.data.decode() == (
        "#fields|agent_id|date|online_s|on_contact_s|idle_s|npt_s|acw_s|contacts_routed\n"
        f"{a}|11022026|1200|0|900|300|0|0\n"
    )
    assert rendered.rows == 1 and rendered.options["personal_columns"] == []
    # the same through export_day: the manifest says what the file is
    [result] = pipeline.export_day(db, cfg, window)
    assert result.manifest["period"] == "day" and result.manifest["table"] == "agent_interval_activity"


def test_custom_csv_interval_rows_with_minutes_and_a_decimal_comma(db, tmp_path):
    rendered, _, _ = render(
        db, tmp_path, format="custom_csv", table="agent_interval_activity", delimiter=";",
        columns=["date", "time", "agent_username", "online_s", "idle_s", "npt_s", "occupancy_pct"],
        duration_format="minutes", decimal_separator=",", date_format="%d.%m.%Y",
    )  # fmt: skip
    # 900 s = 15,00 min, 600 s = 10,00, 300 s = 5,00; the username only because it is listed;
    # only the two intervals the agent was in
    assert rendered.data.decode() == (
        "date;time;agent_username;online_s;idle_s;npt_s;occupancy_pct\n"
        "02.11.2026;09:00;user-a1;15,00;10,00;5,00;0,00\n"
        "02.11.2026;09:15;user-a1;5,00;5,00;0,00;0,00\n"
    )
    assert rendered.options["personal_columns"] == ["agent_username"]


def test_custom_csv_hh_mm_ss_utc_start_and_own_ids_and_file_name(db, tmp_path):
    # times in the profile's own time zone (Berlin, UTC+1 in November): 14:00Z is 15:00
    rendered, _, _ = render(
        db, tmp_path, format="custom_csv", table="agent_interval_activity", period="interval",
        columns=["start_utc", "time", "agent_id", "online_s"], duration_format="hh:mm:ss",
        header="none", agent_ids={AGENT: 7}, file_name="act_{day:%Y-%m-%d}.csv",
        timezone="Europe/Berlin",
    )  # fmt: skip
    assert rendered.name == "act_2026-11-02.csv"
    assert rendered.data.decode() == (
        "2026-11-02T14:00:00Z,15:00,7,00:15:00\n"
        "2026-11-02T14:15:00Z,15:15,7,00:05:00\n"
    )


def test_custom_csv_of_the_queue_table_by_day_under_either_attribution(db, tmp_path):
    # V1 (queued 09:01, answered, handle 100 + 20 + 30 = 150) is the only contact of Sales.
    # O1 (Outbound queue) has no queue time: handled 1, queued 0, handle 60 + 10 = 70.
    # Rows by queue id: Sales (845823216) before Outbound (1987254491).
    rendered, _, _ = render(
        db, tmp_path, format="custom_csv", table="queue_interval", period="day",
        columns=["date", "queue_name", "channel", "contacts_queued", "handled",
                 "handle_time_s", "longest_answer_s"], attribution="disconnect",
    )  # fmt: skip
    assert rendered.data.decode() == (
        "date,queue_name,channel,contacts_queued,handled,handle_time_s,longest_answer_s\n"
        "2026-11-02,Sales,VOICE,1,1,150,10\n"
        "2026-11-02,Outbound,VOICE,0,1,70,0\n"
    )


@pytest.mark.parametrize(("profile", "message"), [
    ({"format": "custom_csv", "table": "queue_interval", "columns": ["handled", "nope"]},
     "unknown column(s) 'nope' of queue_interval; allowed: date, time"),
    ({"format": "custom_csv", "table": "agents", "columns": ["x"]},
     "unknown table 'agents'; allowed: agent_interval_activity, queue_interval"),
    ({"format": "custom_csv", "table": "queue_interval", "columns": ["aht_s"], "period": "day"},
     "aht_s cannot be summed over a day"),
    ({"format": "calabrio_queue_log", "columns": ["handled"]},
     "columns: not used by calabrio_queue_log (columns is only for custom_csv"),
    ({"format": "custom_csv", "table": "queue_interval", "columns": ["handled"],
      "decimal_separator": ","}, "decimal_separator must differ from the delimiter"),
    ({"format": "custom_csv", "table": "queue_interval", "columns": ["handled"],
      "file_name": "static.csv"}, "file_name: must contain {day:FORMAT}"),
    ({"format": "custom_csv", "table": "queue_interval", "columns": ["handled"],
      "file_name": "x_{dayx}.csv"}, "unknown field(s) ['dayx']; allowed: {profile}, {day:FORMAT}"),
    ({"format": "custom_csv", "table": "queue_interval", "columns": ["handled"],
      "file_name": "x_{day:%d}.csv"}, "{day:%d} does not tell days apart"),
    ({"format": "calabrio_queue_log", "queue_ids": {"arn": 5}},
     "queue_ids: not used by calabrio_queue_log (queue_ids is only for custom_csv"),
    ({"format": "custom_csv", "table": "queue_interval", "columns": ["handled"],
      "agent_names": True}, "agent_names is only for calabrio_agent_log"),
    ({"format": "connect_forecast_import", "delimiter": ";"},
     "Connect's forecasting import takes ',' only"),
    ({"format": "custom_csv", "table": "queue_interval", "columns": ["handled"],
      "duration_format": "hours"}, "duration_format"),
])  # fmt: skip
def test_bad_profiles_name_the_key_and_the_allowed_values(tmp_path, profile, message):
    with pytest.raises(ConfigError) as error:
        config(tmp_path, export_profiles=[{"name": "p", **profile}])
    assert message in str(error.value)
    assert "export_profiles.0" in str(error.value)


def test_two_profiles_naming_the_same_file_on_one_target_are_refused(tmp_path):
    same = {"format": "custom_csv", "table": "adherence_day", "columns": ["agent_id"],
            "file_name": "adherence_{day:%Y%m%d}.csv"}  # fmt: skip
    with pytest.raises(ConfigError, match="gives the same file names as profile 'a' on target"):
        config(tmp_path, export_profiles=[{"name": "a", **same}, {"name": "b", **same}])


def test_a_profile_time_zone_writes_the_times_not_another_day(db, tmp_path):
    # Honolulu is UTC-10: the New York day 2026-11-02 starts there at 19:00 on 11-01. The file
    # still holds (and is named after) the contact center's day.
    rendered, _, _ = render(db, tmp_path, format="iex_agent_activity",
                            timezone="Pacific/Honolulu")  # fmt: skip
    assert rendered.name == "iex_p_110226_0000.txt"
    assert rendered.data.decode().splitlines()[1].split("|")[1] == "11022026"
    hours, _, _ = render(db, tmp_path, format="custom_csv", table="agent_interval_activity",
                         columns=["date", "time"], timezone="Pacific/Honolulu")  # fmt: skip
    assert hours.data.decode().splitlines()[1] == "2026-11-02,04:00"  # 14:00Z


def test_an_agent_id_given_to_two_agents_stops_the_export_with_both_named(db, tmp_path):
    from tests.test_connect_parity import AGENT_2

    cfg = config(tmp_path, agent_ids={AGENT: stable_id(AGENT_2)}, export_profiles=[
        {"name": "p", "format": "calabrio_agent_log", "target": "local"}])  # fmt: skip
    window = reconcile(db, cfg, EVENTS, CTRS)
    db.execute("INSERT INTO wfm.agent (agent_id, agent_arn, username) VALUES "
               "(wfm.stable_id(%s), %s, 'b')", (AGENT_2, AGENT_2))  # fmt: skip
    with pytest.raises(ValueError, match=f"agent_ids: two agents would share an id in the "
                                         f"export \\({stable_id(AGENT_2)}: {AGENT}, {AGENT_2}"):
        FORMATS["calabrio_agent_log"](db, window, cfg.export_profiles[0], cfg)
