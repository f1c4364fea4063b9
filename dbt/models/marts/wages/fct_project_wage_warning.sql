-- Project wage warning (欠薪预警) per project and pay month with attendance, as of as_of:
-- pending before the due date; otherwise every rule that fires adds its code to reasons
-- (a worker flag of fct_wage_arrears fires when any worker-month of the project-month has
-- it) and the level is the worst (red > yellow > green). Data gaps (min_wage_unknown) are
-- listed apart and never change the level. Codes and levels: rule_wage_warning_reason.
with

arrears as (

    select * from {{ ref('fct_wage_arrears') }}

),

lines as (

    select * from {{ ref('stg_payroll__lines') }}

),

projects as (

    select * from {{ ref('int_registry__projects_latest') }}

),

reason_levels as (

    select * from {{ ref('rule_wage_warning_reason') }}

),

statements as (

    select * from {{ ref('int_wages__statement_months') }}

),

payroll_in_statement as (

    select * from {{ ref('int_wages__payroll_in_statement') }}

),

project_months as (

    select
        project_code,
        pay_month,
        min(due_date) as due_date,
        count(*) filter (where present_days > 0)::integer as attendance_headcount,
        count(*) filter (where present_days > 0 and pay_line_count > 0)::integer as paid_headcount,
        count(*) filter (where status = 'partial')::integer as partial_workers,
        count(*) filter (where status = 'paid_late')::integer as paid_late_workers,
        count(*) filter (where status = 'unpaid')::integer as unpaid_workers,
        sum(paid_amount) filter (where pay_line_count > 0) as paid_total,
        avg(present_days) filter (where pay_line_count > 0) as avg_paid_present_days,
        coalesce(sum(arrears_amount), 0) as arrears_total,
        count(*) filter (where cardinality(worker_flags) > 0)::integer as flagged_workers,
        max(monthly_min_wage) as monthly_min_wage

    from arrears
    group by project_code, pay_month
    having count(*) filter (where present_days > 0) > 0

),

month_flags as (

    -- every worker flag of the project-month
    select
        arrears.project_code,
        arrears.pay_month,
        array_agg(distinct flag.code) as worker_flags

    from arrears
    cross join lateral unnest(arrears.worker_flags) as flag (code)
    group by arrears.project_code, arrears.pay_month

),

project_lines as (

    select
        lines.project_code,
        lines.pay_month,
        count(*)::integer as pay_line_count,
        count(*) filter (
            where lines.pay_account_number is distinct from projects.wage_account_number
        )::integer as wrong_account_lines

    from lines
    left join projects
        on lines.project_code = projects.project_code
    where lines.paid_date < {{ as_of() }}
    group by lines.project_code, lines.pay_month

),

statement_checks as (

    -- the wage account's statements of M and M - 1 (M - 1 not needed before data start)
    select
        project_months.project_code,
        project_months.pay_month,
        this_month.project_code is not null as has_statement,
        (
            previous_month.project_code is not null
            or to_date(project_months.pay_month || '-01', 'YYYY-MM-DD') - interval '1 month'
            < {% if var('data_start') -%}
                date_trunc('month', date '{{ var("data_start") }}')
            {%- else -%}
                (
                    select min(to_date(arrears.pay_month || '-01', 'YYYY-MM-DD')) as first_month
                    from arrears
                )
            {%- endif %}
        ) as has_previous_statement_or_none_needed,
        coalesce(this_month.labour_cost_inflows, 0)
        + coalesce(previous_month.labour_cost_inflows, 0) as labour_cost_inflows,
        coalesce(this_month.non_wage_outflows, 0) as non_wage_outflows,
        coalesce(payroll_in_statement.lines_not_in_statement, 0) as lines_not_in_statement

    from project_months
    left join statements as this_month
        on
            project_months.project_code = this_month.project_code
            and project_months.pay_month = this_month.statement_month
    left join statements as previous_month
        on
            project_months.project_code = previous_month.project_code
            and to_char(
                to_date(project_months.pay_month || '-01', 'YYYY-MM-DD') - interval '1 month',
                'YYYY-MM'
            ) = previous_month.statement_month
    left join payroll_in_statement
        on
            project_months.project_code = payroll_in_statement.project_code
            and project_months.pay_month = payroll_in_statement.pay_month

),

