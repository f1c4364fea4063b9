with

source as (

    select * from {{ source('ops', 'load_audit') }}

),

renamed as (

    select
        object_key,
        object_sha256,
        feed,
        load_id,
        partition_date,
        partition_month,
        -- the day the data belongs to: the partition date, else (payroll, derived feeds)
        -- the day of the run that loaded it (load_id = feed:YYYYMMDD:hash), else the
        -- local date the object was staged
        coalesce(
            partition_date,
            case
                when split_part(load_id, ':', 2) ~ '^\d{8}$'
                    then to_date(split_part(load_id, ':', 2), 'YYYYMMDD')
            end,
            {{ local_date('staged_at') }}
        ) as data_date,
        object_size,
        rows_read,
        rows_loaded,
        rows_quarantined,
        duplicates as rows_duplicated,
        ignored as rows_ignored,
        encoding,
        status as load_status,
        staged_at,
        published_at

    from source

)

select * from renamed
