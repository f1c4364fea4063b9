"""``ops.roster_periods``: refreshed from ``ops.roster_periods_live`` when rosters publish."""

from __future__ import annotations

import logging

import psycopg2.extensions

from ingest.landing.keys import try_parse_key

log = logging.getLogger(__name__)


def refresh_periods(cur: psycopg2.extensions.cursor, load_id: str) -> int:
    """Recompute the roster periods of the projects a roster batch touched, in the
    batch's publish transaction; return the number of periods written."""
    cur.execute("select object_key from ops.load_audit where load_id = %s", (load_id,))
    projects = sorted(
        {
            k.project_code
            for (key,) in cur.fetchall()
            if (k := try_parse_key(key)) and k.project_code
        }
    )
    if not projects:
        return 0
    cur.execute("set local jit = off")  # a short query: compiling costs more than it saves
    cur.execute("delete from ops.roster_periods where project_code = any(%s)", (projects,))
    cur.execute(
        "insert into ops.roster_periods select * from ops.roster_periods_live "
        "where project_code = any(%s)",
        (projects,),
    )
    n = int(cur.rowcount)
    log.info("roster periods of %d projects refreshed: %d workers", len(projects), n)
    return n
