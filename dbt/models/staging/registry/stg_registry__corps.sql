with

source as (

    select * from {{ source('registry', 'registry_corps') }}

),

renamed as (

    select
        project_code,
        partition_date as snapshot_date,
        child_no,
        object_key,
        corp_code,
        corp_name,
        corp_type as corp_type_code,
        entry_date,
        exit_date,
        flags,
        published_at

    from source

)

select * from renamed
