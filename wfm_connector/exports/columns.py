"""The columns a ``custom_csv`` or ``iex_agent_activity`` profile can choose, per table.

In: nothing (a catalogue). Out: :data:`TABLES`, one :class:`Table` per documented reconciled
table (README, "Definitions"): how to read it for a day, and its :class:`Column` s, each with
the SQL that yields it and its kind, which decides how it is written and whether it can be
summed over a day:

- ``count`` and ``seconds``: summed over a day (``period: day``); seconds are written as the
  profile's ``duration_format`` (seconds, minutes or hh:mm:ss);
- ``max_seconds``: the longest, the maximum over a day;
- ``avg_seconds`` and ``pct``: a ratio of the interval; not summable, so only with
  ``period: interval`` (the day's own ratio lives in a day table, e.g. ``adherence_day``);
- ``text``, ``bool``, ``date``, ``time``, ``timestamp``: keys and labels, never summed.

Identity columns added to every table with agents or queues: ``agent_id`` (``agent_ids`` of
the profile or the configuration, else the stable id), ``agent_arn``, ``agent_username``
(**personal data**: written only when a profile lists it), ``queue_id``, ``queue_arn``,
``queue_name``; with intervals: ``date``, ``time`` (local start in the profile's time zone),
``start_utc`` and ``interval_minutes``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SUMMABLE = {"count", "seconds"}
RATIO = {"avg_seconds", "pct"}


@dataclass(frozen=True)
class Column:
    """One exportable column."""

    sql: str
    kind: str
    personal: bool = False


@dataclass(frozen=True)
class Table:
    """A reconciled table as custom profiles read it for one day."""

    name: str
    source: str  # FROM ... (alias t), joined to wfm.agent a and/or wfm.queue q
    attribution: bool = False  # rows per attribution (queue tables)
    intervals: bool = True  # rows per interval (t.interval_start)
    columns: dict[str, Column] = field(default_factory=dict)
    order: tuple[str, ...] = ()  # SQL ordering keys after the interval


def _numeric(counts: str = "", seconds: str = "", longest: str = "", averages: str = "",
             percentages: str = "") -> dict[str, Column]:  # fmt: skip
    out: dict[str, Column] = {}
    for names, kind in ((counts, "count"), (seconds, "seconds"), (longest, "max_seconds"),
                        (averages, "avg_seconds"), (percentages, "pct")):  # fmt: skip
        for name in names.split():
            out[name] = Column(f"t.{name}", kind)
    return out


AGENT = {
    "agent_id": Column("coalesce((%(agent_ids)s::jsonb ->> t.agent_arn)::bigint, a.agent_id)",
                       "count"),  # fmt: skip
    "agent_arn": Column("t.agent_arn", "text"),
    "agent_username": Column("coalesce(a.username, '')", "text", personal=True),
}
QUEUE = {
    "queue_id": Column("coalesce((%(queue_ids)s::jsonb ->> t.queue_arn)::bigint, q.queue_id)",
                       "count"),  # fmt: skip
    "queue_arn": Column("t.queue_arn", "text"),
    "queue_name": Column("coalesce(q.queue_name, t.queue_arn, '')", "text"),
}
INTERVAL = {
    "date": Column("t.interval_start", "date"),
    "time": Column("t.interval_start", "time"),
    "start_utc": Column("t.interval_start", "timestamp"),
    "interval_minutes": Column("%(interval_minutes)s::int", "count"),
}
DAY = {"date": Column("%(day)s::date", "date")}  # the contact-center day itself

_AGENT_JOIN = "LEFT JOIN wfm.agent a ON a.agent_arn = t.agent_arn"
_QUEUE_JOIN = "LEFT JOIN wfm.queue q ON q.queue_arn = t.queue_arn"

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "agent_interval_activity",
            f"wfm.agent_interval_activity t {_AGENT_JOIN}",
            columns={**INTERVAL, **AGENT, **_numeric(
                counts="contacts_routed contacts_missed",
                seconds="online_s on_contact_s contact_handle_s idle_s npt_s error_s ringing_s "
                "unknown_s offline_contact_s talk_wall_s hold_wall_s paused_wall_s acw_wall_s "
                "ringing_wall_s error_wall_s no_contact_s on_contact_voice_s on_contact_chat_s "
                "on_contact_task_s on_contact_email_s interaction_s hold_s acw_s paused_s "
                "interaction_voice_s interaction_chat_s interaction_task_s interaction_email_s "
                "hold_voice_s hold_chat_s hold_task_s hold_email_s acw_voice_s acw_chat_s "
                "acw_task_s acw_email_s",
                percentages="occupancy_pct")},  # fmt: skip
            order=("agent_id",),
        ),
        Table(
            "queue_interval",
            f"wfm.queue_interval t {_QUEUE_JOIN}",
            attribution=True,
            columns={**INTERVAL, **QUEUE, "channel": Column("t.channel", "text"), **_numeric(
                counts="contacts_queued offered_direct transferred_in transferred_in_by_agent "
                "transferred_in_from_queue callback_contacts handled handled_incoming "
                "handled_outbound handled_callback handled_api answered abandoned "
                "abandoned_short callback_requested transferred_out transferred_out_internal "
                "transferred_out_external transferred_out_from_queue holds contacts_put_on_hold",
                seconds="queue_answer_time_s queue_abandon_time_s interaction_s hold_s acw_s "
                "handle_time_s agent_available_s",
                longest="longest_answer_s longest_abandon_s longest_hold_s",
                averages="aht_s asa_s avg_interaction_s avg_hold_s")},  # fmt: skip
            order=("queue_id", "channel"),
        ),
        Table(
            "agent_queue_interval",
            f"wfm.agent_queue_interval t {_AGENT_JOIN} {_QUEUE_JOIN}",
            attribution=True,
            columns={**INTERVAL, **AGENT, **QUEUE, "channel": Column("t.channel", "text"),
                     **_numeric(
                counts="handled handled_incoming handled_outbound handled_callback "
                "handled_transfer holds contacts_put_on_hold transferred_out_internal "
                "transferred_out_external",
                seconds="interaction_s hold_s acw_s handle_time_s outbound_talk_s",
                longest="longest_hold_s")},  # fmt: skip
            order=("agent_id", "queue_id", "channel"),
        ),
        Table(
            "adherence_interval",
            f"wfm.adherence_interval t {_AGENT_JOIN}",
            columns={**INTERVAL, **AGENT, **_numeric(
                seconds="scheduled_s adherent_s non_adherent_s unknown_s",
                percentages="adherence_pct")},  # fmt: skip
            order=("agent_id",),
        ),
        Table(
            "adherence_day",
            f"wfm.adherence_day t {_AGENT_JOIN}",
            intervals=False,
            columns={**DAY, **AGENT, **_numeric(
                seconds="scheduled_s adherent_s non_adherent_s unknown_s "
                "scheduled_productive_s productive_s",
                percentages="adherence_pct conformance_pct")},  # fmt: skip
            order=("agent_id",),
        ),
        Table(
            "adherence_exception",
            f"wfm.adherence_exception t {_AGENT_JOIN}",
            intervals=False,
            columns={**DAY, **AGENT,
                     "start": Column("t.start_ts", "timestamp"),
                     "end": Column("t.end_ts", "timestamp"),
                     "activity": Column("t.activity", "text"),
                     "productive": Column("t.productive", "bool"),
                     "actual_status": Column("t.actual_status", "text"),
                     "actual_category": Column("t.actual_category", "text"),
                     "seconds": Column("t.seconds", "seconds")},  # fmt: skip
            order=("agent_id", "start"),
        ),
    )
}


def check_columns(table: str, columns: list[str], period: str) -> str | None:
    """Why ``columns`` cannot be exported from ``table`` at ``period``, or None."""
    if table not in TABLES:
        return f"unknown table {table!r}; allowed: {', '.join(TABLES)}"
    known = TABLES[table].columns
    unknown = [c for c in columns if c not in known]
    if unknown:
        return (f"unknown column(s) {', '.join(map(repr, unknown))} of {table}; allowed: "
                f"{', '.join(known)}")  # fmt: skip
    if len(set(columns)) != len(columns):
        return "a column is listed twice"
    if period == "day":
        if not TABLES[table].intervals:
            return f"period: day is for interval tables; {table} already has one row per day"
        ratios = [c for c in columns if known[c].kind in RATIO]
        if ratios:
            return (f"{', '.join(ratios)} cannot be summed over a day (a ratio of the interval); "
                    "use period: interval, or the day's own figure in adherence_day")
        if "time" in columns or "start_utc" in columns:
            return "time and start_utc name an interval; with period: day use date"
    return None
