-- raw.face_verifications is published by the face pipeline; until it exists this model
-- is an empty relation with the same columns, and a column it lacks is null
-- (see macros/optional_source.sql).
with

source as (

    {{ optional_source('face', 'face_verifications', [
        ('load_id', 'text'),
        ('object_key', 'text'),
        ('record_no', 'integer'),
        ('punch_id', 'text'),
        ('project_code', 'text'),
        ('device_sn', 'text'),
        ('employee_no', 'text'),
        ('punch_at', 'timestamptz'),
        ('work_date', 'date'),
        ('worker_key', 'text'),
        ('capture_key', 'text'),
        ('enrolment_key', 'text'),
        ('similarity', 'real'),
        ('decision', 'text'),
        ('reasons', 'text[]'),
        ('model_fingerprint', 'text'),
        ('threshold_version', 'text'),
        ('published_at', 'timestamptz'),
    ]) }}

),

renamed as (

    select
        -- punch_id as published, else derived the same way as the punch staging models
        coalesce(
            punch_id,
            {{ punch_id('device_sn', 'employee_no', 'punch_at') }}
        ) as punch_id,
        project_code,
        device_sn,
        employee_no,
        punch_at,
        work_date,
        worker_key,
        coalesce(capture_key, object_key) as capture_key,
        enrolment_key,
        similarity,
        decision,
        coalesce(reasons, '{}'::text[]) as reasons,
        model_fingerprint,
        threshold_version,
        load_id,
        object_key,
        record_no,
        published_at

    from source

)

select * from renamed
