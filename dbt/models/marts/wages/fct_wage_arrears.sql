-- Wage arrears (欠薪) per project, worker and pay month as of as_of.
-- Owed = present days x contract daily wage (no contract: owed null, status no_contract).
-- Paid = gross (Σ totalPayAmount); net and the withholding beside it.
-- Status: not_due, paid, paid_late, partial, unpaid, no_contract; worker_flags: the
-- worker-month's payroll anomalies, whenever the data exist (docs/rules.md, Wages).
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

flagged as (

    select
        *,
        array_remove(array[
            case
                when paid_gross > 0
                    and (paid_gross - paid_net) / paid_gross > {{ var('max_withholding_share') }}
                    then 'excess_withholding'
            end,
            -- the local minimum pro rata to the days present; where the minimum excludes
            -- the worker's social-insurance share it is compared with the net
            case
                when present_days > 0 and paid_gross > 0
                    and case when excludes_social_insurance then paid_net else paid_gross end
                    < monthly_min_wage * present_days / {{ var('min_wage_days_per_month') }}
                    then 'below_min_wage'
            end,
            case
                when paid_gross > 0 and present_days = 0 then 'paid_without_attendance'
            end,
            case
                when pay_line_count > 0
                    and abs(days_reported - present_days) > {{ var('pay_days_tolerance') }}
                    then 'pay_days_mismatch'
            end,
            case
                when owed_amount is not null
                    and paid_gross > owed_amount * {{ var('pay_far_above_owed_ratio') }}
                    and paid_gross > owed_amount + {{ var('pay_far_above_owed_margin_yuan') }}
                    then 'pay_far_above_owed'
            end,
            case when is_shared_card then 'shared_pay_card' end
        ], null) as worker_flags

    from owed

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

    from flagged

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
        round(paid_gross, 2) as paid_gross,
        round(paid_net, 2) as paid_net,
        round(paid_gross - paid_net, 2) as withheld,
        days_reported,
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
        worker_flags,
        array_to_string(worker_flags, ',') as worker_flag_list,
        monthly_min_wage,
        district_code

    from statused

)

select * from final
