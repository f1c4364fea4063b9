"""The wage account's bank statement: ``staging`` / ``raw.wage_account_transactions``.

Landing contract v1.1 adds ``wage_account/{projectCode}/month=YYYY-MM/statement.json``,
the monthly statement of a project's wage account (农民工工资专用账户流水). One row per
transaction, the statement's header (account, opening and closing balance) on each row,
unique per project, statement month and ``tx_id``. The counterparty's account (a worker's
own card on wage transactions) is kept only as a keyed hash and a mask, like payroll's
cards; the counterparty's name is not kept. Staging is unlogged and without a load-id
index, like every staging table since 0003.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None

COLUMNS = """
    load_id text not null,
    object_key text not null,
    object_sha256 text not null,
    record_no integer not null,
    partition_month text,
    project_code text not null,
    statement_month text not null,
    wage_account text,
    bank_code text,
    opening_balance numeric,
    closing_balance numeric,
    tx_id text not null,
    tx_date date,
    direction text not null,
    amount numeric,
    purpose text not null,
    third_pay_roll_code text,
    flags text[],
    counterparty_account_key text,
    counterparty_account_masked text"""


def upgrade() -> None:
    op.execute(f"create unlogged table staging.wage_account_transactions ({COLUMNS}\n)")
    op.execute(
        f"""create table raw.wage_account_transactions ({COLUMNS},
               published_at timestamptz not null default clock_timestamp(),
               unique (project_code, statement_month, tx_id)
           )"""
    )
    op.execute(
        "create index wage_account_transactions_object "
        "on raw.wage_account_transactions (object_key)"
    )
    op.execute(
        "create index wage_account_transactions_payroll "
        "on raw.wage_account_transactions (project_code, third_pay_roll_code)"
    )
    op.execute(
        "comment on table raw.wage_account_transactions is 'Wage-account statement "
        "transactions (农民工工资专用账户流水), one per txId of a project and month, with the "
        "statement header on each row; a corrected statement replaces the earlier one.'"
    )


def downgrade() -> None:
    raise NotImplementedError("forward only: restore a backup instead")
