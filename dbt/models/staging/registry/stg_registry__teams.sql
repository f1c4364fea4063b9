with

source as (

    select * from {{ source('registry', 'registry_teams') }}

),

renamed as (

    select
        project_code,
        partition_date as snapshot_date,
        child_no,
        object_key,
        team_sys_no,
        corp_code,
        team_name,
        leader_worker_key,
        leader_id_card_masked,
        entry_date,
        exit_date,
        flags,
        published_at

    from source

)

select * from renamed
