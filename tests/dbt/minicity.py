"""A small hand-planted city for the dbt marts (landing-contract files, deterministic).

It plants one case per rule the marts implement and reports them with the same
interface as ``ingest.seed.city``'s ``report["cases"]``, so the planted-case tests can
run against either. Every object carries the day it *arrives* in the bucket: payroll
files land when their payments are made (a line paid after the run's interval end would
be rejected as a future timestamp), the rest on their partition date.

Face verifications are not landing files: :func:`face_rows` returns the rows the face
pipeline would publish into ``raw.face_verifications`` for the planted buddy punches.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from ingest.seed.ids import make_id_number, make_uscc

START = date(2026, 8, 1)
END = date(2026, 10, 31)  # last loaded day; the marts run with as_of = END + 1
SHIFT_START = time(7, 30)


@dataclass(slots=True)
class W:
    no: str
    id_number: str
    work_type: str = "020"
    wage: float = 350.0
    contract: bool = True
    trained: bool = True
    cert_until: str | None = None
    entry: str = "2026-05-01"
    absent: float = 0.0  # share of required days absent
    late_days: tuple[str, ...] = ()
    leaves_on: str | None = None  # disappears from the roster snapshot of this date


@dataclass(slots=True)
class P:
    code: str
    area: str
    corp: str
    device: str
    vendor: str = "zkteco"
    pay_day: int = 15
    workers: list[W] = field(default_factory=list)


@dataclass(slots=True)
class City:
    projects: list[P]
    objects: list[tuple[date, str, bytes]]  # (arrival day, key, bytes)
    cases: dict[str, Any]
    face: list[dict[str, Any]]


def _month_days(month: str) -> list[date]:
    y, m = int(month[:4]), int(month[5:])
    d = date(y, m, 1)
    out = []
    while d.month == m:
        out.append(d)
        d += timedelta(days=1)
    return out


def _card(w: W) -> str:
    return f"621700000{w.id_number[-10:].replace('X', '0')}"


def _wage_account(p: P) -> str:
    return f"4425{p.code[-8:]}00000001"


def build() -> City:
    rng = random.Random(20260801)
    seq = iter(range(1, 10_000))

    def worker(no: int, **kw: Any) -> W:
        birth = date(1970, 1, 1) + timedelta(days=rng.randrange(0, 365 * 30))
        return W(f"{no:06d}", make_id_number("410102", birth, next(seq), male=True), **kw)

    def project(idx: int, area: str, vendor: str = "zkteco") -> P:
        code = f"{area}20250301{idx:04d}"
        dev = f"ZK-{idx:04d}A" if vendor == "zkteco" else f"HK-{idx:04d}B"
        return P(code, area, make_uscc(area, rng), dev, vendor)

    clean = project(1, "440305")
    clean.workers = [worker(i) for i in range(1, 7)]
    clean.workers[2].work_type = "130"
    clean.workers[2].cert_until = "2027-12-31"
    never = project(2, "440305")
    never.workers = [worker(i) for i in range(1, 6)]
    wrong = project(3, "440306")
    wrong.workers = [worker(i) for i in range(1, 6)]
    partial = project(4, "440306")
    partial.workers = [worker(i) for i in range(1, 6)]
    late = project(5, "440305")
    late.workers = [worker(i) for i in range(1, 6)]
    misc = project(6, "440306", vendor="hikvision")
    misc.workers = [
        worker(1),
        worker(2, absent=0.5),  # three months low
        worker(3),  # buddy punches
        worker(4, work_type="130", cert_until="2026-09-15"),  # expired electrician
        worker(5, late_days=("2026-10-05", "2026-10-06", "2026-10-07", "2026-10-08")),
        worker(6, trained=False),
        worker(7, contract=False),
        worker(8, leaves_on="2026-09-01"),
        worker(9, work_type="270", cert_until="2026-11-20"),  # expiring within 30 days
    ]
    projects = [clean, never, wrong, partial, late, misc]
    objects: list[tuple[date, str, bytes]] = []

    # registry: one snapshot at the start
    reg = []
    for p in projects:
        reg.append(
            {
                "projectCode": p.code,
                "name": f"工程{p.code[-4:]}",
                "category": "01",
                "areaCode": p.area,
                "prjStatus": "003",
                "startDate": "2025-03-01",
                "completeDate": "2027-12-31",
                "invest": 5000.0,
                "address": "深圳",
                "lng": 113.9,
                "lat": 22.5,
                "contractorCorpCode": p.corp,
                "contractorCorpName": f"总包{p.code[-4:]}",
                "buildCorpCode": p.corp,
                "buildCorpName": f"建设{p.code[-4:]}",
                "wageAccount": {"bankCode": "105", "accountNumber": _wage_account(p)},
                "payDay": p.pay_day,
                "shift": {"start": "07:30", "end": "17:30"},
                "subContractors": [],
                "teams": [
                    {
                        "teamSysNo": 200000 + int(p.code[-4:]),
                        "corpCode": p.corp,
                        "teamName": "综合班",
                        "leaderIdCardNumber": p.workers[0].id_number,
                        "entryTime": "2025-03-01",
                        "exitTime": None,
                    }
                ],
                "devices": [
                    {"deviceSN": p.device, "vendor": p.vendor, "channel": "东门", "role": "both"}
                ],
            }
        )
    objects.append(
        (START, f"registry/dt={START}/projects.json", json.dumps(reg, ensure_ascii=False).encode())
    )

    # rosters: a snapshot on the 1st of every month
    for p in projects:
        for snap in (date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)):
            lines = []
            for w in p.workers:
                if w.leaves_on and snap >= date.fromisoformat(w.leaves_on):
                    continue
                lines.append(
                    json.dumps(
                        {
                            "employeeNo": w.no,
                            "workerName": "张三",
                            "idCardType": "01",
                            "idCardNumber": w.id_number,
                            "cellPhone": "13800000000",
                            "nation": "汉",
                            "corpCode": p.corp,
                            "teamSysNo": 200000 + int(p.code[-4:]),
                            "workType": w.work_type,
                            "workRole": "20",
                            "isTeamLeader": w.no == "000001",
                            "entryDate": w.entry,
                            "exitDate": None,
                            "contract": (
                                {
                                    "contractPeriodType": "0",
                                    "startDate": w.entry,
                                    "endDate": "2027-12-31",
                                    "dailyWage": w.wage,
                                }
                                if w.contract
                                else None
                            ),
                            "payRollBankCardNumber": _card(w),
                            "payRollBankCode": "105",
                            "certifications": (
                                [
                                    {
                                        "certType": "特种作业操作证",
                                        "certNo": f"T{w.no}",
                                        "validUntil": w.cert_until,
                                    }
                                ]
                                if w.cert_until
                                else []
                            ),
                            "trainings": (
                                [
                                    {
                                        "trainingType": "003002",
                                        "date": w.entry,
                                        "hours": 24,
                                        "score": 90,
                                        "passed": True,
                                    }
                                ]
                                if w.trained
                                else []
                            ),
                            "enrolmentPhoto": f"photos/enrolment/{p.code}/{w.no}.jpg",
                        },
                        ensure_ascii=False,
                    )
                )
            objects.append(
                (
                    snap,
                    f"roster/{p.code}/dt={snap}/workers.jsonl",
                    ("\n".join(lines) + "\n").encode(),
                )
            )

    # punches
    present: dict[tuple[str, str], set[date]] = {}
    buddy_dates = [date(2026, 9, 8), date(2026, 9, 9), date(2026, 10, 13)]
    face: list[dict[str, Any]] = []
    day = START
    serial = 1000
    while day <= END:
        for p in projects:
            events: list[tuple[str, datetime, str]] = []  # (emp, at, direction)
            for w in p.workers:
                if w.leaves_on and day >= date.fromisoformat(w.leaves_on):
                    continue
                if day.weekday() == 6 or (w.absent and rng.random() < w.absent):
                    continue
                t_in = datetime.combine(day, time(7, 0)) + timedelta(minutes=rng.randrange(0, 30))
                if day.isoformat() in w.late_days:
                    t_in = datetime.combine(day, time(8, 5))
                t_out = datetime.combine(day, time(17, 31)) + timedelta(
                    minutes=rng.randrange(0, 40)
                )
                events += [(w.no, t_in, "in"), (w.no, t_out, "out")]
                present.setdefault((p.code, w.no), set()).add(day)
            if p is misc and day in buddy_dates:
                # a second person punches in for worker 000003 in the evening: mismatch
                events.append(("000003", datetime.combine(day, time(19, 2)), "in"))
            if p is misc and day == date(2026, 9, 10):
                events.append(("000777", datetime.combine(day, time(7, 40)), "in"))  # unknown
            if not events:
                continue
            events.sort(key=lambda e: (e[1], e[0]))
            if p.vendor == "zkteco":
                text = "".join(
                    f"{e}\t{at:%Y-%m-%d %H:%M:%S}\t1\t{0 if d == 'in' else 1}\t15\t0\n"
                    for e, at, d in events
                )
                objects.append(
                    (day, f"punches/{p.code}/{p.device}/dt={day}/attlog.dat", text.encode())
                )
            else:
                info = []
                for e, at, d in events:
                    serial += 1
                    status = "checkIn" if d == "in" else "checkOut"
                    if e == "000001":
                        status = "undefined"  # device role both: alternates in time order
                    info.append(
                        {
                            "major": 5,
                            "minor": 75,
                            "time": f"{at:%Y-%m-%dT%H:%M:%S}+08:00",
                            "employeeNoString": e,
                            "name": "张三",
                            "cardReaderNo": 1,
                            "doorNo": 1,
                            "serialNo": serial,
                            "currentVerifyMode": "face",
                            "attendanceStatus": status,
                            "mask": "no",
                        }
                    )
                    punch_at = f"{at - timedelta(hours=8):%Y-%m-%dT%H:%M:%SZ}"
                    emp = e.lstrip("0")
                    pid = hashlib.md5(f"{p.device}|{emp}|{punch_at}".encode()).hexdigest()
                    mismatch = e == "000003" and at.hour == 19
                    face.append(
                        {
                            "punch_id": pid,
                            "project_code": p.code,
                            "device_sn": p.device,
                            "employee_no": emp,
                            "work_date": day,
                            "punch_at": punch_at,
                            "decision": "mismatch" if mismatch else "match",
                            "similarity": 0.12 if mismatch else 0.81,
                            "reasons": ["mismatch" if mismatch else "match"],
                        }
                    )
                page = {
                    "AcsEvent": {
                        "searchID": "x",
                        "responseStatusStrg": "OK",
                        "numOfMatches": len(info),
                        "totalMatches": len(info),
                        "InfoList": info,
                    }
                }
                objects.append(
                    (
                        day,
                        f"punches/{p.code}/{p.device}/dt={day}/acsevent-0001.json",
                        json.dumps(page, ensure_ascii=False).encode(),
                    )
                )
        day += timedelta(days=1)

    # payroll: pay month m paid on the 10th of m+1 (except the planted cases)
    tx = iter(range(1, 100_000))

    def pay_file(p: P, month: str, lines: list[tuple[W, float, date, str]], name: str) -> None:
        detail = [
            {
                "idCardType": "01",
                "idCardNumber": w.id_number,
                "days": len(present_in(p, w, month)),
                "workHours": 0,
                "payRollBankCardNumber": _card(w),
                "payRollBankCode": "105",
                "payBankCardNumber": account,
                "payBankCode": "105",
                "totalPayAmount": amount,
                "actualAmount": amount,
                "isBackPay": 0,
                "balanceDate": paid.isoformat(),
                "thirdPayRollCode": f"TX-{next(tx):06d}",
            }
            for w, amount, paid, account in lines
        ]
        body = {
            "projectCode": p.code,
            "corpCode": p.corp,
            "teamSysNo": 200000 + int(p.code[-4:]),
            "payMonth": month,
            "detailList": detail,
        }
        arrival = max(d for _, _, d, _ in lines)
        objects.append(
            (
                arrival,
                f"payroll/{p.code}/month={month}/{name}.json",
                json.dumps(body, ensure_ascii=False).encode(),
            )
        )

    def present_in(p: P, w: W, month: str) -> list[date]:
        return [d for d in present.get((p.code, w.no), ()) if d.isoformat()[:7] == month]

    for p in projects:
        for month, pay_date in (("2026-08", date(2026, 9, 10)), ("2026-09", date(2026, 10, 10))):
            lines = []
            for w in p.workers:
                days = len(present_in(p, w, month))
                if not days or not w.contract:
                    continue
                amount = round(days * w.wage, 2)
                account = _wage_account(p)
                paid = pay_date
                if month == "2026-09":
                    if p is never:
                        continue
                    if p is wrong:
                        account = "6222000000000099999"
                    if p is partial and w.no in ("000001", "000002"):
                        amount = round(amount / 2, 2)
                    if p is late:
                        paid = date(2026, 10, 25)
                lines.append((w, amount, paid, account))
            if lines:
                pay_file(p, month, lines, f"batch-{month}")

    # inspections: an unrectified major finding and a rectified general one
    insp = [
        {
            "inspectionId": "INS-2026-000001",
            "projectCode": misc.code,
            "date": "2026-09-10",
            "inspectorOrg": "区住建局",
            "kind": "random",
            "findings": [
                {
                    "code": "RN-03",
                    "severity": "major",
                    "description": "未设置维权公示牌",
                    "deadline": "2026-09-30",
                    "rectifiedDate": None,
                },
                {
                    "code": "RN-01",
                    "severity": "general",
                    "description": "台账不全",
                    "deadline": "2026-09-20",
                    "rectifiedDate": "2026-09-18",
                },
            ],
        }
    ]
    objects.append(
        (
            date(2026, 9, 10),
            "inspections/dt=2026-09-10/inspections.json",
            json.dumps(insp, ensure_ascii=False).encode(),
        )
    )

    cases = {
        "clean": {"project": clean.code},
        "never_pays": {"project": never.code, "pay_month": "2026-09"},
        "wrong_account": {"project": wrong.code, "pay_month": "2026-09"},
        "partial_payer": {
            "project": partial.code,
            "pay_month": "2026-09",
            "employee_nos": ["000001", "000002"],
        },
        "late_payer": {"project": late.code, "pay_month": "2026-09"},
        "three_month_low": {
            "project": misc.code,
            "employee_no": "000002",
            "months": ["2026-08", "2026-09", "2026-10"],
        },
        "buddy_punch": {
            "project": misc.code,
            "device_sn": misc.device,
            "employee_no": "000003",
            "work_dates": [d.isoformat() for d in buddy_dates],
        },
        "expired_cert": {
            "project": misc.code,
            "employee_no": "000004",
            "work_type": "130",
            "valid_until": "2026-09-15",
        },
        "unrectified_major": {
            "project": misc.code,
            "inspection_id": "INS-2026-000001",
            "finding_code": "RN-03",
            "deadline": "2026-09-30",
        },
        "repeated_lateness": {"project": misc.code, "employee_no": "000005", "month": "2026-10"},
        "untrained_on_site": {"project": misc.code, "employee_no": "000006"},
        "no_contract": {"project": misc.code, "employee_no": "000007"},
    }
    return City(projects, objects, cases, face)
