"""One asset per step, each a thin call into ``wfm_connector.pipeline`` for one day.

ingest (3 raw assets) -> agent_interval_activity -> queue_interval + agent_queue_interval
-> one export asset per configured profile (``export_assets``); agent_events_raw ->
schedule_versions (new schedule files), which with agent_interval_activity ->
schedule_adherence -> adherence_now; contact_events_raw -> queue_intraday (today per queue
before the contact records arrive). Every asset is partitioned by contact-center day.
Asset checks (``wfm_connector.checks``): each ingest asset's quarantine rate, the agent
activity identity and the queue outcomes (handled <= offered) are blocking (a failure stops
the day's downstream assets); today's freshness of agent events and the agreement of contact
events with contact records warn.
"""

from datetime import datetime

import dagster as dg

from dagster_project.partitions import daily_partitions
from dagster_project.resources import (
    ConnectSourceResource,
    DatabaseResource,
    WfmConfigResource,
)
from wfm_connector import (
    agent_summary,
    checks,
    pipeline,
    queue_intraday,
    queue_summary,
    schedule_source,
)
from wfm_connector.intervals import parse_day
from wfm_connector.pipeline import RAW_TABLES
from wfm_connector.quarantine import summary as quarantine_summary
from wfm_connector.sources.base import Stream
from wfm_connector.transient import is_transient


def _window(context: dg.AssetExecutionContext, wfm_config: WfmConfigResource):
    return pipeline.window_for(wfm_config.get(), parse_day(context.partition_key))


def _table_metadata(conn, table: str, window) -> dict:
    """``dagster/row_count`` (the day's rows) and ``dagster/column_schema`` of a wfm table."""
    rows, columns = pipeline.table_facts(conn, table, window)
    schema = dg.TableSchema(columns=[dg.TableColumn(name, kind) for name, kind in columns])
    return {"dagster/row_count": rows, "dagster/column_schema": schema,
            "table": f"wfm.{table}"}  # fmt: skip


def _rebuilt_from(stats, window, cfg) -> str:
    """What this run rebuilt, for the metadata: the whole day, from a local time, or nothing."""
    if stats.rebuilt_from is None:
        return "nothing new since the last build"
    if stats.rebuilt_from == window.start:
        return "the whole day"
    return f"from {stats.rebuilt_from.astimezone(cfg.tz):%H:%M} (what changed since the last build)"


def _ingest(
    context: dg.AssetExecutionContext,
    stream: Stream,
    wfm_config: WfmConfigResource,
    database: DatabaseResource,
    connect_source: ConnectSourceResource,
) -> dg.MaterializeResult:
    window = _window(context, wfm_config)
    try:
        with database.get_connection() as conn:
            stats = connect_source.ingest(conn, stream, window)
            meta = _table_metadata(conn, RAW_TABLES[stream], window)
            newest, delay = pipeline.watermark(conn, RAW_TABLES[stream], window)
            cfg = wfm_config.get()
            results = [_check_result("quarantine_rate", checks.quarantine_rate(
                cfg, stream.value, stats.read, stats.quarantined))]  # fmt: skip
            if stream is Stream.AGENT_EVENTS:
                today = window.day == datetime.now(cfg.tz).date()
                results.append(_check_result("fresh", checks.freshness(
                    conn, cfg, window, today), dg.AssetCheckSeverity.WARN))  # fmt: skip
    except Exception as exc:
        if is_transient(exc):
            raise  # worth another try (the retry policy below)
        # Not a passing fault: data errors are quarantined, so this is a defect or a
        # configuration problem, and trying again in 30 s would only fail the same way.
        raise dg.Failure(
            description=f"{stream.value}: {type(exc).__name__}: {exc}", allow_retries=False
        ) from exc
    meta.update({k: v for k, v in stats.as_dict().items()
                 if v is not None and k not in ("stream", "newest_event_ts")})  # fmt: skip
    # how complete the day is: its newest record, and how far behind
    return dg.MaterializeResult(metadata=_with_watermark(meta, newest, delay),
                                check_results=results)  # fmt: skip


def _with_watermark(meta: dict, newest, delay) -> dict:
    """``watermark`` (the newest record the figures rest on) and how far it trails, if any."""
    if newest is not None:
        meta["watermark"] = dg.MetadataValue.timestamp(newest)
        meta["watermark_delay_seconds"] = round(delay)
    return meta


def _check_result(
    name: str, outcome: checks.Outcome, severity=dg.AssetCheckSeverity.ERROR
) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=name, passed=outcome.passed, severity=severity,
        description=outcome.description, metadata=outcome.metadata,
    )  # fmt: skip


