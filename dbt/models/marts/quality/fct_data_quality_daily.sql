-- Data quality per source (landing feed) and data day: objects and rows read, loaded,
-- quarantined, duplicated and ignored (ops.load_audit), the quarantine reasons, and the
-- GX gate results of the batches that loaded that day's objects (ops.gate_results).
with

audit as (

    select * from {{ ref('stg_ops__load_audit') }}

),

quarantine as (

    select * from {{ ref('stg_ops__quarantine') }}

),

gates as (

    select * from {{ ref('stg_ops__gate_results') }}

),

days as (

    select
        feed,
        data_date,
        count(*)::integer as objects,
        count(*) filter (where load_status = 'published')::integer as objects_published,
        count(*) filter (where load_status = 'gate_failed')::integer as objects_gate_failed,
        count(*) filter (where load_status = 'superseded')::integer as objects_superseded,
        coalesce(sum(rows_read), 0)::bigint as rows_read,
        coalesce(
            sum(rows_loaded) filter (where load_status in ('published', 'superseded')), 0
        )::bigint
            as rows_loaded,
        coalesce(sum(rows_quarantined), 0)::bigint as rows_quarantined,
        coalesce(sum(rows_duplicated), 0)::bigint as rows_duplicated,
        coalesce(sum(rows_ignored), 0)::bigint as rows_ignored

    from audit
    where data_date < {{ as_of() }}
    group by feed, data_date

),

batches as (

    select distinct
        load_id,
        feed,
        data_date

    from audit
    where data_date < {{ as_of() }}

),

gate_days as (

    select
        batches.feed,
        batches.data_date,
        count(*)::integer as gate_suites_run,
        count(*) filter (where not gates.is_success)::integer as gate_suites_failed,
        coalesce(sum(gates.expectations_evaluated), 0)::integer as expectations_evaluated,
        coalesce(sum(gates.expectations_failed), 0)::integer as expectations_failed

    from batches
    inner join gates
        on batches.load_id = gates.load_id
    group by batches.feed, batches.data_date

),

reason_counts as (

    select
        audit.feed,
        audit.data_date,
        reason.code,
        count(*) as n

    from quarantine
    inner join audit
        on
            quarantine.object_key = audit.object_key
            and quarantine.object_sha256 = audit.object_sha256
    cross join lateral unnest(quarantine.reasons) as reason (code)
    where audit.data_date < {{ as_of() }}
    group by audit.feed, audit.data_date, reason.code

),

reasons as (

    select
        feed,
        data_date,
        jsonb_object_agg(code, n order by code) as quarantine_reasons

    from reason_counts
    group by feed, data_date

),

final as (

    select
        days.feed,
        days.data_date,
        days.objects,
        days.objects_published,
        days.objects_gate_failed,
        days.objects_superseded,
        days.rows_read,
        days.rows_loaded,
        days.rows_quarantined,
        days.rows_duplicated,
        days.rows_ignored,
        coalesce(reasons.quarantine_reasons, '{}'::jsonb) as quarantine_reasons,
        coalesce(gate_days.gate_suites_run, 0) as gate_suites_run,
        coalesce(gate_days.gate_suites_failed, 0) as gate_suites_failed,
        coalesce(gate_days.expectations_evaluated, 0) as expectations_evaluated,
        coalesce(gate_days.expectations_failed, 0) as expectations_failed,
        coalesce(gate_days.gate_suites_failed, 0) = 0 and days.objects_gate_failed = 0
            as is_gate_passed

    from days
    left join gate_days
        on days.feed = gate_days.feed and days.data_date = gate_days.data_date
    left join reasons
        on days.feed = reasons.feed and days.data_date = reasons.data_date

)

select * from final
