"""${message}

Frozen, literal SQL: never edit a revision once merged, add another one.

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
"""

from __future__ import annotations

from alembic import op

revision = ${repr(up_revision)}
down_revision: str | None = ${repr(down_revision)}
branch_labels: str | None = ${repr(branch_labels)}
depends_on: str | None = ${repr(depends_on)}


def upgrade() -> None:
    op.execute(
        """
        -- literal DDL here (see docs/migrations.md)
        """
    )


def downgrade() -> None:
    raise NotImplementedError("forward only: restore a backup instead")
