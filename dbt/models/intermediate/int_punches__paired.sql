{{
    config(
        unique_key=['project_code', 'employee_no', 'in_at'],
        indexes=[
            {'columns': ['project_code', 'employee_no', 'in_at'], 'unique': true},
            {'columns': ['work_date']},
        ],
        **rebuild_days_config()
    )
}}
-- depends_on: {{ ref('stg_ops__incremental_runs') }}
-- On-site intervals per worker-day. Consecutive ins keep the first, consecutive outs keep
-- the last; each kept in is paired with the next kept out; an out before the first in and
-- an in after the last out add no hours. A table, incremental on the rebuild days (every
-- rule here is per worker-day).
with

punches as (

    select * from {{ ref('int_punches__directed') }}

),

ordered as (

    select
        project_code,
        employee_no,
        work_date,
        punch_id,
        punch_at,
        direction,
        lag(direction) over worker_day as prev_direction,
        lead(direction) over worker_day as next_direction

    from punches
    where {{ in_rebuild_days('work_date') }}
    window worker_day as (
        partition by project_code, employee_no, work_date
        order by punch_at, punch_id
    )

),

kept as (

    select *
    from ordered
    where
        (direction = 'in' and coalesce(prev_direction, '') <> 'in')
        or (direction = 'out' and coalesce(next_direction, '') <> 'out')

),

paired as (

    select
        project_code,
        employee_no,
        work_date,
        direction,
        punch_at as in_at,
        lead(punch_at) over kept_day as out_at,
        lead(direction) over kept_day as following_direction

    from kept
    window kept_day as (
        partition by project_code, employee_no, work_date
        order by punch_at, punch_id
    )

),

final as (

    select
        project_code,
        employee_no,
        work_date,
        in_at,
        out_at,
        round((extract(epoch from out_at - in_at) / 3600.0)::numeric, 4) as hours

    from paired
    where direction = 'in' and following_direction = 'out'

)

select * from final
