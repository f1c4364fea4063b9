{{
    config(
        unique_key=['project_code', 'employee_no', 'work_date'],
        indexes=[
            {'columns': ['project_code', 'employee_no', 'work_date'], 'unique': true},
            {'columns': ['worker_key']},
            {'columns': ['work_date']},
        ],
        **rebuild_days_config()
    )
}}
-- One row per project, worker and local work date with at least one punch (accepted or
-- a face mismatch). Incremental: a build rebuilds the days that changed since the
-- previous one (docs/rules.md, Incremental facts).
-- depends_on: {{ ref('stg_ops__incremental_runs') }}
with

punches as (

    select * from {{ ref('int_punches__verified') }}

),

directed as (

    select * from {{ ref('int_punches__directed') }}

),

intervals as (

    select * from {{ ref('int_punches__paired') }}

),

workers as (

    select * from {{ ref('int_roster__workers_latest') }}

),

projects as (

    select * from {{ ref('int_registry__projects_latest') }}

),

punch_counts as (

    select
        project_code,
        employee_no,
        work_date,
        count(*) filter (where is_accepted) as punch_count,
        count(*) filter (where is_accepted and is_face_verified) as verified_punch_count,
        count(*) filter (where face_decision = 'mismatch') as mismatch_punch_count

    from punches
    where {{ in_rebuild_days('work_date') }}
    group by project_code, employee_no, work_date

),

first_last as (

    select
        project_code,
        employee_no,
        work_date,
        min(punch_at) filter (where direction = 'in') as first_in_at,
        max(punch_at) filter (where direction = 'out') as last_out_at

    from directed
    where {{ in_rebuild_days('work_date') }}
    group by project_code, employee_no, work_date

),

hours as (

    select
        project_code,
        employee_no,
        work_date,
        sum(hours) as hours_on_site

    from intervals
    where {{ in_rebuild_days('work_date') }}
    group by project_code, employee_no, work_date

),

joined as (

    select
        punch_counts.project_code,
        workers.worker_key,
        punch_counts.employee_no,
        punch_counts.work_date,
        first_last.first_in_at,
        first_last.last_out_at,
        round(coalesce(hours.hours_on_site, 0)::numeric, 2) as hours_on_site,
        punch_counts.punch_count::integer as punch_count,
        punch_counts.verified_punch_count::integer as verified_punch_count,
        punch_counts.mismatch_punch_count::integer as mismatch_punch_count,
        punch_counts.punch_count > 0 as is_present,
        coalesce(hours.hours_on_site, 0) >= {{ var('full_day_hours') }} as is_full_day,
        (first_last.first_in_at at time zone '{{ var("local_tz") }}')
        > punch_counts.work_date + projects.shift_start
        + interval '{{ var("late_grace_minutes") | int }} minutes' as is_late_raw,
        (first_last.last_out_at at time zone '{{ var("local_tz") }}')
        < punch_counts.work_date + projects.shift_end as is_early_leave_raw,
        projects.district_code

    from punch_counts
    left join first_last
        on
            punch_counts.project_code = first_last.project_code
            and punch_counts.employee_no = first_last.employee_no
            and punch_counts.work_date = first_last.work_date
    left join hours
        on
            punch_counts.project_code = hours.project_code
            and punch_counts.employee_no = hours.employee_no
            and punch_counts.work_date = hours.work_date
    left join workers
        on
            punch_counts.project_code = workers.project_code
            and punch_counts.employee_no = workers.employee_no
    left join projects
        on punch_counts.project_code = projects.project_code

),

final as (

    select
        project_code,
        worker_key,
        employee_no,
        work_date,
        first_in_at,
        last_out_at,
        hours_on_site,
        punch_count,
        verified_punch_count,
        mismatch_punch_count,
        is_present,
        is_full_day,
        coalesce(is_present and is_late_raw, false) as is_late,
        coalesce(is_present and is_early_leave_raw, false) as is_early_leave,
        district_code

    from joined

)

select * from final
