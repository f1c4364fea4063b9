with

source as (

    select * from {{ source('ops', 'quarantine') }}

),

renamed as (

    select
        object_key,
        object_sha256,
        reject_no,
        load_id,
        feed,
        entity,
        record_no,
        child_no,
        record_key,
        reasons,
        -- punches/{project}/{device}/dt=…: the project and device of a rejected punch
        case
            when object_key like 'punches/%' then split_part(object_key, '/', 2)
            when object_key like 'roster/%' then split_part(object_key, '/', 2)
            when object_key like 'payroll/%' then split_part(object_key, '/', 2)
        end as project_code,
        case
            when object_key like 'punches/%' then split_part(object_key, '/', 3)
        end as device_sn,
        case
            when object_key ~ '/dt=\d{4}-\d{2}-\d{2}/'
                then substring(object_key from '/dt=(\d{4}-\d{2}-\d{2})/')::date
        end as partition_date,
        quarantined_at

    from source

)

select * from renamed
