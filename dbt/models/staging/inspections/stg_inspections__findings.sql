with

source as (

    select * from {{ source('inspections', 'inspection_findings') }}

),

renamed as (

    select
        inspection_id,
        child_no,
        partition_date as file_date,
        object_key,
        project_code,
        finding_code,
        severity as severity_code,
        description,
        deadline as deadline_date,
        rectified_date,
        flags,
        published_at

    from source

)

select * from renamed
