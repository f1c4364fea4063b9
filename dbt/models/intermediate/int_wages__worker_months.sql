{{ config(materialized='table') }}
-- A table, not a view: the arrears mart and four tests read it (each of them re-aggregated
-- every worker-day of history while it was a view).
-- Per project, worker and pay month: days present, the contract and corp in force at month
-- end, the due date (the project's payDay in the following month, the last day of that
-- month if shorter) and what was paid for that month up to as_of - 1.
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

payments as (

    select
        lines.project_code,
        lines.worker_key,
        lines.pay_month,
        sum(lines.actual_amount) as paid_amount,
        count(*)::integer as pay_line_count,
        min(lines.paid_date) as first_paid_date,
        max(lines.paid_date) as last_paid_date,
        bool_and(
            coalesce(lines.pay_account_number = projects.wage_account_number, false)
        ) as is_all_from_wage_account,
        min(lines.corp_code) as payroll_corp_code

    from lines
    left join projects
        on lines.project_code = projects.project_code
    where lines.paid_date < {{ as_of() }}
    group by lines.project_code, lines.worker_key, lines.pay_month

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
        coalesce(payments.paid_amount, 0) as paid_amount,
        coalesce(payments.pay_line_count, 0) as pay_line_count,
        payments.first_paid_date,
        payments.last_paid_date,
        payments.is_all_from_wage_account,
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

)

select * from final
