"""The numeric queue and agent ids exports write must name one queue (agent) each.

In: the ``wfm.queue`` / ``wfm.agent`` dimensions (stable ids derived from the ARNs) and the
configured overrides (``queue_ids`` / ``agent_ids``, a profile's over the global ones). Out:
nothing, or ValueError naming the id and the ARNs that would share it: a configured id equal to
another queue's derived id would merge two queues' rows in a WFM system, and make the file's
row order depend on the query plan.
"""

from __future__ import annotations

import json

import psycopg

SHARED = {
    "queue": """
SELECT id, string_agg(queue_arn, ', ' ORDER BY queue_arn)
FROM (SELECT queue_arn, coalesce((%(ids)s::jsonb ->> queue_arn)::bigint, queue_id) AS id
      FROM wfm.queue) q
GROUP BY id HAVING count(*) > 1 ORDER BY id
""",
    "agent": """
SELECT id, string_agg(agent_arn, ', ' ORDER BY agent_arn)
FROM (SELECT agent_arn, coalesce((%(ids)s::jsonb ->> agent_arn)::bigint, agent_id) AS id
      FROM wfm.agent) a
GROUP BY id HAVING count(*) > 1 ORDER BY id
""",
}


def check_distinct(conn: psycopg.Connection, kind: str, overrides: dict[str, int]) -> None:
    """Raise ValueError when two queues (or agents) would be written with the same id."""
    ids = json.dumps(overrides, sort_keys=True)
    clashes = conn.execute(SHARED[kind], {"ids": ids}).fetchall()
    if clashes:
        shared = "; ".join(f"{number}: {arns}" for number, arns in clashes)
        raise ValueError(f"{kind}_ids: two {kind}s would share an id in the export ({shared})")


def check_not_reserved(
    conn: psycopg.Connection, overrides: dict[str, int], reserved: int, what: str
) -> None:
    """Raise ValueError when a queue's id is ``reserved`` (e.g. the agent log's default queue)."""
    row = conn.execute(
        "SELECT queue_arn FROM wfm.queue "
        "WHERE coalesce((%s::jsonb ->> queue_arn)::bigint, queue_id) = %s ORDER BY 1 LIMIT 1",
        (json.dumps(overrides, sort_keys=True), reserved),
    ).fetchone()
    if row is not None:
        raise ValueError(f"{what} {reserved} is also the id of queue {row[0]}; choose another")
