"""The warehouse's schemas, and the guard data steps may call.

- ``ops``: row accounting (``load_audit`` per object, ``load_audit_entity`` per object and
  entity), quarantine (redacted text; the exact text only encrypted), gate results and the
  migrations' version table ``ops.alembic_version``.
- ``staging``: batches being loaded, keyed by ``load_id``.
- ``raw``: published rows, the only input of dbt.
- ``restricted``: encrypted personal data (ID, name, phone, bank card) by ``worker_key``.

The DDL lives in versioned migrations (``ingest/warehouse/migrations``, run by
:func:`ingest.warehouse.migrate.migrate` at ``sitepass up`` / ``sitepass migrate`` /
deploy), never in a data step.
"""

from __future__ import annotations

import psycopg2.extensions

from ingest.warehouse.migrate import require_current


def ensure_schema(cur: psycopg2.extensions.cursor) -> None:
    """Transitional guard for callers of the old DDL function: no DDL and no lock any more,
    one query of the version table; raises
    :class:`ingest.warehouse.migrate.SchemaNotCurrent` (run ``sitepass migrate``) unless
    the warehouse is at head. New code assumes the schema and calls nothing."""
    require_current(cur)
