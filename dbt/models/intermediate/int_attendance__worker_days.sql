{{
    config(
        unique_key=['project_code', 'employee_no', 'work_date'],
        indexes=[
            {'columns': ['project_code', 'employee_no', 'work_date'], 'unique': true},
            {'columns': ['work_date']},
        ],
        **rebuild_days_config()
    )
}}
-- One row per project, worker and day from the later of entry and data_start to the
-- earlier of the last roster day and as_of - 1 (the roster period), plus any day with an
-- accepted punch outside it. is_required: Monday..Saturday (var required_isodows) within
-- the period.
-- Incremental: a build rebuilds the days that changed since the previous one (recorded
-- and deleted by the pre-hooks; a roster snapshot changes every day from the day before
-- it); other days keep the roster period and worker_key they were built with (a roster
-- corrected before the window needs a --full-refresh).
{%- if is_incremental() %}
    {%- set first_built_day = '(select min(t.work_date) as first_day from ' ~ this ~ ' as t)' %}
{%- else %}
    {%- set first_built_day = 'null::date' %}
{%- endif %}
-- depends_on: {{ ref('stg_ops__incremental_runs') }}
with

workers as (

    select * from {{ ref('int_roster__workers_latest') }}

),

punches as (

    select * from {{ ref('int_punches__verified') }}

),

first_punch as (

    -- its own import: a CTE read twice is materialized whole, and `punches` must stay
    -- inlined so the rebuild days reach int_punches__verified's work_date index
    select min(work_date) as first_punch_day from {{ ref('int_punches__verified') }}

),

bounds as (

    -- incremental: the first day built (indexed) is the first punch's day, and roster
    -- days start at the window
    select
        coalesce(
            {{ "date '" ~ var('data_start') ~ "'" if var('data_start') else 'null::date' }},
            {{ first_built_day }},
            (select first_punch.first_punch_day from first_punch)
        ) as data_start,
        {{ first_rebuild_day() }} as first_day,
        {{ as_of() }} - 1 as last_day

),

present_days as (

    select
        project_code,
        employee_no,
        work_date,
        count(*) as accepted_punches

    from punches
    where
        is_accepted
        and {{ in_rebuild_days('work_date') }}
    group by project_code, employee_no, work_date

),

roster_days as (

    select
        workers.project_code,
        workers.employee_no,
        day::date as work_date

    from workers
    cross join bounds
    cross join
        lateral generate_series(
            greatest(workers.entry_date, bounds.data_start, bounds.first_day),
            least(coalesce(workers.last_roster_date, bounds.last_day), bounds.last_day),
            interval '1 day'
        ) as day
    where
        bounds.data_start is not null
        and {{ in_rebuild_days('day::date') }}

),

all_days as (

    select
        coalesce(roster_days.project_code, present_days.project_code) as project_code,
        coalesce(roster_days.employee_no, present_days.employee_no) as employee_no,
        coalesce(roster_days.work_date, present_days.work_date) as work_date,
        roster_days.work_date is not null as is_on_roster,
        present_days.work_date is not null as is_present

    from roster_days
    full outer join present_days
        on
            roster_days.project_code = present_days.project_code
            and roster_days.employee_no = present_days.employee_no
            and roster_days.work_date = present_days.work_date

),

final as (

    select
        all_days.project_code,
        all_days.employee_no,
        workers.worker_key,
        all_days.work_date,
        to_char(all_days.work_date, 'YYYY-MM') as month,
        all_days.is_on_roster,
        all_days.is_present,
        (
            all_days.is_on_roster
            and extract(isodow from all_days.work_date)::integer
            in ({{ var('required_isodows') | join(', ') }})
        ) as is_required

    from all_days
    left join workers
        on
            all_days.project_code = workers.project_code
            and all_days.employee_no = workers.employee_no

)

select * from final
