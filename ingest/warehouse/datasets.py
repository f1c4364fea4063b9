"""The raw datasets, as declared in the feed registry (:mod:`ingest.feeds`).

Every dataset has a staging table (``staging.<name>``: rows of batches being loaded, keyed
by ``load_id``) and a published table (``raw.<name>``) with the same columns plus
``published_at``. ``natural_key`` is unique in ``raw``: for device punches and payment
lines it spans files, so resends across files are counted as duplicates, not loaded
twice; for snapshots (registry, roster, inspections) every object keeps its own rows (the
key includes ``object_key``) and dbt picks the latest snapshot.

Personal data never reaches these tables: see :mod:`ingest.warehouse.pii`. This module only
re-exports the registry's names for the warehouse code.
"""

from __future__ import annotations

from ingest.feeds import BOOKKEEPING, DATASETS, DERIVED_FEEDS, Column, Dataset, feed_datasets

__all__ = ["BOOKKEEPING", "DATASETS", "DERIVED_FEEDS", "Column", "Dataset", "feed_datasets"]
