"""The CLI's argument contract and the "where to look" block (no stack needed)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from ingest.cli import build_parser
from ingest.stack.where import locations, render


def test_monthly_takes_a_city_and_a_month() -> None:
    # WHEN the monthly verb is parsed without a city
    args = build_parser().parse_args(["monthly", "--month", "2026-10"])
    # THEN the city defaults to Shenzhen and the month is kept as text
    assert (args.city, args.month) == ("4403", "2026-10")


@pytest.mark.parametrize("bad", ["2026-13", "2026/10", "202610", "October"])
def test_monthly_rejects_a_malformed_month(bad: str) -> None:
    # WHEN the month is not YYYY-MM THEN argparse exits with a usage error
    with pytest.raises(SystemExit):
        build_parser().parse_args(["monthly", "--month", bad])


def test_seed_accepts_an_end_day_instead_of_a_day_count() -> None:
    args = build_parser().parse_args(["seed", "--start", "2026-09-01", "--end", "2026-10-31"])
    assert (args.start, args.end) == (date(2026, 9, 1), date(2026, 10, 31))
    # AND --days and --end exclude each other
    with pytest.raises(SystemExit):
        build_parser().parse_args(["seed", "--days", "3", "--end", "2026-10-31"])


def test_where_lists_every_place_and_marks_what_is_not_built(tmp_path: Path) -> None:
    # GIVEN a stack home with one report and GX Data Docs, but no dbt docs yet
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "report-4403-2026-10.html").write_text("<html></html>")
    (tmp_path / "gx-docs").mkdir()
    (tmp_path / "gx-docs" / "index.html").write_text("<html></html>")
    st = {
        "postgres": {"dsn": "postgresql://sitepass:pw@127.0.0.1:55432/sitepass"},
        "s3": {"bucket": "sitepass-landing"},
    }
    # WHEN the locations are listed
    entries = {e["what"]: e for e in locations(tmp_path, st)}
    # THEN every place a user opens after the demo is there
    assert {
        "regulator report",
        "warehouse (psql, BI)",
        "Airflow UI",
        "dbt docs",
        "GX Data Docs",
    } <= set(entries)
    assert entries["regulator report"]["where"].endswith("report-4403-2026-10.html")
    assert entries["warehouse (psql, BI)"]["where"] == (
        'psql "postgresql://sitepass:pw@127.0.0.1:55432/sitepass"'
    )
    assert "http://127.0.0.1:8080" in entries["Airflow UI"]["where"]
    # AND what is not built yet says so
    assert not entries["dbt docs"]["exists"] and entries["GX Data Docs"]["exists"]
    text = render(list(entries.values()))
    assert "dbt docs" in text and "(not built yet)" in text


@pytest.mark.parametrize(
    "verb",
    [
        ["run", "--start", "2026-10-01", "--end", "2026-10-02"],
        ["monthly", "--month", "2026-10"],
        ["report", "--month", "2026-10"],
    ],
)
@pytest.mark.parametrize("bad", ["44", "44030", "sz", "４４０３"])
def test_city_must_be_four_digits(verb: list[str], bad: str) -> None:
    # WHEN a city code is not the 4 digits areaCode starts with THEN argparse refuses it
    with pytest.raises(SystemExit):
        build_parser().parse_args([*verb, "--city", bad])
    # AND a well-formed code is kept
    assert build_parser().parse_args([*verb, "--city", "4403"]).city == "4403"


@pytest.mark.parametrize(
    ("month", "due"),
    [
        ("2026-10", "2026-11-20T06:00:00+08:00"),
        ("2026-12", "2027-01-20T06:00:00+08:00"),
        ("2027-01", "2027-02-20T06:00:00+08:00"),
    ],
)
def test_the_monthly_run_of_a_month_is_due_on_the_20th_of_the_next(month: str, due: str) -> None:
    from ingest.schedule import monthly_due

    # WHEN the due run is derived from the compliance_monthly cron
    # THEN it is the 20th of the next month, 06:00 local time
    assert monthly_due(month).isoformat() == due


NOW = datetime(2026, 11, 3, 1, 0, tzinfo=UTC)


def test_a_days_progress_line_gives_files_rows_and_rate() -> None:
    from ingest.report.summary import DayRows
    from ingest.warehouse.loader import load_ids_of_day, make_load_id

    # GIVEN a day whose run staged 12,345 rows from 17 files in 2.5 s
    rows = DayRows(files=17, read=12_345, loaded=12_000, quarantined=300, counted_at=NOW)
    # THEN the progress line says so, with the rate over the run's seconds
    assert rows.line(2.5) == (
        "12,345 rows read from 17 files, 12,000 loaded, 300 quarantined, 4,938 rows/s"
    )
    # AND a run that read nothing (or took no time) shows zeros, not an error
    assert DayRows(0, 0, 0, 0, NOW).line(0.0).endswith("0 rows/s")
    # AND the day's load ids, whatever the feed, are what the pattern selects
    day = date(2026, 11, 2)
    pattern = load_ids_of_day(day).replace("%", ".*")
    import re

    for feed in ("zkteco", "registry", "payroll"):
        assert re.fullmatch(pattern, make_load_id(feed, day, ["k@e"]))
    assert not re.fullmatch(pattern, make_load_id("zkteco", date(2026, 11, 3), ["k@e"]))
