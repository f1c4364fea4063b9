{#- No index on punch_id: nothing reads by it, and keeping one cost ≈ 5 s a city-day
    (1M random keys inserted); its uniqueness is the window's `unique` test. -#}
{{
    config(
        unique_key='punch_id',
        indexes=[
            {'columns': ['project_code', 'employee_no', 'work_date']},
            {'columns': ['work_date']},
        ],
        **rebuild_days_config()
    )
}}
-- depends_on: {{ ref('stg_ops__incremental_runs') }}
-- Every device punch of both vendors, one row per punch_id, with its face verification.
-- Incremental: a build rebuilds the days that changed since the previous one (recorded
-- and deleted by the pre-hooks, so punches removed by a corrected file disappear too).
with

zkteco as (

    select * from {{ ref('stg_zkteco__punches') }}

),

hikvision as (

    select * from {{ ref('stg_hikvision__events') }}

),

verify_modes as (

    select * from {{ ref('map_verify_mode') }}

),

face as (

    select * from {{ ref('stg_face__verifications') }}

),

punches as (

    select
        punch_id,
        project_code,
        device_sn,
        employee_no,
        punch_at,
        work_date,
        vendor,
        device_status,
        verify_mode_code,
        direction,
        direction_source,
        published_at

    from zkteco

    union all

    select
        punch_id,
        project_code,
        device_sn,
        employee_no,
        punch_at,
        work_date,
        vendor,
        device_status,
        verify_mode_code,
        direction,
        direction_source,
        published_at

    from hikvision

),

in_window as (

    select * from punches
    where
        work_date < {{ as_of() }}
        and {{ in_rebuild_days('work_date') }}

),

deduplicated as (

    -- two events of one device for the same worker and second are one punch
    select distinct on (punch_id) *
    from in_window
    order by punch_id, published_at, device_status

),

latest_face as (

    select distinct on (punch_id)
        punch_id,
        decision,
        similarity

    from face
    where
        work_date < {{ as_of() }}
        and {{ in_rebuild_days('work_date') }}
    order by punch_id asc, published_at desc, load_id desc, record_no desc

),

final as (

    select
        deduplicated.punch_id,
        deduplicated.project_code,
        deduplicated.device_sn,
        deduplicated.employee_no,
        deduplicated.punch_at,
        deduplicated.work_date,
        deduplicated.vendor,
        deduplicated.device_status,
        deduplicated.verify_mode_code,
        coalesce(verify_modes.verify_mode, 'unknown') as verify_mode,
        coalesce(verify_modes.is_biometric, false) as is_biometric,
        deduplicated.direction as device_direction,
        deduplicated.direction_source,
        latest_face.decision as face_decision,
        latest_face.similarity as face_similarity,
        coalesce(latest_face.decision, '') <> 'mismatch' as is_accepted,
        coalesce(latest_face.decision = 'match', false) as is_face_verified,
        deduplicated.published_at

    from deduplicated
    left join verify_modes
        on
            deduplicated.vendor = verify_modes.vendor
            and deduplicated.verify_mode_code = verify_modes.code
    left join latest_face
        on deduplicated.punch_id = latest_face.punch_id

)

select * from final
