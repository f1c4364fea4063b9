"""The national platform's OpenAPI request shapes: signing, field encryption, validation.

Facts (``docs/national-export.md``): form fields ``appid, data, format=json, method, nonce,
timestamp (yyyyMMddHHmmss), version=1.0, sign``; ``sign`` = lowercase hex SHA-256 of the
lowercased ``appid=…&data=…&format=json&method=…&nonce=…&timestamp=…&version=1.0&appsecret=…``;
sensitive fields are AES/CBC/PKCS7 with key = the 32-character app secret, IV = its first 16
characters, Base64 output.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

VERSION = "1.0"
FORMAT = "json"
ATTENDANCE_METHOD = "WorkerAttendance.Add"
PAYROLL_METHOD = "Payroll.Add"
DATETIME_24H = re.compile(r"^\d{4}-\d{2}-\d{2} ([01]\d|2[0-3]):[0-5]\d:[0-5]\d$")
ATTEND_TYPES = {f"{i:03d}" for i in range(1, 12)}

# Field lists of the payloads (required fields; "enc" = AES-encrypted on the wire).
ATTENDANCE_FIELDS = ("projectCode", "teamSysNo", "dataList")
ATTENDANCE_ITEM_FIELDS = (
    "idCardType",
    "idCardNumber",
    "date",
    "direction",
    "image",
    "channel",
    "attendType",
    "lng",
    "lat",
)
PAYROLL_FIELDS = ("projectCode", "corpCode", "corpName", "teamSysNo", "payMonth", "detailList")
PAYROLL_ITEM_FIELDS = (
    "idCardType",
    "idCardNumber",
    "days",
    "workHours",
    "payRollBankCardNumber",
    "payRollBankCode",
    "payRollBankName",
    "payBankCardNumber",
    "payBankCode",
    "payBankName",
    "totalPayAmount",
    "actualAmount",
    "isBackPay",
    "balanceDate",
    "thirdPayRollCode",
)
#: Fields a payroll line carries only in some cases: backPayMonth on back-pay lines.
PAYROLL_ITEM_OPTIONAL = ("backPayMonth",)
ENCRYPTED = {"idCardNumber", "payRollBankCardNumber", "payBankCardNumber"}


class ExportError(ValueError):
    """A payload does not conform to the national field list."""


@dataclass(frozen=True, slots=True)
class Credentials:
    appid: str
    appsecret: str  # 32 characters: the AES-256 key; its first 16 are the IV

    def __post_init__(self) -> None:
        if len(self.appsecret) != 32:
            raise ExportError("the national app secret must have 32 characters")


def encrypt(text: str, creds: Credentials) -> str:
    key = creds.appsecret.encode()
    padder = padding.PKCS7(128).padder()
    data = padder.update(text.encode()) + padder.finalize()
    enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(enc.update(data) + enc.finalize()).decode()


def decrypt(token: str, creds: Credentials) -> str:
    key = creds.appsecret.encode()
    dec = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    data = dec.update(base64.b64decode(token)) + dec.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return (unpadder.update(data) + unpadder.finalize()).decode()


def sign(fields: dict[str, str], creds: Credentials) -> str:
    text = (
        f"appid={fields['appid']}&data={fields['data']}&format={FORMAT}"
        f"&method={fields['method']}&nonce={fields['nonce']}"
        f"&timestamp={fields['timestamp']}&version={VERSION}&appsecret={creds.appsecret}"
    )
    return hashlib.sha256(text.lower().encode()).hexdigest()


def request(
    method: str, payload: dict[str, Any], creds: Credentials, timestamp: str
) -> dict[str, str]:
    """The POST form of one upload. ``timestamp`` (yyyyMMddHHmmss) comes from the run's data
    interval; the nonce is derived from the content, so an export is reproducible."""
    if not re.fullmatch(r"\d{14}", timestamp):
        raise ExportError(f"timestamp must be yyyyMMddHHmmss, got {timestamp!r}")
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    nonce = hashlib.sha256(f"{method}|{data}".encode()).hexdigest()[:32]
    fields = {
        "appid": creds.appid,
        "data": data,
        "format": FORMAT,
        "method": method,
        "nonce": nonce,
        "timestamp": timestamp,
        "version": VERSION,
    }
    return {**fields, "sign": sign(fields, creds)}


def _require(
    obj: dict[str, Any], names: tuple[str, ...], where: str, optional: tuple[str, ...] = ()
) -> None:
    missing = [n for n in names if n not in obj]
    extra = [n for n in obj if n not in names and n not in optional]
    if missing or extra:
        raise ExportError(f"{where}: missing {missing}, unexpected {extra}")


def validate(req: dict[str, str], creds: Credentials) -> None:
    """Check a request against the field lists, formats, signature and encryption."""
    if req.get("sign") != sign(req, creds):
        raise ExportError("bad signature")
    payload = json.loads(req["data"])
    if req["method"] == ATTENDANCE_METHOD:
        _require(payload, ATTENDANCE_FIELDS, "WorkerAttendance")
        for n, item in enumerate(payload["dataList"]):
            where = f"WorkerAttendance.dataList[{n}]"
            _require(item, ATTENDANCE_ITEM_FIELDS, where)
            if not DATETIME_24H.match(item["date"]):
                raise ExportError(f"{where}.date is not yyyy-MM-dd HH:mm:ss: {item['date']!r}")
            if item["direction"] not in {"01", "02"}:
                raise ExportError(f"{where}.direction must be 01 or 02")
            if item["attendType"] not in ATTEND_TYPES:
                raise ExportError(f"{where}.attendType {item['attendType']!r} unknown")
            _check_encrypted(item, where, creds)
    elif req["method"] == PAYROLL_METHOD:
        _require(payload, PAYROLL_FIELDS, "Payroll")
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", payload["payMonth"]):
            raise ExportError("Payroll.payMonth must be yyyy-MM")
        for n, item in enumerate(payload["detailList"]):
            where = f"Payroll.detailList[{n}]"
            _require(item, PAYROLL_ITEM_FIELDS, where, PAYROLL_ITEM_OPTIONAL)
            if item["isBackPay"] not in (0, 1):
                raise ExportError(f"{where}.isBackPay must be 0 or 1")
            if item["isBackPay"] == 1 and item.get("backPayMonth") != payload["payMonth"]:
                raise ExportError(f"{where}.backPayMonth must be the payMonth of a back-pay line")
            for amount in ("totalPayAmount", "actualAmount"):
                if not isinstance(item[amount], int | float):
                    raise ExportError(f"{where}.{amount} must be a number")
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", item["balanceDate"]):
                raise ExportError(f"{where}.balanceDate must be yyyy-MM-dd")
            _check_encrypted(item, where, creds)
    else:
        raise ExportError(f"unknown method {req['method']!r}")


def _check_encrypted(item: dict[str, Any], where: str, creds: Credentials) -> None:
    for name in ENCRYPTED & set(item):
        value = item[name]
        if value is None:
            continue
        try:
            decrypt(value, creds)
        except (ValueError, TypeError) as exc:
            raise ExportError(f"{where}.{name} is not AES-encrypted as specified") from exc
