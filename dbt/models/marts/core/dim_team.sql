-- Teams (班组) of each project's latest registry snapshot.
with

projects as (

    select * from {{ ref('int_registry__projects_latest') }}

),

teams as (

    select * from {{ ref('stg_registry__teams') }}

),

latest_teams as (

    select distinct on (teams.project_code, teams.team_sys_no)
        teams.*,
        projects.district_code

    from teams
    inner join projects
        on
            teams.project_code = projects.project_code
            and teams.snapshot_date = projects.snapshot_date
    where teams.team_sys_no is not null
    order by teams.project_code, teams.team_sys_no, teams.child_no

),

final as (

    select
        project_code,
        team_sys_no,
        team_name,
        corp_code,
        leader_worker_key,
        entry_date,
        exit_date,
        exit_date is null as is_active,
        district_code

    from latest_teams

)

select * from final
