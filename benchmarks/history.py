"""Earlier days for the benchmark's history phase, copied from one loaded day.

In: a database holding one simulated day (the day before the measured one) ingested and
reconciled, and how many earlier days to add. Out: the same database with those days before
it: every raw row of the loaded day and every row of the tables kept per day, copied with
its times shifted back whole days and its natural keys (event ids, contact ids, source
positions) given a suffix per copy. Each earlier day has the volume, key spread and shape of
a real one, in a few seconds instead of a simulation and an ingest per day.

What the measured day reads of the day before (up to an hour of agent events, contacts that
cross midnight) is the real simulated day, so its tables still equal the simulator's truth.
Left out: schedules (the simulation's cover the two real days), dimensions (the same agents
and queues every day, as in a real contact center), ledgers and quarantine (a few rows a
day). The copies must not cross a daylight-saving change (whole days of 24 hours).
"""

from __future__ import annotations

import psycopg

from wfm_connector.intervals import DayWindow
from wfm_connector.pipeline import RAW_TIME

PER_DAY = (
    "agent_state_timeline", "agent_interval_states", "agent_interval_activity",
    "agent_queue_interval", "queue_interval", "queue_interval_service_level",
    "adherence_interval", "adherence_day", "adherence_exception", "adherence_now",
    "queue_intraday",
)  # fmt: skip
KEYS = {"event_id", "event_key", "contact_id", "previous_contact_id", "next_contact_id",
        "initial_contact_id", "source_position"}  # fmt: skip


def _copy_sql(conn: psycopg.Connection, table: str, where: str) -> str:
    """INSERT ... SELECT copying ``table``'s rows ``where`` holds, shifted by %(days)s."""
    columns = conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'wfm' AND table_name = %s ORDER BY ordinal_position",
        (table,),
    ).fetchall()
    values = []
    for name, kind in columns:
        if kind == "timestamp with time zone":
            values.append(f"{name} - make_interval(days => %(days)s)")
        elif name == "day":
            values.append(f"{name} - %(days)s")
        elif name in KEYS:
            values.append(f"{name} || '~h' || %(days)s")
        else:
            values.append(name)
    names = ", ".join(n for n, _ in columns)
    return (f"INSERT INTO wfm.{table} ({names}) "
            f"SELECT {', '.join(values)} FROM wfm.{table} WHERE {where}")  # fmt: skip


def add_earlier_days(conn: psycopg.Connection, loaded: DayWindow, first: int, last: int) -> None:
    """Copies of the loaded day as the days ``first``..``last`` days before it."""
    statements = [
        (_copy_sql(conn, table, f"{ts} >= %(start)s AND {ts} < %(end)s"), table)
        for table, ts in RAW_TIME.items()  # the column that places a raw row in a day
    ] + [(_copy_sql(conn, table, "day = %(day)s"), table) for table in PER_DAY]
    for days in range(first, last + 1):
        with conn.transaction():
            for sql, _ in statements:
                conn.execute(sql, {"days": days, "start": loaded.start, "end": loaded.end,
                                   "day": loaded.day})  # fmt: skip
    conn.execute("ANALYZE")