def _quarantine_check(asset: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        "quarantine_rate", asset=asset, blocking=True,
        description="The share of this run's records the stream quarantined is at most "
        "checks.max_quarantine_rate; above it, the day's reconcile and exports wait.",
    )  # fmt: skip


# Ingest calls AWS: a throttled or briefly unreachable source is retried with back-off; the
# readers' checkpoints make a retry pick up exactly where the failed attempt committed.
_INGEST = {
    "group_name": "ingest",
    "partitions_def": daily_partitions,
    "kinds": {"postgres"},
    "retry_policy": dg.RetryPolicy(
        max_retries=3, delay=30, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
    ),
}


@dg.asset(**_INGEST, check_specs=[_quarantine_check("agent_events_raw"), dg.AssetCheckSpec(
    "fresh", asset="agent_events_raw",
    description="Today's newest agent event trails the last closed interval by at most "
    "checks.max_watermark_delay_minutes (warns).")])  # fmt: skip
def agent_events_raw(
    context: dg.AssetExecutionContext,
    wfm_config: WfmConfigResource,
    database: DatabaseResource,
    connect_source: ConnectSourceResource,
) -> dg.MaterializeResult:
    """Agent events (Kinesis agent event stream), deduplicated on EventId."""
    return _ingest(context, Stream.AGENT_EVENTS, wfm_config, database, connect_source)


@dg.asset(**_INGEST, check_specs=[_quarantine_check("contact_events_raw")])  # fmt: skip
def contact_events_raw(
    context: dg.AssetExecutionContext,
    wfm_config: WfmConfigResource,
    database: DatabaseResource,
    connect_source: ConnectSourceResource,
) -> dg.MaterializeResult:
    """EventBridge contact events, deduplicated on the envelope id."""
    return _ingest(context, Stream.CONTACT_EVENTS, wfm_config, database, connect_source)


@dg.asset(**_INGEST, check_specs=[_quarantine_check("contact_records_raw")])  # fmt: skip
def contact_records_raw(
    context: dg.AssetExecutionContext,
    wfm_config: WfmConfigResource,
    database: DatabaseResource,
    connect_source: ConnectSourceResource,
) -> dg.MaterializeResult:
    """Contact records (CTRs), keyed by ContactId + LastUpdateTimestamp."""
    return _ingest(context, Stream.CONTACT_RECORDS, wfm_config, database, connect_source)


@dg.asset(
    group_name="ingest",
    partitions_def=daily_partitions,
    deps=[agent_events_raw, contact_events_raw, contact_records_raw],
    kinds={"postgres"},
)
def quarantine(
    context: dg.AssetExecutionContext, wfm_config: WfmConfigResource, database: DatabaseResource
) -> dg.MaterializeResult:
    """Records that could not be loaded, by reason (wfm-connector quarantine list/show/replay)."""
    cfg = wfm_config.get()
    with database.get_connection() as conn:
        found = quarantine_summary(conn, cfg, parse_day(context.partition_key))
    return dg.MaterializeResult(metadata={
        "dagster/row_count": found["total"],
        "quarantined_on_this_day": found["on_day"],
        "top_reasons": dg.MetadataValue.md(found["markdown"]),
    })  # fmt: skip


@dg.asset(
    group_name="reconcile",
    partitions_def=daily_partitions,
    deps=[agent_events_raw],
    kinds={"postgres"},
    check_specs=[dg.AssetCheckSpec(
        "activity_seconds_sum_to_online", asset="agent_interval_activity", blocking=True,
        description="In every agent-interval the seven wall-clock activities sum exactly to "
        "online time plus on-contact time under Offline.")],
)  # fmt: skip
def agent_interval_activity(
    context: dg.AssetExecutionContext, wfm_config: WfmConfigResource, database: DatabaseResource
) -> dg.MaterializeResult:
    """Per agent and interval: Connect's agent metrics (online, on contact, idle, NPT, ...).

    Also the agent's day as timeline segments and the seconds per status and wall-clock
    activity they sum from; time is split at interval boundaries by when it happened.
    """
    window = _window(context, wfm_config)
    with database.get_connection() as conn:
        # only what changed since the day's last build (the same rows as a whole rebuild)
        stats = pipeline.reconcile_agents(conn, wfm_config.get(), window, incremental=True)
        table = _table_metadata(conn, "agent_interval_activity", window)
        identity = checks.activity_identity(conn, window)
        day = agent_summary.day_totals(conn, window)
    return dg.MaterializeResult(
        check_results=[_check_result("activity_seconds_sum_to_online", identity)],
        metadata={
            **table,
            "timeline_segments": stats.timeline_segments,
            "agent_interval_rows": stats.agent_interval_rows,
            "rebuilt_from": _rebuilt_from(stats, window, wfm_config.get()),
            "day_hours": window.hours,
            "intervals": len(window.interval_starts()),
            "agents_online": day["agents_online"],
            **({} if day["occupancy_pct"] is None
               else {"occupancy_pct": float(day["occupancy_pct"])}),
            "agent_day": dg.MetadataValue.md(agent_summary.markdown(day)),
        },
    )


