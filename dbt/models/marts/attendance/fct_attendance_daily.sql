with

punches as (

    select * from {{ ref('stg_zkteco__punches') }}

),

intervals as (

    select * from {{ ref('int_punches__paired') }}

),

roster as (

    select * from {{ ref('stg_ops__roster_periods') }}

),

punch_days as (

    select
        project_code,
        employee_no,
        work_date,
        min(punch_at) filter (where direction = 'in') as first_in_at,
        max(punch_at) filter (where direction = 'out') as last_out_at,
        count(*) as punch_count

    from punches
    group by project_code, employee_no, work_date

),

hours as (

    select
        project_code,
        employee_no,
        work_date,
        sum(hours) as hours_on_site

    from intervals
    group by project_code, employee_no, work_date

),

final as (

    select
        punch_days.project_code,
        roster.worker_key,
        punch_days.employee_no,
        punch_days.work_date,
        punch_days.first_in_at,
        punch_days.last_out_at,
        round(coalesce(hours.hours_on_site, 0)::numeric, 2) as hours_on_site,
        punch_days.punch_count::integer as punch_count,
        true as is_present,
        coalesce(hours.hours_on_site, 0) >= 8 as is_full_day

    from punch_days
    left join roster
        on
            punch_days.project_code = roster.project_code
            and punch_days.employee_no = roster.employee_no
    left join hours
        on
            punch_days.project_code = hours.project_code
            and punch_days.employee_no = hours.employee_no
            and punch_days.work_date = hours.work_date

)

select * from final
