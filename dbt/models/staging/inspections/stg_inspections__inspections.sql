with

source as (

    select * from {{ source('inspections', 'inspections') }}

),

renamed as (

    select
        inspection_id,
        partition_date as file_date,
        object_key,
        project_code,
        inspection_date,
        inspector_org,
        kind as kind_code,
        flags,
        published_at

    from source

)

select * from renamed