@dg.asset(
    group_name="schedules",
    partitions_def=daily_partitions,
    deps=[agent_events_raw],
    kinds={"postgres"},
    check_specs=[
        dg.AssetCheckSpec(
            "every_schedule_file_loaded",
            asset="schedule_versions",
            description="Every file of the schedule source is loaded: none stands rejected "
            "and none was unreadable in this run.",
        )
    ],
)
def schedule_versions(
    context: dg.AssetExecutionContext, wfm_config: WfmConfigResource, database: DatabaseResource
) -> dg.MaterializeResult:
    """New schedule files of ``schedules.source``, each loaded as a schedule version.

    Runs after the agent events, so agents seen for the first time are known. A rejected file
    loads nothing and leaves the version in force; the check says which line is wrong.
    """
    with database.get_connection() as conn:
        result = schedule_source.load_new(conn, wfm_config.get())
        in_force = conn.execute("SELECT count(*) FROM wfm.schedule_current").fetchone()[0]
    for name, problem in [*result.rejected, *result.failed]:
        context.log.error(f"{name}: {problem}")
    problems = [*result.outstanding, *result.failed]
    check = dg.AssetCheckResult(
        check_name="every_schedule_file_loaded",
        passed=not problems,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"problems": dg.MetadataValue.md(
            "\n\n".join(f"```\n{p}\n```" for _, p in problems) or "none")},
    )  # fmt: skip
    return dg.MaterializeResult(
        metadata={
            "loaded": [f"{name} (version {v}, {n} activities)" for name, v, n in result.loaded],
            "unchanged": result.unchanged,
            "rejected": [name for name, _ in result.rejected],
            "unreadable": [name for name, _ in result.failed],
            "days_to_recompute": sorted(d.isoformat() for d in result.days),
            "activities_in_force": in_force,
        },
        check_results=[check],
    )


@dg.asset(
    group_name="schedules",
    partitions_def=daily_partitions,
    deps=[agent_interval_activity, schedule_versions],
    kinds={"postgres"},
)
def schedule_adherence(
    context: dg.AssetExecutionContext, wfm_config: WfmConfigResource, database: DatabaseResource
) -> dg.MaterializeResult:
    """Adherence to the schedule in force per agent-interval and agent-day, and its exceptions.

    The metadata shows the day as a heatmap of agents (worst first) by intervals.
    """
    cfg = wfm_config.get()
    window = _window(context, wfm_config)
    with database.get_connection() as conn:
        stats = pipeline.reconcile_adherence(conn, cfg, window)
        _, picture = pipeline.adherence_heatmap(conn, cfg, window)
        pct, exceptions = conn.execute(
            "SELECT round(100 * sum(adherent_s) / nullif(sum(scheduled_s - unknown_s), 0), 2), "
            "(SELECT count(*) FROM wfm.adherence_exception WHERE day = %(d)s) "
            "FROM wfm.adherence_day WHERE day = %(d)s",
            {"d": window.day},
        ).fetchone()
        table = _table_metadata(conn, "adherence_interval", window)
    return dg.MaterializeResult(
        metadata={
            **table,
            "scheduled_agents": stats.adherence_agents,
            "adherence_pct": float(pct) if pct is not None else None,
            "exceptions": exceptions,
            "heatmap": dg.MetadataValue.md(picture),
        }
    )


@dg.asset(
    group_name="schedules",
    partitions_def=daily_partitions,
    deps=[schedule_adherence],
    kinds={"postgres"},
)
def adherence_now(
    context: dg.AssetExecutionContext, wfm_config: WfmConfigResource, database: DatabaseResource
) -> dg.MaterializeResult:
    """Intraday adherence: each scheduled agent's activity, current state, since when, adherent.

    As of now for today (the end of the day for a past day); a real-time adherence feed or a
    dashboard reads ``wfm.adherence_now``.
    """
    window = _window(context, wfm_config)
    with database.get_connection() as conn:
        as_of, agents, newest, delay = pipeline.adherence_now(conn, wfm_config.get(), window)
        meta = _table_metadata(conn, "adherence_now", window)
    meta.update({"as_of": as_of.isoformat(), "scheduled_agents": agents})
    # what the states shown are based on, and how far behind it is
    return dg.MaterializeResult(metadata=_with_watermark(meta, newest, delay))