measured as (

    select
        project_months.*,
        projects.district_code,
        coalesce(project_lines.pay_line_count, 0) as pay_line_count,
        coalesce(project_lines.wrong_account_lines, 0) as wrong_account_lines,
        coalesce(month_flags.worker_flags, '{}') as worker_flags,
        statement_checks.has_statement,
        statement_checks.has_previous_statement_or_none_needed,
        statement_checks.labour_cost_inflows,
        statement_checks.non_wage_outflows,
        statement_checks.lines_not_in_statement,
        case
            when project_months.paid_headcount > 0
                then project_months.paid_total / project_months.paid_headcount
        end as avg_paid_amount,
        project_months.due_date < {{ as_of() }} as is_past_due

    from project_months
    left join project_lines
        on
            project_months.project_code = project_lines.project_code
            and project_months.pay_month = project_lines.pay_month
    left join month_flags
        on
            project_months.project_code = month_flags.project_code
            and project_months.pay_month = month_flags.pay_month
    left join statement_checks
        on
            project_months.project_code = statement_checks.project_code
            and project_months.pay_month = statement_checks.pay_month
    left join projects
        on project_months.project_code = projects.project_code

),

reasoned as (

    select
        *,
        case
            when is_past_due
                then array_remove(array[
                        case when pay_line_count = 0 then 'no_payroll' end,
                        case
                            when (attendance_headcount - paid_headcount)::numeric
                                / attendance_headcount
                                > {{ var('unpaid_worker_share_red') }}
                                then 'unpaid_over_10pct'
                        end,
                        case when wrong_account_lines > 0 then 'wrong_account' end,
                        case when 'below_min_wage' = any(worker_flags) then 'below_min_wage' end,
                        case
                            when 'paid_without_attendance' = any(worker_flags)
                                then 'paid_without_attendance'
                        end,
                        case when 'shared_pay_card' = any(worker_flags) then 'shared_pay_card' end,
                        case
                            when lines_not_in_statement > 0 then 'payroll_not_in_statement'
                        end,
                        case when non_wage_outflows > 0 then 'non_wage_outflow' end,
                        case
                            when paid_headcount < attendance_headcount then 'missing_pay_lines'
                        end,
                        case when partial_workers > 0 then 'partial_payment' end,
                        case when paid_late_workers > 0 then 'paid_late' end,
                        case
                            when 'excess_withholding' = any(worker_flags)
                                then 'excess_withholding'
                        end,
                        case
                            when 'pay_days_mismatch' = any(worker_flags) then 'pay_days_mismatch'
                        end,
                        case
                            when 'pay_far_above_owed' = any(worker_flags)
                                then 'pay_far_above_owed'
                        end,
                        -- judged only on statements that exist: both needed, neither with
                        -- labour-cost money paid in
                        case
                            when has_statement and has_previous_statement_or_none_needed
                                and labour_cost_inflows = 0
                                then 'labour_cost_missing'
                        end
                    ], null)
            else '{}'::text[]
        end as reasons,
        array_remove(array[
            case when monthly_min_wage is null then 'min_wage_unknown' end,
            case when not has_statement then 'statement_missing' end
        ], null) as data_gaps

    from measured

),

worst as (

    select
        reasoned.project_code,
        reasoned.pay_month,
        bool_or(reason_levels.level = 'red') as has_red,
        bool_or(reason_levels.level = 'yellow') as has_yellow

    from reasoned
    cross join lateral unnest(reasoned.reasons) as reason (code)
    inner join reason_levels
        on reason.code = reason_levels.code
    group by reasoned.project_code, reasoned.pay_month

),

final as (

    select
        reasoned.project_code,
        reasoned.pay_month,
        reasoned.due_date,
        case
            when not reasoned.is_past_due then 'pending'
            when worst.has_red then 'red'
            when worst.has_yellow then 'yellow'
            else 'green'
        end as level,
        reasoned.reasons,
        array_to_string(reasoned.reasons, ',') as reason_list,
        reasoned.attendance_headcount,
        reasoned.paid_headcount,
        reasoned.unpaid_workers,
        reasoned.partial_workers,
        reasoned.paid_late_workers,
        reasoned.pay_line_count,
        reasoned.wrong_account_lines,
        round(reasoned.avg_paid_amount, 2) as avg_paid_amount,
        round(reasoned.avg_paid_amount, 2) as avg_paid_gross,
        round(reasoned.avg_paid_present_days, 2) as avg_paid_present_days,
        reasoned.monthly_min_wage,
        round(reasoned.arrears_total, 2) as arrears_total,
        reasoned.flagged_workers,
        reasoned.has_statement,
        reasoned.lines_not_in_statement,
        reasoned.non_wage_outflows,
        reasoned.data_gaps,
        array_to_string(reasoned.data_gaps, ',') as data_gap_list,
        reasoned.district_code

    from reasoned
    left join worst
        on
            reasoned.project_code = worst.project_code
            and reasoned.pay_month = worst.pay_month

)

select * from final
