"""Where the results of the embedded stack are: the "where to look" block of ``status``.

Everything a person opens after ``make demo``: the regulator reports, the Airflow UI, the
warehouse DSN for ``psql``/BI, the dbt docs, the GX Data Docs and the logs. Paths are
listed whether or not they exist yet (``exists`` says which), so the block also tells a
new user what each step will produce.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

AIRFLOW_UI_PORT = 8080
DOCS_BUCKET = "sitepass-quality"


def locations(home: Path, st: dict[str, Any]) -> list[dict[str, Any]]:
    """One entry per place: ``what``, ``where`` (path, URL or command), ``exists``."""
    reports = sorted((home / "reports").glob("report-*.html"))
    bucket = st.get("s3", {}).get("bucket") or "sitepass-landing"
    dsn = st.get("postgres", {}).get("dsn")
    dbt_docs = home / "dbt-docs" / "static_index.html"
    gx_docs = home / "gx-docs" / "index.html"
    out: list[dict[str, Any]] = []
    for r in reports:
        out.append({"what": "regulator report", "where": str(r), "exists": True})
    if not reports:
        out.append(
            {
                "what": "regulator report",
                "where": f"{home / 'reports'}/report-<city>-<YYYY-MM>.html "
                "(sitepass monthly --city 4403 --month YYYY-MM)",
                "exists": False,
            }
        )
    out += [
        {
            "what": "reports and national export in S3",
            "where": f"s3://{bucket}/reports/, s3://{bucket}/exports/national/",
            "exists": True,
        },
        {
            "what": "warehouse (psql, BI)",
            "where": f'psql "{dsn}"' if dsn else "stack not up",
            "exists": bool(dsn),
        },
        {
            "what": "marts",
            "where": "schema marts (fct_attendance_daily, fct_wage_arrears, "
            "fct_project_wage_warning, fct_inspection_score, …)",
            "exists": bool(dsn),
        },
        {
            "what": "Airflow UI",
            "where": f"sitepass ui  →  http://127.0.0.1:{AIRFLOW_UI_PORT} (user admin, password in "
            f"{home / 'airflow' / 'simple_auth_manager_passwords.json.generated'})",
            "exists": True,
        },
        {
            "what": "dbt docs",
            "where": f"{dbt_docs} (s3://{DOCS_BUCKET}/dbt-docs/index.html)",
            "exists": dbt_docs.is_file(),
        },
        {
            "what": "GX Data Docs",
            "where": f"{gx_docs} (s3://{DOCS_BUCKET}/data-docs/index.html)",
            "exists": gx_docs.is_file(),
        },
        {
            "what": "Airflow run logs",
            "where": str(home / "logs"),
            "exists": (home / "logs").is_dir(),
        },
    ]
    return out


def render(entries: list[dict[str, Any]]) -> str:
    width = max(len(e["what"]) for e in entries)
    lines = ["where to look:"]
    for e in entries:
        mark = "" if e["exists"] else "  (not built yet)"
        lines.append(f"  {e['what']:<{width}}  {e['where']}{mark}")
    return "\n".join(lines) + "\n"
