"""Drop ``ops.schema_version``, the hand-rolled version marker ``ops.alembic_version`` replaces.

Only databases adopted from the old ``ensure_schema`` have it.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.execute("drop table if exists ops.schema_version")


def downgrade() -> None:
    raise NotImplementedError("forward only: restore a backup instead")
