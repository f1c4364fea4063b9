-- Findings of each inspection as the latest file listing the inspection gives them (a
-- corrected or re-sent inspection supersedes the earlier version).
with

inspections as (

    select * from {{ ref('stg_inspections__inspections') }}

),

findings as (

    select * from {{ ref('stg_inspections__findings') }}

),

latest_inspection as (

    select distinct on (inspection_id)
        inspection_id,
        object_key,
        project_code,
        inspection_date,
        kind_code

    from inspections
    order by inspection_id asc, file_date desc, published_at desc, object_key desc

),

final as (

    select
        findings.inspection_id,
        findings.child_no,
        latest_inspection.project_code,
        latest_inspection.inspection_date,
        latest_inspection.kind_code,
        findings.finding_code,
        findings.severity_code,
        findings.description,
        findings.deadline_date,
        findings.rectified_date,
        coalesce(findings.rectified_date <= findings.deadline_date, false) as is_rectified_on_time

    from findings
    inner join latest_inspection
        on
            findings.inspection_id = latest_inspection.inspection_id
            and findings.object_key = latest_inspection.object_key

)

select * from final
