with

source as (

    select * from {{ source('ops', 'roster_periods') }}

),

renamed as (

    select
        project_code,
        employee_no,
        worker_key,
        entry_date,
        exit_date,
        last_snapshot as last_snapshot_date

    from source

)

select * from renamed
