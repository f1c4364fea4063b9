-- Monthly attendance per project and worker: present days over required days (Mon-Sat on
-- the roster from data_start, up to as_of - 1 for the current month), capped at 1.0; low
-- below low_attendance_rate; consecutive low months.
with

worker_days as (

    select * from {{ ref('int_attendance__worker_days') }}

),

projects as (

    select * from {{ ref('int_registry__projects_latest') }}

),

monthly as (

    select
        project_code,
        employee_no,
        max(worker_key) as worker_key,
        month,
        count(*) filter (where is_present)::integer as present_days,
        count(*) filter (where is_required)::integer as required_days,
        count(*) filter (where is_required and is_present)::integer as present_required_days

    from worker_days
    group by project_code, employee_no, month

),

rated as (

    select
        *,
        case
            when required_days > 0
                then least(present_days::numeric / required_days, 1.0)
        end as attendance_rate,
        (left(month, 4)::integer * 12 + right(month, 2)::integer) as month_index

    from monthly

),

flagged as (

    select
        *,
        coalesce(attendance_rate < {{ var('low_attendance_rate') }}, false) as is_low_attendance

    from rated

),

streaks as (

    select
        *,
        month_index - row_number() over (
            partition by project_code, employee_no, is_low_attendance
            order by month_index
        ) as streak_group

    from flagged

),

numbered as (

    select
        streaks.project_code,
        streaks.worker_key,
        streaks.employee_no,
        streaks.month,
        to_date(streaks.month || '-01', 'YYYY-MM-DD') as month_start,
        streaks.present_days,
        streaks.required_days,
        round(streaks.attendance_rate, 4) as attendance_rate,
        streaks.is_low_attendance,
        (
            case
                when streaks.is_low_attendance
                    then row_number() over (
                            partition by
                                streaks.project_code,
                                streaks.employee_no,
                                streaks.is_low_attendance,
                                streaks.streak_group
                            order by streaks.month_index
                        )
                else 0
            end
        )::integer as low_months_in_a_row,
        projects.district_code

    from streaks
    left join projects
        on streaks.project_code = projects.project_code

),

final as (

    select
        project_code,
        worker_key,
        employee_no,
        month,
        month_start,
        present_days,
        required_days,
        attendance_rate,
        is_low_attendance,
        low_months_in_a_row,
        low_months_in_a_row >= {{ var('low_attendance_months') }} as is_three_month_low,
        district_code

    from numbered

)

select * from final
