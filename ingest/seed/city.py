"""Synthetic city generator: every landing-zone file kind, exactly as the contract says.

Deterministic: the same :class:`CitySpec` always writes the same bytes (a seeded PRNG, no
wall clock). :func:`write_city` returns a report of what it planted: the present workers
per day, every bad record by the reason code the platform must quarantine it with, the
duplicates and ignored device events it must count, and the planted business cases
(a project that never pays, a buddy punch, …) the marts must show.

Layout of a generated city: ``projects`` sites spread over the districts of one city
(深圳 4403), each with a contractor, a labour sub-contractor, one or two teams and gate
devices (ZKTeco or Hikvision), ``workers_per_project`` workers with ID, contract, entry
training and — for special operations — a certificate; roster snapshots on the first
day and on the first of every month; punches every working day; payroll batches for
every complete month paid around the project's pay day; inspections with findings.
"""

from __future__ import annotations

import itertools
import json
import logging
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from typing import Any

from ingest.config import S3Settings
from ingest.seed.ids import make_id_number, make_uscc
from ingest.storage import ensure_bucket, put_bytes

log = logging.getLogger(__name__)

CITY = "4403"
DISTRICTS = ("440303", "440304", "440305", "440306", "440307", "440308")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华"
WORK_TYPES = ("010", "020", "040", "050", "240", "130", "270", "030", "900")
SPECIAL_OPERATIONS = {"030", "130", "170", "180", "270", "280"}
CERT_NAMES = {
    "030": "架子工",
    "130": "电工",
    "170": "起重信号工",
    "180": "起重机械安装拆卸工",
    "270": "焊接与热切割作业",
    "280": "爆破作业",
}
NATIVE_AREAS = ("410102", "510104", "430102", "360102", "420102", "450102", "341102")
ZK_VERIFY_FACE = 15
HIK_PAGE_SIZE = 30
PHOTO_IDENTITIES = ("obama", "biden", "tom_hanks", "astronaut", "camera")
CASE_NAMES = (
    "clean",
    "never_pays",
    "wrong_account",
    "partial_payer",
    "late_payer",
    "showcase",
    "multi_site_a",
    "multi_site_b",
    "wage_anomalies",
)
#: Withholding (代扣代缴: the worker's social insurance, housing fund, income tax) on every
#: seeded pay line: 8-12 % of the gross by worker, 30 % for the excess_withholding case.
WITHHOLDING_SHARES = (0.08, 0.09, 0.10, 0.11, 0.12)
EXCESS_WITHHOLDING_SHARE = 0.30
#: A contract daily wage below any province's minimum pro rata (≈ 2,000 / 21.75 ≈ 92).
BELOW_MIN_DAILY_WAGE = 60.0


# --------------------------------------------------------------------------- spec


@dataclass(frozen=True, slots=True)
class CitySpec:
    projects: int
    workers_per_project: int
    start: date
    days: int
    seed: int
    hikvision_share: float = 0.0
    bad_records: int = 0  # planted records per bad-input kind (0: a clean city)
    plant_cases: bool = False
    photos: bool = False  # real face photos: enrolment + captures of a showcase project
    absent_rate: float = 0.05

    @classmethod
    def preset(cls, size: str, *, start: date, days: int, seed: int) -> CitySpec:
        presets: dict[str, dict[str, Any]] = {
            "tiny": {"projects": 1, "workers_per_project": 5, "photos": True},
            "small": {
                "projects": 12,
                "workers_per_project": 25,
                "hikvision_share": 0.4,
                "bad_records": 2,
                "plant_cases": True,
                "photos": True,
            },
            "medium": {
                "projects": 60,
                "workers_per_project": 60,
                "hikvision_share": 0.4,
                "bad_records": 5,
                "plant_cases": True,
                "photos": True,
            },
            "large": {
                "projects": 3000,
                "workers_per_project": 150,
                "hikvision_share": 0.4,
                "bad_records": 20,
                "plant_cases": True,
                "photos": True,
            },
        }
        if size not in presets:
            raise ValueError(f"unknown size {size!r}; choose one of {sorted(presets)}")
        return cls(start=start, days=days, seed=seed, **presets[size])

    @property
    def end(self) -> date:
        """Last generated day (inclusive)."""
        return self.start + timedelta(days=self.days - 1)


# --------------------------------------------------------------------------- model


@dataclass(slots=True)
class Cert:
    cert_type: str
    cert_no: str
    valid_until: date


@dataclass(slots=True)
class Worker:
    employee_no: str  # as on the roster: 6 digits, zero-padded
    name: str
    id_number: str
    work_type: str
    corp_code: str
    team_sys_no: int
    daily_wage: float | None  # None: no labour contract
    entry: date
    exit: date | None = None  # last day on the project (missing from later snapshots)
    absent_rate: float = 0.05
    trained: bool = True
    certs: list[Cert] = field(default_factory=list)
    late_days: set[date] = field(default_factory=set)
    absent_days: set[date] = field(default_factory=set)
    photo: str | None = None  # identity of a real face photo
    bank_card: str = ""

    @property
    def special(self) -> bool:
        return self.work_type in SPECIAL_OPERATIONS


@dataclass(slots=True)
class Device:
    sn: str
    vendor: str  # zkteco | hikvision
    role: str  # in | out | both
    channel: str
    strips_zeros: bool = False  # ZKTeco firmware that writes PIN 123 for 000123


@dataclass(slots=True)
class Project:
    code: str
    area: str
    name: str
    contractor: str
    labour_corp: str
    wage_account: str
    pay_day: int
    shift_start: time
    shift_end: time
    devices: list[Device]
    teams: list[int]
    workers: list[Worker] = field(default_factory=list)
    role: str = "normal"  # one of CASE_NAMES or normal / noisy

    @property
    def vendor(self) -> str:
        return self.devices[0].vendor


