"""``sitepass`` command line: a thin layer over ``ingest``.

Verbs (a public contract, operators' scripts use them): ``up``, ``migrate``, ``down``,
``status``, ``seed``, ``run``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from ingest import schedule
from ingest.config import ConfigError, sitepass_home
from ingest.stack.proc import StackError

log = logging.getLogger("sitepass")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {text!r}") from exc


def cmd_up(args: argparse.Namespace) -> int:
    from ingest.stack.manager import status, up

    home = sitepass_home()
    up(home, fast=args.fast)
    st = status(home)
    log.info("stack up in %s", home)
    pg = st["postgres"]
    log.info(
        "postgres: postgresql://%s:***@%s:%s/sitepass (password: `sitepass status --json`)",
        pg["user"],
        pg["host"],
        pg["port"],
    )
    log.info("s3: %s bucket %s", st["s3"]["endpoint_url"], st["s3"]["bucket"])
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    """Create or upgrade the warehouse schema (Alembic revisions up to head)."""
    from ingest.config import Settings
    from ingest.warehouse.migrate import migrate

    log.info("warehouse schema at revision %s (head)", migrate(Settings.from_env().warehouse_dsn))
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    from ingest.stack.manager import down

    stopped = down(sitepass_home())
    log.info("stopped: %s", ", ".join(stopped) if stopped else "nothing was running")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from ingest.stack.manager import status
    from ingest.stack.where import locations, render

    home = sitepass_home()
    st = status(home)
    st["where"] = locations(home, st)
    if args.json:
        sys.stdout.write(json.dumps(st, indent=2, ensure_ascii=False) + "\n")
    else:
        state = "running" if st["running"] else "not running"
        sys.stdout.write(
            f"sitepass stack in {st['home']}: {state}\n"
            f"  postgres  {st['postgres']['dsn']}\n"
            f"  s3        {st['s3']['endpoint_url']}  bucket {st['s3']['bucket']}\n"
        )
        if st["running"]:
            sys.stdout.write(render(st["where"]))
    return 0 if st["running"] else 3


def cmd_seed(args: argparse.Namespace) -> int:
    from ingest.config import Settings
    from ingest.seed.city import CitySpec, write_city

    settings = Settings.from_env()
    days = args.days
    if args.end is not None:
        if args.end < args.start:
            raise ConfigError("--end is before --start")
        days = (args.end - args.start).days + 1
    spec = CitySpec.preset(args.size, start=args.start, days=days, seed=args.seed)
    report = write_city(settings.s3, spec)
    path = settings.home / "seed-report.json"
    path.write_text(json.dumps(report, ensure_ascii=False, indent=1))
    log.info(
        "seeded %d projects in %d districts: %d objects in s3://%s; %d planted bad "
        "records, %d planted cases; full report: %s",
        len(report["projects"]),
        len(report["districts"]),
        report["objects"],
        settings.s3.bucket,
        sum(report["planted_rejects"].values()),
        len(report["cases"]),
        path,
    )
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """``landing_daily`` for every day of the range (one DAG run per day), then ``marts_build``."""
    from ingest.config import Settings
    from ingest.report.summary import attendance_summary, day_rows, warehouse_clock
    from ingest.stack.airflow_env import airflow_env
    from ingest.stack.dagtest import DagRunOutcome, run_series_subprocess

    if args.end < args.start:
        raise ConfigError("--end is before --start")
    settings = Settings.from_env()
    env = airflow_env(settings.home, settings.airflow_dsn)
    days = [args.start + timedelta(days=i) for i in range((args.end - args.start).days + 1)]
    logical = [schedule.run_after_day(d) for d in days]
    log_path = settings.home / "logs" / f"landing_daily_{args.start}_{args.end}.log"
    log.info(
        "landing_daily for %d day(s) %s..%s; Airflow log: %s",
        len(days),
        args.start,
        args.end,
        log_path,
    )
    t_all = time.monotonic()

    def progress(run: DagRunOutcome) -> None:
        n = len(done) + 1
        done.append(run)
        day = schedule.day_of_run_after(datetime.fromisoformat(run.logical_date))
        elapsed = time.monotonic() - t_all
        eta = elapsed / n * (len(days) - n)
        rows = day_rows(settings, day, since[-1])
        since.append(rows.counted_at)  # the next day's run starts after this
        log.info(
            "[%d/%d] %s %s in %.1fs: %s (elapsed %.0fs, about %.0fs left)",
            n,
            len(days),
            day,
            run.state,
            run.seconds,
            rows.line(run.seconds),
            elapsed,
            eta,
        )

    done: list[DagRunOutcome] = []
    since = [warehouse_clock(settings)]
    result = run_series_subprocess(
        env,
        "landing_daily",
        logical,
        log_path,
        conf={"city": args.city} if args.city else None,
        on_run=progress,
    )
    if not result.ok:
        log.error(
            "landing_daily failed (%d of %d days done); log: %s\n%s",
            sum(r.ok for r in result.runs),
            len(days),
            log_path,
            result.failure(),
        )
        return 1

    t0 = time.monotonic()
    marts_log = settings.home / "logs" / "marts_build.log"
    log.info(
        "marts_build (dbt, as of the day after the latest loaded day); Airflow log: %s", marts_log
    )
    # marts_build reads as_of from the warehouse; its logical date only labels the run
    marts = run_series_subprocess(env, "marts_build", logical[-1:], marts_log)
    if not marts.ok:
        log.error("marts_build failed; log: %s\n%s", marts_log, marts.failure())
        return 1
    log.info("marts built in %.1fs", time.monotonic() - t0)
    for line in attendance_summary(settings, args.start, args.end):
        log.info("%s", line)
    return 0


def cmd_monthly(args: argparse.Namespace) -> int:
    """``compliance_monthly`` for one city-month through Airflow (freeze, report, export)."""
    from ingest.config import Settings
    from ingest.stack.airflow_env import airflow_env
    from ingest.stack.dagtest import run_series_subprocess

    settings = Settings.from_env()
    due = schedule.monthly_due(args.month)
    log_path = settings.home / "logs" / f"compliance_monthly_{args.city}_{args.month}.log"
    log.info(
        "compliance_monthly for city %s, month %s (the run due %s); Airflow log: %s",
        args.city,
        args.month,
        due.date(),
        log_path,
    )
    t0 = time.monotonic()
    result = run_series_subprocess(
        airflow_env(settings.home, settings.airflow_dsn),
        "compliance_monthly",
        [due],
        log_path,
        conf={"city": args.city, "month": args.month},
    )
    if not result.ok:
        log.error("compliance_monthly failed; log: %s\n%s", log_path, result.failure())
        return 1
    report = settings.home / "reports" / f"report-{args.city}-{args.month}.html"
    log.info(
        "compliance_monthly done in %.1fs: snapshot in archive.*, report %s "
        "(s3://%s/reports/city=%s/month=%s/report.html), national export under "
        "s3://%s/exports/national/",
        time.monotonic() - t0,
        report,
        settings.s3.bucket,
        args.city,
        args.month,
        settings.s3.bucket,
    )
    return 0


def _month_arg(text: str) -> str:
    try:
        datetime.strptime(text, "%Y-%m")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM, got {text!r}") from exc
    return text


def _city_arg(text: str) -> str:
    if len(text) != 4 or not all("0" <= c <= "9" for c in text):  # ASCII digits only
        raise argparse.ArgumentTypeError(
            f"expected a 4-digit city code (the first 4 digits of areaCode), got {text!r}"
        )
    return text


def cmd_verify(args: argparse.Namespace) -> int:
    """Re-verify the gate captures of a date range outside Airflow, with a progress bar."""
    from tqdm import tqdm

    from ingest.config import Settings
    from ingest.pipeline import detect_identity_fraud, plan_verification, verify_captures

    settings = Settings.from_env()
    totals: dict[str, int] = {}
    day = args.start
    while day <= args.end:
        chunks = plan_verification(settings, day)
        with tqdm(
            total=sum(len(c) for c in chunks),
            desc=f"verify {day}",
            unit="capture",
            file=sys.stderr,
            disable=None,
        ) as bar:
            for chunk in chunks:
                out = verify_captures(settings, day, chunk)
                for decision, n in out.decisions.items():
                    totals[decision] = totals.get(decision, 0) + n
                bar.update(len(chunk))
        fraud = detect_identity_fraud(settings, day)
        log.info("%s: identity fraud found: %s", day, fraud)
        day += timedelta(days=1)
    log.info("decisions: %s", totals)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from ingest.config import Settings
    from ingest.report.html import write_report

    out = write_report(Settings.from_env(), args.city, args.month)
    log.info("report: %s (s3 key %s)", out.path, out.s3_key)
    return 0


def cmd_face(args: argparse.Namespace) -> int:
    from ingest.face.__main__ import main as face_main

    return int(face_main([args.action, *args.rest]))


def cmd_ui(args: argparse.Namespace) -> int:
    """Airflow UI + scheduler on the embedded stack until Ctrl-C."""
    import signal

    from ingest.config import Settings
    from ingest.stack import ui
    from ingest.stack.manager import remember_ui

    settings = Settings.from_env()
    info = ui.start(settings.home, settings.airflow_dsn, args.port)
    remember_ui(settings.home, info["pgid"])
    log.info("Airflow UI: %s (user admin, password in %s)", info["url"], info["password_file"])
    log.info("logs: %s/logs/ui-*.log; Ctrl-C stops the scheduler and the UI", settings.home)
    if args.detach:
        return 0
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        ui.stop(info["pgid"])
        remember_ui(settings.home, None)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sitepass", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="verb", required=True)

    p = sub.add_parser("up", help="start the embedded Postgres + S3 (state in $SITEPASS_HOME)")
    p.add_argument("--fast", action="store_true", help="throwaway cluster: fsync off (tests)")
    p.set_defaults(func=cmd_up)

    p = sub.add_parser("migrate", help="create or upgrade the warehouse schema (once per deploy)")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("down", help="stop what `up` started")
    p.set_defaults(func=cmd_down)

    p = sub.add_parser("status", help="DSNs, S3 endpoint, bucket and credentials of the stack")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("seed", help="write a deterministic synthetic city into the bucket")
    p.add_argument("--size", default="tiny", choices=["tiny", "small", "medium", "large"])
    p.add_argument("--start", type=_date, default=date(2026, 11, 2))
    days = p.add_mutually_exclusive_group()
    days.add_argument("--days", type=int, default=1)
    days.add_argument("--end", type=_date, help="last day (instead of --days)")
    p.add_argument("--seed", type=int, default=20261102)
    p.set_defaults(func=cmd_seed)

    p = sub.add_parser("run", help="run the pipeline DAGs for every day of a range")
    p.add_argument("--start", type=_date, required=True)
    p.add_argument("--end", type=_date, required=True)
    p.add_argument("--city", type=_city_arg, help="city code (first 4 digits of areaCode)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "monthly",
        help="the monthly compliance run of a city-month through Airflow "
        "(freeze, 双随机 draw, report, national export)",
    )
    p.add_argument(
        "--city", type=_city_arg, default="4403", help="city code (first 4 digits of areaCode)"
    )
    p.add_argument("--month", required=True, type=_month_arg, help="YYYY-MM")
    p.set_defaults(func=cmd_monthly)

    p = sub.add_parser("ui", help="Airflow UI + scheduler against the embedded stack")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument(
        "--detach", action="store_true", help="return once it is up (stop it with `sitepass down`)"
    )
    p.set_defaults(func=cmd_ui)

    p = sub.add_parser("verify", help="re-verify gate captures of a date range (no Airflow)")
    p.add_argument("--start", type=_date, required=True)
    p.add_argument("--end", type=_date, required=True)
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("report", help="the regulator's HTML report of a city-month")
    p.add_argument("--city", type=_city_arg, required=True, help="city code, e.g. 4403")
    p.add_argument("--month", required=True, type=_month_arg, help="YYYY-MM")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("face", help="face model pack: build | calibrate | bench")
    p.add_argument("action", choices=["build", "calibrate", "bench"])
    p.add_argument("rest", nargs=argparse.REMAINDER, help="options of the action")
    p.set_defaults(func=cmd_face)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("great_expectations", "botocore", "urllib3", "alembic.runtime.plugins"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        return int(args.func(args))
    except (ConfigError, StackError) as exc:
        log.error("%s", exc)
        return 2


if __name__ == "__main__":
    sys.exit(main())
