"""A city-day of gate punches in memory, and the published reference data they are checked
against (registry, roster periods) in the bench warehouse.

The punches are the seed generator's (``ingest.seed.city``, preset ``large`` by default:
3,000 sites × 150 workers, both vendors, planted bad records, resends, door events,
overlapping Hikvision pages); only the punch objects are kept. The registry is staged and
published through the real loader; the roster periods are seeded in SQL from the workers
the punches name (all but every 50th worker of each site, so ``unknown_employee`` fires),
which is what the punch checks read (``ops.roster_periods``) at a fraction of the cost of
loading 450k roster lines (that load is its own measurement).
"""

from __future__ import annotations

import dataclasses
import io
import logging
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl
import psycopg2.extensions

from ingest import feeds
from ingest.landing.keys import try_parse_key
from ingest.pipeline import landing_object, stage_objects
from ingest.seed.city import CitySpec, generate
from ingest.warehouse import loader
from ingest.warehouse.db import connect
from ingest.warehouse.loader import LandingObject
from ingest.warehouse.pii import PiiKeys

log = logging.getLogger(__name__)

DAY = date(2026, 11, 2)
PUNCH_FEEDS = ("zkteco", "hikvision")


@dataclass(frozen=True)
class CityDay:
    day: date
    objects: dict[str, list[LandingObject]]  # punch objects per feed
    registry: list[LandingObject]
    spec: CitySpec

    @property
    def files(self) -> int:
        return sum(len(v) for v in self.objects.values())

    def subset(self, every: int) -> CityDay:
        """Every ``every``-th project's objects (a smaller city, same shape)."""
        projects = sorted(
            {str(o.context["project_code"]) for objs in self.objects.values() for o in objs}
        )
        keep = set(projects[::every])
        return dataclasses.replace(
            self,
            objects={
                f: [o for o in objs if o.context["project_code"] in keep]
                for f, objs in self.objects.items()
            },
        )


def make(size: str = "large", seed: int = 1) -> CityDay:
    spec = dataclasses.replace(
        CitySpec.preset(size, start=DAY, days=1, seed=seed), photos=False, plant_cases=False
    )
    objects: dict[str, list[LandingObject]] = {f: [] for f in PUNCH_FEEDS}
    registry: list[LandingObject] = []

    def put(key: str, data: bytes) -> None:
        k = try_parse_key(key)
        if k is None:
            return
        if k.kind in objects:
            objects[k.kind].append(landing_object(k.kind, key, data, "bench"))
        elif k.kind == "registry":
            registry.append(landing_object("registry", key, data, "bench"))

    generate(put, spec)
    log.info(
        "city-day %s: %s",
        size,
        {f: len(v) for f, v in objects.items()},
    )
    return CityDay(DAY, objects, registry, spec)


