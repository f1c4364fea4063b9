with

source as (

    select * from {{ source('roster', 'roster_trainings') }}

),

renamed as (

    select
        project_code,
        employee_no,
        partition_date as snapshot_date,
        child_no,
        object_key,
        training_type as training_type_code,
        training_date,
        hours,
        score,
        coalesce(passed, false) as is_passed,
        flags,
        published_at

    from source

)

select * from renamed
