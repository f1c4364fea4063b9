"""The listing layout derived from the feeds' key patterns (``ingest.landing.layout``)."""

from __future__ import annotations

from datetime import date

import pytest

from ingest.feeds import LOAD_ORDER
from ingest.landing.keys import parse_key
from ingest.landing.layout import ListingRoot, listing_roots, root_of, start_after


def test_every_landing_feed_has_a_root_to_walk() -> None:
    # WHEN the roots of every landing feed are derived from their key patterns
    roots = listing_roots(LOAD_ORDER)
    # THEN each feed is under exactly one root, the punch vendors share theirs
    assert sorted(k for kinds in roots.values() for k in kinds) == sorted(LOAD_ORDER)
    assert roots[ListingRoot("punches/", 2, "dt=")] == ("zkteco", "hikvision")
    assert roots[ListingRoot("payroll/", 1, "month=")] == ("payroll",)
    assert roots[ListingRoot("registry/", 0, "dt=")] == ("registry",)


@pytest.mark.parametrize(
    ("pattern", "root"),
    [
        (r"a/(?P<p>[^/]+)/dt=(?P<dt>\d{4})/(?P<file>x\.json)", ListingRoot("a/", 1, "dt=")),
        (r"a/b/dt=(?P<dt>\d+)/f", ListingRoot("a/b/", 0, "dt=")),
        (r"a/(?P<p>[^/]+)/(?P<file>[^/]+\.jpg)", None),  # no partition: nothing to start after
        (r"a/(?P<p>[^/]+)/fixed/dt=(?P<dt>\d+)/f", None),  # a literal below a level
    ],
)
def test_a_root_is_the_literal_prefix_the_levels_and_the_partition(
    pattern: str, root: ListingRoot | None
) -> None:
    assert root_of(pattern) == root


def test_start_after_keeps_the_first_partition_and_drops_the_one_before() -> None:
    # GIVEN a device folder and the first day of a window
    punches = ListingRoot("punches/", 2, "dt=")
    leaf = "punches/440305202403150001/ZK-1/"
    after = start_after(leaf, punches, date(2026, 10, 26))
    # THEN the window's first partition sorts after it and the day before does not
    assert leaf + "dt=2026-10-26/attlog.dat" > after > leaf + "dt=2026-10-25/attlog.dat"
    # AND a key of that partition is a real landing key
    assert parse_key(leaf + "dt=2026-10-26/attlog.dat").partition_date == date(2026, 10, 26)
    months = ListingRoot("payroll/", 1, "month=")
    after = start_after("payroll/P/", months, date(2026, 7, 25))
    assert "payroll/P/month=2026-07/b.json" > after > "payroll/P/month=2026-06/b.json"
