with

source as (

    select * from {{ source('zkteco', 'zkteco_punches') }}

),

renamed as (

    select
        {{ dbt_utils_free_surrogate_key(['device_sn', 'employee_no', 'punch_at']) }} as punch_id,
        project_code,
        device_sn,
        employee_no,
        pin,
        punch_at,
        work_date,
        status as device_status,
        verify_mode,
        direction,
        'zkteco' as vendor,
        object_key,
        published_at

    from source

)

select * from renamed
