{{ config(materialized='table') }}
-- A table, not a view: the arrears mart and four tests read it (each of them re-aggregated
-- every worker-day of history while it was a view).
-- Per project, worker and pay month: days present, the contract and corp in force at month
-- end, the due date (the project's payDay in the following month, the last day of that
-- month if shorter), what was paid for that month up to as_of - 1 (gross and net, the
-- days its lines report, whether its card also paid another worker that month in the
-- city) and the local minimum wage of the pay month.
with

worker_days as (

    select * from {{ ref('int_attendance__worker_days') }}

),

versions as (

    select * from {{ ref('int_roster__versions') }}

),

lines as (

    select * from {{ ref('stg_payroll__lines') }}

),

projects as (

    select * from {{ ref('int_registry__projects_latest') }}

),

min_wages as (

    select * from {{ ref('rule_min_wage') }}

),

attendance as (

    select
        project_code,
        worker_key,
        month as pay_month,
        count(*) filter (where is_present)::integer as present_days

    from worker_days
    where worker_key is not null
    group by project_code, worker_key, month

),

paid_lines as (

    select
        lines.*,
        left(projects.district_code, 4) as city_code,
        coalesce(lines.pay_account_number = projects.wage_account_number, false)
            as is_from_wage_account

    from lines
    left join projects
        on lines.project_code = projects.project_code
    where lines.paid_date < {{ as_of() }}

),

shared_cards as (

    -- a card (keyed hash) that received the wages of several workers for one pay month,
    -- anywhere in the city: a foreman's card, where the 条例 wants each worker's own
    select
        city_code,
        bank_card_key,
        pay_month

    from paid_lines
    where bank_card_key is not null
    group by city_code, bank_card_key, pay_month
    having count(distinct worker_key) >= {{ var('shared_card_min_workers') }}

),

payments as (

    select
        paid_lines.project_code,
        paid_lines.worker_key,
        paid_lines.pay_month,
        sum(paid_lines.total_pay_amount) as paid_gross,
        sum(paid_lines.actual_amount) as paid_net,
        sum(paid_lines.days_reported)::integer as days_reported,
        count(*)::integer as pay_line_count,
        min(paid_lines.paid_date) as first_paid_date,
        max(paid_lines.paid_date) as last_paid_date,
        bool_and(paid_lines.is_from_wage_account) as is_all_from_wage_account,
        bool_or(shared_cards.bank_card_key is not null) as is_shared_card,
        min(paid_lines.corp_code) as payroll_corp_code

    from paid_lines
    left join shared_cards
        on
            paid_lines.city_code = shared_cards.city_code
            and paid_lines.bank_card_key = shared_cards.bank_card_key
            and paid_lines.pay_month = shared_cards.pay_month
    group by paid_lines.project_code, paid_lines.worker_key, paid_lines.pay_month

),

spine as (

    select
        project_code,
        worker_key,
        pay_month
    from attendance
    where present_days > 0
    union
    select
        project_code,
        worker_key,
        pay_month
    from payments

),

in_range as (

    select
        *,
        to_date(pay_month || '-01', 'YYYY-MM-DD') as pay_month_start

    from spine
    where to_date(pay_month || '-01', 'YYYY-MM-DD') <= {{ as_of() }} - 1

),

month_end_version as (

    -- the roster version in force at month end (else the earliest one after it)
    select distinct on (in_range.project_code, in_range.worker_key, in_range.pay_month)
        in_range.project_code,
        in_range.worker_key,
        in_range.pay_month,
        versions.employee_no,
        versions.corp_code,
        versions.has_contract and versions.daily_wage is not null as has_contract,
        versions.daily_wage

    from in_range
    inner join versions
        on
            in_range.project_code = versions.project_code
            and in_range.worker_key = versions.worker_key
    order by
        in_range.project_code asc,
        in_range.worker_key asc,
        in_range.pay_month asc,
        (versions.valid_from <= (in_range.pay_month_start + interval '1 month')::date - 1) desc,
        case
            when versions.valid_from <= (in_range.pay_month_start + interval '1 month')::date - 1
                then versions.valid_from
        end desc nulls last,
        versions.valid_from

),

project_months as (

    select distinct
        in_range.project_code,
        in_range.pay_month,
        in_range.pay_month_start,
        projects.district_code

    from in_range
    inner join projects
        on in_range.project_code = projects.project_code

),

local_min_wage as (

    -- the longest area-code prefix, then the latest notice in force in the pay month
    select distinct on (project_months.project_code, project_months.pay_month)
        project_months.project_code,
        project_months.pay_month,
        min_wages.monthly_min_wage,
        min_wages.excludes_social_insurance

    from project_months
    inner join min_wages
        on
            project_months.district_code like min_wages.area_prefix || '%'
            and project_months.pay_month_start >= min_wages.effective_from
    order by
        project_months.project_code asc,
        project_months.pay_month asc,
        length(min_wages.area_prefix) desc,
        min_wages.effective_from desc

),

final as (

    select
        in_range.project_code,
        in_range.worker_key,
        in_range.pay_month,
        in_range.pay_month_start,
        month_end_version.employee_no,
        coalesce(month_end_version.corp_code, payments.payroll_corp_code) as corp_code,
        coalesce(attendance.present_days, 0) as present_days,
        coalesce(month_end_version.has_contract, false) as has_contract,
        month_end_version.daily_wage,
        (
            (in_range.pay_month_start + interval '1 month')::date
            + least(
                coalesce(projects.pay_day, 31),
                extract(day from (in_range.pay_month_start + interval '2 month')::date - 1)::integer
            )
            - 1
        ) as due_date,
        coalesce(payments.paid_gross, 0) as paid_amount,
        coalesce(payments.paid_gross, 0) as paid_gross,
        coalesce(payments.paid_net, 0) as paid_net,
        payments.days_reported,
        coalesce(payments.pay_line_count, 0) as pay_line_count,
        payments.first_paid_date,
        payments.last_paid_date,
        payments.is_all_from_wage_account,
        coalesce(payments.is_shared_card, false) as is_shared_card,
        local_min_wage.monthly_min_wage,
        local_min_wage.excludes_social_insurance,
        projects.district_code

    from in_range
    left join attendance
        on
            in_range.project_code = attendance.project_code
            and in_range.worker_key = attendance.worker_key
            and in_range.pay_month = attendance.pay_month
    left join payments
        on
            in_range.project_code = payments.project_code
            and in_range.worker_key = payments.worker_key
            and in_range.pay_month = payments.pay_month
    left join month_end_version
        on
            in_range.project_code = month_end_version.project_code
            and in_range.worker_key = month_end_version.worker_key
            and in_range.pay_month = month_end_version.pay_month
    left join projects
        on in_range.project_code = projects.project_code
    left join local_min_wage
        on
            in_range.project_code = local_min_wage.project_code
            and in_range.pay_month = local_min_wage.pay_month

)

select * from final
