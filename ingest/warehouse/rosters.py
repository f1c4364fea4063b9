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
    """Bring the roster periods of the projects a roster batch touched up to date, in the
    batch's publish transaction; return the number of periods written.

    A project whose batch is one snapshot newer than every snapshot it had, none of them
    replaced, is advanced by that snapshot alone (:func:`_advance`: work proportional to
    the day). Any other (a late or replaced snapshot, several days at once) is recomputed
    from its whole history (``ops.roster_periods_live``, the definition both agree with).
    """
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
    advancing = _advancing(cur, load_id, projects)
    n = _advance(cur, load_id, advancing) if advancing else 0
    rest = sorted(set(projects) - set(advancing))
    if rest:
        cur.execute("delete from ops.roster_periods where project_code = any(%s)", (rest,))
        cur.execute(
            "insert into ops.roster_periods select * from ops.roster_periods_live "
            "where project_code = any(%s)",
            (rest,),
        )
        n += int(cur.rowcount)
    log.info(
        "roster periods: %d projects advanced by a day, %d recomputed; %d workers written",
        len(advancing),
        len(rest),
        n,
    )
    return n


def _advancing(cur: psycopg2.extensions.cursor, load_id: str, projects: list[str]) -> list[str]:
    """The projects whose members this batch published form one snapshot dated after all
    of the project's other snapshots, with no earlier version of a batch object."""
    cur.execute(
        """with batch as (
               select project_code, min(partition_date) as day,
                      count(distinct object_key) as snapshots
                 from raw.roster_members
                where load_id = %(load)s and project_code = any(%(projects)s)
                group by 1
           ),
           batch_objects as (
               select object_key, object_sha256 from ops.load_audit where load_id = %(load)s
           ),
           before as (
               select project_code, max(partition_date) as day
                 from raw.roster_members
                where object_key not in (select object_key from batch_objects)
                  and project_code = any(%(projects)s)
                group by 1
           ),
           replaced as (  -- roster/{projectCode}/dt=…/workers.jsonl
               -- another version of a batch object (a replaced file keeps its key, and a
               -- load id is made of the day and keys: the versions differ by content)
               select distinct split_part(a.object_key, '/', 2) as project_code
                 from batch_objects a
                where exists (select 1 from ops.load_audit o
                               where o.object_key = a.object_key
                                 and o.object_sha256 <> a.object_sha256)
           )
           select b.project_code
             from batch b left join before p using (project_code)
            where b.snapshots = 1 and (p.day is null or b.day > p.day)
              and b.project_code not in (select project_code from replaced)""",
        {"load": load_id, "projects": projects},
    )
    return sorted(p for (p,) in cur.fetchall())


def _advance(cur: psycopg2.extensions.cursor, load_id: str, projects: list[str]) -> int:
    """Advance the periods of ``projects`` by the one new snapshot this batch published
    for each: its members are on the roster up to that day (entry the earliest seen, exit
    as the snapshot says); an open period of a worker it does not list ends that day,
    unless the snapshot quarantined their line (``ops.roster_periods_live``'s rules)."""
    cur.execute(
        """insert into ops.roster_periods as p (project_code, employee_no, worker_key,
               entry_date, exit_date, last_snapshot)
           select project_code, employee_no, worker_key,
                  coalesce(entry_date, partition_date), exit_date, partition_date
             from raw.roster_workers
            where load_id = %(load)s and project_code = any(%(projects)s)
           on conflict (project_code, employee_no) do update set
               worker_key = excluded.worker_key,
               entry_date = least(p.entry_date, excluded.entry_date),
               exit_date = excluded.exit_date,
               last_snapshot = excluded.last_snapshot""",
        {"load": load_id, "projects": projects},
    )
    n = int(cur.rowcount)
    cur.execute(
        """with snap as (
               select distinct project_code, object_key, partition_date
                 from raw.roster_members
                where load_id = %(load)s and project_code = any(%(projects)s)
           )
           update ops.roster_periods p set exit_date = s.partition_date
             from snap s
            where p.project_code = s.project_code and p.exit_date is null
              and p.last_snapshot < s.partition_date
              and not exists (
                  select 1 from ops.quarantine q
                   where q.object_key = s.object_key and q.entity = 'roster'
                     and q.record_key = p.employee_no
              )""",
        {"load": load_id, "projects": projects},
    )
    return n + int(cur.rowcount)


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
        f""" left join (select member_hash, count(*) as n
                          from {table} where project_code = any(%(projects)s)
                         group by 1) c{i} using (member_hash)"""
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
