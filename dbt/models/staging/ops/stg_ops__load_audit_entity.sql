with

source as (

    select * from {{ source('ops', 'load_audit_entity') }}

),

renamed as (

    select
        object_key,
        object_sha256,
        entity,
        dataset,
        load_id,
        rows_read,
        rows_loaded,
        rows_quarantined,
        duplicates as rows_duplicated,
        ignored as rows_ignored

    from source

)

select * from renamed
