"""``wfm-connector`` command line.

Commands: ``simulate`` (write a simulated day in the wire formats, with ground truth),
``db upgrade|downgrade`` (Alembic), ``run --day`` (the Dagster daily job for one day) and
``demo`` (all of it on embedded defaults, then a summary). Errors in configuration or input
are printed as one readable message and exit with status 2.
"""

from __future__ import annotations

import logging
import os
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from wfm_connector.config import ConfigError, load_config

app = typer.Typer(
    help="Amazon Connect -> WFM connector.", no_args_is_help=True, add_completion=False
)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console() if sys.stdout.isatty() else Console(width=120)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="wfm.yaml to use (default: WFM_CONFIG).")
]


def _setup(config: Path | None) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if config is not None:
        os.environ["WFM_CONFIG"] = str(config.resolve())


def _fail(message: str) -> None:
    console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(2)


@app.command()
def simulate(
    out: Annotated[Path, typer.Option(help="Folder to write the simulated data into.")],
    agents: Annotated[int, typer.Option(min=1, help="Number of agents.")] = 50,
    start: Annotated[str, typer.Option(help="First day, YYYY-MM-DD.")] = "2026-11-02",
    days: Annotated[int, typer.Option(min=1, help="Number of days.")] = 1,
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same bytes.")] = 7,
    config: ConfigOption = None,
) -> None:
    """Simulate a contact center: agent events, contact events, CTRs, schedule, ground truth."""
    _setup(config)
    from wfm_connector.simulator import simulate as run_simulation

    try:
        cfg = load_config(config)
        first = date.fromisoformat(start)
    except (ConfigError, ValueError) as exc:
        _fail(str(exc))
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
    )
    _print_mapping(
        "Simulated", vars(summary) if hasattr(summary, "__dict__") else summary._asdict()
    )


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Create or migrate the ``wfm`` schema."""
    _setup(None)
    from wfm_connector.db import engine, migrate

    migrate.upgrade(engine.database_url(), revision)
    console.print(f"database at revision {revision}")


@db_app.command("downgrade")
def db_downgrade(revision: str = "base") -> None:
    """Migrate the ``wfm`` schema down (``base`` drops everything)."""
    _setup(None)
    from wfm_connector.db import engine, migrate

    migrate.downgrade(engine.database_url(), revision)
    console.print(f"database at revision {revision}")


@app.command()
def run(
    day: Annotated[str, typer.Option(help="Contact-center day, YYYY-MM-DD.")],
    config: ConfigOption = None,
) -> None:
    """Ingest, reconcile and export one day with the Dagster job the schedules use."""
    _setup(config)
    try:
        load_config(config)
        date.fromisoformat(day)
    except (ConfigError, ValueError) as exc:
        _fail(str(exc))
    _print_run(day)


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

    try:
        cfg = load_config(config)
        local_day = date.fromisoformat(day) if day else datetime.now(cfg.tz).date()
    except (ConfigError, ValueError) as exc:
        _fail(str(exc))
    if source and source not in {s.value for s in Stream}:
        _fail(f"unknown stream {source!r}; streams are {[s.value for s in Stream]}")
    streams = [Stream(source)] if source else [Stream(n) for n in cfg.sources]
    if source and source not in cfg.sources:
        _fail(f"no source configured for {source!r} (configured: {sorted(cfg.sources)})")
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


def _print_run(day: str) -> dict[str, dict[str, Any]]:
    from dagster_project.run import materialization_metadata, materialize_day

    result = materialize_day(day)
    if not result.success:
        _fail(f"the run for {day} failed; see the Dagster run log (make dev)")
    meta = materialization_metadata(result)
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
    agents = meta.get("agent_interval_states", {})
    queues = meta.get("queue_interval_handle_time", {})
    export = meta.get("calabrio_queue_log_export", {})
    _print_mapping(
        f"Reconciled and exported for {day}",
        {
            "day length (hours)": agents.get("day_hours"),
            "intervals in the day": agents.get("intervals"),
            "agent timeline segments": agents.get("timeline_segments"),
            "agent-interval rows": agents.get("agent_interval_rows"),
            "queue-interval rows": queues.get("queue_interval_rows"),
            "export rows": export.get("rows"),
            **{f"export file {i + 1}": f for i, f in enumerate(export.get("files", []))},
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
    try:
        cfg = load_config(config)
    except ConfigError as exc:
        _fail(str(exc))
    roots = {getattr(src, "path", None) for src in cfg.sources.values()}
    if len(roots) != 1 or None in roots:
        _fail("demo needs every stream's source to be the same local_folder path")
    simulate(out=roots.pop(), agents=agents, start=day, days=1, seed=seed, config=config)
    from wfm_connector.db import engine, migrate

    migrate.upgrade(engine.database_url())
    _print_run(day)


if __name__ == "__main__":  # pragma: no cover
    app()
