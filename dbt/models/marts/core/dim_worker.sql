-- Workers by worker_key (HMAC of the ID number): masked ID, sex, birth year, native region
-- from the ID's area code, 工种 and role from their latest roster line. Never plaintext
-- ID, phone or bank numbers.
with

workers as (

    select * from {{ ref('int_roster__workers_latest') }}

),

projects as (

    select * from {{ ref('int_registry__projects_latest') }}

),

provinces as (

    select * from {{ ref('ref_province') }}

),

work_types as (

    select * from {{ ref('code_work_type') }}

),

work_roles as (

    select * from {{ ref('code_work_role') }}

),

latest as (

    select distinct on (worker_key) *
    from workers
    where worker_key is not null
    order by worker_key asc, last_snapshot_date desc, (exit_date is null) desc, project_code

),

memberships as (

    select
        workers.worker_key,
        array_agg(distinct workers.project_code order by workers.project_code) as project_codes,
        array_agg(distinct projects.district_code) filter (where projects.district_code is not null)
            as district_codes

    from workers
    left join projects
        on workers.project_code = projects.project_code
    where workers.worker_key is not null
    group by workers.worker_key

),

final as (

    select
        latest.worker_key,
        latest.id_card_type,
        latest.id_card_masked,
        latest.sex,
        extract(year from latest.birth_date)::integer as birth_year,
        case
            when latest.id_card_type = '01' and latest.id_card_masked ~ '^[0-9]{6}'
                then left(latest.id_card_masked, 6)
        end as native_region_code,
        case
            when latest.id_card_type = '01' and latest.id_card_masked ~ '^[0-9]{6}'
                then left(latest.id_card_masked, 2)
        end as native_province_code,
        provinces.name_zh as native_province_name,
        latest.work_type_code,
        work_types.name_zh as work_type_name,
        latest.is_special_operation,
        latest.work_role_code,
        work_roles.name_zh as work_role_name,
        latest.project_code as latest_project_code,
        memberships.project_codes,
        coalesce(memberships.district_codes, '{}'::text[]) as district_codes

    from latest
    left join memberships
        on latest.worker_key = memberships.worker_key
    left join provinces
        on
            latest.id_card_type = '01'
            and left(latest.id_card_masked, 2) = provinces.province_code
    left join work_types
        on latest.work_type_code = work_types.code
    left join work_roles
        on latest.work_role_code = work_roles.code

)

select * from final
