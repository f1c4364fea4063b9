{#- No index on punch_id: nothing reads by it, and keeping one cost ≈ 5 s a city-day
    (1M random keys inserted); its uniqueness is the window's `unique` test. -#}
{{
    config(
        unique_key='punch_id',
        indexes=[
            {'columns': ['project_code', 'employee_no', 'work_date']},
            {'columns': ['work_date']},
        ],
        **rebuild_days_config()
    )
}}
-- depends_on: {{ ref('stg_ops__incremental_runs') }}
-- Accepted punches (face mismatches dropped) with a resolved direction: the device's own
-- (status, else channel role); a punch with neither alternates in time order: opposite of
-- the previous resolved punch of the worker-day, the day's first one being an in.
-- A table, incremental on the rebuild days like int_punches__verified (every rule here is
-- per worker-day): fct_attendance_daily and int_punches__paired read it, and as a view it
-- was computed once for each of them and for each of its tests.
with

punches as (

    select * from {{ ref('int_punches__verified') }}

),

accepted as (

    select
        punch_id,
        project_code,
        employee_no,
        work_date,
        punch_at,
        device_direction,
        -- number of directed punches up to this one: undirected punches share the group
        -- of the last directed punch before them
        count(device_direction) over worker_day as direction_group

    from punches
    where
        is_accepted
        and {{ in_rebuild_days('work_date') }}
    window worker_day as (
        partition by project_code, employee_no, work_date
        order by punch_at, punch_id
        rows between unbounded preceding and current row
    )

),

grouped as (

    select
        *,
        first_value(device_direction) over group_order as anchor_direction,
        row_number() over group_order - 1 as steps_from_anchor

    from accepted
    window group_order as (
        partition by project_code, employee_no, work_date, direction_group
        order by punch_at, punch_id
    )

),

final as (

    select
        punch_id,
        project_code,
        employee_no,
        work_date,
        punch_at,
        case
            when device_direction is not null then device_direction
            -- no directed punch earlier that day: in, out, in, … from the first punch
            when anchor_direction is null
                then case when steps_from_anchor % 2 = 0 then 'in' else 'out' end
            when steps_from_anchor % 2 = 1
                then case when anchor_direction = 'in' then 'out' else 'in' end
            else anchor_direction
        end as direction,
        device_direction is null as is_direction_inferred

    from grouped

)

select * from final
