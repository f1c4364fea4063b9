{#- Incremental facts keyed by work_date (int_punches__verified, int_attendance__worker_days,
    fct_attendance_daily) rebuild the days that changed since their previous build, never
    a day outside the fixed window (incremental_lookback_days before as_of). Their
    pre-hooks record the days in ops.incremental_runs (migration 0006), then delete them;
    the model selects the same recorded list, so the delete and the insert always agree.
    docs/rules.md, "Incremental facts". -#}

{#- The config every incremental model on the rebuild days shares; a model adds its
    unique key and indexes: {{ config(unique_key=…, indexes=[…], **rebuild_days_config()) }}.
    Append: the pre-hooks delete the rebuild days first, so nothing needs merging. -#}
{% macro rebuild_days_config() -%}
    {%- do return({
        'materialized': 'incremental',
        'incremental_strategy': 'append',
        'on_schema_change': 'append_new_columns',
        'pre_hook': ['{{ record_rebuild_days() }}', '{{ delete_rebuild_days() }}'],
    }) -%}
{%- endmacro %}

{#- First day of the fixed window: as_of minus the lookback. -#}
{% macro incremental_window_start() -%}
    ({{ as_of() }} - {{ var("incremental_lookback_days") | int }})
{%- endmacro %}

{#- The key of this model's rows in ops.incremental_runs: schema.model (in a unit test,
    the tested model's; `this` is a fixture there). -#}
{% macro incremental_model_key() -%}
    {%- set node_id = model.tested_node_unique_id | default(none) or model.unique_id -%}
    '{{ model.schema }}.{{ node_id.split(".")[-1] }}'
{%- endmacro %}

{#- The days an incremental build must rebuild, as a date[] (SQL), from what was
    published since the model's previous build (ops.load_audit.published_at after its
    published_through):
    - every day added since the previous build's as_of;
    - for objects of the feeds in var incremental_row_feeds (feed: raw table), their dt=
      partition and the work dates of their rows;
    - for a roster snapshot of day D, every day from D - 1 (a worker missing from it left
      the day before) or from the earliest entry or exit date it lists inside the window
      (a backdated entry, an explicit exit), up to as_of - 1;
    - for a registry snapshot of day D, every day from D on (latest wins: earlier days keep
      the registry they were built with until a --full-refresh);
    bounded by the window. No previous build recorded: the whole window. -#}
{% macro changed_days_sql() -%}
    with previous as (
        select as_of, published_through
        from ops.incremental_runs
        where model = {{ incremental_model_key() }}
        order by run_no desc
        limit 1
    ),

    fresh as (
        select object_key, feed, partition_date
        from ops.load_audit
        where
            published_at > (
                select coalesce(max(published_through), '-infinity') from previous
            )
            and feed in (
                {%- for feed in var('incremental_row_feeds') | list + ['roster', 'registry'] %}
                    '{{ feed }}'{{ ',' if not loop.last }}
                {%- endfor %}
            )
    ),

    changed as (
        select d::date as work_date
        from previous, generate_series(previous.as_of, {{ as_of() }} - 1, interval '1 day') as d
        union
        select partition_date from fresh
        where feed in ('{{ var("incremental_row_feeds") | list | join("', '") }}')
        {%- for feed, table in var('incremental_row_feeds').items() %}
            union
            select r.work_date from raw.{{ table }} as r
            where r.object_key in (select object_key from fresh where feed = '{{ feed }}')
        {%- endfor %}
        union
        select d::date
        from fresh
        cross join lateral (
            select
                least(
                    fresh.partition_date - 1,
                    min(p.entry_date) filter (where p.entry_date >= {{ incremental_window_start() }}),
                    min(p.exit_date) filter (where p.exit_date >= {{ incremental_window_start() }})
                ) as first_day
            from ops.roster_periods as p
            -- roster/{projectCode}/dt=…/workers.jsonl
            where
                p.project_code = split_part(fresh.object_key, '/', 2)
                and p.last_snapshot = fresh.partition_date
        ) as listed
        cross join generate_series(listed.first_day, {{ as_of() }} - 1, interval '1 day') as d
        where fresh.feed = 'roster'
        union
        select d::date
        from fresh, generate_series(fresh.partition_date, {{ as_of() }} - 1, interval '1 day') as d
        where fresh.feed = 'registry'
    ),

    candidates as (
        select work_date from changed where exists (select from previous)
        union
        select d::date
        from generate_series({{ incremental_window_start() }}, {{ as_of() }} - 1, interval '1 day') as d
        where not exists (select from previous)
    )

    select coalesce(array_agg(work_date order by work_date), '{}')
    from candidates
    where work_date >= {{ incremental_window_start() }} and work_date < {{ as_of() }}
{%- endmacro %}

{#- Pre-hook 1 of every incremental fact: record this build (the days it rebuilds, null
    on a full build) and the load high-water mark it has seen, in the model's transaction
    (a failed build records nothing). -#}
{% macro record_rebuild_days() -%}
    insert into ops.incremental_runs (model, as_of, published_through, days)
    select
        {{ incremental_model_key() }},
        {{ as_of() }},
        (select max(published_at) from ops.load_audit),
        {% if is_incremental() -%} ({{ changed_days_sql() }}) {%- else -%} null::date[] {%- endif %}
{%- endmacro %}

{#- The recorded days of this build (SQL returning one date[]). -#}
{% macro rebuild_days(relation) -%}
    select r.days from {{ relation }} as r
    where r.model = {{ incremental_model_key() }}
    order by r.run_no desc
    limit 1
{%- endmacro %}

{#- Pre-hook 2: delete the days about to be rebuilt (so rows removed by a corrected file
    go too). -#}
{% macro delete_rebuild_days() -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where work_date = any(({{ rebuild_days("ops.incremental_runs") }})::date[])
    {%- endif -%}
{%- endmacro %}

{#- A model's filter on its work-date column: the recorded days on an incremental build
    (an array parameter, so it reaches the raw tables' work_date index through views and
    unions), every day on a full build. Models using it carry a depends_on comment for
    stg_ops__incremental_runs (referenced only on incremental builds). -#}
{% macro in_rebuild_days(column) -%}
    {%- if is_incremental() -%}
        {{ column }} = any(({{ rebuild_days(ref("stg_ops__incremental_runs")) }})::date[])
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- The first day an incremental build rebuilds (-infinity on a full build). -#}
{% macro first_rebuild_day() -%}
    {%- if is_incremental() -%}
        (select min(d) from unnest(({{ rebuild_days(ref('stg_ops__incremental_runs')) }})) as d)
    {%- else -%}
        date '-infinity'
    {%- endif -%}
{%- endmacro %}
