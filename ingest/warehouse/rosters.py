"""Rosters in the warehouse: ``ops.roster_periods`` refreshed from
``ops.roster_periods_live`` when rosters publish, and the members a new snapshot may
reuse unparsed (:func:`known_members`)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date

import psycopg2.extensions

from ingest import feeds
from ingest.landing.context import KnownMember, KnownMembers
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


def known_members(
    cur: psycopg2.extensions.cursor, projects: Sequence[str], day: date, salt: bytes
) -> dict[str, KnownMembers]:
    """Per project, the clean lines (``line_hash`` set) of its latest published snapshot
    dated ``day`` or earlier, with each member's loaded children per child entity; every
    project of ``projects`` gets an entry (empty when it has no snapshot yet) so all its
    hashes are salted alike."""
    children = [
        (ds.entity, ds.raw_table)
        for ds in feeds.feed_datasets("roster")
        if ds.versions is not None and ds.entity != "roster"
    ]
    counts = "".join(
        f""" left join (select project_code, employee_no, member_hash, count(*) as n
                          from {table} where project_code = any(%(projects)s)
                         group by 1, 2, 3) c{i} using (project_code, employee_no, member_hash)"""
        for i, (_, table) in enumerate(children)
    )
    ns = "".join(f", coalesce(c{i}.n, 0)" for i in range(len(children)))
    cur.execute(
        f"""with last as (
                select project_code, max(partition_date) as partition_date
                  from raw.roster_members
                 where project_code = any(%(projects)s) and partition_date <= %(day)s
                 group by 1
            )
            select m.project_code, m.line_hash, m.employee_no, m.member_hash{ns}
              from raw.roster_members m join last using (project_code, partition_date)
              {counts}
             where m.line_hash is not null""",
        {"projects": list(projects), "day": day},
    )
    by_project: dict[str, dict[str, KnownMember]] = {p: {} for p in projects}
    shapes: dict[tuple[int, ...], dict[str, int]] = {}  # a few shapes shared by all
    names = [entity for entity, _ in children]
    for project, line_hash, employee_no, member_hash, *ns_ in cur.fetchall():
        shape = shapes.setdefault(tuple(ns_), dict(zip(names, ns_, strict=True)))
        by_project[project][line_hash] = KnownMember(employee_no, member_hash, shape)
    n = sum(len(v) for v in by_project.values())
    log.info("roster lines that may be reused: %d of %d projects", n, len(projects))
    return {p: KnownMembers(salt, lines) for p, lines in by_project.items()}