@dg.asset(
    name="queue_intraday",
    group_name="reconcile",
    partitions_def=daily_partitions,
    deps=[contact_events_raw],
    kinds={"postgres"},
)
def queue_intraday_view(
    context: dg.AssetExecutionContext, wfm_config: WfmConfigResource, database: DatabaseResource
) -> dg.MaterializeResult:
    """Today per queue from the contact events, minutes behind Connect.

    Per queue and interval: queued, answered, abandoned so far, in queue now and the longest
    wait now; as of now for today (the day's end for a past day). Contact records already
    stored fill in lost events, but it does not wait for contact_records_raw (it is there to
    come before them). The contact records' queue_interval replaces it for closed intervals;
    its check agrees_with_contact_events compares the two.
    """
    window = _window(context, wfm_config)
    cfg = wfm_config.get()
    with database.get_connection() as conn:
        as_of, _ = queue_intraday.build(conn, cfg, window)
        queues = queue_intraday.by_queue(conn, window)
        meta = _table_metadata(conn, "queue_intraday", window)
        newest, delay = pipeline.watermark(conn, "contact_event_raw", window)
    meta.update({
        "as_of": dg.MetadataValue.timestamp(as_of),
        "now_by_queue": dg.MetadataValue.md(queue_intraday.markdown(queues, as_of, cfg.timezone)),
        **{k: sum(q[k] for q in queues)
           for k in ("in_queue", "queued", "answered", "abandoned", "callback_requested")},
        "longest_wait_s": max((q["longest_wait_s"] for q in queues), default=0),
    })  # fmt: skip
    # the newest contact event the view is based on
    return dg.MaterializeResult(metadata=_with_watermark(meta, newest, delay))


@dg.multi_asset(
    group_name="reconcile",
    partitions_def=daily_partitions,
    specs=[
        dg.AssetSpec(
            "queue_interval",
            deps=[contact_records_raw, agent_interval_activity, contact_events_raw],
            description="Per queue, channel and interval: queued, handled (incoming, outbound, "
            "callback), abandoned, transfers, service level per threshold, handle times.",
            kinds={"postgres"},
        ),
        dg.AssetSpec(
            "agent_queue_interval",
            deps=[contact_records_raw],
            description="Per agent, queue and interval: handled contacts and their handle times.",
            kinds={"postgres"},
        ),
    ],
    check_specs=[dg.AssetCheckSpec(
        "queue_outcomes_within_queued", asset="queue_interval", blocking=True,
        description="Handled <= offered, made exact: in every queue-interval the queued "
        "contacts answered, abandoned or left for a callback are at most the contacts queued "
        "(Contacts handled also counts outbound contacts, which never queue)."),
        dg.AssetCheckSpec(
        "agrees_with_contact_events", asset="queue_interval",
        description="In every queue-interval that ended checks.contact_records_settle_minutes "
        "ago, the contact events count the same contacts queued and answered as the contact "
        "records (warns: events come at best effort, records once a contact ends).")],
)  # fmt: skip
def contact_statistics(
    context: dg.AssetExecutionContext, wfm_config: WfmConfigResource, database: DatabaseResource
):
    """Queue and agent-queue statistics from the newest contact records, both attributions."""
    window = _window(context, wfm_config)
    with database.get_connection() as conn:
        cfg = wfm_config.get()
        stats = pipeline.reconcile_queues(conn, cfg, window, incremental=True)
        tables = {t: _table_metadata(conn, t, window)
                  for t in ("queue_interval", "agent_queue_interval")}  # fmt: skip
        day = queue_summary.day_by_queue(conn, cfg, window)
        outcomes = checks.queue_outcomes_within_queued(conn, window)
        agreement = checks.contact_events_agree(conn, cfg, window)
        _, picture = pipeline.queue_picture(conn, cfg, window)
    threshold = cfg.queue_log.service_level_seconds
    yield dg.MaterializeResult(
        asset_key="queue_interval",
        metadata={**tables["queue_interval"], "queue_interval_rows": stats.queue_interval_rows,
                  "rebuilt_from": _rebuilt_from(stats, window, cfg),
                  "day_by_queue": dg.MetadataValue.md(queue_summary.markdown(day, threshold)),
                  "heatmap": dg.MetadataValue.md(picture),
                  "offered": sum(r["offered"] for r in day),
                  "handled": sum(r["handled"] for r in day)},
        check_results=[_check_result("queue_outcomes_within_queued", outcomes),
                       _check_result("agrees_with_contact_events", agreement,
                                     dg.AssetCheckSeverity.WARN)],
    )  # fmt: skip
    yield dg.MaterializeResult(
        asset_key="agent_queue_interval",
        metadata={**tables["agent_queue_interval"],
                  "agent_queue_interval_rows": stats.agent_queue_interval_rows},
    )  # fmt: skip
