"""GB 11643 / GB 32100 check characters, derived attributes, masking and worker_key."""

from __future__ import annotations

from datetime import date

import pytest

from ingest.landing.checks import (
    USCC_CHARSET,
    id_birth_date,
    id_check_char,
    id_format_ok,
    id_sex,
    mask_id,
    uscc_check_char,
    valid_id_number,
    valid_project_code,
    valid_uscc,
    worker_key,
)

VALID_IDS = [
    "11010519491231002X",  # GB 11643 sample
    "440305199003074517",
    "36012319881111123X",
    "440106197506150020",
    "511022199202290043",  # born on 29 Feb of a leap year
]
VALID_USCCS = ["91110000802100433B", "91440300MA5F0001K3", "12440300455000123B"]


@pytest.mark.parametrize("number", VALID_IDS)
def test_valid_id_numbers_pass(number: str) -> None:
    # GIVEN a resident ID with a correct check character WHEN validated THEN it passes
    assert valid_id_number(number)


def test_lower_case_x_is_accepted() -> None:
    assert valid_id_number("11010519491231002x")


@pytest.mark.parametrize("number", VALID_IDS)
def test_every_other_check_character_fails(number: str) -> None:
    # GIVEN a valid ID WHEN its check character is replaced by any other THEN it fails
    for c in "0123456789X":
        if c != number[17]:
            assert not valid_id_number(number[:17] + c)


@pytest.mark.parametrize("number", VALID_IDS)
def test_a_changed_body_digit_fails(number: str) -> None:
    # GIVEN a valid ID WHEN one body digit changes (birth date kept plausible) THEN it fails
    mutated = number[:15] + str((int(number[15]) + 1) % 10) + number[16:]
    assert not valid_id_number(mutated)


@pytest.mark.parametrize(
    "number",
    [
        "1101051949123100",  # 16 characters
        "11010519491231002XX",  # 19
        "1101051949123100X2",  # X not last
        "11010519491331002X",  # month 13
        "11010518991231002X",  # before 1900
        "110105194912310 2X",  # a blank
    ],
)
def test_malformed_ids_fail_format(number: str) -> None:
    assert not id_format_ok(number)
    assert not valid_id_number(number)


def test_birth_date_in_the_future_is_implausible() -> None:
    body = "11010520301231002"
    number = body + id_check_char(body)
    assert not valid_id_number(number, today=date(2026, 11, 2))
    assert valid_id_number(number, today=date(2031, 1, 1))


def test_birth_date_and_sex_are_derived() -> None:
    # 17th digit 2 (even) = female; 1 (odd) = male
    assert id_birth_date("11010519491231002X") == date(1949, 12, 31)
    assert id_sex("11010519491231002X") == "F"
    assert id_birth_date("440305199003074517") == date(1990, 3, 7)
    assert id_sex("440305199003074517") == "M"
    assert id_birth_date("12345") is None
    assert id_sex("12345") is None


@pytest.mark.parametrize("code", VALID_USCCS)
def test_valid_uscc_pass(code: str) -> None:
    assert valid_uscc(code)
    assert uscc_check_char(code[:17]) == code[17]


@pytest.mark.parametrize("code", VALID_USCCS)
def test_every_other_uscc_check_character_fails(code: str) -> None:
    for c in USCC_CHARSET:
        if c != code[17]:
            assert not valid_uscc(code[:17] + c)


@pytest.mark.parametrize(
    "code",
    [
        "91110000802100433",  # 17 characters
        "91110000802100433I",  # I is not in the charset
        "9111000080210043OB",  # O
        "91110000802100433b",  # lower case
        "",
    ],
)
def test_malformed_uscc_fail(code: str) -> None:
    assert not valid_uscc(code)


def test_uscc_charset_has_31_characters_without_i_o_z_s_v() -> None:
    assert len(USCC_CHARSET) == 31
    assert not set("IOZSV") & set(USCC_CHARSET)


def test_mask_id() -> None:
    assert mask_id("11010519491231002X") == "110105********002X"
    assert mask_id("6217000000000000000") == "62*************0000"
    assert mask_id("13800000000") == "********000"
    assert mask_id("") == ""


def test_worker_key_is_a_keyed_hash_of_the_normalised_number() -> None:
    secret = b"test-secret"
    k = worker_key("01", "11010519491231002X", secret)
    assert len(k) == 64 and int(k, 16) >= 0
    assert "11010519491231002" not in k
    # GIVEN lower-case x, full-width digits, type "1" WHEN hashed THEN the same key
    assert worker_key("1", " 11010519491231002x ", secret) == k
    assert worker_key("01", "１１０１０５１９４９１２３１００２X", secret) == k
    # a different type, number or secret gives a different key
    assert worker_key("08", "11010519491231002X", secret) != k
    assert worker_key("01", "440305199003074517", secret) != k
    assert worker_key("01", "11010519491231002X", b"other") != k


def test_worker_key_needs_a_bytes_secret() -> None:
    with pytest.raises(ValueError, match="secret") as exc:
        worker_key("01", "11010519491231002X", b"")
    assert "11010519491231002X" not in str(exc.value)
    with pytest.raises(ValueError):
        worker_key("01", "11010519491231002X", "text")  # type: ignore[arg-type]


def test_project_code() -> None:
    assert valid_project_code("440305202403150001")
    assert not valid_project_code("440305202402300001")  # 30 Feb
    assert not valid_project_code("44030520240315001")