@dataclass(slots=True)
class Report:
    spec: dict[str, Any]
    projects: list[str] = field(default_factory=list)
    districts: list[str] = field(default_factory=list)
    objects: int = 0
    present: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    planted_rejects: Counter[str] = field(default_factory=Counter)
    planted_flags: Counter[str] = field(default_factory=Counter)
    planted_duplicates: int = 0
    planted_ignored: int = 0
    cases: dict[str, Any] = field(default_factory=dict)
    captures: dict[str, dict[str, str]] = field(default_factory=dict)  # key -> truth

    def as_dict(self) -> dict[str, Any]:
        return {
            "spec": self.spec,
            "projects": self.projects,
            "districts": self.districts,
            "objects": self.objects,
            "present": self.present,
            "planted_rejects": dict(sorted(self.planted_rejects.items())),
            "planted_flags": dict(sorted(self.planted_flags.items())),
            "planted_duplicates": self.planted_duplicates,
            "planted_ignored": self.planted_ignored,
            "cases": self.cases,
            "captures": self.captures,
        }


# --------------------------------------------------------------------------- building


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)


def _role_of(idx: int, spec: CitySpec) -> str:
    if spec.plant_cases and spec.projects >= len(CASE_NAMES) and idx < len(CASE_NAMES):
        return CASE_NAMES[idx]
    if spec.projects == 1:
        return "showcase" if spec.photos else "normal"
    return "noisy" if spec.bad_records and idx % 2 == 1 else "normal"


def _build_project(rng: random.Random, idx: int, spec: CitySpec, seq: Iterator[int]) -> Project:
    area = DISTRICTS[idx % len(DISTRICTS)]
    opened = spec.start - timedelta(days=200 + idx % 300)
    code = f"{area}{opened:%Y%m%d}{idx + 1:04d}"
    role = _role_of(idx, spec)
    hik = role not in {"clean", "showcase"} and rng.random() < spec.hikvision_share
    if hik:
        devices = [
            Device(f"HK-DS-K1T671-{idx + 1:04d}I", "hikvision", "in", "北门进"),
            Device(f"HK-DS-K1T671-{idx + 1:04d}O", "hikvision", "out", "北门出"),
        ]
    else:
        devices = [
            Device(
                f"ZK-CKUN{idx + 1:04d}", "zkteco", "both", "东门1号闸", strips_zeros=idx % 5 == 2
            )
        ]
    project = Project(
        code=code,
        area=area,
        name=f"{area}片区第{idx + 1}号安置房工程",
        contractor=make_uscc(area, rng),
        labour_corp=make_uscc(area, rng),
        wage_account=f"4425{code[-10:]}0001",
        pay_day=15 if role in CASE_NAMES else (10, 15, 20, 25, 31)[idx % 5],
        shift_start=time(7, 30) if idx % 3 else time(8, 0),
        shift_end=time(17, 30) if idx % 3 else time(18, 0),
        devices=devices,
        teams=[100000 + idx * 10 + t for t in range(2)],
        role=role,
    )
    entry = spec.start - timedelta(days=60)
    for w in range(spec.workers_per_project):
        birth = date(1966, 1, 1) + timedelta(days=rng.randrange(0, 365 * 36))
        work_type = WORK_TYPES[w % len(WORK_TYPES)]
        worker = Worker(
            employee_no=f"{w + 1:06d}",
            name=_name(rng),
            id_number=make_id_number(
                rng.choice(NATIVE_AREAS), birth, next(seq), male=rng.random() < 0.85
            ),
            work_type=work_type,
            corp_code=project.labour_corp if w % 4 else project.contractor,
            team_sys_no=project.teams[w % len(project.teams)],
            daily_wage=float(rng.choice((300, 320, 350, 380, 420, 450))),
            entry=entry,
            absent_rate=spec.absent_rate,
        )
        worker.bank_card = f"6217{rng.randrange(10**14, 10**15)}"
        if worker.special:
            worker.certs.append(
                Cert(
                    f"特种作业操作证-{CERT_NAMES[work_type]}",
                    f"T{worker.id_number[:6]}{w:06d}",
                    spec.end + timedelta(days=400),
                )
            )
        project.workers.append(worker)
    return project


