"""Storage errors are typed by the error policy, and the task wrapper maps them to Airflow:
data errors fail at once, transient ones propagate for Airflow to retry."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest


def test_a_missing_object_is_a_data_error(settings: Any) -> None:
    from ingest.errors import DataError, Verdict, classify
    from ingest.storage import ObjectMissing, ensure_bucket, get_bytes, get_bytes_or_none

    # GIVEN a bucket without the key
    ensure_bucket(settings.s3)
    # WHEN the key is fetched
    with pytest.raises(ObjectMissing) as caught:
        get_bytes(settings.s3, "roster/nope/dt=2026-11-02/workers.jsonl")
    # THEN it is a data error naming the key; the lenient read says None
    assert isinstance(caught.value, DataError)
    assert classify(caught.value) is Verdict.DATA
    assert "roster/nope/dt=2026-11-02/workers.jsonl" in str(caught.value)
    assert get_bytes_or_none(settings.s3, "roster/nope/dt=2026-11-02/workers.jsonl") is None


def test_a_key_the_client_refuses_is_a_data_error_naming_it(settings: Any) -> None:
    from ingest.storage import BadObjectKey, get_bytes

    # WHEN a key with a `..` segment is fetched
    with pytest.raises(BadObjectKey) as caught:
        get_bytes(settings.s3, "punches/P/../D/dt=2026-11-02/attlog.dat")
    # THEN it fails as data (no retry can fetch it), naming the key
    assert "punches/P/../D/dt=2026-11-02/attlog.dat" in str(caught.value)


def test_an_unreachable_endpoint_is_transient(settings: Any) -> None:
    from ingest.errors import TransientError, Verdict, classify
    from ingest.stack.proc import free_port
    from ingest.storage import StorageUnavailable, list_objects

    # GIVEN an endpoint where nothing listens
    s3 = dataclasses.replace(settings.s3, endpoint=f"127.0.0.1:{free_port()}")
    # WHEN the bucket is listed
    with pytest.raises(StorageUnavailable) as caught:
        list(list_objects(s3, "registry/"))
    # THEN it is transient: Airflow retries it
    assert isinstance(caught.value, TransientError)
    assert classify(caught.value) is Verdict.TRANSIENT


def test_the_task_wrapper_fails_data_errors_now_and_lets_transient_ones_retry() -> None:
    from airflow.sdk.exceptions import AirflowFailException

    from ingest.errors import DataError, TransientError
    from ingest.storage import ObjectMissing
    from ingest.tasks import airflow_errors

    # WHEN a data error is raised inside a task body
    for exc in (ObjectMissing("k: NoSuchKey"), DataError("a failed gate")):
        with pytest.raises(AirflowFailException):
            with airflow_errors():
                raise exc
    # THEN it became AirflowFailException (no retry); a transient error stays itself
    with pytest.raises(TransientError):
        with airflow_errors():
            raise TransientError("connection refused")
    with pytest.raises(ConnectionError):
        with airflow_errors():
            raise ConnectionError("reset")


def test_verification_reads_a_missing_enrolment_photo_as_none(settings: Any) -> None:
    from datetime import date

    from ingest.storage import ensure_bucket, put_bytes
    from ingest.verification.captures import PunchMatch
    from ingest.verification.run import _enrolment_photos

    # GIVEN one enrolment photo in the bucket and a punch whose worker has none
    ensure_bucket(settings.s3)
    present = "roster/P1/photos/present.jpg"
    put_bytes(settings.s3, present, b"jpeg bytes", content_type="image/jpeg")

    def match(enrolment_key: str) -> PunchMatch:
        return PunchMatch(
            capture_key=f"captures/{enrolment_key}",
            vendor="zkteco",
            project_code="P1",
            device_sn="D1",
            partition_date=date(2026, 11, 2),
            employee_no="1",
            punch_at=None,
            work_date=date(2026, 11, 2),
            worker_key=None,
            enrolment_key=enrolment_key,
        )

    # WHEN the verification reads the enrolment photos of both punches
    photos = _enrolment_photos(settings, [match(present), match("roster/P1/photos/absent.jpg")])
    # THEN the present photo is read and the absent one is None (no error)
    assert photos == {present: b"jpeg bytes", "roster/P1/photos/absent.jpg": None}
