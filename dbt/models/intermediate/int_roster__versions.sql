-- Roster history: one row per project, worker number and roster snapshot listing the
-- worker, valid from that snapshot's date until the next snapshot listing them (exclusive).
-- Answers "which corp / contract / team did the worker have on day D" (latest snapshot
-- dated on or before D).
with

workers as (

    select * from {{ ref('stg_roster__workers') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by project_code, employee_no, snapshot_date
            order by published_at desc, object_key desc
        ) as version_rank

    from workers

),

final as (

    select
        project_code,
        employee_no,
        snapshot_date as valid_from,
        lead(snapshot_date) over (
            partition by project_code, employee_no order by snapshot_date
        ) as valid_to,
        worker_key,
        corp_code,
        team_sys_no,
        work_type_code,
        work_role_code,
        has_contract,
        daily_wage,
        contract_start_date,
        contract_end_date

    from ranked
    where version_rank = 1

)

select * from final
