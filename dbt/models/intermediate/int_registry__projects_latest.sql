-- Each project as its latest registry snapshot describes it (a snapshot supersedes the
-- earlier ones).
with

projects as (

    select * from {{ ref('stg_registry__projects') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by project_code
            order by snapshot_date desc, published_at desc, object_key desc
        ) as snapshot_rank

    from projects

),

final as (

    select
        project_code,
        snapshot_date,
        project_name,
        category_code,
        district_code,
        city_code,
        province_code,
        status_code,
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
        shift_start,
        shift_end

    from ranked
    where snapshot_rank = 1

)

select * from final
