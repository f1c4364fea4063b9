with

source as (

    select * from {{ source('payroll', 'payroll_lines') }}

),

renamed as (

    select
        project_code,
        third_pay_roll_code,
        pay_month,
        to_date(pay_month || '-01', 'YYYY-MM-DD') as pay_month_start,
        worker_key,
        corp_code,
        team_sys_no,
        id_card_type,
        days as days_reported,
        work_hours,
        pay_bank_card_number as pay_account_number,
        pay_bank_code,
        total_pay_amount,
        actual_amount,
        -- The loader has typed this column integer (contract: 0/1) or boolean; both cast.
        coalesce(is_back_pay::integer = 1, false) as is_back_pay,
        back_pay_month,
        balance_date as paid_date,
        bank_card_key,
        bank_card_masked,
        object_key,
        published_at

    from source

)

select * from renamed
