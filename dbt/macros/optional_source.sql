{#- Select `columns` (a list of (name, type) pairs) from a source table that may not
    exist yet, or may not have every column yet (a feed another pipeline publishes and is
    still settling). A missing table gives an empty relation with these columns and types;
    a missing column gives a typed null. The source() call is always made, so lineage and
    freshness stay declared. -#}
{% macro optional_source(source_name, table_name, columns) -%}
    {%- set rel = source(source_name, table_name) -%}
    {%- set found = none -%}
    {%- set present = [] -%}
    {%- if execute -%}
        {%- set found = adapter.get_relation(database=rel.database, schema=rel.schema, identifier=rel.identifier) -%}
        {%- if found is not none -%}
            {%- for col in adapter.get_columns_in_relation(found) -%}
                {%- do present.append(col.name | lower) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
    {%- if found is not none or not execute %}
    select
        {%- for name, type in columns %}
        {% if name in present or not execute %}{{ name }}::{{ type }}{% else %}null::{{ type }}{% endif %} as {{ name }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ rel }}
    {%- else %}
    select
        {%- for name, type in columns %}
        null::{{ type }} as {{ name }}{{ "," if not loop.last }}
        {%- endfor %}
    where false
    {%- endif %}
{%- endmacro %}
