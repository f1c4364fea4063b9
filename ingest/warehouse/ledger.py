"""The object ledger: every landing object version a discovery has seen (migration 0008).

Discovery records what it listed in ``ops.object_listing`` (first sighting only: a version
seen again keeps its first row); the ``ops.object_ledger`` view adds each version's load
outcome from ``ops.load_audit``. Writes are set-based (one COPY, one insert), so a city-day
of ~20k objects costs one round trip.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import psycopg2.extensions

from ingest.warehouse.db import copy_rows

log = logging.getLogger(__name__)


class ListingStatus(StrEnum):
    """What discovery made of an object (its ledger outcome until a batch stages it)."""

    LISTED = "listed"  # in the run's window, handed to its feed
    UNRECOGNISED_KEY = "unrecognised_key"  # matches no key pattern, or an impossible date
    LATE_BEYOND_LOOKBACK = "late_beyond_lookback"  # new, partition before the window
    DEFERRED = "deferred"  # a payroll batch paid after the run's day


@dataclass(frozen=True, slots=True)
class SeenObject:
    """One object version a listing returned, classified."""

    key: str
    etag: str
    size: int
    status: ListingStatus
    feed: str | None = None
    partition_date: date | None = None
    partition_month: str | None = None
    reason: str | None = None


_COLUMNS = (
    "object_key",
    "object_etag",
    "object_size",
    "feed",
    "partition_date",
    "partition_month",
    "status",
    "reason",
)


def record(cur: psycopg2.extensions.cursor, day: date, seen: Sequence[SeenObject]) -> Counter[str]:
    """Record the versions seen by ``day``'s discovery that the ledger does not hold yet;
    return how many new ones per status. A version published before the ledger existed is
    not recorded as late (the ledger shows it with its load status anyway)."""
    if not seen:
        return Counter()
    cur.execute(
        "create temporary table if not exists _seen (object_key text, object_etag text, "
        "object_size bigint, feed text, partition_date date, partition_month text, "
        "status text, reason text) on commit drop"
    )
    cur.execute("truncate _seen")
    copy_rows(
        cur,
        "_seen",
        _COLUMNS,
        (
            (
                o.key,
                o.etag,
                o.size,
                o.feed,
                o.partition_date,
                o.partition_month,
                o.status.value,
                o.reason,
            )
            for o in seen
        ),
    )
    cols = ", ".join(_COLUMNS)
    cur.execute(
        f"""with new as (
                insert into ops.object_listing ({cols}, first_seen_day)
                select distinct on (object_key, object_etag) {cols}, %(day)s from _seen s
                where s.status <> %(late)s
                   or not exists (
                       select 1 from ops.load_audit a
                       where a.object_key = s.object_key and a.object_etag = s.object_etag
                   )
                order by object_key, object_etag
                on conflict (object_key, object_etag) do nothing
                returning status
            )
            select status, count(*) from new group by status""",
        {"day": day, "late": ListingStatus.LATE_BEYOND_LOOKBACK.value},
    )
    return Counter({status: int(n) for status, n in cur.fetchall()})


def mark_deferred(
    cur: psycopg2.extensions.cursor, day: date, deferred: Sequence[SeenObject]
) -> None:
    """Payroll batches ``day``'s run deferred: their ledger outcome until a later run
    loads them (then the load's status shows)."""
    if not deferred:
        return
    record(cur, day, deferred)
    cur.execute(
        """update ops.object_listing l set status = %s, reason = d.reason
             from unnest(%s::text[], %s::text[], %s::text[]) as d(object_key, object_etag, reason)
            where l.object_key = d.object_key and l.object_etag = d.object_etag""",
        (
            ListingStatus.DEFERRED.value,
            [d.key for d in deferred],
            [d.etag for d in deferred],
            [d.reason for d in deferred],
        ),
    )
