{{ config(materialized='table') }}
-- Per project and pay month: the paid lines (paid before as_of) that could be looked up
-- in the wage account's statement of the month of their balanceDate, and those the
-- statement does not show as an `out` `wage` transaction with the same thirdPayRollCode
-- and the line's actualAmount to the cent (paid from another account, or never paid). A
-- line whose statement is missing, or paid after the last transaction of a month-to-date
-- statement of a month not yet over, is not judged.
with

lines as (

    select * from {{ ref('stg_payroll__lines') }}

),

statements as (

    select * from {{ ref('int_wages__statement_months') }}

),

transactions as (

    select * from {{ ref('stg_wage_account__transactions') }}

),

wage_outflows as (

    select distinct
        project_code,
        statement_month,
        third_pay_roll_code,
        amount

    from transactions
    where direction = 'out' and purpose = 'wage' and third_pay_roll_code is not null

),

judged as (

    select
        lines.project_code,
        lines.pay_month,
        lines.third_pay_roll_code,
        wage_outflows.third_pay_roll_code is not null as is_in_statement

    from lines
    inner join statements
        on
            lines.project_code = statements.project_code
            and to_char(lines.paid_date, 'YYYY-MM') = statements.statement_month
    left join wage_outflows
        on
            lines.project_code = wage_outflows.project_code
            and statements.statement_month = wage_outflows.statement_month
            and lines.third_pay_roll_code = wage_outflows.third_pay_roll_code
            and lines.actual_amount = wage_outflows.amount
    where
        lines.paid_date < {{ as_of() }}
        and (
            (statements.statement_month_start + interval '1 month')::date <= {{ as_of() }}
            or lines.paid_date <= statements.last_tx_date
        )

),

final as (

    select
        project_code,
        pay_month,
        count(*)::integer as lines_judged,
        count(*) filter (where not is_in_statement)::integer as lines_not_in_statement

    from judged
    group by project_code, pay_month

)

select * from final
