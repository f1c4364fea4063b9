"""A city-month of attendance and payroll as national OpenAPI uploads, written to S3.

One ``WorkerAttendance.Add`` request per project, team and part (≤ ``PART_SIZE`` records)
and one ``Payroll.Add`` request per project, corp, team and pay month, each the complete
signed POST form, under ``exports/national/city={city}/month={YYYY-MM}/{project}/``, plus
a ``manifest.json`` with the counts. ID and bank-card numbers are read from the restricted
store (decrypted only in memory) and AES-encrypted as the national API specifies.

Punches whose face re-verification said ``mismatch`` are proxies, not attendance: they are
not exported. Punches without a direction (``undefined`` on a two-way channel) cannot be
uploaded either; both are counted in the manifest.
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ingest.config import Settings
from ingest.export.national import (
    ATTENDANCE_METHOD,
    PAYROLL_METHOD,
    Credentials,
    encrypt,
    request,
    validate,
)
from ingest.landing import codes
from ingest.results import ExportManifest
from ingest.schedule import SHANGHAI
from ingest.storage import put_bytes
from ingest.warehouse.db import connect
from ingest.warehouse.pii import PiiKeys

log = logging.getLogger(__name__)
PART_SIZE = 500
ZK_ATTEND_TYPE = {15: "001", 1: "003", 25: "004", 4: "006", 0: "011"}
HIK_ATTEND_TYPE = {"face": "001", "fingerprint": "003", "card": "006", "cardOrFace": "001"}

ATTENDANCE_SQL = """
with punches as (
    select project_code, device_sn, employee_no, pin, punch_at, direction,
           verify_mode::text as verify_mode, 'zkteco' as vendor, null::text as picture_url
      from raw.zkteco_punches where work_date between %(start)s and %(end)s
    union all
    select project_code, device_sn, employee_no, employee_no_string, punch_at, direction,
           verify_mode, 'hikvision', picture_url
      from raw.hikvision_events where work_date between %(start)s and %(end)s
), projects as (
    select distinct on (project_code) project_code, area_code, lng, lat
      from raw.registry_projects order by project_code, partition_date desc
), devices as (
    select distinct on (device_sn) device_sn, channel
      from raw.registry_devices order by device_sn, partition_date desc
), roster as (
    select distinct on (project_code, employee_no) project_code, employee_no, team_sys_no,
           id_card_type
      from raw.roster_workers order by project_code, employee_no, partition_date desc
), mismatched as (
    select device_sn, employee_no, punch_at from raw.face_verifications
     where decision = 'mismatch'
)
select p.project_code, p.device_sn, p.employee_no, p.pin, p.punch_at, p.direction,
       p.verify_mode, p.vendor, p.picture_url, pr.lng, pr.lat, d.channel, r.team_sys_no,
       r.id_card_type, i.id_card_number_enc,
       m.device_sn is not null as is_mismatch
  from punches p
  join projects pr using (project_code)
  join ops.roster_periods rp using (project_code, employee_no)
  join roster r using (project_code, employee_no)
  join restricted.worker_identity i on i.worker_key = rp.worker_key
  left join devices d using (device_sn)
  left join mismatched m using (device_sn, employee_no, punch_at)
 where pr.area_code like %(city)s || '%%'
 order by p.project_code, r.team_sys_no, p.punch_at, p.device_sn, p.employee_no
"""

PAYROLL_SQL = """
with projects as (
    select distinct on (project_code) project_code, area_code, contractor_corp_code,
           contractor_corp_name
      from raw.registry_projects order by project_code, partition_date desc
), corps as (
    select distinct on (corp_code) corp_code, corp_name
      from raw.registry_corps order by corp_code, partition_date desc
)
select l.project_code, l.corp_code,
       coalesce(c.corp_name, case when l.corp_code = pr.contractor_corp_code
                                  then pr.contractor_corp_name end) as corp_name,
       l.team_sys_no, l.pay_month, l.id_card_type, i.id_card_number_enc,
       b.bank_card_number_enc, l.days, l.work_hours, l.pay_roll_bank_code,
       l.pay_bank_card_number, l.pay_bank_code, l.total_pay_amount, l.actual_amount,
       l.is_back_pay, l.balance_date, l.third_pay_roll_code
  from raw.payroll_lines l
  join projects pr using (project_code)
  left join restricted.worker_identity i on i.worker_key = l.worker_key
  left join restricted.bank_cards b on b.bank_card_key = l.bank_card_key
  left join corps c on c.corp_code = l.corp_code
 where l.pay_month = %(month)s and pr.area_code like %(city)s || '%%'
 order by l.project_code, l.corp_code, l.team_sys_no, l.third_pay_roll_code
