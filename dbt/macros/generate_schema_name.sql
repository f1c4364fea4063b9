{#- Custom schemas are used as they are (`marts`, not `analytics_marts`): BI tools and
    regulators' roles rely on fixed schema names. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
