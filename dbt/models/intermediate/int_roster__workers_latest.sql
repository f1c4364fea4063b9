{{
    config(
        materialized='table',
        indexes=[{'columns': ['project_code', 'employee_no'], 'unique': true}],
    )
}}
-- A table, not a view: five models and the snapshot read it, and on a city (450k roster
-- workers) the ranking of every roster line takes ≈ 10 s each time it is computed.
-- One row per project and worker number: the latest roster line listing the worker, their
-- roster period (ops.roster_periods), entry training and certificate validity.
with

workers as (

    select * from {{ ref('stg_roster__workers') }}

),

periods as (

    select * from {{ ref('stg_ops__roster_periods') }}

),

trainings as (

    select * from {{ ref('stg_roster__trainings') }}

),

certifications as (

    select * from {{ ref('stg_roster__certifications') }}

),

work_types as (

    select * from {{ ref('code_work_type') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by project_code, employee_no
            order by snapshot_date desc, published_at desc, object_key desc
        ) as snapshot_rank

    from workers

),

latest as (

    select * from ranked
    where snapshot_rank = 1

),

entry_training as (

    -- a passed entry training (003002) in any snapshot of the project's roster
    select
        project_code,
        employee_no,
        min(training_date) as entry_training_date

    from trainings
    where training_type_code = '003002' and is_passed
    group by project_code, employee_no

),

latest_certificates as (

    -- certificates as the latest snapshot listing the worker gives them
    select
        certifications.project_code,
        certifications.employee_no,
        max(certifications.valid_until) as cert_valid_until,
        count(*)::integer as cert_count

    from certifications
    inner join latest
        on
            certifications.object_key = latest.object_key
            and certifications.employee_no = latest.employee_no
    group by certifications.project_code, certifications.employee_no

),

final as (

    select
        latest.project_code,
        latest.employee_no,
        latest.worker_key,
        latest.snapshot_date as last_snapshot_date,
        coalesce(periods.entry_date, latest.entry_date) as entry_date,
        periods.exit_date,
        -- an exit inferred from a later snapshot without the worker is the first day off
        -- the roster; an explicit exitDate is the last day on it
        periods.exit_date is not null and latest.exit_date is null as is_exit_inferred,
        case
            when latest.exit_date is null then periods.exit_date - 1
            else periods.exit_date
        end as last_roster_date,
        latest.id_card_type,
        latest.id_card_masked,
        (
            latest.worker_key is not null
            and latest.id_card_masked is not null
            and not latest.flags && array['bad_id_format', 'bad_id_checksum']::text[]
        ) as has_valid_id,
        latest.birth_date,
        latest.sex,
        latest.corp_code,
        latest.team_sys_no,
        latest.work_type_code,
        coalesce(work_types.is_special_operation, false) as is_special_operation,
        latest.work_role_code,
        latest.is_team_leader,
        latest.has_contract and latest.daily_wage is not null as has_contract,
        latest.daily_wage,
        latest.contract_end_date,
        entry_training.entry_training_date is not null as has_entry_training,
        entry_training.entry_training_date,
        latest_certificates.cert_valid_until,
        coalesce(latest_certificates.cert_count, 0) as cert_count

    from latest
    left join periods
        on
            latest.project_code = periods.project_code
            and latest.employee_no = periods.employee_no
    left join entry_training
        on
            latest.project_code = entry_training.project_code
            and latest.employee_no = entry_training.employee_no
    left join latest_certificates
        on
            latest.project_code = latest_certificates.project_code
            and latest.employee_no = latest_certificates.employee_no
    left join work_types
        on latest.work_type_code = work_types.code

)

select * from final
