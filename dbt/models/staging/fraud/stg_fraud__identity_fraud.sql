-- raw.identity_fraud is written by the identity-fraud search (ingest.verification.fraud);
-- until it exists this model is an empty relation with the same columns, and a column it
-- lacks is null (see macros/optional_source.sql).
with

source as (

    {{ optional_source('fraud', 'identity_fraud', [
        ('fraud_kind', 'text'),
        ('worker_key', 'text'),
        ('other_worker_key', 'text'),
        ('project_code', 'text'),
        ('other_project_code', 'text'),
        ('employee_no', 'text'),
        ('other_employee_no', 'text'),
        ('work_date', 'date'),
        ('similarity', 'real'),
        ('model_fingerprint', 'text'),
        ('threshold_version', 'text'),
        ('detected_at', 'timestamptz'),
    ]) }}

),

renamed as (

    select
        -- the table's own unique key, hashed
        md5(
            coalesce(fraud_kind, '') || '|' || coalesce(worker_key, '') || '|'
            || coalesce(other_worker_key, '') || '|' || coalesce(project_code, '') || '|'
            || coalesce(other_project_code, '') || '|' || coalesce(work_date::text, '')
        ) as fraud_id,
        fraud_kind,
        worker_key,
        other_worker_key,
        project_code,
        other_project_code,
        employee_no,
        other_employee_no,
        work_date,
        similarity,
        model_fingerprint,
        threshold_version,
        detected_at

    from source

)

select * from renamed
