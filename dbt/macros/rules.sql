{#- Small helpers shared by the rule models. -#}

{#- The run's as_of (exclusive end of the data interval) as a date literal. -#}
{% macro as_of() -%}
    date '{{ var("as_of") }}'
{%- endmacro %}

{#- Local (Asia/Shanghai by default) calendar date of a timestamptz. -#}
{% macro local_date(ts) -%}
    ({{ ts }} at time zone '{{ var("local_tz") }}')::date
{%- endmacro %}

{#- The punch identifier shared with the face pipeline (raw.face_verifications.punch_id):
    md5 of device serial, canonical worker number and the punch instant in UTC, written
    as ISO 8601 with a Z (independent of the session's TimeZone setting). -#}
{% macro punch_id(device_sn, employee_no, punch_at) -%}
    md5(
        {{ device_sn }} || '|' || {{ employee_no }} || '|'
        || to_char({{ punch_at }} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
    )
{%- endmacro %}

{#- First day of the incremental window: as_of minus the lookback. -#}
{% macro incremental_window_start() -%}
    ({{ as_of() }} - {{ var("incremental_lookback_days") | int }})
{%- endmacro %}

{#- The first day an incremental model builds: the window's start on an incremental run,
    every day on a full build (so a model filters with one predicate in both modes). -#}
{% macro incremental_since() -%}
    {%- if is_incremental() -%}
        {{ incremental_window_start() }}
    {%- else -%}
        date '-infinity'
    {%- endif -%}
{%- endmacro %}

{#- The pre-hook of every incremental fact keyed by work_date: an incremental run deletes
    the window it is about to rebuild (so punches removed by a corrected file go too). -#}
{% macro delete_incremental_window() -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where work_date >= {{ incremental_window_start() }}
    {%- endif -%}
{%- endmacro %}
