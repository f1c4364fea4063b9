{{
    config(
        unique_key=['project_code', 'work_date'],
        indexes=[
            {'columns': ['project_code', 'work_date'], 'unique': true},
            {'columns': ['work_date']},
        ],
        **rebuild_days_config()
    )
}}
-- Per project and local work date: the punch counts the monthly marts sum (face matches
-- and mismatches, accepted and biometric punches), so a month is read from ~30 rows per
-- project, not from every punch of the year. Incremental: a build rebuilds the days that
-- changed since the previous one (docs/rules.md, Incremental facts).
-- depends_on: {{ ref('stg_ops__incremental_runs') }}
with

punches as (

    select * from {{ ref('int_punches__verified') }}

),

project_days as (

    select
        project_code,
        work_date,
        count(*) filter (where face_decision = 'match')::integer as face_matches,
        count(*) filter (where face_decision = 'mismatch')::integer as face_mismatches,
        count(*) filter (where is_accepted)::integer as accepted_punches,
        count(*) filter (where is_accepted and is_biometric)::integer as biometric_punches

    from punches
    where {{ in_rebuild_days('work_date') }}
    group by project_code, work_date

)

select * from project_days
