{{ config(materialized='table') }}
-- Per project and month whose wage-account statement the warehouse holds (published, the
-- latest version; one whose every transaction was quarantined, e.g. statement_unbalanced,
-- counts as missing): its last transaction day (a month-to-date statement covers up to
-- it), the labour-cost money paid in (人工费用拨付) and the outflows a wage account is not for.
with

audit as (

    select * from {{ ref('stg_ops__load_audit') }}

),

transactions as (

    select * from {{ ref('stg_wage_account__transactions') }}

),

purposes as (

    select * from {{ ref('code_statement_purpose') }}

),

statements as (

    select distinct on (split_part(object_key, '/', 2), partition_month)
        split_part(object_key, '/', 2) as project_code,
        partition_month as statement_month,
        object_key,
        published_at

    from audit
    where
        feed = 'wage_account'
        and load_status = 'published'
        and not (rows_loaded = 0 and rows_quarantined > 0)
    order by split_part(object_key, '/', 2) asc, partition_month asc, published_at desc

),

summed as (

    select
        transactions.project_code,
        transactions.statement_month,
        max(transactions.tx_date) as last_tx_date,
        count(*) filter (
            where transactions.direction = 'in' and transactions.purpose = 'labour_cost'
        )::integer as labour_cost_inflows,
        coalesce(
            sum(transactions.amount) filter (
                where transactions.direction = 'in' and transactions.purpose = 'labour_cost'
            ),
            0
        ) as labour_cost_amount,
        count(*) filter (
            where
            transactions.direction = 'out'
            and not coalesce(purposes.is_wage_account_outflow, false)
        )::integer as non_wage_outflows,
        count(*) filter (
            where transactions.direction = 'out' and transactions.purpose = 'wage'
        )::integer as wage_outflows

    from transactions
    left join purposes
        on transactions.purpose = purposes.code
    group by transactions.project_code, transactions.statement_month

),

final as (

    select
        statements.project_code,
        statements.statement_month,
        to_date(statements.statement_month || '-01', 'YYYY-MM-DD') as statement_month_start,
        summed.last_tx_date,
        coalesce(summed.labour_cost_inflows, 0) as labour_cost_inflows,
        coalesce(summed.labour_cost_amount, 0) as labour_cost_amount,
        coalesce(summed.non_wage_outflows, 0) as non_wage_outflows,
        coalesce(summed.wage_outflows, 0) as wage_outflows,
        statements.object_key

    from statements
    left join summed
        on
            statements.project_code = summed.project_code
            and statements.statement_month = summed.statement_month

)

select * from final
