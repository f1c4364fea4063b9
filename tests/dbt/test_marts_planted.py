"""The seeded city of ``ingest.seed.city`` over three months, end to end.

One load serves all the tests of this module, and the ingest tests of
``tests/integration/test_ingest_city.py`` after it (the session's ``planted_city``,
``tests/shared_city.py``): August and September day by day through the pipeline functions
the DAG's tasks call, then October through Airflow (`sitepass run`: landing_daily per day
with every feed, faces verified, identity fraud searched; then marts_build):

- the planted cases (a project that never pays a month, one paying from a wrong account,
  a partial payer, a late payer, a worker low three months in a row, buddy punches, an
  expired electrician certificate, an unrectified major finding, …) each show in the
  right mart with the right status, level or reason code, and the clean project is green
  with grade A;
- the monthly compliance pass through Airflow (`sitepass monthly`): the frozen snapshot,
  the regulator's HTML report (opened in headless Chromium and screenshotted) and the
  national OpenAPI export;
- a re-run of a middle week of the month through Airflow (`sitepass run`) loads nothing
  new and leaves every mart identical.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from datetime import UTC, date
from pathlib import Path
from typing import Any

import pytest

from tests.dbt.conftest import querier
from tests.dbt.planted import planted_failures
from tests.shared_city import AS_OF, sitepass_run

pytestmark = pytest.mark.slow

CITY = "4403"
MARTS = (
    "dim_project",
    "dim_corp",
    "dim_team",
    "dim_worker",
    "fct_attendance_daily",
    "fct_attendance_monthly",
    "fct_wage_arrears",
    "fct_project_wage_warning",
    "fct_inspection_score",
    "rpt_random_inspection_sample",
    "fct_alerts",
    "fct_data_quality_daily",
)


@pytest.fixture(scope="module")
def city(planted_city: dict[str, Any]) -> dict[str, Any]:
    """GIVEN the session's planted city (``tests/shared_city.py``), built once and shared
    with ``tests/integration/test_ingest_city.py``, which runs after this module."""
    return planted_city


def _checksums(settings: Any) -> dict[str, str]:
    q = querier(settings)
    return {
        m: q(
            f"select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) from marts.{m} t"
        )[0][0]
        for m in MARTS
    }


def _buddy_dates(city: dict[str, Any], month: str) -> list[str]:
    """The planted buddy-punch days of a month (one proxy punch each)."""
    return [
        str(d) for d in city["report"]["cases"]["buddy_punch"]["work_dates"] if str(d)[:7] == month
    ]


def test_planted_cases_reach_the_marts(city: dict[str, Any]) -> None:
    cases = city["report"]["cases"]
    assert {
        "never_pays",
        "wrong_account",
        "partial_payer",
        "late_payer",
        "three_month_low",
        "buddy_punch",
        "expired_cert",
        "unrectified_major",
        "clean",
    } <= set(cases)
    # THEN every planted case shows in the right mart with the right code
    failures = planted_failures(querier(city["settings"]), cases, AS_OF)
    assert not failures, "\n".join(failures)


def test_monthly_compliance_run_through_airflow_freezes_reports_and_exports(
    city: dict[str, Any], tmp_path: Path
) -> None:
    settings = city["settings"]
    from ingest.export.national import Credentials, validate
    from ingest.storage import get_bytes

    q = querier(settings)
    # WHEN compliance_monthly runs for October through Airflow (`sitepass monthly`)
    proc = subprocess.run(
        [sys.executable, "-m", "ingest.cli", "monthly", "--city", CITY, "--month", "2026-10"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-5000:]
    # THEN October's marts are frozen, with the 双随机 draw
    frozen = dict(
        q(
            "select 'scores', count(*) from archive.fct_inspection_score "
            "where snapshot_month = '2026-10' union all "
            "select 'draw', count(*) from archive.rpt_random_inspection_sample "
            "where snapshot_month = '2026-10'"
        )
    )
    assert frozen["scores"] == len(city["report"]["projects"])
    assert frozen["draw"] >= 1
    # AND the month's national export is in the bucket and every request validates
    creds = Credentials(settings.national_appid, settings.national_appsecret)
    manifest = json.loads(
        get_bytes(settings.s3, f"exports/national/city={CITY}/month=2026-10/manifest.json")
    )
    assert manifest["attendance_records"] > 0 and manifest["files"]
    # AND the planted buddy punches of October (face mismatch) are proxies, not attendance:
    # exactly those punches are left out of the export
    assert manifest["skipped_mismatch"] == len(_buddy_dates(city, "2026-10")) > 0
    for key in manifest["files"]:
        validate(json.loads(get_bytes(settings.s3, key)), creds)
    # AND the report is stored locally and in S3, self-contained, in Chinese
    out = {
        "path": str(Path(settings.home) / "reports" / f"report-{CITY}-2026-10.html"),
        "s3_key": f"reports/city={CITY}/month=2026-10/report.html",
    }
    page = Path(out["path"]).read_text()
    assert get_bytes(settings.s3, out["s3_key"]).decode() == page
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org", "")
    never_pays = city["report"]["cases"]["never_pays"]["project"]
    assert never_pays in page and "红色预警" in page
    # AND headless Chromium renders it without errors (screenshot kept for the note)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "chromium is installed by `make setup` (infra/scripts/system-deps.sh)"
    shot = tmp_path / "report.png"
    proc = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1280,3000",
            "--enable-logging=stderr",
            "--v=0",
            f"--screenshot={shot}",
            f"file://{out['path']}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [line for line in proc.stderr.splitlines() if "CONSOLE" in line]
    assert console == []
    assert shot.exists() and shot.stat().st_size > 50_000  # charts and tables, not blank
    keep = Path(settings.home) / "reports"
    keep.mkdir(exist_ok=True)
    shutil.copy(shot, keep / "report-4403-2026-10.png")


def test_national_export_of_a_month_validates(city: dict[str, Any]) -> None:
    settings = city["settings"]
    from datetime import datetime

    from ingest.export.monthly import export_month
    from ingest.export.national import Credentials, decrypt, validate
    from ingest.storage import get_bytes

    manifest = export_month(settings, CITY, "2026-09", as_of=datetime(2026, 10, 20, tzinfo=UTC))
    assert manifest.attendance_records > 0 and manifest.payroll_records > 0
    creds = Credentials(settings.national_appid, settings.national_appsecret)
    for key in manifest.files:
        req = json.loads(get_bytes(settings.s3, key))
        validate(req, creds)  # field list, formats, signature, encryption
    # buddy punches (face mismatch) are not exported as attendance: the city plants them
    # in its last month only (where gate captures exist), so September skips exactly none
    assert manifest.skipped_mismatch == len(_buddy_dates(city, "2026-09")) == 0
    sample = json.loads(get_bytes(settings.s3, manifest.files[0]))
    item = json.loads(sample["data"])["dataList"][0]
    assert len(decrypt(item["idCardNumber"], creds)) == 18


def test_rerun_of_a_middle_week_through_airflow_leaves_marts_identical(
    city: dict[str, Any],
) -> None:
    settings = city["settings"]
    q = querier(settings)
    # GIVEN the marts `sitepass run` built after the month it loaded, and the file
    # accounting and quarantine of everything loaded so far
    before = _checksums(settings)
    audit_before = q("select count(*), sum(rows_loaded) from ops.load_audit")
    quarantine_before = q("select count(*) from ops.quarantine")
    # WHEN a middle week of that month is re-run through Airflow (landing_daily per day,
    # then marts_build)
    proc = sitepass_run(date(2026, 10, 12), date(2026, 10, 18))
    assert proc.returncode == 0, proc.stderr[-5000:]
    # THEN each day's progress line says its run read nothing
    days = re.findall(r"\[\d/7\] (2026-10-\d\d) success in [\d.]+s: (.*?) \(elapsed", proc.stderr)
    assert [d for d, _ in days] == [f"2026-10-{d}" for d in range(12, 19)], proc.stderr[-3000:]
    assert {what for _, what in days} == {
        "0 rows read from 0 files, 0 loaded, 0 quarantined, 0 rows/s"
    }
    # AND nothing new is loaded or quarantined
    assert q("select count(*), sum(rows_loaded) from ops.load_audit") == audit_before
    assert q("select count(*) from ops.quarantine") == quarantine_before
    # AND every mart is row-for-row identical
    assert _checksums(settings) == before
