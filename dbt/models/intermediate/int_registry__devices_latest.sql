-- Gate devices of each project's latest registry snapshot.
with

devices as (

    select * from {{ ref('stg_registry__devices') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by project_code, device_sn
            order by snapshot_date desc, published_at desc, child_no asc
        ) as snapshot_rank

    from devices

),

final as (

    select
        project_code,
        device_sn,
        snapshot_date,
        vendor,
        channel,
        device_role

    from ranked
    where snapshot_rank = 1

)

select * from final
