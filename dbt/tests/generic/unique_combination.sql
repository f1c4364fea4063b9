{#- Fails with the duplicated key combinations (kept local: no `dbt deps` at run time). -#}
{% test dbt_utils_free_unique_combination(model, combination_of_columns) %}
select
    {{ combination_of_columns | join(', ') }},
    count(*) as n_rows
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1
{% endtest %}