def _plant_cases(
    projects: list[Project], spec: CitySpec, rng: random.Random, report: Report
) -> None:
    by_role = {p.role: p for p in projects}
    months = _months(spec)
    pay_month = months[1] if len(months) > 2 else months[0]
    report.cases["clean"] = {"project": by_role["clean"].code}
    for case in ("never_pays", "wrong_account", "late_payer"):
        report.cases[case] = {"project": by_role[case].code, "pay_month": pay_month}
    partial = by_role["partial_payer"]
    report.cases["partial_payer"] = {
        "project": partial.code,
        "pay_month": pay_month,
        "employee_nos": [w.employee_no for w in partial.workers[1:3]],
    }

    show = by_role["showcase"]
    low = show.workers[6]
    low.absent_rate = 0.4
    report.cases["three_month_low"] = {
        "project": show.code,
        "employee_no": low.employee_no,
        "months": months,
    }
    electrician = next(w for w in show.workers if w.work_type == "130")
    electrician.certs[0].valid_until = spec.start + timedelta(days=max(spec.days // 3, 1))
    report.cases["expired_cert"] = {
        "project": show.code,
        "employee_no": electrician.employee_no,
        "work_type": "130",
        "valid_until": electrician.certs[0].valid_until.isoformat(),
    }
    late = show.workers[7]
    last_month_days = [
        d for d in _days(spec) if d.strftime("%Y-%m") == months[-1] and d.weekday() < 6
    ]
    late.late_days = set(last_month_days[2:6])
    late.absent_rate = 0.0
    report.cases["repeated_lateness"] = {
        "project": show.code,
        "employee_no": late.employee_no,
        "month": months[-1],
        "late_days": sorted(d.isoformat() for d in late.late_days),
    }
    untrained = show.workers[8]
    untrained.trained = False
    report.cases["untrained_on_site"] = {"project": show.code, "employee_no": untrained.employee_no}
    no_contract = show.workers[9]
    no_contract.daily_wage = None
    report.cases["no_contract"] = {"project": show.code, "employee_no": no_contract.employee_no}
    absent = show.workers[10]
    gap = [d for d in _days(spec) if d.weekday() < 6][10:19]  # 9 required days in a row
    if len(gap) == 9:  # only in ranges long enough for it
        absent.absent_days = set(gap)
        report.cases["long_absence"] = {
            "project": show.code,
            "employee_no": absent.employee_no,
            "from": gap[0].isoformat(),
            "to": gap[-1].isoformat(),
        }
    # The same person (same ID number) working two sites on the same days.
    a, b = by_role["multi_site_a"], by_role["multi_site_b"]
    twin = b.workers[5]
    twin.id_number = a.workers[5].id_number
    twin.name = a.workers[5].name
    report.cases["identity_fraud_multi_site"] = {
        "projects": [a.code, b.code],
        "employee_nos": [a.workers[5].employee_no, twin.employee_no],
    }
    # One worker-month per worker flag of fct_wage_arrears (issue 14), all in one project
    # and pay month; the payee without attendance is on the roster but never came that month.
    anomalies = by_role["wage_anomalies"]
    ws = anomalies.workers
    ws[5].daily_wage = BELOW_MIN_DAILY_WAGE  # paid in full, by a contract below the minimum
    payee = ws[6]
    payee.absent_days |= {d for d in _days(spec) if d.strftime("%Y-%m") == pay_month}
    report.cases["wage_anomalies"] = {
        "project": anomalies.code,
        "pay_month": pay_month,
        "employee_nos": {
            "excess_withholding": [ws[0].employee_no],
            "pay_days_mismatch": [ws[1].employee_no],
            "pay_far_above_owed": [ws[2].employee_no],
            "shared_pay_card": [ws[3].employee_no, ws[4].employee_no],
            "below_min_wage": [ws[5].employee_no],
        },
        "paid_without_attendance": {
            "employee_no": payee.employee_no,
            "id_number": payee.id_number,
            "bank_card": payee.bank_card,
        },
    }


def _assign_photos(project: Project, spec: CitySpec, report: Report) -> None:
    """Real face photos for the showcase project: enrolment and gate captures."""
    for worker, identity in zip(project.workers, PHOTO_IDENTITIES, strict=False):
        worker.photo = identity
    if spec.plant_cases and len(project.workers) > 11:
        # One face enrolled under a second ID number (identity fraud no site can see).
        fraud = project.workers[11]
        fraud.photo = "obama_alias"
        report.cases["identity_fraud_face"] = {
            "project": project.code,
            "employee_nos": [project.workers[0].employee_no, fraud.employee_no],
        }


def _months(spec: CitySpec) -> list[str]:
    return sorted({d.strftime("%Y-%m") for d in _days(spec)})


def _days(spec: CitySpec) -> list[date]:
    return [spec.start + timedelta(days=i) for i in range(spec.days)]


def _on_roster(w: Worker, day: date) -> bool:
    """On site from ``entry``; gone from ``exit`` on (the snapshot that no longer lists them)."""
    return w.entry <= day and (w.exit is None or day < w.exit)


def _works(rng: random.Random, w: Worker, day: date) -> bool:
    if not _on_roster(w, day) or day in w.absent_days:
        return False
    if day.weekday() == 6:
        return rng.random() < 0.03
    return rng.random() >= w.absent_rate


# --------------------------------------------------------------------------- writers


class Writer:
    """Collects objects; writes them through ``put`` (S3) and counts them."""

    def __init__(self, put: Callable[[str, bytes], None], report: Report) -> None:
        self.put = put
        self.report = report

    def __call__(self, key: str, data: bytes) -> None:
        self.put(key, data)
        self.report.objects += 1


def _registry(projects: list[Project], spec: CitySpec, rng: random.Random, report: Report) -> bytes:
    out = []
    for p in projects:
        contractor = p.contractor
        sub_code = p.labour_corp
        if p.role == "noisy" and spec.bad_records:
            contractor = contractor[:-1] + ("1" if contractor[-1] != "1" else "2")
            report.planted_flags["bad_uscc_checksum"] += 1  # loaded and flagged
        subs = [
            {
                "corpCode": sub_code,
                "corpName": f"{p.name}劳务分包公司",
                "corpType": "006",
                "entryTime": (spec.start - timedelta(days=90)).isoformat(),
                "exitTime": None,
            }
        ]
        if p.role == "noisy" and spec.bad_records:
            bad = make_uscc(p.area, rng)
            subs.append(
                {
                    "corpCode": bad[:-1] + ("A" if bad[-1] != "A" else "B"),
                    "corpName": f"{p.name}材料分包",
                    "corpType": "003",
                    "entryTime": (spec.start - timedelta(days=30)).isoformat(),
                    "exitTime": None,
                }
            )
            report.planted_rejects["bad_uscc_checksum"] += 1  # that corp record only
        out.append(
            {
                "projectCode": p.code,
                "name": p.name,
                "category": "01",
                "areaCode": p.area,
                "prjStatus": "003",
                "startDate": (spec.start - timedelta(days=200)).isoformat(),
                "completeDate": (spec.end + timedelta(days=400)).isoformat(),
                "invest": round(8000 + rng.random() * 40000, 2),
                "address": f"深圳市{p.area}某路",
                "lng": round(113.8 + rng.random() * 0.4, 5),
                "lat": round(22.5 + rng.random() * 0.2, 5),
                "contractorCorpCode": contractor,
                "contractorCorpName": f"{p.name}总承包公司",
                "buildCorpCode": make_uscc(p.area, rng),
                "buildCorpName": f"{p.name}建设单位",
                "wageAccount": {"bankCode": "105", "accountNumber": p.wage_account},
                "payDay": p.pay_day,
                "shift": {
                    "start": p.shift_start.strftime("%H:%M"),
                    "end": p.shift_end.strftime("%H:%M"),
                },
                "subContractors": subs,
                "teams": [
                    {
                        "teamSysNo": t,
                        "corpCode": sub_code,
                        "teamName": f"{n + 1}班",
                        "leaderIdCardNumber": p.workers[n].id_number,
                        "entryTime": (spec.start - timedelta(days=60)).isoformat(),
                        "exitTime": None,
                    }
                    for n, t in enumerate(p.teams)
                ],
                "devices": [
                    {"deviceSN": d.sn, "vendor": d.vendor, "channel": d.channel, "role": d.role}
                    for d in p.devices
                ],
            }
        )
    return json.dumps(out, ensure_ascii=False, indent=1).encode()


def _roster_line(p: Project, w: Worker, spec: CitySpec) -> dict[str, Any]:
    contract = None
    if w.daily_wage is not None:
        contract = {
            "contractPeriodType": "0",
            "startDate": w.entry.isoformat(),
            "endDate": (spec.end + timedelta(days=300)).isoformat(),
            "dailyWage": w.daily_wage,
        }
    trainings = []
    if w.trained:
        trainings.append(
            {
                "trainingType": "003002",
                "date": w.entry.isoformat(),
                "hours": 24,
                "score": 86,
                "passed": True,
            }
        )
    return {
        "employeeNo": w.employee_no,
        "workerName": w.name,
        "idCardType": "01",
        "idCardNumber": w.id_number,
        "cellPhone": f"13{w.id_number[-9:].replace('X', '7')}",
        "nation": "汉",
        "corpCode": w.corp_code,
        "teamSysNo": w.team_sys_no,
        "workType": w.work_type,
        "workRole": "10" if w.work_type == "900" else "20",
        "isTeamLeader": w.employee_no == "000001",
        "entryDate": w.entry.isoformat(),
        "exitDate": None,
        "contract": contract,
        "payRollBankCardNumber": w.bank_card,
        "payRollBankCode": "105",
        "certifications": [
            {"certType": c.cert_type, "certNo": c.cert_no, "validUntil": c.valid_until.isoformat()}
            for c in w.certs
        ],
        "trainings": trainings,
        "enrolmentPhoto": f"photos/enrolment/{p.code}/{w.employee_no}.jpg",
    }


def _roster(
    p: Project, snapshot: date, spec: CitySpec, rng: random.Random, report: Report
) -> bytes:
    lines = [
        json.dumps(_roster_line(p, w, spec), ensure_ascii=False)
        for w in p.workers
        if _on_roster(w, snapshot)
    ]
    if p.role == "noisy" and spec.bad_records and snapshot == spec.start:
        # Ghost workers (never punch) carrying each roster-level defect once per file.
        ghost = {
            "employeeNo": "900001",
            "workerName": _name(rng),
            "idCardType": "01",
            "corpCode": p.labour_corp,
            "teamSysNo": p.teams[0],
            "workType": "020",
            "workRole": "20",
            "isTeamLeader": False,
            "entryDate": spec.start.isoformat(),
            "exitDate": None,
            "contract": None,
            "certifications": [],
            "trainings": [],
        }
        good_id = make_id_number("110105", date(1980, 5, 5), rng.randrange(400), male=True)
        bad_check = good_id[:-1] + ("0" if good_id[-1] != "0" else "1")
        lines.append(json.dumps({**ghost, "idCardNumber": bad_check}, ensure_ascii=False))
        report.planted_rejects["bad_id_checksum"] += 1
        other = make_id_number("110105", date(1981, 6, 6), rng.randrange(400), male=False)
        lines.append(
            json.dumps(
                {**ghost, "employeeNo": "900002", "idCardNumber": other, "workType": "999"},
                ensure_ascii=False,
            )
        )
        report.planted_rejects["unknown_work_type"] += 1
        lines.append(json.dumps({**ghost, "employeeNo": "900003"}, ensure_ascii=False))
        report.planted_rejects["missing_required_field"] += 1
        lines.append(json.dumps({**ghost, "employeeNo": "900004", "idCardNumber": other})[:40])
        report.planted_rejects["malformed_json"] += 1
    text = "".join(line + "\n" for line in lines)
    if p.role == "noisy" and snapshot == spec.start:
        return text.encode("gb18030")  # an older exporter: GBK family
    return text.encode()


def _punch_times(
    rng: random.Random, p: Project, w: Worker, day: date
) -> list[tuple[datetime, str]]:
    start = datetime.combine(day, p.shift_start)
    end = datetime.combine(day, p.shift_end)
    if day in w.late_days:
        t_in = start + timedelta(minutes=6 + rng.randrange(0, 40))
    else:
        t_in = start - timedelta(minutes=5 + rng.randrange(0, 25), seconds=rng.randrange(60))
    t_out = end + timedelta(minutes=rng.randrange(0, 30), seconds=rng.randrange(60))
    punches = [(t_in, "in"), (t_out, "out")]
    if rng.random() < 0.15:  # lunch break out and back in
        lunch = datetime.combine(day, time(12, 0)) + timedelta(minutes=rng.randrange(0, 20))
        punches[1:1] = [(lunch, "breakout"), (lunch + timedelta(minutes=45), "breakin")]
    return punches


ZK_STATUS = {"in": 0, "out": 1, "breakout": 2, "breakin": 3}
HIK_STATUS = {"in": "checkIn", "out": "checkOut", "breakout": "breakOut", "breakin": "breakIn"}


@dataclass(slots=True)
class DayPunches:
    """One device's punches of one day, before rendering to its vendor's format."""

    lines: list[tuple[datetime, Worker, str, str | None]] = field(default_factory=list)
    # (time, worker, kind, capture identity or None)


def _zk_file(
    p: Project,
    dev: Device,
    day: date,
    punches: DayPunches,
    spec: CitySpec,
    rng: random.Random,
    report: Report,
    write: Writer,
    photos: PhotoFactory | None,
    carry: list[str],
) -> list[str]:
    """Render one attlog; return two of its lines a flaky device resends tomorrow."""
    lines: list[str] = []
    for ts, w, kind, face in sorted(punches.lines, key=lambda x: (x[0], x[1].employee_no)):
        pin = w.employee_no.lstrip("0") if dev.strips_zeros else w.employee_no
        lines.append(f"{pin}\t{ts:%Y-%m-%d %H:%M:%S}\t1\t{ZK_STATUS[kind]}\t{ZK_VERIFY_FACE}\t0")
        if face is not None and photos is not None:
            key = f"photos/capture/{p.code}/{dev.sn}/dt={day}/{ts:%Y%m%d%H%M%S}-{pin}.jpg"
            write(key, photos.capture(face, f"{key}"))
            report.captures[key] = {"employee_no": w.employee_no, "face": face}
    resend = lines[:2] if p.role == "noisy" and spec.bad_records and lines else []
    body = list(lines)
    if p.role == "noisy" and spec.bad_records and lines:
        n = min(spec.bad_records, len(lines))
        body += carry  # yesterday's lines resent: duplicates across files
        report.planted_duplicates += len(carry)
        body += lines[:n]  # network retry: identical lines in the same file
        report.planted_duplicates += n
        if day.day % 7 == 3:  # defects on some days only, so clean days stay clean
            body.append(f"900777\t{day} 08:01:02\t1\t0\t15\t0")
            report.planted_rejects["unknown_employee"] += 1
            old = day - timedelta(days=3)
            body.append(f"{lines[0].split(chr(9))[0]}\t{old} 09:00:00\t1\t0\t15\t0")
            report.planted_rejects["timestamp_outside_partition"] += 1
            nxt = day + timedelta(days=1)
            body.append(f"{lines[0].split(chr(9))[0]}\t{nxt} 09:00:00\t1\t0\t15\t0")
            report.planted_rejects["future_timestamp"] += 1
            body.append(f"{lines[0].split(chr(9))[0]}\t{day} 10:1")  # truncated upload
            report.planted_rejects["malformed_line"] += 1
    data = "".join(line + "\n" for line in body).encode()
    if p.role == "noisy" and day == spec.start:
        data = b"\xef\xbb\xbf" + data  # UTF-8 with BOM
    write(f"punches/{p.code}/{dev.sn}/dt={day}/attlog.dat", data)
    return resend


def _hik_files(
    p: Project,
    dev: Device,
    day: date,
    punches: DayPunches,
    spec: CitySpec,
    rng: random.Random,
    report: Report,
    write: Writer,
    serial: list[int],
    photos: PhotoFactory | None,
) -> None:
    events: list[dict[str, Any]] = []
    for ts, w, kind, face in sorted(punches.lines, key=lambda x: (x[0], x[1].employee_no)):
        serial[0] += 1
        ev: dict[str, Any] = {
            "major": 5,
            "minor": 75,
            "time": f"{ts:%Y-%m-%dT%H:%M:%S}+08:00",
            "employeeNoString": w.employee_no,
            "name": w.name,
            "cardReaderNo": 1,
            "doorNo": 1,
            "serialNo": serial[0],
            "currentVerifyMode": "face",
            "attendanceStatus": HIK_STATUS[kind] if rng.random() > 0.1 else "undefined",
            "mask": "no",
        }
        if ev["attendanceStatus"] == "undefined" and dev.role == "both":
            ev["attendanceStatus"] = HIK_STATUS[kind]
        if face is not None and photos is not None:
            key = f"photos/capture/{p.code}/{dev.sn}/dt={day}/{serial[0]}.jpg"
            write(key, photos.capture(face, key))
            report.captures[key] = {"employee_no": w.employee_no, "face": face}
            ev["pictureURL"] = key
        events.append(ev)
        if rng.random() < 0.05:  # a door held open / alarm: not a person event
            serial[0] += 1
            events.append({"major": 2, "minor": 1027, "time": ev["time"], "serialNo": serial[0]})
            report.planted_ignored += 1
    if not events:
        return
    pages = [events[i : i + HIK_PAGE_SIZE] for i in range(0, len(events), HIK_PAGE_SIZE)]
    noisy = p.role == "noisy" and spec.bad_records
    for n, page in enumerate(pages, start=1):
        body = list(page)
        if noisy and n > 1:  # pages overlap: the last two events of the previous page
            overlap = pages[n - 2][-2:]
            body = overlap + body
            report.planted_duplicates += sum(1 for e in overlap if e["major"] == 5)
            report.planted_ignored += sum(1 for e in overlap if e["major"] != 5)
        doc = {
            "AcsEvent": {
                "searchID": f"{dev.sn}-{day}",
                "numOfMatches": len(body),
                "totalMatches": len(events),
                "responseStatusStrg": "MORE" if n < len(pages) else "OK",
                "InfoList": body,
            }
        }
        write(
            f"punches/{p.code}/{dev.sn}/dt={day}/acsevent-{n:04d}.json",
            json.dumps(doc, ensure_ascii=False).encode(),
        )
    if noisy and day.day % 7 == 3:
        # A truncated re-upload of page 1: the whole file is one malformed record.
        text = json.dumps({"AcsEvent": {"InfoList": pages[0]}}, ensure_ascii=False)
        write(
            f"punches/{p.code}/{dev.sn}/dt={day}/acsevent-{len(pages) + 1:04d}.json",
            text[: len(text) // 2].encode(),
        )
        report.planted_rejects["malformed_json"] += 1


def _due_date(p: Project, month: str) -> date:
    y, m = int(month[:4]), int(month[5:])
    ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
    first_next = date(ny, nm, 1)
    last = (date(ny + (nm == 12), nm % 12 + 1, 1) - timedelta(days=1)).day
    return first_next.replace(day=min(p.pay_day, last))


def _payroll(
    p: Project,
    month: str,
    present_days: dict[str, int],
    spec: CitySpec,
    rng: random.Random,
    report: Report,
    write: Writer,
    tx: list[int],
    paid: list[dict[str, Any]],
) -> None:
    """Write the month's payroll batches of ``p``; append the good lines to ``paid`` (what
    the wage account's statements show)."""
    case_month = report.cases.get(p.role, {}).get("pay_month") if p.role in report.cases else None
    if p.role == "never_pays" and month == case_month:
        return
    due = _due_date(p, month)
    if due > spec.end:
        return  # not paid yet within the generated window
    partial = (
        set(report.cases.get("partial_payer", {}).get("employee_nos", []))
        if p.role == "partial_payer" and month == case_month
        else set()
    )
    anomalies: dict[str, Any] = (
        report.cases["wage_anomalies"] if p.role == "wage_anomalies" and month == case_month else {}
    )
    flagged = {flag: set(nos) for flag, nos in anomalies.get("employee_nos", {}).items()}
    cards = {w.employee_no: w.bank_card for w in p.workers}
    for sharer, owner in itertools.pairwise(sorted(flagged.get("shared_pay_card", ()))):
        cards[owner] = cards[sharer]  # the second worker's wages go to the first one's card
    for team in p.teams:
        details = []
        for w in p.workers:
            days = present_days.get(w.employee_no, 0)
            if w.team_sys_no != team or days == 0 or w.daily_wage is None:
                continue
            total = round(days * w.daily_wage, 2)
            if w.employee_no in partial:
                total = round(total * 0.6, 2)
            if w.employee_no in flagged.get("pay_far_above_owed", ()):
                total = round(2 * total + 2000, 2)
            share = WITHHOLDING_SHARES[int(w.employee_no) % len(WITHHOLDING_SHARES)]
            if w.employee_no in flagged.get("excess_withholding", ()):
                share = EXCESS_WITHHOLDING_SHARE
            actual = round(total * (1 - share), 2)
            reported_days = days
            if w.employee_no in flagged.get("pay_days_mismatch", ()):
                reported_days = days - 5 if days > 5 else days + 5
            paid_on = due - timedelta(days=rng.randrange(0, 4))
            if p.role == "late_payer" and month == case_month:
                paid_on = due + timedelta(days=6)
            pay_account = p.wage_account
            if p.role == "wrong_account" and month == case_month:
                pay_account = "6228480000000000001"  # the contractor's general account
            tx[0] += 1
            details.append(
                {
                    "idCardType": "01",
                    "idCardNumber": w.id_number,
                    "days": reported_days,
                    "workHours": days * 9.5,
                    "payRollBankCardNumber": cards[w.employee_no],
                    "payRollBankCode": "105",
                    "payBankCardNumber": pay_account,
                    "payBankCode": "105",
                    "totalPayAmount": total,
                    "actualAmount": actual,
                    "isBackPay": 0,
                    "balanceDate": paid_on.isoformat(),
                    "thirdPayRollCode": f"BANK-TX-{tx[0]:09d}",
                }
            )
        if details and (payee := anomalies.get("paid_without_attendance")) and team == p.teams[0]:
            # paid for a month in which they never came to the site
            tx[0] += 1
            details.append(
                {
                    **details[0],
                    "idCardNumber": payee["id_number"],
                    "days": 0,
                    "workHours": 0,
                    "payRollBankCardNumber": payee["bank_card"],
                    "totalPayAmount": 3000.0,
                    "actualAmount": 2700.0,
                    "thirdPayRollCode": f"BANK-TX-{tx[0]:09d}",
                }
            )
        if not details:
            continue
        paid.extend(details)
        noisy = p.role == "noisy" and spec.bad_records
        if noisy and team == p.teams[0]:
            bad = dict(details[0])
            tx[0] += 1
            bad.update(
                {
                    "actualAmount": -100.0,
                    "totalPayAmount": 100.0,
                    "thirdPayRollCode": f"BANK-TX-{tx[0]:09d}",
                }
            )
            details.append(bad)
            report.planted_rejects["negative_amount"] += 1
        batch = {
            "projectCode": p.code,
            "corpCode": p.labour_corp,
            "teamSysNo": team,
            "payMonth": month,
            "detailList": details,
        }
        base = f"payroll/{p.code}/month={month}/batch-{team}"
        write(f"{base}.json", json.dumps(batch, ensure_ascii=False).encode())
        if noisy and team == p.teams[0]:
            # A re-sent copy of the batch (same bank references): exact duplicates.
            write(f"{base}-resend.json", json.dumps(batch, ensure_ascii=False).encode())
            report.planted_duplicates += len(details) - 1  # the negative line is rejected again
            report.planted_rejects["negative_amount"] += 1
            broken = {**batch, "payMonth": month.replace("-", "/"), "detailList": details[:-1]}
            write(f"{base}-badmonth.json", json.dumps(broken, ensure_ascii=False).encode())
            report.planted_rejects["pay_month_format"] += len(details) - 1
            # Back pay (补发, contract v1.1): a top-up filed under the month worked, then one
            # whose backPayMonth names another month (quarantined back_pay_month_mismatch).
            back = []
            for back_month in (month, _previous_month(month)):
                tx[0] += 1
                back.append(
                    {
                        **details[0],
                        "days": 0,
                        "workHours": 0,
                        "totalPayAmount": 100.0,
                        "actualAmount": 90.0,
                        "isBackPay": 1,
                        "backPayMonth": back_month,
                        "thirdPayRollCode": f"BANK-TX-{tx[0]:09d}",
                    }
                )
            paid.append(back[0])
            write(
                f"{base}-backpay.json",
                json.dumps({**batch, "detailList": back}, ensure_ascii=False).encode(),
            )
            report.planted_rejects["back_pay_month_mismatch"] += 1


#: Opening balance of a project's wage account in the first seeded month.
OPENING_BALANCE = 100000.0


def _statements(
    p: Project,
    months: list[str],
    paid: list[dict[str, Any]],
    spec: CitySpec,
    report: Report,
    write: Writer,
    *,
    unbalance: bool,
) -> None:
    """The wage account's monthly statements of ``p`` (contract v1.1), month-to-date for the
    month of the last seeded day: labour-cost money in on the 10th, every payroll line paid
    from the account out as a wage on its balance date, the withheld money remitted. Planted:
    the wage_anomalies project gets no labour-cost money in its case month and the month
    before (paid in as "other") and a non-wage outflow in its case month; one noisy
    project's first statement does not add up (quarantined whole)."""
    anomalies = report.cases.get("wage_anomalies", {}) if p.role == "wage_anomalies" else {}
    case_month = anomalies.get("pay_month")
    no_labour = {case_month, _previous_month(case_month)} if case_month else set()
    balance = OPENING_BALANCE
    for month in months:
        first = date.fromisoformat(month + "-01")
        lines = sorted(
            (
                d
                for d in paid
                if d["balanceDate"][:7] == month and d["payBankCardNumber"] == p.wage_account
            ),
            key=lambda d: (d["balanceDate"], d["thirdPayRollCode"]),
        )
        wages = round(sum(d["actualAmount"] for d in lines), 2)
        withheld = round(sum(d["totalPayAmount"] - d["actualAmount"] for d in lines), 2)
        txs: list[dict[str, Any]] = [
            {
                "date": min(first + timedelta(days=9), spec.end).isoformat(),
                "direction": "in",
                "amount": round(wages + withheld + 20000.0, 2),
                "counterpartyName": "总承包单位",
                "counterpartyAccount": "44201500000000009999",
                "purpose": "other" if month in no_labour else "labour_cost",
            }
        ]
        txs += [
            {
                "date": d["balanceDate"],
                "direction": "out",
                "amount": d["actualAmount"],
                "counterpartyAccount": d["payRollBankCardNumber"],
                "purpose": "wage",
                "thirdPayRollCode": d["thirdPayRollCode"],
            }
            for d in lines
        ]
        if withheld > 0:
            txs.append(
                {
                    "date": lines[-1]["balanceDate"],
                    "direction": "out",
                    "amount": withheld,
                    "purpose": "social_insurance",
                }
            )
        if month == case_month:
            txs.append(
                {
                    "date": min(first + timedelta(days=20), spec.end).isoformat(),
                    "direction": "out",
                    "amount": 5000.0,
                    "counterpartyName": "某材料供应商",
                    "purpose": "other",
                }
            )
        txs = [t for t in txs if t["date"] <= spec.end.isoformat()]  # month-to-date
        for n, t in enumerate(sorted(txs, key=lambda t: t["date"]), start=1):
            t["txId"] = f"STMT-{p.code[-6:]}-{month}-{n:04d}"
        net = sum(t["amount"] if t["direction"] == "in" else -t["amount"] for t in txs)
        closing = round(balance + net, 2)
        doc = {
            "projectCode": p.code,
            "wageAccount": p.wage_account,
            "bankCode": "105",
            "month": month,
            "openingBalance": balance,
            "closingBalance": round(closing + 1.0, 2) if unbalance else closing,
            "transactions": txs,
        }
        write(
            f"wage_account/{p.code}/month={month}/statement.json",
            json.dumps(doc, ensure_ascii=False).encode(),
        )
        if unbalance:
            report.planted_rejects["statement_unbalanced"] += max(len(txs), 1)
            report.cases["statement_unbalanced"] = {"project": p.code, "month": month}
            unbalance = False
        balance = closing
    if anomalies:
        anomalies["statement_cases"] = ["non_wage_outflow", "labour_cost_missing"]


def _previous_month(month: str) -> str:
    first = date.fromisoformat(month + "-01")
    return (first - timedelta(days=1)).strftime("%Y-%m")


def _inspections(
    projects: list[Project], spec: CitySpec, rng: random.Random, report: Report, write: Writer
) -> None:
    by_day: dict[date, list[dict[str, Any]]] = {}
    seq = 0
    for p in projects:
        if p.role == "clean":
            continue
        if p.role != "showcase" and rng.random() > 0.3:
            continue
        seq += 1
        day = spec.start + timedelta(
            days=min(spec.days - 1, 5 + rng.randrange(max(spec.days - 20, 1)))
        )
        deadline = day + timedelta(days=15)
        major = p.role == "showcase"
        ins_id = f"INS-{day:%Y}-{seq:06d}"
        finding = {
            "code": "RN-03" if major else "RN-07",
            "severity": "major" if major else "general",
            "description": "未按规定设置维权信息公示牌" if major else "考勤记录不完整",
            "deadline": deadline.isoformat(),
            "rectifiedDate": None,
        }
        record = {
            "inspectionId": ins_id,
            "projectCode": p.code,
            "date": day.isoformat(),
            "inspectorOrg": f"{p.area}住建局",
            "kind": "random" if seq % 2 else "routine",
            "findings": [finding],
        }
        by_day.setdefault(day, []).append(record)
        if major:
            report.cases["unrectified_major"] = {
                "project": p.code,
                "inspection_id": ins_id,
                "finding_code": "RN-03",
                "deadline": deadline.isoformat(),
            }
            continue
        fixed = day + timedelta(days=rng.randrange(3, 12))
        if fixed <= spec.end:  # the inspectorate re-sends the record once rectified
            update = json.loads(json.dumps(record))
            update["findings"][0]["rectifiedDate"] = fixed.isoformat()
            by_day.setdefault(fixed, []).append(update)
    for day, records in sorted(by_day.items()):
        write(
            f"inspections/dt={day}/inspections.json",
            json.dumps(records, ensure_ascii=False).encode(),
        )


# --------------------------------------------------------------------------- photos


class PhotoFactory:
    """Enrolment photos and gate captures from the real offline face photos."""

    def __init__(self, seed: int) -> None:
        from ingest.face.config import FaceConfig
        from ingest.face.photos import fetch_photos

        self._photos = fetch_photos(FaceConfig.from_env())
        self._seed = seed

    def _bytes(self, identity: str, purpose: str) -> bytes:
        # Obama has three photos: enrol with one, capture with the others.
        if identity == "obama":
            return self._photos["obama" if purpose == "enrol" else "obama2"].read_bytes()
        if identity == "obama_alias":
            return self._photos["obama3"].read_bytes()
        return self._photos[identity].read_bytes()

    def enrolment(self, identity: str) -> bytes:
        from ingest.face.photos import make_capture

        return make_capture(
            self._bytes(identity, "enrol"),
            self._seed,
            frame=(480, 640),
            fill=(0.8, 0.9),
            gain=(1.0, 1.0),
            quality=(90, 90),
            noise_sigma=0.0,
        )

    def capture(self, identity: str, salt: str) -> bytes:
        from ingest.face.photos import make_capture

        seed = random.Random(f"{self._seed}:{salt}").randrange(2**31)
        return make_capture(
            self._bytes(identity, "capture"),
            seed,
            frame=(960, 720),
            fill=(0.75, 0.95),
            gain=(0.85, 1.15),
        )


# --------------------------------------------------------------------------- main


def write_city(s3: S3Settings, spec: CitySpec) -> dict[str, Any]:
    """Write the city into the bucket; return what was planted (see module doc)."""
    ensure_bucket(s3)
    return generate(lambda key, data: put_bytes(s3, key, data), spec)


def generate(put: Callable[[str, bytes], None], spec: CitySpec) -> dict[str, Any]:
    """Generate the city through ``put(key, bytes)``; return the report."""
    rng = random.Random(spec.seed)
    report = Report(spec={f.name: str(getattr(spec, f.name)) for f in fields(spec)})
    write = Writer(put, report)
    seq = iter(range(10**6))
    projects = [_build_project(rng, i, spec, seq) for i in range(spec.projects)]
    report.projects = [p.code for p in projects]
    report.districts = sorted({p.area for p in projects})
    if spec.plant_cases and spec.projects >= len(CASE_NAMES):
        _plant_cases(projects, spec, rng, report)
    photos = PhotoFactory(spec.seed) if spec.photos else None
    showcase = next((p for p in projects if p.role == "showcase"), None)
    if photos is not None and showcase is not None:
        _assign_photos(showcase, spec, report)
    # A worker who leaves mid-period: missing from the next monthly snapshot.
    months = _months(spec)
    snapshots = sorted({spec.start} | {date.fromisoformat(m + "-01") for m in months[1:]})
    if len(snapshots) > 1:
        for p in projects:
            if p.role in {"normal", "noisy"} and len(p.workers) > 12:
                leaver = p.workers[12]
                leaver.exit = snapshots[1]  # exited on the snapshot's date
                report.cases.setdefault("roster_exits", []).append(
                    {
                        "project": p.code,
                        "employee_no": leaver.employee_no,
                        "exit_date": snapshots[1].isoformat(),
                    }
                )

    write(f"registry/dt={spec.start}/projects.json", _registry(projects, spec, rng, report))
    for p in projects:
        for snap in snapshots:
            write(f"roster/{p.code}/dt={snap}/workers.jsonl", _roster(p, snap, spec, rng, report))
        if photos is not None and p is showcase:
            for w in p.workers:
                if w.photo is not None:
                    write(
                        f"photos/enrolment/{p.code}/{w.employee_no}.jpg", photos.enrolment(w.photo)
                    )

    buddy = spec.plant_cases and photos is not None
    buddy_dates: list[str] = []
    tx = [0]
    serials = {d.sn: [10000] for p in projects for d in p.devices}
    carry: dict[str, tuple[date, list[str]]] = {}
    present_by_month: dict[tuple[str, str], dict[str, int]] = {}
    for day in _days(spec):
        day_present: dict[str, list[str]] = {}
        for p in projects:
            by_device: dict[str, DayPunches] = {d.sn: DayPunches() for d in p.devices}
            present: list[str] = []
            for w in p.workers:
                if not _works(rng, w, day):
                    continue
                present.append(w.employee_no)
                counts = present_by_month.setdefault((p.code, day.strftime("%Y-%m")), {})
                counts[w.employee_no] = counts.get(w.employee_no, 0) + 1
                for ts, kind in _punch_times(rng, p, w, day):
                    dev = (
                        p.devices[0]
                        if len(p.devices) == 1
                        else p.devices[0 if kind in {"in", "breakin"} else 1]
                    )
                    # Captures for the last month only (earlier captures are omitted).
                    face = (
                        w.photo
                        if (p is showcase and photos is not None and (spec.end - day).days < 31)
                        else None
                    )
                    if (
                        face == "obama"
                        and buddy
                        and day.weekday() == 2
                        and len(buddy_dates) < 3
                        and kind == "in"
                    ):
                        face = "biden"  # B stands at the gate under A's number
                        buddy_dates.append(day.isoformat())
                    by_device[dev.sn].lines.append((ts, w, kind, face))
            day_present[p.code] = present
            for dev in p.devices:
                if not by_device[dev.sn].lines:
                    continue
                if dev.vendor == "zkteco":
                    prev_day, prev_lines = carry.get(dev.sn, (day, []))
                    resend = prev_lines if prev_day == day - timedelta(days=1) else []
                    carry[dev.sn] = (
                        day,
                        _zk_file(
                            p, dev, day, by_device[dev.sn], spec, rng, report, write, photos, resend
                        ),
                    )
                else:
                    _hik_files(
                        p,
                        dev,
                        day,
                        by_device[dev.sn],
                        spec,
                        rng,
                        report,
                        write,
                        serials[dev.sn],
                        photos,
                    )
        report.present[day.isoformat()] = day_present
    if buddy_dates and showcase is not None:
        report.cases["buddy_punch"] = {
            "project": showcase.code,
            "device_sn": showcase.devices[0].sn,
            "employee_no": showcase.workers[0].employee_no,
            "work_dates": buddy_dates,
        }
    unbalanced_planted = False
    for p in projects:
        paid: list[dict[str, Any]] = []
        for month in months:
            _payroll(
                p,
                month,
                present_by_month.get((p.code, month), {}),
                spec,
                rng,
                report,
                write,
                tx,
                paid,
            )
        unbalance = p.role == "noisy" and bool(spec.bad_records) and not unbalanced_planted
        _statements(p, months, paid, spec, report, write, unbalance=unbalance)
        unbalanced_planted = unbalanced_planted or unbalance
    _inspections(projects, spec, rng, report, write)
    if spec.bad_records:
        # Punches filed under a project the registry does not know.
        ghost = f"{DISTRICTS[0]}20200101{9999:04d}"
        lines = [f"000001\t{spec.start} 08:0{i}:00\t1\t0\t15\t0" for i in range(spec.bad_records)]
        write(
            f"punches/{ghost}/ZK-GHOST/dt={spec.start}/attlog.dat",
            "".join(line + "\n" for line in lines).encode(),
        )
        report.planted_rejects["unknown_project"] += len(lines)
    log.info(
        "seeded %d projects, %d objects, %d planted rejects",
        len(projects),
        report.objects,
        sum(report.planted_rejects.values()),
    )
    return report.as_dict()
