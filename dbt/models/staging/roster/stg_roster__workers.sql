with

source as (

    select * from {{ source('roster', 'roster_workers') }}

),

renamed as (

    select
        project_code,
        employee_no,
        partition_date as snapshot_date,
        object_key,
        employee_no_raw,
        worker_key,
        id_card_type,
        id_card_masked,
        birth_date,
        sex,
        nation,
        corp_code,
        team_sys_no,
        work_type as work_type_code,
        work_role as work_role_code,
        coalesce(is_team_leader, false) as is_team_leader,
        entry_date,
        exit_date,
        coalesce(has_contract, false) as has_contract,
        contract_period_type,
        contract_start_date,
        contract_end_date,
        daily_wage,
        pay_roll_bank_code,
        bank_card_masked,
        coalesce(flags, '{}'::text[]) as flags,
        published_at

    from source

)

select * from renamed
