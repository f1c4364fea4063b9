"""The object ledger (``ops.object_ledger``): every landing object a discovery saw, with its
outcome, against the real S3 server and Postgres of the session."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.conftest import FIXTURES, query

LANDING = FIXTURES / "landing"
DAY = date(2026, 11, 2)
REGISTRY = "registry/dt=2026-11-01/projects.json"
ATTLOG = "punches/440305202403150001/ZK-CKUN2031/dt=2026-11-02/attlog.dat"
PAYROLL = "payroll/440305202403150001/month=2026-10/batch-2026-10.json"
#: Keys of the layout's roots that match no pattern (a misspelt name, an impossible date).
UNRECOGNISED = (
    "punches/440305202403150001/ZK-CKUN2031/dt=2026-11-02/attlog.DAT",
    "punches/440305202403150001/ZK-CKUN2031/dt=2026-02-30/attlog.dat",
)
#: A device that was offline for three weeks uploads into its old partition.
LATE = "punches/440305202403150001/ZK-CKUN2031/dt=2026-10-12/attlog.dat"


def _put(settings: Any, key: str, data: bytes | None = None) -> None:
    from ingest.storage import put_bytes

    put_bytes(settings.s3, key, (LANDING / key).read_bytes() if data is None else data)


def _ledger(settings: Any) -> dict[str, tuple[Any, ...]]:
    rows = query(
        settings,
        "select object_key, object_etag, outcome, reason, rows_read from ops.object_ledger",
    )
    return {f"{r[0]}@{r[1]}": r[2:] for r in rows}


def _outcomes(settings: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, outcome in query(
        settings, "select object_key, outcome from ops.object_ledger order by first_seen_at"
    ):
        out.setdefault(key, []).append(outcome)
    return out


def test_every_object_a_run_lists_is_in_the_ledger_with_its_outcome(clean: Any) -> None:
    import dataclasses

    from ingest.pipeline import discover, ingest_day
    from ingest.storage import list_objects

    # GIVEN discovery listing the whole bucket (it sees keys outside the day's folders too)
    settings = dataclasses.replace(clean, s3=dataclasses.replace(clean.s3, listing="bucket"))
    # GIVEN a registry, an attlog of the day, two keys matching no pattern, a late file
    for key in (REGISTRY, ATTLOG):
        _put(settings, key)
    for key in UNRECOGNISED:
        _put(settings, key, b"000123\t2026-11-02 07:31:05\t1\t0\t15\t0\n")
    _put(settings, LATE, b"000123\t2026-10-12 07:31:05\t1\t0\t15\t0\n")
    # WHEN the day runs
    result = ingest_day(settings, DAY, feeds=("registry", "zkteco"), faces=False)
    # THEN each object has one ledger row: loaded ones with the batch's accounting,
    # the others with the reason they were not loaded
    assert result.feeds["zkteco"].rows_read > 0
    outcomes = _outcomes(settings)
    assert outcomes == {
        REGISTRY: ["published"],
        ATTLOG: ["published"],
        UNRECOGNISED[0]: ["unrecognised_key"],
        UNRECOGNISED[1]: ["unrecognised_key"],
        LATE: ["late_beyond_lookback"],
    }
    reasons = {k: r for k, r in query(settings, "select object_key, reason from ops.object_ledger")}
    assert "matches no landing key pattern" in reasons[UNRECOGNISED[0]]
    assert "dt=2026-02-30 is not a calendar date" in reasons[UNRECOGNISED[1]]
    assert reasons[LATE] == "partition 2026-10-12 before the window of 2026-11-02 (from 2026-10-26)"
    assert reasons[ATTLOG] is None
    (read,) = query(
        settings, "select rows_read from ops.object_ledger where object_key = %s", (ATTLOG,)
    )[0]
    assert read == result.feeds["zkteco"].rows_read
    # AND the ledger holds every object of the bucket (etag and size as listed)
    listed = {(o.key, o.etag, o.size) for o in list_objects(settings.s3, "")}
    assert (
        set(query(settings, "select object_key, object_etag, object_size from ops.object_ledger"))
        == listed
    )

    # WHEN the day runs again with nothing changed
    before = _ledger(settings)
    again = discover(settings, DAY, feeds=("registry", "zkteco"))
    # THEN nothing is handed to a feed, and the ledger is unchanged
    assert again.for_feed("registry") == () and again.for_feed("zkteco") == ()
    assert again.unknown_keys == 2 and again.late_keys == 1
    assert _ledger(settings) == before

    # WHEN the attlog is replaced by a corrected file and the day runs again
    _put(settings, ATTLOG, b"000123\t2026-11-02 07:31:05\t1\t0\t15\t0\n")
    ingest_day(settings, DAY, feeds=("registry", "zkteco"), faces=False)
    # THEN the new version is published and the one it replaced is recorded as superseded
    assert _outcomes(settings)[ATTLOG] == ["superseded", "published"]


def test_a_deferred_payroll_batch_is_in_the_ledger_until_its_run_loads_it(clean: Any) -> None:
    from ingest.pipeline import ingest_day

    settings = clean
    # GIVEN a registry and an October payroll batch whose last payment is on 2026-11-20
    _put(settings, REGISTRY)
    _put(settings, PAYROLL)
    # WHEN 2026-11-02 runs (before the payments)
    early = ingest_day(settings, DAY, feeds=("registry", "payroll"), faces=False)
    # THEN the batch is deferred, and the ledger says so and why
    assert early.feeds["payroll"].deferred == 1
    assert query(
        settings, "select outcome, reason from ops.object_ledger where object_key = %s", (PAYROLL,)
    ) == [("deferred", "paid after 2026-11-02: loaded by the run of its last payment")]
    # WHEN the run of its last payment day comes
    ingest_day(settings, date(2026, 11, 20), feeds=("registry", "payroll"), faces=False)
    # THEN the ledger shows it published, with no reason left
    assert query(
        settings, "select outcome, reason from ops.object_ledger where object_key = %s", (PAYROLL,)
    ) == [("published", None)]


def test_prefix_listing_hands_the_feeds_what_the_bucket_listing_does(clean: Any) -> None:
    import dataclasses

    from ingest.pipeline import discover

    prefix = dataclasses.replace(clean, s3=dataclasses.replace(clean.s3, listing="prefix"))
    settings = dataclasses.replace(clean, s3=dataclasses.replace(clean.s3, listing="bucket"))
    # GIVEN the day's files (one from a device folder no registry lists), a payroll month,
    # history before the window and a partition after the day
    for key in (REGISTRY, ATTLOG, PAYROLL):
        _put(settings, key)
    line = b"000123\t2026-11-02 07:31:05\t1\t0\t15\t0\n"
    _put(settings, "punches/440305202403150001/ZK-UNLISTED/dt=2026-10-27/attlog.dat", line)
    _put(settings, LATE, line)
    _put(settings, "punches/440305202403150001/ZK-CKUN2031/dt=2026-11-03/attlog.dat", line)
    _put(settings, UNRECOGNISED[0], line)
    # WHEN both ways of listing discover the day
    by_folder = discover(prefix, DAY)
    by_bucket = discover(settings, DAY)
    # THEN every feed gets the same objects, and the per-folder walk saw no history
    assert by_folder.objects == by_bucket.objects
    assert by_folder.for_feed("zkteco") == by_bucket.for_feed("zkteco")
    assert len(by_folder.for_feed("zkteco")) == 2
    assert by_folder.unknown_keys == 1  # inside a day's folder: still seen
    assert (by_folder.late_keys, by_bucket.late_keys) == (0, 1)
