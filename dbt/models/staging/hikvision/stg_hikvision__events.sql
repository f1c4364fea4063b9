with

source as (

    select * from {{ source('hikvision', 'hikvision_events') }}

),

renamed as (

    select
        {{ punch_id('device_sn', 'employee_no', 'punch_at') }} as punch_id,
        project_code,
        device_sn,
        serial_no,
        employee_no,
        employee_no_string,
        punch_at,
        work_date,
        partition_date,
        major,
        minor,
        attendance_status as device_status,
        verify_mode as verify_mode_code,
        direction,
        direction_source,
        picture_url,
        'hikvision' as vendor,
        object_key,
        published_at

    from source

)

select * from renamed
