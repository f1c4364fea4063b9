-- 预警与提醒: one row per alert (rule, subject and period) with its level (rule_alert seed),
-- first and last day seen, as of as_of. Thresholds are vars (docs/rules.md).
{%- set cert_missing -%}
    workers.is_special_operation
    and (workers.cert_valid_until is null or workers.cert_valid_until < worker_days.work_date)
{%- endset -%}
{%- set untrained -%}
    not workers.has_entry_training or workers.entry_training_date > worker_days.work_date
{%- endset %}
with

daily as (

    select * from {{ ref('fct_attendance_daily') }}

),

monthly as (

    select * from {{ ref('fct_attendance_monthly') }}

),

worker_days as not materialized (

    -- read twice (days present, required days): inlined, so each reads its own columns
    -- and the second can follow the table's (project, worker, day) index
    select * from {{ ref('int_attendance__worker_days') }}

),

workers as (

    select * from {{ ref('int_roster__workers_latest') }}

),

punches as (

    select * from {{ ref('int_punches__verified') }}

),

fraud as (

    select * from {{ ref('stg_fraud__identity_fraud') }}

),

warnings as (

    select * from {{ ref('fct_project_wage_warning') }}

),

arrears as (

    select * from {{ ref('fct_wage_arrears') }}

),

projects as (

    select * from {{ ref('int_registry__projects_latest') }}

),

rules as (

    select * from {{ ref('rule_alert') }}

),

present_days as (

    -- the rules on days present, per worker in one pass: a special operation without a
    -- valid certificate that day, on site before the entry training, without a contract
    select
        worker_days.project_code,
        worker_days.employee_no,
        workers.worker_key,
        count(*) filter (where {{ cert_missing }}) as cert_missing_days,
        min(worker_days.work_date) filter (where {{ cert_missing }}) as cert_missing_first,
        max(worker_days.work_date) filter (where {{ cert_missing }}) as cert_missing_last,
        max(workers.cert_valid_until) filter (where {{ cert_missing }}) as cert_valid_until,
        count(*) filter (where {{ untrained }}) as untrained_days,
        min(worker_days.work_date) filter (where {{ untrained }}) as untrained_first,
        max(worker_days.work_date) filter (where {{ untrained }}) as untrained_last,
        count(*) filter (where not workers.has_contract) as no_contract_days,
        min(worker_days.work_date) filter (where not workers.has_contract) as no_contract_first,
        max(worker_days.work_date) filter (where not workers.has_contract) as no_contract_last

    from worker_days
    inner join workers
        on
            worker_days.project_code = workers.project_code
            and worker_days.employee_no = workers.employee_no
    where worker_days.is_present
    group by worker_days.project_code, worker_days.employee_no, workers.worker_key

),

repeated_lateness as (

    select
        'repeated_lateness' as rule,
        project_code,
        employee_no,
        max(worker_key) as worker_key,
        to_char(work_date, 'YYYY-MM') as period_key,
        min(work_date) as first_seen,
        max(work_date) as last_seen,
        count(*)::integer as occurrences

    from daily
    where is_late
    group by project_code, employee_no, to_char(work_date, 'YYYY-MM')
    having count(*) >= {{ var('repeated_lateness_days') }}

),

required_days as (

    -- an absence streak is the required days absent between two present ones: the
    -- number of present required days so far names it (one ordering, one sort)
    select
        project_code,
        employee_no,
        worker_key,
        work_date,
        is_present,
        count(*) filter (where is_present) over (
            partition by project_code, employee_no order by work_date
        ) as streak_group

    from worker_days
    where is_required

),

long_absence as (

    select
        'long_absence' as rule,
        project_code,
        employee_no,
        max(worker_key) as worker_key,
        min(work_date)::text as period_key,
        min(work_date) as first_seen,
        max(work_date) as last_seen,
        count(*)::integer as occurrences

    from required_days
    where not is_present
    group by project_code, employee_no, streak_group
    having count(*) >= {{ var('long_absence_days') }}

),

cert_expiring as (

    select
        'cert_expiring' as rule,
        project_code,
        employee_no,
        worker_key,
        cert_valid_until::text as period_key,
        least(
            cert_valid_until - {{ var('cert_expiring_days') | int }}, {{ as_of() }} - 1
        ) as first_seen,
        {{ as_of() }} - 1 as last_seen,
        1 as occurrences

    from workers
    where
        cert_valid_until >= {{ as_of() }}
        and cert_valid_until <= {{ as_of() }} + {{ var('cert_expiring_days') | int }}
        and (last_roster_date is null or last_roster_date >= {{ as_of() }})

),

cert_expired as (

    select
        'cert_expired' as rule,
        project_code,
        employee_no,
        worker_key,
        coalesce(cert_valid_until::text, 'none') as period_key,
        cert_missing_first as first_seen,
        cert_missing_last as last_seen,
        cert_missing_days::integer as occurrences

    from present_days
    where cert_missing_days > 0

),

