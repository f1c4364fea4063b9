"""Synthetic city generator.

Deterministic: the same :class:`CitySpec` always writes the same bytes. It returns a
report of what it planted (expected facts) that tests compare the marts with.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass, field
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
WORK_TYPES = ("010", "020", "040", "050", "240", "130", "270", "900")
NATIVE_AREAS = ("410102", "510104", "430102", "360102", "420102", "450102")


@dataclass(frozen=True, slots=True)
class CitySpec:
    projects: int
    workers_per_project: int
    start: date
    days: int
    seed: int
    absent_rate: float = 0.08

    @classmethod
    def preset(cls, size: str, *, start: date, days: int, seed: int) -> CitySpec:
        sizes = {"tiny": (1, 6), "small": (6, 25), "medium": (60, 60), "large": (3000, 150)}
        if size not in sizes:
            raise ValueError(f"unknown size {size!r}; choose one of {sorted(sizes)}")
        projects, workers = sizes[size]
        return cls(projects, workers, start, days, seed)


@dataclass(slots=True)
class Worker:
    employee_no: str
    name: str
    id_number: str
    work_type: str
    corp_code: str
    team_sys_no: int
    daily_wage: float


@dataclass(slots=True)
class Project:
    code: str
    area: str
    contractor: str
    device_sn: str
    workers: list[Worker] = field(default_factory=list)


def _project(rng: random.Random, idx: int, spec: CitySpec) -> Project:
    area = DISTRICTS[idx % len(DISTRICTS)]
    code = f"{area}{spec.start - timedelta(days=400 + idx):%Y%m%d}{idx + 1:04d}"
    project = Project(code, area, make_uscc(area, rng), f"ZK-{idx + 1:04d}A")
    team = 100000 + idx * 10
    for w in range(spec.workers_per_project):
        birth = date(1965, 1, 1) + timedelta(days=rng.randrange(0, 365 * 35))
        project.workers.append(
            Worker(
                employee_no=f"{w + 1:06d}",
                name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                id_number=make_id_number(
                    rng.choice(NATIVE_AREAS), birth, idx * 1000 + w, male=rng.random() < 0.85
                ),
                work_type=WORK_TYPES[w % len(WORK_TYPES)],
                corp_code=project.contractor,
                team_sys_no=team,
                daily_wage=float(rng.choice((300, 320, 350, 380, 420))),
            )
        )
    return project


def _registry(projects: list[Project], spec: CitySpec) -> list[dict[str, Any]]:
    out = []
    for p in projects:
        out.append(
            {
                "projectCode": p.code,
                "name": f"{p.area}片区第{p.code[-4:]}号工程",
                "category": "01",
                "areaCode": p.area,
                "prjStatus": "003",
                "startDate": (spec.start - timedelta(days=400)).isoformat(),
                "completeDate": (spec.start + timedelta(days=400)).isoformat(),
                "invest": 12000.5,
                "address": f"深圳市{p.area}",
                "lng": 113.93,
                "lat": 22.53,
                "contractorCorpCode": p.contractor,
                "contractorCorpName": f"总包{p.code[-4:]}公司",
                "buildCorpCode": p.contractor,
                "buildCorpName": f"建设{p.code[-4:]}单位",
                "wageAccount": {"bankCode": "105", "accountNumber": f"4425{p.code[-8:]}00000001"},
                "payDay": 15,
                "shift": {"start": "07:30", "end": "17:30"},
                "subContractors": [],
                "teams": [
                    {
                        "teamSysNo": p.workers[0].team_sys_no,
                        "corpCode": p.contractor,
                        "teamName": "综合一班",
                        "leaderIdCardNumber": p.workers[0].id_number,
                        "entryTime": (spec.start - timedelta(days=300)).isoformat(),
                        "exitTime": None,
                    }
                ],
                "devices": [
                    {
                        "deviceSN": p.device_sn,
                        "vendor": "zkteco",
                        "channel": "东门1号闸",
                        "role": "both",
                    }
                ],
            }
        )
    return out


def _roster_line(p: Project, w: Worker, spec: CitySpec) -> dict[str, Any]:
    entry = (spec.start - timedelta(days=90)).isoformat()
    return {
        "employeeNo": w.employee_no,
        "workerName": w.name,
        "idCardType": "01",
        "idCardNumber": w.id_number,
        "cellPhone": f"138{w.id_number[-8:].replace('X', '0')}",
        "nation": "汉",
        "corpCode": w.corp_code,
        "teamSysNo": w.team_sys_no,
        "workType": w.work_type,
        "workRole": "10" if w.work_type == "900" else "20",
        "isTeamLeader": w.employee_no == "000001",
        "entryDate": entry,
        "exitDate": None,
        "contract": {
            "contractPeriodType": "0",
            "startDate": entry,
            "endDate": (spec.start + timedelta(days=275)).isoformat(),
            "dailyWage": w.daily_wage,
        },
        "payRollBankCardNumber": f"62170000{w.id_number[-11:].replace('X', '0')}",
        "payRollBankCode": "105",
        "certifications": [],
        "trainings": [
            {"trainingType": "003002", "date": entry, "hours": 24, "score": 86, "passed": True}
        ],
        "enrolmentPhoto": f"photos/enrolment/{p.code}/{w.employee_no}.jpg",
    }


def _attlog(rng: random.Random, p: Project, day: date, spec: CitySpec) -> tuple[str, list[str]]:
    lines: list[str] = []
    present: list[str] = []
    if day.weekday() == 6:  # Sunday: sites rest
        return "", present
    for w in p.workers:
        if rng.random() < spec.absent_rate:
            continue
        present.append(w.employee_no)
        t_in = datetime.combine(day, time(7, 10)) + timedelta(seconds=rng.randrange(0, 1800))
        t_out = datetime.combine(day, time(17, 30)) + timedelta(seconds=rng.randrange(0, 1800))
        for ts, status in ((t_in, 0), (t_out, 1)):
            lines.append(f"{w.employee_no}\t{ts:%Y-%m-%d %H:%M:%S}\t1\t{status}\t15\t0")
    return "".join(line + "\n" for line in lines), present


def write_city(s3: S3Settings, spec: CitySpec) -> dict[str, Any]:
    """Write the city into the bucket; return what was planted."""
    rng = random.Random(spec.seed)
    ensure_bucket(s3)
    projects = [_project(rng, i, spec) for i in range(spec.projects)]
    put_bytes(
        s3,
        f"registry/dt={spec.start}/projects.json",
        json.dumps(_registry(projects, spec), ensure_ascii=False, indent=1).encode(),
    )
    objects = 1
    expected: dict[str, dict[str, list[str]]] = {}
    for p in projects:
        roster = "".join(
            json.dumps(_roster_line(p, w, spec), ensure_ascii=False) + "\n" for w in p.workers
        )
        put_bytes(s3, f"roster/{p.code}/dt={spec.start}/workers.jsonl", roster.encode())
        objects += 1
        for d in range(spec.days):
            day = spec.start + timedelta(days=d)
            text, present = _attlog(rng, p, day, spec)
            if text:
                put_bytes(s3, f"punches/{p.code}/{p.device_sn}/dt={day}/attlog.dat", text.encode())
                objects += 1
            expected.setdefault(day.isoformat(), {})[p.code] = present
    report = {
        "projects": [p.code for p in projects],
        "objects": objects,
        "present": expected,
        "start": spec.start.isoformat(),
        "days": spec.days,
    }
    log.info("seeded %d projects, %d objects", len(projects), objects)
    return report
