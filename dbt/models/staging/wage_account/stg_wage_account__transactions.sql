with

source as (

    select * from {{ source('wage_account', 'wage_account_transactions') }}

),

renamed as (

    select
        project_code,
        statement_month,
        to_date(statement_month || '-01', 'YYYY-MM-DD') as statement_month_start,
        tx_id,
        tx_date,
        direction,
        amount,
        purpose,
        third_pay_roll_code,
        counterparty_account_key,
        counterparty_account_masked,
        wage_account,
        bank_code,
        opening_balance,
        closing_balance,
        object_key,
        published_at

    from source

)

select * from renamed