def publish_reference(cur: psycopg2.extensions.cursor, keys: PiiKeys, city: CityDay) -> None:
    """Registry through the real loader; roster periods seeded from the punches."""
    load_id = loader.make_load_id("registry", city.day, [o.key for o in city.registry])
    stage_objects(cur, keys, "registry", city.day, load_id, city.registry)
    loader.publish(cur, "registry", load_id)
    # Workers the punches name: parse once without a roster (not timed).
    names = []
    for feed in PUNCH_FEEDS:
        stage_objects(cur, keys, feed, city.day, f"bench:names:{feed}", city.objects[feed])
        cur.execute(
            f"select distinct project_code, employee_no from staging.{feeds_table(feed)} "
            "where load_id = %s",
            (f"bench:names:{feed}",),
        )
        names.extend(cur.fetchall())
        cur.execute(
            f"delete from staging.{feeds_table(feed)} where load_id = %s",
            (f"bench:names:{feed}",),
        )
    cur.execute("delete from ops.quarantine where load_id like 'bench:names:%%'")
    cur.execute("delete from ops.load_audit where load_id like 'bench:names:%%'")
    cur.execute("delete from ops.load_audit_entity where load_id like 'bench:names:%%'")
    workers = pl.DataFrame(names, schema=["project_code", "employee_no"], orient="row").unique()
    workers = workers.filter(pl.int_range(pl.len()).over("project_code") % 50 != 7)
    snapshot = city.day - timedelta(days=30)
    buf = io.BytesIO()
    workers.with_columns(
        load_id=pl.lit("roster:bench"),
        object_key=pl.lit("roster/") + pl.col("project_code") + pl.lit(f"/dt={snapshot}/w.jsonl"),
        object_sha256=pl.lit("bench"),
        record_no=pl.int_range(1, pl.len() + 1).over("project_code"),
        partition_date=pl.lit(snapshot),
        entry_date=pl.lit(snapshot - timedelta(days=60)),
        worker_key=pl.col("project_code") + pl.lit(":") + pl.col("employee_no"),
        id_card_type=pl.lit("01"),
        work_type=pl.lit("010"),
        work_role=pl.lit("20"),
    ).select(
        "load_id",
        "object_key",
        "object_sha256",
        "record_no",
        "project_code",
        "partition_date",
        "employee_no",
        "entry_date",
        "worker_key",
        "id_card_type",
        "work_type",
        "work_role",
        # one version per worker: the hash names the version (migration 0005)
        member_hash=pl.lit("bench:") + pl.col("project_code") + "/" + pl.col("employee_no"),
    ).write_csv(buf, include_header=False)
    buf.seek(0)
    cur.copy_expert(
        "copy raw.roster_worker_versions (load_id, object_key, object_sha256, record_no, "
        "project_code, partition_date, employee_no, entry_date, worker_key, id_card_type, "
        "work_type, work_role, member_hash) from stdin (format csv)",
        buf,
    )
    cur.execute(MEMBERS_OF_VERSIONS)
    cur.execute("insert into ops.roster_periods select * from ops.roster_periods_live")
    cur.execute("analyze")
    log.info("reference data: %d roster workers", workers.height)


#: The reference roster is written as versions (one per worker); its members follow.
MEMBERS_OF_VERSIONS = """
    insert into raw.roster_members (load_id, object_key, object_sha256, record_no,
        project_code, partition_date, employee_no, member_hash)
    select load_id, object_key, object_sha256, record_no, project_code, partition_date,
           employee_no, member_hash
      from raw.roster_worker_versions where member_hash like 'bench:%'"""


def feeds_table(feed: str) -> str:
    return feeds.feed(feed).main.name


#: Tables a punch batch writes while staged or published (rows removed or rolled back
#: between repetitions leave dead tuples there).
STAGED_TABLES = (
    *(f"staging.{feeds_table(f)}" for f in PUNCH_FEEDS),
    *(f"raw.{feeds_table(f)}" for f in PUNCH_FEEDS),  # P3's rolled-back publish
    "staging.worker_identity",
    "staging.bank_cards",
    "ops.quarantine",
    "ops.load_audit",
    "ops.load_audit_entity",
)


def settle(dsn: str) -> None:
    """Vacuum what a repetition left behind (not timed). A daily run finds these tables as
    autovacuum left them after the previous day; repetitions seconds apart would otherwise
    scan every earlier repetition's dead rows (measured: each repetition ~1 s slower than
    the one before, on both the load and the gate)."""
    with connect(dsn) as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            for table in STAGED_TABLES:
                cur.execute(f"vacuum {table}")
    checkpoint(dsn)


def checkpoint(dsn: str) -> None:
    """Write out the dirty buffers now (not timed), so the next measured step does not
    pay for what the previous one (or its rollback) left in shared buffers: ours and the
    reference each start from clean buffers."""
    with connect(dsn) as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("checkpoint")


def quiesce(dsn: str) -> None:
    """After the reference data is loaded (not timed): vacuum and analyse the whole
    warehouse and checkpoint, so the first measurements do not share the machine with
    autovacuum of the 418k roster rows just written (measured: ours 8.1-8.6 s in P1
    right after the load, the same staging 5.6-6.4 s in P3 minutes later)."""
    with connect(dsn) as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("vacuum (analyze)")
    checkpoint(dsn)
