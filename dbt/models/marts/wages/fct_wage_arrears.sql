-- Wage arrears (欠薪) per project, worker and pay month as of as_of.
-- Owed = present days x contract daily wage (no contract: owed null, status no_contract).
-- Status: not_due, paid, paid_late, partial, unpaid, no_contract (docs/rules.md).
with

worker_months as (

    select * from {{ ref('int_wages__worker_months') }}

),

owed as (

    select
        *,
        case when has_contract then present_days * daily_wage end as owed_amount,
        due_date < {{ as_of() }} as is_past_due

    from worker_months

),

statused as (

    select
        *,
        case
            when not has_contract then 'no_contract'
            when paid_amount >= owed_amount - {{ var('paid_tolerance_yuan') }}
                and (last_paid_date is null or last_paid_date <= due_date) then 'paid'
            when paid_amount >= owed_amount - {{ var('paid_tolerance_yuan') }} then 'paid_late'
            when not is_past_due then 'not_due'
            when paid_amount > 0 then 'partial'
            else 'unpaid'
        end as status

    from owed

),

final as (

    select
        project_code,
        worker_key,
        pay_month,
        employee_no,
        corp_code,
        present_days,
        daily_wage,
        round(owed_amount, 2) as owed_amount,
        round(paid_amount, 2) as paid_amount,
        round(
            case
                when owed_amount is null then null
                when status in ('paid', 'paid_late') then 0
                when is_past_due then greatest(owed_amount - paid_amount, 0)
                when owed_amount is not null then 0
            end,
            2
        ) as arrears_amount,
        due_date,
        status,
        (
            case
                when status in ('partial', 'unpaid') then {{ as_of() }} - due_date
                when status = 'paid_late' then last_paid_date - due_date
                else 0
            end
        )::integer as days_overdue,
        is_all_from_wage_account as paid_via_wage_account,
        pay_line_count,
        last_paid_date,
        district_code

    from statused

)

select * from final
