"""The object ledger's statuses: the code's enum and the table's check constraint agree."""

from __future__ import annotations

import importlib

from ingest.warehouse.ledger import ListingStatus


def test_every_listing_status_is_one_the_table_accepts() -> None:
    # GIVEN the frozen migration that created ops.object_listing
    migration = importlib.import_module("ingest.warehouse.migrations.versions.0008_object_ledger")
    # THEN the statuses discovery writes are exactly those its check constraint allows
    assert {s.value for s in ListingStatus} == set(migration.LISTING_STATUSES)
