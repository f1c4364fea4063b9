-- Units (corps) on the projects of the latest registry snapshots: general contractors,
-- owners and participating units, with the roles they have and the projects they are on.
with

projects as (

    select * from {{ ref('int_registry__projects_latest') }}

),

corps as (

    select * from {{ ref('stg_registry__corps') }}

),

corp_types as (

    select * from {{ ref('code_corp_type') }}

),

latest_corps as (

    select corps.*
    from corps
    inner join projects
        on
            corps.project_code = projects.project_code
            and corps.snapshot_date = projects.snapshot_date

),

roles as (

    select
        contractor_corp_code as corp_code,
        contractor_corp_name as corp_name,
        project_code,
        district_code,
        '009' as corp_type_code,
        snapshot_date

    from projects
    where contractor_corp_code is not null

    union all

    select
        build_corp_code as corp_code,
        build_corp_name as corp_name,
        project_code,
        district_code,
        '008' as corp_type_code,
        snapshot_date

    from projects
    where build_corp_code is not null

    union all

    select
        latest_corps.corp_code,
        latest_corps.corp_name,
        latest_corps.project_code,
        projects.district_code,
        latest_corps.corp_type_code,
        latest_corps.snapshot_date

    from latest_corps
    inner join projects
        on latest_corps.project_code = projects.project_code
    where latest_corps.corp_code is not null

),

final as (

    select
        roles.corp_code,
        (array_agg(roles.corp_name order by roles.snapshot_date desc, roles.project_code asc))[1]
            as corp_name,
        array_agg(distinct roles.corp_type_code order by roles.corp_type_code) as corp_type_codes,
        array_agg(distinct corp_types.name_zh) filter (where corp_types.name_zh is not null)
            as corp_type_names,
        array_agg(distinct roles.project_code order by roles.project_code) as project_codes,
        array_agg(distinct roles.district_code order by roles.district_code) as district_codes,
        count(distinct roles.project_code)::integer as project_count

    from roles
    left join corp_types
        on roles.corp_type_code = corp_types.code
    group by roles.corp_code

)

select * from final
