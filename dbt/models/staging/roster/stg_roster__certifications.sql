with

source as (

    select * from {{ source('roster', 'roster_certifications') }}

),

renamed as (

    select
        project_code,
        employee_no,
        partition_date as snapshot_date,
        child_no,
        object_key,
        cert_type,
        cert_no,
        valid_until,
        flags,
        published_at

    from source

)

select * from renamed
