"""Object storage access through the ``minio`` client (MinIO in production, SeaweedFS locally).

Errors are typed by the error policy (:mod:`ingest.errors`): a missing object
(:class:`ObjectMissing`) or a key the client refuses (:class:`BadObjectKey`) is a data
error; an unreachable endpoint or a 5xx (:class:`StorageUnavailable`) is transient; a
refused credential (:class:`StorageDenied`) is a configuration error.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import certifi
import urllib3
import urllib3.exceptions
from minio import Minio
from minio.error import MinioException, S3Error, ServerError

from ingest.config import S3Settings
from ingest.errors import ConfigError, DataError, TransientError

_MISSING = frozenset({"NoSuchKey", "NoSuchObject", "NoSuchBucket"})
_DENIED = frozenset(
    {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "AllAccessDisabled"}
)
#: The client's connect and read timeouts (its defaults).
_TIMEOUT_S = 300
_RETRY = frozenset({"SlowDown", "InternalError", "ServiceUnavailable", "RequestTimeout"})


class ObjectMissing(DataError):
    """The object (or the bucket) does not exist."""


class BadObjectKey(DataError):
    """The client refuses the key (e.g. a ``..`` segment): no retry can fetch it."""


class StorageDenied(ConfigError):
    """The endpoint refused the credentials: fix the configuration, retrying cannot help."""


class StorageUnavailable(TransientError):
    """The endpoint is unreachable or answered with a server error: retry."""


@contextmanager
def _typed(what: str) -> Iterator[None]:
    """Translate the client's exceptions into the error policy's types, naming ``what``."""
    try:
        yield
    except S3Error as exc:
        if exc.code in _MISSING:
            raise ObjectMissing(f"{what}: {exc.code}") from exc
        if exc.code in _DENIED:
            raise StorageDenied(f"{what}: {exc.code}: check the S3 credentials") from exc
        if exc.code in _RETRY:
            raise StorageUnavailable(f"{what}: {exc.code}") from exc
        raise DataError(f"{what}: {exc.code}: {exc.message}") from exc
    except (ServerError, urllib3.exceptions.HTTPError, OSError) as exc:
        raise StorageUnavailable(f"{what}: {type(exc).__name__}: {exc}") from exc
    except MinioException as exc:
        raise StorageUnavailable(f"{what}: {type(exc).__name__}: {exc}") from exc
    except ValueError as exc:
        raise BadObjectKey(f"{what}: {exc}") from exc


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    key: str
    size: int
    etag: str


def client(s3: S3Settings) -> Minio:
    """The client of ``s3``, one per settings and process: its connection pool is reused
    by every call (a city-day is ~20k small GETs; a new client per call opened a new TCP
    connection each time). The ``minio`` client is thread-safe; a forked process (a task
    runner) builds its own instead of sharing the parent's sockets."""
    return _client(s3, os.getpid())


@functools.lru_cache(maxsize=8)
def _client(s3: S3Settings, pid: int) -> Minio:
    del pid  # part of the cache key only
    # The client's own pool, sized for the concurrent downloads of a batch (its default of
    # 10 connections would drop and reopen the extra ones, with a warning each time).
    pool = urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=_TIMEOUT_S, read=_TIMEOUT_S),
        maxsize=max(10, s3.concurrency),
        cert_reqs="CERT_REQUIRED",
        ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
        retries=urllib3.Retry(total=5, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
    )
    return Minio(
        s3.endpoint,
        access_key=s3.access_key,
        secret_key=s3.secret_key,
        secure=s3.secure,
        region=s3.region,
        http_client=pool,
    )


def ensure_bucket(s3: S3Settings) -> None:
    mc = client(s3)
    with _typed(f"bucket {s3.bucket}"):
        if not mc.bucket_exists(s3.bucket):
            mc.make_bucket(s3.bucket)


def list_objects(
    s3: S3Settings, prefix: str, start_after: str | None = None
) -> Iterator[ObjectInfo]:
    """Every object under ``prefix`` (recursively), in key order; with ``start_after``
    only the keys after it (S3 ``StartAfter``: the server skips the rest)."""
    with _typed(f"list s3://{s3.bucket}/{prefix}"):
        for obj in client(s3).list_objects(
            s3.bucket, prefix=prefix, recursive=True, start_after=start_after
        ):
            if obj.object_name is None or obj.is_dir:
                continue
            yield ObjectInfo(obj.object_name, int(obj.size or 0), (obj.etag or "").strip('"'))


def list_dirs(s3: S3Settings, prefix: str) -> list[str]:
    """The common prefixes one level below ``prefix`` (delimiter ``/``), e.g. the device
    folders of ``punches/{project}/``."""
    with _typed(f"list s3://{s3.bucket}/{prefix} (delimiter /)"):
        return [
            obj.object_name
            for obj in client(s3).list_objects(s3.bucket, prefix=prefix, recursive=False)
            if obj.is_dir and obj.object_name is not None
        ]


def get_bytes(s3: S3Settings, key: str) -> bytes:
    with _typed(f"get s3://{s3.bucket}/{key}"):
        resp = client(s3).get_object(s3.bucket, key)
        try:
            return resp.read()
        finally:
            resp.close()
            resp.release_conn()


def get_bytes_or_none(s3: S3Settings, key: str) -> bytes | None:
    """The object's bytes, or None when it does not exist (other errors propagate)."""
    try:
        return get_bytes(s3, key)
    except ObjectMissing:
        return None


def put_bytes(
    s3: S3Settings, key: str, data: bytes, content_type: str = "application/octet-stream"
) -> None:
    with _typed(f"put s3://{s3.bucket}/{key}"):
        client(s3).put_object(
            s3.bucket, key, io.BytesIO(data), len(data), content_type=content_type
        )


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