"""


def _month_bounds(month: str) -> tuple[date, date]:
    first = date.fromisoformat(month + "-01")
    nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, date.fromordinal(nxt.toordinal() - 1)


def _num(value: Decimal | float | None) -> float:
    return float(value) if value is not None else 0.0


def _attend_type(vendor: str, verify_mode: str | None) -> str:
    if vendor == "zkteco" and verify_mode is not None and verify_mode.isdigit():
        return ZK_ATTEND_TYPE.get(int(verify_mode), "011")
    return HIK_ATTEND_TYPE.get(verify_mode or "", "011")


def _capture_key(row: dict[str, Any]) -> str:
    if row["picture_url"]:
        return str(row["picture_url"])
    local = row["punch_at"].astimezone(SHANGHAI)
    return (
        f"photos/capture/{row['project_code']}/{row['device_sn']}/dt={local.date()}/"
        f"{local:%Y%m%d%H%M%S}-{row['pin']}.jpg"
    )


def export_month(settings: Settings, city: str, month: str, as_of: datetime) -> ExportManifest:
    """Write the city-month's national uploads to S3, then their manifest (``manifest.json``
    under the same prefix); return the manifest."""
    creds = Credentials(settings.national_appid, settings.national_appsecret)
    keys = PiiKeys(settings.pii_secret)
    start, end = _month_bounds(month)
    timestamp = as_of.astimezone(SHANGHAI).strftime("%Y%m%d%H%M%S")
    prefix = f"exports/national/city={city}/month={month}"
    banks = codes.table(codes.BANK)
    files: list[str] = []
    counts: Counter[str] = Counter()
    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        cur.execute(ATTENDANCE_SQL, {"start": start, "end": end, "city": city})
        cols = [d.name for d in cur.description]
        groups: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
        for values in cur.fetchall():
            row = dict(zip(cols, values, strict=True))
            if row["is_mismatch"]:
                counts["skipped_mismatch"] += 1
                continue
            if row["direction"] not in {"in", "out"}:
                counts["skipped_no_direction"] += 1
                continue
            groups[(row["project_code"], row["team_sys_no"])].append(
                {
                    "idCardType": row["id_card_type"] or "01",
                    "idCardNumber": encrypt(keys.decrypt(bytes(row["id_card_number_enc"])), creds),
                    "date": row["punch_at"].astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
                    "direction": "01" if row["direction"] == "in" else "02",
                    "image": _capture_key(row),
                    "channel": row["channel"] or row["device_sn"],
                    "attendType": _attend_type(row["vendor"], row["verify_mode"]),
                    "lng": _num(row["lng"]),
                    "lat": _num(row["lat"]),
                }
            )
        for (project, team), items in sorted(groups.items()):
            for part, i in enumerate(range(0, len(items), PART_SIZE), start=1):
                part_items = items[i : i + PART_SIZE]
                payload = {"projectCode": project, "teamSysNo": team, "dataList": part_items}
                req = request(ATTENDANCE_METHOD, payload, creds, timestamp)
                validate(req, creds)
                key = f"{prefix}/{project}/{ATTENDANCE_METHOD}-{team}-{part:03d}.json"
                put_bytes(
                    settings.s3,
                    key,
                    json.dumps(req, ensure_ascii=False).encode(),
                    "application/json",
                )
                files.append(key)
                counts["attendance_records"] += len(part_items)

        cur.execute(PAYROLL_SQL, {"month": month, "city": city})
        cols = [d.name for d in cur.description]
        batches: dict[tuple[str, str, int, str], list[dict[str, Any]]] = defaultdict(list)
        names: dict[str, str] = {}
        for values in cur.fetchall():
            row = dict(zip(cols, values, strict=True))
            names[row["corp_code"]] = row["corp_name"] or ""
            card = (
                keys.decrypt(bytes(row["bank_card_number_enc"]))
                if row["bank_card_number_enc"] is not None
                else None
            )
            ident = (
                keys.decrypt(bytes(row["id_card_number_enc"]))
                if row["id_card_number_enc"] is not None
                else None
            )
            batches[
                (row["project_code"], row["corp_code"], row["team_sys_no"], row["pay_month"])
            ].append(
                {
                    "idCardType": row["id_card_type"] or "01",
                    "idCardNumber": encrypt(ident, creds) if ident else None,
                    "days": row["days"],
                    "workHours": _num(row["work_hours"]),
                    "payRollBankCardNumber": encrypt(card, creds) if card else None,
                    "payRollBankCode": row["pay_roll_bank_code"],
                    "payRollBankName": banks.get(row["pay_roll_bank_code"] or "", {}).get(
                        "name_zh", ""
                    ),
                    "payBankCardNumber": encrypt(row["pay_bank_card_number"], creds)
                    if row["pay_bank_card_number"]
                    else None,
                    "payBankCode": row["pay_bank_code"],
                    "payBankName": banks.get(row["pay_bank_code"] or "", {}).get("name_zh", ""),
                    "totalPayAmount": _num(row["total_pay_amount"]),
                    "actualAmount": _num(row["actual_amount"]),
                    "isBackPay": 1 if row["is_back_pay"] else 0,
                    # required on back-pay lines; the month worked (the line's pay month)
                    **({"backPayMonth": row["pay_month"]} if row["is_back_pay"] else {}),
                    "balanceDate": row["balance_date"].isoformat(),
                    "thirdPayRollCode": row["third_pay_roll_code"],
                }
            )
        for (project, corp, team, pay_month), items in sorted(batches.items()):
            payload = {
                "projectCode": project,
                "corpCode": corp,
                "corpName": names[corp],
                "teamSysNo": team,
                "payMonth": pay_month,
                "detailList": items,
            }
            req = request(PAYROLL_METHOD, payload, creds, timestamp)
            validate(req, creds)
            key = f"{prefix}/{project}/{PAYROLL_METHOD}-{corp}-{team}.json"
            put_bytes(
                settings.s3, key, json.dumps(req, ensure_ascii=False).encode(), "application/json"
            )
            files.append(key)
            counts["payroll_records"] += len(items)
    manifest = ExportManifest(
        city=city, month=month, timestamp=timestamp, files=tuple(files), **counts
    )
    put_bytes(
        settings.s3,
        f"{prefix}/manifest.json",
        json.dumps(manifest.to_xcom(), ensure_ascii=False, indent=1).encode(),
        "application/json",
    )
    log.info(
        "national export %s %s: %d attendance, %d payroll records in %d files",
        city,
        month,
        manifest.attendance_records,
        manifest.payroll_records,
        len(manifest.files),
    )
    return manifest
