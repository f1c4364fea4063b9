-- Inspection score (100 points) per project and month, grade and ranks within district
-- and city. Points per dimension: var score_points; wage points: var wage_level_points;
-- grade floors: var grade_floors (docs/rules.md).
{%- set points = var('score_points') %}
{%- set wage_points = var('wage_level_points') %}
{%- set floors = var('grade_floors') %}
with

worker_days as (

    select * from {{ ref('int_attendance__worker_days') }}

),

workers as (

    select * from {{ ref('int_roster__workers_latest') }}

),

punch_days as (

    select * from {{ ref('int_punches__project_days') }}

),

quarantine as (

    select * from {{ ref('stg_ops__quarantine') }}

),

warnings as (

    select * from {{ ref('fct_project_wage_warning') }}

),

findings as (

    select * from {{ ref('int_inspections__findings_latest') }}

),

projects as (

    select * from {{ ref('int_registry__projects_latest') }}

),

project_months as (

    select distinct
        project_code,
        month
    from worker_days

),

present_workers as (

    select
        worker_days.project_code,
        worker_days.month,
        worker_days.employee_no,
        max(worker_days.work_date) as last_present_date

    from worker_days
    where worker_days.is_present
    group by worker_days.project_code, worker_days.month, worker_days.employee_no

),

registration as (

    select
        present_workers.project_code,
        present_workers.month,
        count(*) as present_workers,
        count(*) filter (
            where workers.has_valid_id and workers.has_contract and workers.has_entry_training
        ) as registered_workers,
        count(*) filter (where workers.is_special_operation) as special_workers,
        count(*) filter (
            where
            workers.is_special_operation
            and workers.cert_valid_until >= present_workers.last_present_date
        ) as certified_special_workers

    from present_workers
    left join workers
        on
            present_workers.project_code = workers.project_code
            and present_workers.employee_no = workers.employee_no
    group by present_workers.project_code, present_workers.month

),

punch_month as (

    select
        project_code,
        to_char(work_date, 'YYYY-MM') as month,
        sum(face_matches) as face_matches,
        sum(face_mismatches) as face_mismatches,
        sum(accepted_punches) as accepted_punches,
        sum(biometric_punches) as biometric_punches

    from punch_days
    group by project_code, to_char(work_date, 'YYYY-MM')

),

unknown_punches as (

    select
        project_code,
        to_char(partition_date, 'YYYY-MM') as month,
        count(distinct object_key || '#' || record_no::text) as unknown_employee_punches

    from quarantine
    where
        feed in ('zkteco', 'hikvision')
        and 'unknown_employee' = any(reasons)
        and partition_date < {{ as_of() }}
    group by project_code, to_char(partition_date, 'YYYY-MM')

),

rectification as (

    select
        project_code,
        to_char(deadline_date, 'YYYY-MM') as month,
        count(*) as findings_due,
        count(*) filter (where is_rectified_on_time) as findings_rectified

    from findings
    where deadline_date is not null
    group by project_code, to_char(deadline_date, 'YYYY-MM')

),

scored as (

    select
        project_months.project_code,
        project_months.month,
        projects.district_code,
        projects.city_code,
        {{ points.registration }} * coalesce(
            registration.registered_workers::numeric / nullif(registration.present_workers, 0), 1
        ) as registration_score,
        {{ points.face_match }} * coalesce(
            punch_month.face_matches::numeric
            / nullif(punch_month.face_matches + punch_month.face_mismatches, 0),
            punch_month.biometric_punches::numeric / nullif(punch_month.accepted_punches, 0),
            0
        ) as face_match_score,
        {{ points.known_punches }} * coalesce(
            coalesce(punch_month.accepted_punches, 0)::numeric
            / nullif(
                coalesce(punch_month.accepted_punches, 0)
                + coalesce(unknown_punches.unknown_employee_punches, 0),
                0
            ),
            1
        ) as known_punch_score,
        case coalesce(warnings.level, 'pending')
            {%- for level, value in wage_points.items() %}
                when '{{ level }}' then {{ value }}
            {%- endfor %}
        end::numeric as wage_score,
        {{ points.certificates }} * coalesce(
            registration.certified_special_workers::numeric
            / nullif(registration.special_workers, 0),
            1
        ) as certificate_score,
        {{ points.rectification }} * coalesce(
            rectification.findings_rectified::numeric / nullif(rectification.findings_due, 0), 1
        ) as rectification_score,
        coalesce(warnings.level, 'pending') as wage_level,
        coalesce(registration.present_workers, 0)::integer as present_workers,
        coalesce(punch_month.face_matches, 0)::integer as face_matches,
        coalesce(punch_month.face_mismatches, 0)::integer as face_mismatches,
        coalesce(unknown_punches.unknown_employee_punches, 0)::integer as unknown_employee_punches,
        coalesce(rectification.findings_due, 0)::integer as findings_due,
        coalesce(rectification.findings_rectified, 0)::integer as findings_rectified

    from project_months
    left join projects
        on project_months.project_code = projects.project_code
    left join registration
        on
            project_months.project_code = registration.project_code
            and project_months.month = registration.month
    left join punch_month
        on
            project_months.project_code = punch_month.project_code
            and project_months.month = punch_month.month
    left join unknown_punches
        on
            project_months.project_code = unknown_punches.project_code
            and project_months.month = unknown_punches.month
    -- the wage dimension of month M: the warning of pay month M - 1, due during M (the
    -- one the report's 欠薪预警 section shows); M's own wages are not due yet
    left join warnings
        on
            project_months.project_code = warnings.project_code
            and to_char(
                to_date(project_months.month || '-01', 'YYYY-MM-DD') - interval '1 month',
                'YYYY-MM'
            ) = warnings.pay_month
    left join rectification
        on
            project_months.project_code = rectification.project_code
            and project_months.month = rectification.month

),

totalled as (

    select
        project_code,
        month,
        district_code,
        city_code,
        round(registration_score, 2) as registration_score,
        round(face_match_score + known_punch_score, 2) as attendance_score,
        round(face_match_score, 2) as face_match_score,
        round(known_punch_score, 2) as known_punch_score,
        round(wage_score, 2) as wage_score,
        round(certificate_score + rectification_score, 2) as site_score,
        round(certificate_score, 2) as certificate_score,
        round(rectification_score, 2) as rectification_score,
        round(
            registration_score + face_match_score + known_punch_score + wage_score
            + certificate_score + rectification_score,
            2
        ) as total_score,
        wage_level,
        present_workers,
        face_matches,
        face_mismatches,
        unknown_employee_punches,
        findings_due,
        findings_rectified

    from scored

),

final as (

    select
        project_code,
        month,
        district_code,
        city_code,
        registration_score,
        attendance_score,
        face_match_score,
        known_punch_score,
        wage_score,
        site_score,
        certificate_score,
        rectification_score,
        total_score,
        case
            when total_score >= {{ floors.A }} then 'A'
            when total_score >= {{ floors.B }} then 'B'
            when total_score >= {{ floors.C }} then 'C'
            else 'D'
        end as grade,
        rank() over (partition by district_code, month order by total_score desc)::integer
            as district_rank,
        rank() over (partition by city_code, month order by total_score desc)::integer
            as city_rank,
        wage_level,
        present_workers,
        face_matches,
        face_mismatches,
        unknown_employee_punches,
        findings_due,
        findings_rectified

    from totalled

)

select * from final
