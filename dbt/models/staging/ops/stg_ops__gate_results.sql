with

source as (

    select * from {{ source('ops', 'gate_results') }}

),

renamed as (

    select
        load_id,
        suite,
        dataset,
        success as is_success,
        evaluated as expectations_evaluated,
        failed as expectations_failed,
        row_count,
        failures,
        run_at

    from source

)

select * from renamed
