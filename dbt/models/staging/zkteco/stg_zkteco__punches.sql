with

source as (

    select * from {{ source('zkteco', 'zkteco_punches') }}

),

renamed as (

    select
        {{ punch_id('device_sn', 'employee_no', 'punch_at') }} as punch_id,
        project_code,
        device_sn,
        employee_no,
        pin,
        punch_at,
        work_date,
        partition_date,
        status::text as device_status,
        verify_mode::text as verify_mode_code,
        direction,
        direction_source,
        'zkteco' as vendor,
        object_key,
        published_at

    from source

)

select * from renamed
