"""What each planted case must look like in the marts (shared by the planted-case tests).

``cases`` follows the interface of ``ingest.seed.city``'s ``report["cases"]`` (employee
numbers as the roster writes them, zero-padded). :func:`planted_failures` returns one
message per planted case the marts got wrong, so a test reports them all at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any


def canon(employee_no: str) -> str:
    """Canonical worker number as raw and the marts store it (leading zeros stripped)."""
    return employee_no.lstrip("0") or "0"


Query = Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]


def _alert(
    q: Query, rule: str, project: str, employee_no: str | None = None
) -> list[tuple[Any, ...]]:
    sql = (
        "select level, first_seen, last_seen, occurrences, period_key from marts.fct_alerts "
        "where rule = %s and project_code = %s"
    )
    params: tuple[Any, ...] = (rule, project)
    if employee_no is not None:
        sql += " and employee_no = %s"
        params += (canon(employee_no),)
    return q(sql, params)


def _warning(q: Query, project: str, month: str) -> tuple[str, list[str]] | None:
    rows = q(
        "select level, reasons from marts.fct_project_wage_warning "
        "where project_code = %s and pay_month = %s",
        (project, month),
    )
    return (rows[0][0], list(rows[0][1])) if rows else None


def planted_failures(q: Query, cases: dict[str, Any], as_of: date) -> list[str]:
    """One message per planted case that does not show as it must (empty: all good)."""
    bad: list[str] = []

    def expect(ok: bool, message: str) -> None:
        if not ok:
            bad.append(message)

    if c := cases.get("clean"):
        levels = q(
            "select pay_month, level, due_date from marts.fct_project_wage_warning "
            "where project_code = %s order by 1",
            (c["project"],),
        )
        expect(bool(levels), f"clean: no wage warning rows for {c['project']}")
        for month, level, due in levels:
            want = "green" if due < as_of else "pending"
            expect(level == want, f"clean: {month} is {level}, expected {want}")
        # a city with wage-account statements (the seed's) has one for every month of it
        gaps = q(
            "select pay_month, data_gaps from marts.fct_project_wage_warning "
            "where project_code = %s and (('min_wage_unknown' = any(data_gaps)) "
            "or ('statement_missing' = any(data_gaps) and exists ("
            "select from int.int_wages__statement_months s where s.project_code = %s)))",
            (c["project"], c["project"]),
        )
        expect(not gaps, f"clean: data gaps {gaps} (its statements and minimum wage are known)")
        grades = q(
            "select month, grade, total_score from marts.fct_inspection_score "
            "where project_code = %s order by 1",
            (c["project"],),
        )
        expect(bool(grades), f"clean: no inspection score rows for {c['project']}")
        for month, grade, total in grades:
            expect(grade == "A", f"clean: {month} grade {grade} ({total})")

    if c := cases.get("never_pays"):
        w = _warning(q, c["project"], c["pay_month"])
        expect(
            w is not None and w[0] == "red" and "no_payroll" in w[1],
            f"never_pays: warning {w}, expected red with no_payroll",
        )
        statuses = {
            r[0]
            for r in q(
                "select status from marts.fct_wage_arrears where "
                "project_code = %s and pay_month = %s and owed_amount > 0",
                (c["project"], c["pay_month"]),
            )
        }
        expect(statuses == {"unpaid"}, f"never_pays: arrears statuses {statuses}")

    if c := cases.get("wrong_account"):
        w = _warning(q, c["project"], c["pay_month"])
        expect(
            w is not None and w[0] == "red" and "wrong_account" in w[1],
            f"wrong_account: warning {w}, expected red with wrong_account",
        )
        via = {
            r[0]
            for r in q(
                "select paid_via_wage_account from marts.fct_wage_arrears where "
                "project_code = %s and pay_month = %s and pay_line_count > 0",
                (c["project"], c["pay_month"]),
            )
        }
        expect(False in via, f"wrong_account: paid_via_wage_account {via}")
        stated = q(
            "select has_statement from marts.fct_project_wage_warning "
            "where project_code = %s and pay_month = %s",
            (c["project"], _next_month(c["pay_month"])),
        )
        if stated and stated[0][0]:  # the statement of the month the lines were paid in
            expect(
                w is not None and "payroll_not_in_statement" in w[1],
                f"wrong_account: warning {w}, expected payroll_not_in_statement (paid from "
                "another account, so not in the wage account's statement)",
            )

    if c := cases.get("partial_payer"):
        w = _warning(q, c["project"], c["pay_month"])
        expect(
            w is not None and w[0] in {"yellow", "red"} and "partial_payment" in w[1],
            f"partial_payer: warning {w}, expected partial_payment",
        )
        for e in c.get("employee_nos", []):
            rows = q(
                "select status, arrears_amount from marts.fct_wage_arrears "
                "where project_code = %s and pay_month = %s and employee_no = %s",
                (c["project"], c["pay_month"], canon(e)),
            )
            expect(
                bool(rows) and rows[0][0] == "partial" and rows[0][1] > 0,
                f"partial_payer: worker {e} arrears {rows}",
            )

    if c := cases.get("late_payer"):
        w = _warning(q, c["project"], c["pay_month"])
        expect(
            w is not None and w[0] in {"yellow", "red"} and "paid_late" in w[1],
            f"late_payer: warning {w}, expected paid_late",
        )
        rows = q(
            "select status, min(days_overdue) from marts.fct_wage_arrears where "
            "project_code = %s and pay_month = %s and owed_amount > 0 group by status",
            (c["project"], c["pay_month"]),
        )
        expect(
            bool(rows) and {r[0] for r in rows} == {"paid_late"} and rows[0][1] > 0,
            f"late_payer: arrears {rows}",
        )

    if c := cases.get("three_month_low"):
        rows = q(
            "select month, is_low_attendance, low_months_in_a_row, is_three_month_low "
            "from marts.fct_attendance_monthly where project_code = %s and employee_no = %s "
            "order by month",
            (c["project"], canon(c["employee_no"])),
        )
        by_month = {r[0]: r for r in rows}
        months = c["months"]
        for m in months:
            expect(
                m in by_month and by_month[m][1],
                f"three_month_low: {m} not low ({by_month.get(m)})",
            )
        last = by_month.get(months[-1])
        expect(
            last is not None and last[2] >= len(months) and last[3],
            f"three_month_low: last month {last}",
        )
        expect(
            bool(_alert(q, "three_month_low", c["project"], c["employee_no"])),
            "three_month_low: no alert",
        )

    if c := cases.get("buddy_punch"):
        # The mart must count exactly the mismatches the face pipeline decided for the
        # planted days (it cannot see a buddy punch the face engine did not flag), and at
        # least one planted day must be one.
        seen = 0
        for d in c["work_dates"]:
            rows = q(
                "select mismatch_punch_count from marts.fct_attendance_daily where "
                "project_code = %s and employee_no = %s and work_date = %s",
                (c["project"], canon(c["employee_no"]), d),
            )
            decided = q(
                "select count(*) from raw.face_verifications where project_code = %s "
                "and employee_no = %s and work_date = %s and decision = 'mismatch'",
                (c["project"], canon(c["employee_no"]), d),
            )[0][0]
            got = rows[0][0] if rows else 0
            expect(got == decided, f"buddy_punch: {d} mart {got} mismatches, face {decided}")
            seen += got
        expect(seen >= 1, "buddy_punch: no planted day shows a mismatch")
        alert = _alert(q, "proxy_punch", c["project"], c["employee_no"])
        expect(bool(alert) and alert[0][0] == "red", f"buddy_punch: proxy_punch alert {alert}")

    if c := cases.get("expired_cert"):
        alert = _alert(q, "cert_expired", c["project"], c["employee_no"])
        expect(
            bool(alert)
            and alert[0][0] == "red"
            and alert[0][1] > date.fromisoformat(c["valid_until"]),
            f"expired_cert: cert_expired alert {alert}",
        )
        month = c["valid_until"][:7]
        later = q(
            "select min(certificate_score) from marts.fct_inspection_score "
            "where project_code = %s and month > %s",
            (c["project"], month),
        )
        expect(
            bool(later) and later[0][0] is not None and later[0][0] < 10,
            f"expired_cert: certificate score after expiry {later}",
        )

    if c := cases.get("unrectified_major"):
        month = c["deadline"][:7]
        rows = q(
            "select findings_due, findings_rectified, rectification_score "
            "from marts.fct_inspection_score where project_code = %s and month = %s",
            (c["project"], month),
        )
        expect(
            bool(rows) and rows[0][0] > rows[0][1] and rows[0][2] < 10,
            f"unrectified_major: score {rows}",
        )

    if c := cases.get("repeated_lateness"):
        alert = _alert(q, "repeated_lateness", c["project"], c["employee_no"])
        expect(any(a[4] == c["month"] for a in alert), f"repeated_lateness: alerts {alert}")

    if c := cases.get("untrained_on_site"):
        alert = _alert(q, "untrained_on_site", c["project"], c["employee_no"])
        expect(bool(alert) and alert[0][0] == "red", f"untrained_on_site: alert {alert}")

    if c := cases.get("no_contract"):
        alert = _alert(q, "no_contract", c["project"], c["employee_no"])
        expect(bool(alert), f"no_contract: alert {alert}")
        rows = q(
            "select distinct status from marts.fct_wage_arrears "
            "where project_code = %s and employee_no = %s",
            (c["project"], canon(c["employee_no"])),
        )
        expect({r[0] for r in rows} == {"no_contract"}, f"no_contract: arrears {rows}")

    if c := cases.get("long_absence"):
        alert = _alert(q, "long_absence", c["project"], c["employee_no"])
        expect(
            any(a[1] <= date.fromisoformat(c["from"]) + _days(1) for a in alert),
            f"long_absence: alerts {alert}",
        )

    for c in cases.get("roster_exits", []):
        # gone from the snapshot of exit_date on: no required day from that date
        rows = q(
            "select coalesce(max(work_date), date '1900-01-01') "
            "from int.int_attendance__worker_days "
            "where project_code = %s and employee_no = %s and is_required",
            (c["project"], canon(c["employee_no"])),
        )
        expect(
            rows[0][0] < date.fromisoformat(c["exit_date"]),
            f"roster_exits: {c['project']}/{c['employee_no']} required until {rows[0][0]}",
        )
        absent = [
            a
            for a in _alert(q, "long_absence", c["project"], c["employee_no"])
            if a[2] >= date.fromisoformat(c["exit_date"])
        ]
        expect(not absent, f"roster_exits: long absence after exit {absent}")

    if c := cases.get("identity_fraud_multi_site"):
        hits = [r for p in c["projects"] for r in _alert(q, "identity_fraud_multi_site", p)]
        expect(bool(hits), "identity_fraud_multi_site: no alert")

    if c := cases.get("identity_fraud_face"):
        hits = _alert(q, "identity_fraud_face", c["project"])
        expect(bool(hits), "identity_fraud_face: no alert")

    if c := cases.get("wage_anomalies"):
        _wage_anomalies(q, c, expect)

    if c := cases.get("statement_unbalanced"):
        rows = q(
            "select data_gaps from marts.fct_project_wage_warning "
            "where project_code = %s and pay_month = %s",
            (c["project"], c["month"]),
        )
        expect(
            bool(rows) and "statement_missing" in rows[0][0],
            f"statement_unbalanced: {c} gaps {rows}, expected statement_missing",
        )

    if (c := cases.get("never_pays")) and _next_month(c["pay_month"]) < as_of.isoformat()[:7]:
        # the score of the month after agrees with the red warning (its wages fell due then)
        scored = q(
            "select wage_level, wage_score, total_score from marts.fct_inspection_score "
            "where project_code = %s and month = %s",
            (c["project"], _next_month(c["pay_month"])),
        )
        expect(
            bool(scored) and scored[0][0] == "red" and scored[0][2] <= 70,
            f"never_pays: score of the month after {scored}, expected wage red and <= 70",
        )

    return bad


def _next_month(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:])
    return f"{year + mon // 12}-{mon % 12 + 1:02d}"


def _wage_anomalies(q: Query, c: dict[str, Any], expect: Callable[[bool, str], None]) -> None:
    """Each planted worker flag on its worker-month, as a project reason and an alert."""
    project, month = c["project"], c["pay_month"]
    for flag, employee_nos in c["employee_nos"].items():
        for e in employee_nos:
            rows = q(
                "select worker_flags from marts.fct_wage_arrears "
                "where project_code = %s and pay_month = %s and employee_no = %s",
                (project, month, canon(e)),
            )
            expect(
                bool(rows) and flag in rows[0][0],
                f"wage_anomalies: {flag} worker {e} has flags {rows}",
            )
            expect(bool(_alert(q, flag, project, e)), f"wage_anomalies: no {flag} alert for {e}")
    payee = c["paid_without_attendance"]["employee_no"]
    payees = q(
        "select worker_flags, present_days from marts.fct_wage_arrears "
        "where project_code = %s and pay_month = %s and employee_no = %s",
        (project, month, canon(payee)),
    )
    expect(
        any("paid_without_attendance" in f and days == 0 for f, days in payees),
        f"wage_anomalies: payee without attendance {payee}: {payees}",
    )
    expect(
        bool(_alert(q, "paid_without_attendance", project, payee)),
        f"wage_anomalies: no paid_without_attendance alert for {payee}",
    )
    w = _warning(q, project, month)
    want = {
        "below_min_wage",
        "paid_without_attendance",
        "shared_pay_card",
        "excess_withholding",
        "pay_days_mismatch",
        "pay_far_above_owed",
        *c.get("statement_cases", ()),
    }
    expect(
        w is not None and w[0] == "red" and want <= set(w[1]),
        f"wage_anomalies: warning {w}, expected red with {sorted(want)}",
    )


def _days(n: int) -> Any:
    from datetime import timedelta

    return timedelta(days=n)