untrained_on_site as (

    select
        'untrained_on_site' as rule,
        project_code,
        employee_no,
        worker_key,
        'entry_training' as period_key,
        untrained_first as first_seen,
        untrained_last as last_seen,
        untrained_days::integer as occurrences

    from present_days
    where untrained_days > 0

),

no_contract as (

    select
        'no_contract' as rule,
        project_code,
        employee_no,
        worker_key,
        'contract' as period_key,
        no_contract_first as first_seen,
        no_contract_last as last_seen,
        no_contract_days::integer as occurrences

    from present_days
    where no_contract_days > 0

),

low_streaks as (

    select
        *,
        (month_start - (low_months_in_a_row - 1) * interval '1 month')::date as streak_start

    from monthly
    where is_three_month_low

),

three_month_low as (

    select
        'three_month_low' as rule,
        project_code,
        employee_no,
        max(worker_key) as worker_key,
        to_char(streak_start, 'YYYY-MM') as period_key,
        streak_start as first_seen,
        least(
            (max(month_start) + interval '1 month')::date - 1, {{ as_of() }} - 1
        ) as last_seen,
        max(low_months_in_a_row)::integer as occurrences

    from low_streaks
    group by project_code, employee_no, streak_start

),

identity_fraud as (

    -- one alert per worker and counterpart (the other identity, or the other project),
    -- however many days the search found them on
    select
        'identity_fraud_' || fraud_kind as rule,
        project_code,
        max(employee_no) as employee_no,
        worker_key,
        coalesce(other_worker_key, other_project_code, '') as period_key,
        min(coalesce(work_date, {{ local_date('detected_at') }})) as first_seen,
        max(coalesce(work_date, {{ local_date('detected_at') }})) as last_seen,
        count(*)::integer as occurrences

    from fraud
    where fraud_kind in ('face', 'multi_site')
    group by
        fraud_kind,
        project_code,
        worker_key,
        coalesce(other_worker_key, other_project_code, '')

),

wage_warnings as (

    select
        'wage_warning_' || level as rule,
        project_code,
        null::text as employee_no,
        null::text as worker_key,
        pay_month as period_key,
        due_date + 1 as first_seen,
        {{ as_of() }} - 1 as last_seen,
        coalesce(array_length(reasons, 1), 0)::integer as occurrences

    from warnings
    where level in ('red', 'yellow')

),

wage_flags as (

    -- one alert per worker flag of a worker-month (fct_wage_arrears.worker_flags)
    select
        flag.code as rule,
        arrears.project_code,
        arrears.employee_no,
        arrears.worker_key,
        arrears.pay_month as period_key,
        to_date(arrears.pay_month || '-01', 'YYYY-MM-DD') as first_seen,
        least(
            (to_date(arrears.pay_month || '-01', 'YYYY-MM-DD') + interval '1 month')::date - 1,
            {{ as_of() }} - 1
        ) as last_seen,
        1 as occurrences

    from arrears
    cross join lateral unnest(arrears.worker_flags) as flag (code)

),

proxy_punch as (

    select
        'proxy_punch' as rule,
        project_code,
        employee_no,
        null::text as worker_key,
        'face_mismatch' as period_key,
        min(work_date) as first_seen,
        max(work_date) as last_seen,
        count(*)::integer as occurrences

    from punches
    where face_decision = 'mismatch'
    group by project_code, employee_no

),

unioned as (

    select * from repeated_lateness
    union all
    select * from long_absence
    union all
    select * from cert_expiring
    union all
    select * from cert_expired
    union all
    select * from untrained_on_site
    union all
    select * from no_contract
    union all
    select * from three_month_low
    union all
    select * from identity_fraud
    union all
    select * from wage_warnings
    union all
    select * from wage_flags
    union all
    select * from proxy_punch

),

final as (

    select
        md5(
            unioned.rule || '|' || coalesce(unioned.project_code, '') || '|'
            || coalesce(unioned.employee_no, unioned.worker_key, '') || '|' || unioned.period_key
        ) as alert_id,
        unioned.rule,
        rules.level,
        rules.subject_type,
        case
            when rules.subject_type = 'project' then unioned.project_code
            else coalesce(unioned.worker_key, unioned.project_code || '/' || unioned.employee_no)
        end as subject,
        unioned.project_code,
        coalesce(unioned.worker_key, workers.worker_key) as worker_key,
        coalesce(unioned.employee_no, workers.employee_no) as employee_no,
        unioned.period_key,
        unioned.first_seen,
        unioned.last_seen,
        unioned.occurrences,
        {{ as_of() }} as as_of,
        projects.district_code

    from unioned
    inner join rules
        on unioned.rule = rules.rule
    left join workers
        on
            unioned.project_code = workers.project_code
            and (
                unioned.employee_no = workers.employee_no
                or (unioned.employee_no is null and unioned.worker_key = workers.worker_key)
            )
    left join projects
        on unioned.project_code = projects.project_code

)

select * from final
