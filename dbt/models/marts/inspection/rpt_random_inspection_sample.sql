-- 双随机 draw per city and month: every grade-D project, plus ceil(share) (at least one)
-- of the other projects, taken in md5(project_code || month || seed) order. The same
-- inputs and seed always give the same draw.
with

scores as (

    select * from {{ ref('fct_inspection_score') }}

),

ordered as (

    select
        city_code,
        month,
        project_code,
        district_code,
        grade,
        total_score,
        md5(project_code || month || '{{ var("random_inspection_seed") }}') as draw_key,
        row_number() over (
            partition by city_code, month, grade = 'D'
            order by md5(project_code || month || '{{ var("random_inspection_seed") }}')
        ) as draw_order,
        count(*) filter (where grade <> 'D') over (partition by city_code, month) as other_projects

    from scores

),

final as (

    select
        city_code,
        month,
        project_code,
        district_code,
        grade,
        total_score,
        case when grade = 'D' then 'grade_d' else 'random' end as selection_reason,
        draw_order::integer as draw_order,
        draw_key

    from ordered
    where
        grade = 'D'
        or draw_order <= greatest(ceil(other_projects * {{ var('random_inspection_share') }}), 1)

)

select * from final
