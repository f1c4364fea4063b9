"""The national OpenAPI request shapes: signature, AES field encryption, field lists."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ingest.export.national import (
    ATTENDANCE_METHOD,
    PAYROLL_METHOD,
    Credentials,
    ExportError,
    decrypt,
    encrypt,
    request,
    validate,
)

CREDS = Credentials("app-0001", "0123456789abcdef0123456789ABCDEF")
ID = "11010519491231002X"


def _attendance(date: str = "2026-10-09 15:42:07") -> dict[str, object]:
    return {
        "projectCode": "440305202403150001",
        "teamSysNo": 100231,
        "dataList": [
            {
                "idCardType": "01",
                "idCardNumber": encrypt(ID, CREDS),
                "date": date,
                "direction": "01",
                "image": "photos/capture/x.jpg",
                "channel": "东门1号闸",
                "attendType": "001",
                "lng": 113.93,
                "lat": 22.53,
            }
        ],
    }


def test_encryption_is_aes_cbc_pkcs7_with_key_secret_and_iv_its_first_16() -> None:
    # GIVEN the national rule, computed independently here
    key = CREDS.appsecret.encode()
    padder = padding.PKCS7(128).padder()
    data = padder.update(ID.encode()) + padder.finalize()
    enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    expected = base64.b64encode(enc.update(data) + enc.finalize()).decode()
    # THEN our encryption gives exactly that and decrypts back
    assert encrypt(ID, CREDS) == expected
    assert decrypt(expected, CREDS) == ID


def test_signature_is_sha256_of_the_lowercased_canonical_string() -> None:
    req = request(ATTENDANCE_METHOD, _attendance(), CREDS, "20261101000000")
    text = (
        f"appid={req['appid']}&data={req['data']}&format=json&method={req['method']}"
        f"&nonce={req['nonce']}&timestamp={req['timestamp']}&version=1.0"
        f"&appsecret={CREDS.appsecret}"
    ).lower()
    assert req["sign"] == hashlib.sha256(text.encode()).hexdigest()
    validate(req, CREDS)


def test_requests_are_reproducible() -> None:
    a = request(ATTENDANCE_METHOD, _attendance(), CREDS, "20261101000000")
    b = request(ATTENDANCE_METHOD, _attendance(), CREDS, "20261101000000")
    assert a == b


def test_afternoon_punch_keeps_its_24_hour_time() -> None:
    req = request(ATTENDANCE_METHOD, _attendance(), CREDS, "20261101000000")
    assert json.loads(req["data"])["dataList"][0]["date"] == "2026-10-09 15:42:07"
    # a 12-hour rendering ("03:42:07 PM") is refused by the validator
    bad = request(ATTENDANCE_METHOD, _attendance("2026-10-09 03:42:07 PM"), CREDS, "20261101000000")
    with pytest.raises(ExportError, match="date"):
        validate(bad, CREDS)


def test_tampered_or_incomplete_requests_are_refused() -> None:
    req = request(ATTENDANCE_METHOD, _attendance(), CREDS, "20261101000000")
    with pytest.raises(ExportError, match="signature"):
        validate({**req, "data": req["data"].replace("100231", "100232")}, CREDS)
    payload = _attendance()
    del payload["dataList"][0]["channel"]  # type: ignore[index]
    with pytest.raises(ExportError, match="missing"):
        validate(request(ATTENDANCE_METHOD, payload, CREDS, "20261101000000"), CREDS)
    plain = _attendance()
    plain["dataList"][0]["idCardNumber"] = ID  # type: ignore[index]
    with pytest.raises(ExportError, match="encrypted"):
        validate(request(ATTENDANCE_METHOD, plain, CREDS, "20261101000000"), CREDS)


def test_payroll_field_list() -> None:
    item = {
        "idCardType": "01",
        "idCardNumber": encrypt(ID, CREDS),
        "days": 22,
        "workHours": 190.5,
        "payRollBankCardNumber": encrypt("6217000000000000000", CREDS),
        "payRollBankCode": "105",
        "payRollBankName": "中国建设银行",
        "payBankCardNumber": encrypt("44250100000000000001", CREDS),
        "payBankCode": "105",
        "payBankName": "中国建设银行",
        "totalPayAmount": 8360.0,
        "actualAmount": 8360.0,
        "isBackPay": 0,
        "balanceDate": "2026-11-14",
        "thirdPayRollCode": "BANK-TX-1",
    }
    payload = {
        "projectCode": "440305202403150001",
        "corpCode": "91110000802100433B",
        "corpName": "某劳务公司",
        "teamSysNo": 100231,
        "payMonth": "2026-10",
        "detailList": [item],
    }
    validate(request(PAYROLL_METHOD, payload, CREDS, "20261115000000"), CREDS)
    with pytest.raises(ExportError, match="payMonth"):
        validate(
            request(PAYROLL_METHOD, {**payload, "payMonth": "2026/10"}, CREDS, "20261115000000"),
            CREDS,
        )
    # AND a back-pay line carries backPayMonth, the month worked (contract v1.1)
    back = {**item, "isBackPay": 1, "thirdPayRollCode": "BANK-TX-2"}
    with pytest.raises(ExportError, match="backPayMonth"):
        validate(
            request(PAYROLL_METHOD, {**payload, "detailList": [back]}, CREDS, "20261115000000"),
            CREDS,
        )
    with_month = {**back, "backPayMonth": "2026-10"}
    validate(
        request(PAYROLL_METHOD, {**payload, "detailList": [with_month]}, CREDS, "20261115000000"),
        CREDS,
    )
