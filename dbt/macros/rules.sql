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

