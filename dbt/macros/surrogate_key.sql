{#- md5 over the text of the given columns, '|'-separated, nulls as empty strings. Kept
    local instead of a package so that no `dbt deps` is needed at run time. -#}
{% macro dbt_utils_free_surrogate_key(columns) -%}
    md5(
        {%- for col in columns %}
        coalesce(cast({{ col }} as text), '')
        {%- if not loop.last %} || '|' || {% endif -%}
        {%- endfor %}
    )
{%- endmacro %}
