-- Projects as their latest registry snapshot describes them.
with

projects as (

    select * from {{ ref('int_registry__projects_latest') }}

),

categories as (

    select * from {{ ref('code_project_category') }}

),

statuses as (

    select * from {{ ref('code_project_status') }}

),

final as (

    select
        projects.project_code,
        projects.project_name,
        projects.district_code,
        projects.city_code,
        projects.province_code,
        projects.category_code,
        categories.name_zh as category_name,
        projects.status_code,
        statuses.name_zh as status_name,
        coalesce(statuses.is_active, false) as is_active,
        projects.start_date,
        projects.complete_date,
        projects.invest,
        projects.address,
        projects.lng,
        projects.lat,
        projects.contractor_corp_code,
        projects.contractor_corp_name,
        projects.build_corp_code,
        projects.build_corp_name,
        projects.wage_bank_code,
        projects.wage_account_number,
        projects.pay_day,
        projects.shift_start,
        projects.shift_end,
        projects.snapshot_date as registry_snapshot_date

    from projects
    left join categories
        on projects.category_code = categories.code
    left join statuses
        on projects.status_code = statuses.code

)

select * from final
