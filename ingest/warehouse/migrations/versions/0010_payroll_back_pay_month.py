"""Payroll lines keep ``backPayMonth`` (landing contract v1.1).

``staging.payroll_lines`` and ``raw.payroll_lines`` gain ``back_pay_month`` (text,
``YYYY-MM``): a back-pay line may carry the month it tops up, which must equal its
``payMonth`` (the parser rejects it otherwise, ``back_pay_month_mismatch``). Lines loaded
before keep null; the national export fills ``backPayMonth`` of every back-pay line from
the line's pay month.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    for schema in ("staging", "raw"):
        op.execute(f"alter table {schema}.payroll_lines add column back_pay_month text")
    op.execute(
        "comment on column raw.payroll_lines.back_pay_month is 'backPayMonth of a back-pay "
        "line (YYYY-MM, equal to pay_month; null when the line does not carry it).'"
    )


def downgrade() -> None:
    raise NotImplementedError("forward only: restore a backup instead")
