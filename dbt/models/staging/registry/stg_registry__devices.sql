with

source as (

    select * from {{ source('registry', 'registry_devices') }}

),

renamed as (

    select
        project_code,
        partition_date as snapshot_date,
        child_no,
        object_key,
        device_sn,
        vendor,
        channel,
        coalesce(role, 'both') as device_role,
        flags,
        published_at

    from source

)

select * from renamed
