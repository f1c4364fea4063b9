with

source as (

    select * from {{ source('ops', 'incremental_runs') }}

),

renamed as (

    select
        run_no,
        model,
        as_of,
        published_through,
        days,
        recorded_at

    from source

)

select * from renamed
