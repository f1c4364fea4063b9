with

source as (

    select * from {{ source('registry', 'registry_projects') }}

),

renamed as (

    select
        project_code,
        partition_date as snapshot_date,
        object_key,
        name as project_name,
        category as category_code,
        area_code as district_code,
        left(area_code, 4) as city_code,
        left(area_code, 2) as province_code,
        prj_status as status_code,
        start_date,
        complete_date,
        invest,
        address,
        lng,
        lat,
        contractor_corp_code,
        contractor_corp_name,
        build_corp_code,
        build_corp_name,
        wage_bank_code,
        wage_account_number,
        pay_day,
        shift_start::time as shift_start,
        shift_end::time as shift_end,
        flags,
        published_at

    from source

)

select * from renamed
