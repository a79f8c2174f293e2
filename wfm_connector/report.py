"""The reconciled tables of one contact-center day as rows an analyst can read.

In: an open psycopg connection, the configuration (time zone for the interval labels, the
service-level thresholds), a local day and optional filters: an agent's current username, a
queue's current name, and the attribution of the queue reports (``disconnect``, as Connect's
historical reports, by default; or ``enqueue``).

Out: one list of dicts per report, in a fixed key order (:func:`columns`), ordered by interval
then agent / queue / channel:

- ``agent-intervals``: ``wfm.agent_interval_activity`` (only the agent-intervals it holds),
- ``queue-intervals``: ``wfm.queue_interval`` (dense) with one service level and one count of
  contacts removed from the queue within it per configured threshold, from
  ``wfm.queue_interval_service_level``,
- ``agent-queue-intervals``: ``wfm.agent_queue_interval``; ``queue`` is None for contacts
  that reached the agent directly (through its agent queue, or with no queue),
- ``queue-intraday``: ``wfm.queue_intraday`` as last built (``as_of`` says when: a refresh
  of the day rebuilds it), the contact events' view of today per queue and interval,
- ``adherence``: ``wfm.adherence_day`` (one row per agent with scheduled time that day),
  ``adherence-intervals``: ``wfm.adherence_interval``, and ``exceptions``:
  ``wfm.adherence_exception`` (``start`` and ``end`` local ISO 8601 like ``interval_start``).

Agents and queues are shown by their current name (the ARN when none is known) and their
stable id. Values are plain Python: ``interval_start`` is ISO 8601 with the contact center's
UTC offset (``2026-11-02T09:00:00-05:00``), numbers are int when whole and float otherwise
(durations in seconds, three decimals as stored), ``npt_by_status`` is a dict, and NULL is
None. Nothing here formats for a terminal or a file; the CLI does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from wfm_connector.config import WfmConfig

Row = dict[str, Any]

AGENT_INTERVALS = "agent-intervals"
AGENT_QUEUE_INTERVALS = "agent-queue-intervals"
QUEUE_INTERVALS = "queue-intervals"
ADHERENCE = "adherence"
ADHERENCE_INTERVALS = "adherence-intervals"
EXCEPTIONS = "exceptions"
QUEUE_INTRADAY = "queue-intraday"
REPORTS = (
    AGENT_INTERVALS, AGENT_QUEUE_INTERVALS, QUEUE_INTERVALS, ADHERENCE, ADHERENCE_INTERVALS,
    EXCEPTIONS, QUEUE_INTRADAY,
)  # fmt: skip
# no queue, no attribution
AGENT_REPORTS = (AGENT_INTERVALS, ADHERENCE, ADHERENCE_INTERVALS, EXCEPTIONS)
ATTRIBUTIONS = ("enqueue", "disconnect")
DEFAULT_ATTRIBUTION = "disconnect"

# The metric columns of each table, in table order (tests compare them with the schema).
AGENT_METRICS = (
    "online_s", "on_contact_s", "contact_handle_s", "idle_s", "npt_s", "npt_by_status",
    "error_s", "ringing_s", "unknown_s", "offline_contact_s", "talk_wall_s", "hold_wall_s",
    "paused_wall_s", "acw_wall_s", "ringing_wall_s", "error_wall_s", "no_contact_s",
    "on_contact_voice_s", "on_contact_chat_s", "on_contact_task_s", "on_contact_email_s",
    "interaction_s", "hold_s", "acw_s", "paused_s",
    "interaction_voice_s", "interaction_chat_s", "interaction_task_s", "interaction_email_s",
    "hold_voice_s", "hold_chat_s", "hold_task_s", "hold_email_s", "acw_voice_s", "acw_chat_s",
    "acw_task_s", "acw_email_s", "occupancy_pct", "contacts_routed", "contacts_missed",
)  # fmt: skip
QUEUE_METRICS = (
    "contacts_queued", "offered_direct", "transferred_in", "transferred_in_by_agent",
    "transferred_in_from_queue", "callback_contacts", "handled", "handled_incoming",
    "handled_outbound", "handled_callback", "handled_api", "answered", "abandoned",
    "abandoned_short", "callback_requested", "transferred_out", "transferred_out_internal",
    "transferred_out_external", "transferred_out_from_queue", "queue_answer_time_s",
    "queue_abandon_time_s", "longest_answer_s", "longest_abandon_s", "interaction_s", "hold_s",
    "holds", "contacts_put_on_hold", "longest_hold_s", "acw_s", "handle_time_s", "aht_s",
    "asa_s", "avg_interaction_s", "avg_hold_s", "agent_available_s",
)  # fmt: skip
ADHERENCE_INTERVAL_METRICS = (
    "scheduled_s", "adherent_s", "non_adherent_s", "unknown_s", "adherence_pct",
)  # fmt: skip
ADHERENCE_DAY_METRICS = (
    *ADHERENCE_INTERVAL_METRICS, "scheduled_productive_s", "productive_s", "conformance_pct",
)  # fmt: skip
EXCEPTION_COLUMNS = ("activity", "productive", "actual_status", "actual_category", "seconds")
INTRADAY_METRICS = (
    "queued", "answered", "abandoned", "callback_requested", "transferred_out_from_queue",
    "in_queue", "longest_wait_s",
)  # fmt: skip
AGENT_QUEUE_METRICS = (
    "handled", "handled_incoming", "handled_outbound", "handled_callback", "handled_transfer",
    "interaction_s", "hold_s", "holds", "contacts_put_on_hold", "longest_hold_s", "acw_s",
    "handle_time_s", "transferred_out_internal", "transferred_out_external", "outbound_talk_s",
)  # fmt: skip


class ReportError(ValueError):
    """The report cannot be built as asked (unknown agent or queue, misplaced option)."""


def columns(report: str, cfg: WfmConfig) -> list[str]:
    """The keys of every row of ``report``, in order (also the CSV header of an empty day)."""
    if report == AGENT_INTERVALS:
        return ["interval_start", "agent", "agent_id", *AGENT_METRICS]
    if report == ADHERENCE:
        return ["day", "agent", "agent_id", *ADHERENCE_DAY_METRICS]
    if report == ADHERENCE_INTERVALS:
        return ["interval_start", "agent", "agent_id", *ADHERENCE_INTERVAL_METRICS]
    if report == EXCEPTIONS:
        return ["start", "end", "agent", "agent_id", *EXCEPTION_COLUMNS]
    if report == AGENT_QUEUE_INTERVALS:
        keys = ["interval_start", "agent", "agent_id", "queue", "queue_id", "channel"]
        return [*keys, "attribution", *AGENT_QUEUE_METRICS]
    if report == QUEUE_INTRADAY:
        return ["interval_start", "queue", "queue_id", "channel", "as_of", *INTRADAY_METRICS]
    if report == QUEUE_INTERVALS:
        keys = ["interval_start", "queue", "queue_id", "channel", "attribution", "offered"]
        levels = _level_columns(cfg.queue_log.thresholds)
        return [*keys, *QUEUE_METRICS, *(name for name, _, _ in levels)]
    raise ReportError(f"unknown report {report!r}; reports are {list(REPORTS)}")


def build(
    conn: psycopg.Connection,
    cfg: WfmConfig,
    report: str,
    day: date,
    *,
    agent: str | None = None,
    queue: str | None = None,
    attribution: str | None = None,
) -> list[Row]:
    """The rows of ``report`` for ``day``; options a report has no use for are an error.

    Raises:
        ReportError: unknown report, agent or queue, or an option the report does not take
            (``--queue`` or ``--attribution`` for agent intervals, ``--agent`` for queues).
    """
    columns(report, cfg)  # names the known reports when this one is not
    if report in AGENT_REPORTS:
        _refuse(report, queue=queue, attribution=attribution)
        if report == ADHERENCE:
            return adherence(conn, cfg, day, agent=agent)
        if report == ADHERENCE_INTERVALS:
            return adherence_intervals(conn, cfg, day, agent=agent)
        if report == EXCEPTIONS:
            times = "a.start_ts AS start, a.end_ts AS end"
            return _agent_table(
                conn, cfg, day, agent, "adherence_exception", times, EXCEPTION_COLUMNS
            )
        return agent_intervals(conn, cfg, day, agent=agent)
    if report == QUEUE_INTRADAY:
        _refuse(report, agent=agent, attribution=attribution)
        return queue_intraday(conn, cfg, day, queue=queue)
    attribution = attribution or DEFAULT_ATTRIBUTION
    if report == QUEUE_INTERVALS:
        _refuse(report, agent=agent)
        return queue_intervals(conn, cfg, day, queue=queue, attribution=attribution)
    return agent_queue_intervals(conn, cfg, day, agent=agent, queue=queue, attribution=attribution)


# The id a WFM system knows an agent or queue by: the configured one (agent_ids / queue_ids),
# else the stable id derived from the ARN.
AGENT_ID = "coalesce((%(agent_ids)s::jsonb ->> g.agent_arn)::int, g.agent_id) AS agent_id"
QUEUE_ID = "coalesce((%(queue_ids)s::jsonb ->> n.queue_arn)::int, n.queue_id) AS queue_id"


def agent_intervals(
    conn: psycopg.Connection, cfg: WfmConfig, day: date, *, agent: str | None = None
) -> list[Row]:
    """``wfm.agent_interval_activity`` for the day: one row per agent-interval it holds."""
    return _agent_table(
        conn, cfg, day, agent, "agent_interval_activity", "a.interval_start", AGENT_METRICS
    )


def adherence(
    conn: psycopg.Connection, cfg: WfmConfig, day: date, *, agent: str | None = None
) -> list[Row]:
    """``wfm.adherence_day``: one row per agent with scheduled time that day."""
    return _agent_table(conn, cfg, day, agent, "adherence_day", "a.day::text AS day",
                        ADHERENCE_DAY_METRICS)  # fmt: skip


def adherence_intervals(
    conn: psycopg.Connection, cfg: WfmConfig, day: date, *, agent: str | None = None
) -> list[Row]:
    """``wfm.adherence_interval``: the agent-intervals with scheduled time."""
    return _agent_table(conn, cfg, day, agent, "adherence_interval", "a.interval_start",
                        ADHERENCE_INTERVAL_METRICS)  # fmt: skip


def _agent_table(
    conn: psycopg.Connection,
    cfg: WfmConfig,
    day: date,
    agent: str | None,
    table: str,
    first: str,
    metrics: Sequence[str],
) -> list[Row]:
    """Rows of one of the per-agent tables of the day, ordered by ``first``, then agent."""
    where, params = "a.day = %(day)s", {"day": day}
    if agent is not None:
        where += " AND a.agent_arn = ANY(%(agents)s)"
        params["agents"] = _agent_arns(conn, agent)
    query = sql.SQL(
        "SELECT {}, coalesce(g.username, a.agent_arn) AS agent, " + AGENT_ID + ", {} "
        "FROM wfm.{} a LEFT JOIN wfm.agent g USING (agent_arn) "
        "WHERE {} ORDER BY 1, agent, a.agent_arn"
    ).format(sql.SQL(first), _columns("a", metrics), sql.Identifier(table), sql.SQL(where))
    return _fetch(conn, query, params, cfg)


def queue_intervals(
    conn: psycopg.Connection,
    cfg: WfmConfig,
    day: date,
    *,
    queue: str | None = None,
    attribution: str = DEFAULT_ATTRIBUTION,
) -> list[Row]:
    """``wfm.queue_interval`` for the day and attribution, with the service level pivoted.

    ``service_level_<X>_pct`` is None when no contact was queued in the interval, and, with
    ``removed_within_<X>``, also when X was not configured when the day was reconciled.
    """
    where, params = _queue_filter(conn, "q", day, attribution, queue)
    levels = _level_columns(cfg.queue_log.thresholds)
    query = sql.SQL(
        "SELECT q.interval_start, coalesce(n.queue_name, q.queue_arn) AS queue, " + QUEUE_ID + ", "
        "q.channel, q.attribution, q.contacts_queued AS offered, {}, {} "
        "FROM wfm.queue_interval q LEFT JOIN wfm.queue n USING (queue_arn) "
        "LEFT JOIN (SELECT queue_arn, channel, interval_start, {} "
        "           FROM wfm.queue_interval_service_level "
        "           WHERE day = %(day)s AND attribution = %(attribution)s "
        "           GROUP BY queue_arn, channel, interval_start) s "
        "       ON s.queue_arn = q.queue_arn AND s.channel = q.channel "
        "      AND s.interval_start = q.interval_start "
        "WHERE {} ORDER BY q.interval_start, queue, q.queue_arn, q.channel"
    ).format(
        _columns("q", QUEUE_METRICS),
        _columns("s", [name for name, _, _ in levels]),
        sql.SQL(", ").join(
            sql.SQL("max({}) FILTER (WHERE threshold_s = {}) AS {}").format(
                sql.Identifier(column), x, sql.Identifier(name)
            )
            for name, column, x in levels
        ),
        sql.SQL(where),
    )
    return _fetch(conn, query, params, cfg)


def queue_intraday(
    conn: psycopg.Connection, cfg: WfmConfig, day: date, *, queue: str | None = None
) -> list[Row]:
    """``wfm.queue_intraday`` for the day (``as_of`` local ISO 8601 like the interval)."""
    where, params = _queue_filter(conn, "i", day, None, queue)
    query = sql.SQL(
        "SELECT i.interval_start, coalesce(n.queue_name, i.queue_arn) AS queue, " + QUEUE_ID + ", "
        "i.channel, i.as_of, {} FROM wfm.queue_intraday i LEFT JOIN wfm.queue n USING (queue_arn) "
        "WHERE {} ORDER BY i.interval_start, queue, i.queue_arn, i.channel"
    ).format(_columns("i", INTRADAY_METRICS), sql.SQL(where))
    return _fetch(conn, query, params, cfg)


def _level_columns(thresholds: Sequence[int]) -> list[tuple[str, str, int]]:
    """(key, column of queue_interval_service_level, threshold) of every pivoted column."""
    return [
        *((f"service_level_{x}_pct", "service_level_pct", x) for x in thresholds),
        *((f"removed_within_{x}", "removed_within", x) for x in thresholds),
    ]


def agent_queue_intervals(
    conn: psycopg.Connection,
    cfg: WfmConfig,
    day: date,
    *,
    agent: str | None = None,
    queue: str | None = None,
    attribution: str = DEFAULT_ATTRIBUTION,
) -> list[Row]:
    """``wfm.agent_queue_interval`` for the day and attribution (queue None: direct)."""
    where, params = _queue_filter(conn, "x", day, attribution, queue)
    if agent is not None:
        where += " AND x.agent_arn = ANY(%(agents)s)"
        params["agents"] = _agent_arns(conn, agent)
    query = sql.SQL(
        "SELECT x.interval_start, coalesce(g.username, x.agent_arn) AS agent, " + AGENT_ID + ", "
        "CASE WHEN x.queue_arn IS NOT NULL THEN coalesce(n.queue_name, x.queue_arn) END "
        "AS queue, " + QUEUE_ID + ", x.channel, x.attribution, {} "
        "FROM wfm.agent_queue_interval x LEFT JOIN wfm.agent g USING (agent_arn) "
        "LEFT JOIN wfm.queue n USING (queue_arn) WHERE {} "
        "ORDER BY x.interval_start, agent, x.agent_arn, queue NULLS LAST, x.queue_arn, x.channel"
    ).format(_columns("x", AGENT_QUEUE_METRICS), sql.SQL(where))
    return _fetch(conn, query, params, cfg)


def plain(value: Any) -> Any:
    """A database value as plain Python: Decimal -> int when whole, else float (also in dicts)."""
    if isinstance(value, Decimal | float):
        return int(value) if value == int(value) else float(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


def _refuse(report: str, **options: str | None) -> None:
    given = [name for name, value in options.items() if value is not None]
    if given:
        raise ReportError(f"--{given[0]} does not apply to {report}")


def _columns(alias: str, names: Sequence[str]) -> sql.Composable:
    return sql.SQL(", ").join(sql.Identifier(alias, name) for name in names)


def _queue_filter(
    conn: psycopg.Connection, alias: str, day: date, attribution: str | None, queue: str | None
) -> tuple[str, dict[str, Any]]:
    """WHERE text (on table ``alias``) and parameters for a day, attribution and queue.

    ``attribution`` None: the table has none (``queue_intraday``).
    """
    where = f"{alias}.day = %(day)s"
    params: dict[str, Any] = {"day": day}
    if attribution is not None:
        if attribution not in ATTRIBUTIONS:
            raise ReportError(
                f"unknown attribution {attribution!r}; use one of {list(ATTRIBUTIONS)}"
            )
        where += f" AND {alias}.attribution = %(attribution)s"
        params["attribution"] = attribution
    if queue is not None:
        where += f" AND {alias}.queue_arn = ANY(%(queues)s)"
        params["queues"] = _queue_arns(conn, queue)
    return where, params


def _agent_arns(conn: psycopg.Connection, username: str) -> list[str]:
    return _arns(conn, "agent", "SELECT agent_arn, username FROM wfm.agent", username)


def _queue_arns(conn: psycopg.Connection, name: str) -> list[str]:
    return _arns(conn, "queue", "SELECT queue_arn, queue_name FROM wfm.queue", name)


def _arns(conn: psycopg.Connection, what: str, select: str, name: str) -> list[str]:
    """The ARNs whose current name is exactly ``name``; none is a :class:`ReportError`.

    A name that matches only when case is ignored is offered as a hint.
    """
    query = sql.SQL("SELECT * FROM ({}) d(arn, name) WHERE lower(name) = lower(%s)").format(
        sql.SQL(select)
    )
    found = conn.execute(query, (name,)).fetchall()
    exact = sorted(arn for arn, current in found if current == name)
    if exact:
        return exact
    hint = f"; did you mean {min(current for _, current in found)!r}?" if found else ""
    raise ReportError(f"no {what} is currently named {name!r} (exact, case-sensitive){hint}")


def _fetch(
    conn: psycopg.Connection, query: sql.Composable, params: dict[str, Any], cfg: WfmConfig
) -> list[Row]:
    """Rows as dicts in SELECT order, with ``interval_start`` as local ISO 8601."""
    tz = cfg.tz
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(query, {**params, **cfg.id_override_params()})
        rows = cur.fetchall()
    return [
        {
            k: v.astimezone(tz).isoformat() if isinstance(v, datetime) else plain(v)
            for k, v in r.items()
        }
        for r in rows
    ]
