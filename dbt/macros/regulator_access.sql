{#- Regulator access to the marts (on-run-end hook).

    Roles (created when var rls_manage_roles, which needs CREATEROLE):
      regulator                        NOLOGIN group: usage on schema marts
      regulator_city_<4-digit city>    LOGIN, member of regulator: every row of its city
      regulator_district_<6-digit>     LOGIN, member of regulator: only its district's rows
    Login roles get no password here: an administrator sets one (ALTER ROLE … PASSWORD)
    or maps them to real accounts (GRANT regulator_district_440305 TO alice).

    Every mart with a district_code (text) or district_codes (text[]) column gets
    row-level security with one policy; marts without either (fct_data_quality_daily) are
    granted to the city roles only. dbt recreates tables on every build, which drops grants
    and policies: this hook puts them back at the end of every run, and a rebuilt table is
    closed to regulators (no grant) until it does. The table owner (dbt) is not subject
    to the policies. -#}
{% macro apply_regulator_access() -%}
    {%- if not execute or not var('rls_enabled') -%}
        {{ return('') }}
    {%- endif -%}
    {%- set dim = adapter.get_relation(database=target.database, schema='marts', identifier='dim_project') -%}
    {%- if dim is none -%}
        {{ return('') }}
    {%- endif -%}
    {%- set areas = run_query("select distinct district_code, city_code from " ~ dim ~ " where district_code ~ '^[0-9]{6}$'") -%}
    {%- set districts_sql = "array(select substr(rolname, 20)::text from pg_catalog.pg_roles where rolname like 'regulator\\_district\\_%' and pg_has_role(current_user, oid, 'member'))" -%}
    {%- set cities_sql = "array(select substr(rolname, 16)::text from pg_catalog.pg_roles where rolname like 'regulator\\_city\\_%' and pg_has_role(current_user, oid, 'member'))" -%}
    {%- set city_roles = [] -%}
    {%- for row in areas -%}
        {%- if ('regulator_city_' ~ row[1]) not in city_roles -%}
            {%- do city_roles.append('regulator_city_' ~ row[1]) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set sql -%}
    {%- if var('rls_manage_roles') %}
    do $rls$
    declare
        r text;
    begin
        if not exists (select 1 from pg_catalog.pg_roles where rolname = 'regulator') then
            create role regulator nologin;
        end if;
        foreach r in array array[
            {%- for row in areas %}'regulator_district_{{ row[0] }}', {% endfor -%}
            {%- for c in city_roles %}'{{ c }}', {% endfor %}null
        ]::text[] loop
            if r is not null and not exists (select 1 from pg_catalog.pg_roles where rolname = r) then
                execute format('create role %I login in role regulator', r);
            end if;
        end loop;
    end
    $rls$;
    {%- endif %}
    grant usage on schema marts to regulator;
    {%- for node in graph.nodes.values() | selectattr('resource_type', 'equalto', 'model') %}
    {%- if node.schema == 'marts' %}
    {%- set rel = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) %}
    {%- if rel is not none %}
    {%- set cols = node.columns.keys() | list %}
    alter table {{ rel }} enable row level security;
    drop policy if exists regulator_scope on {{ rel }};
    {%- if 'district_code' in cols %}
    create policy regulator_scope on {{ rel }} for select to regulator using (
        district_code = any ({{ districts_sql }})
        or left(district_code, 4) = any ({{ cities_sql }})
    );
    grant select on {{ rel }} to regulator;
    {%- elif 'district_codes' in cols %}
    create policy regulator_scope on {{ rel }} for select to regulator using (
        district_codes && {{ districts_sql }}
        or exists (
            select 1 from unnest(district_codes) as d (code)
            where left(d.code, 4) = any ({{ cities_sql }})
        )
    );
    grant select on {{ rel }} to regulator;
    {%- else %}
    create policy regulator_scope on {{ rel }} for select to regulator using (
        cardinality({{ cities_sql }}) > 0
    );
    revoke select on {{ rel }} from regulator;
    {%- for c in city_roles %}
    grant select on {{ rel }} to {{ c }};
    {%- endfor %}
    {%- endif %}
    {%- endif %}
    {%- endif %}
    {%- endfor %}
    {%- endset -%}
    {{ return(sql) }}
{%- endmacro %}
