"""Object storage access through the ``minio`` client (MinIO in production, moto locally)."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass

from minio import Minio

from ingest.config import S3Settings


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    key: str
    size: int
    etag: str


def client(s3: S3Settings) -> Minio:
    return Minio(
        s3.endpoint,
        access_key=s3.access_key,
        secret_key=s3.secret_key,
        secure=s3.secure,
        region=s3.region,
    )


def ensure_bucket(s3: S3Settings) -> None:
    mc = client(s3)
    if not mc.bucket_exists(s3.bucket):
        mc.make_bucket(s3.bucket)


def list_objects(s3: S3Settings, prefix: str) -> Iterator[ObjectInfo]:
    for obj in client(s3).list_objects(s3.bucket, prefix=prefix, recursive=True):
        if obj.object_name is None or obj.is_dir:
            continue
        yield ObjectInfo(obj.object_name, int(obj.size or 0), (obj.etag or "").strip('"'))


def get_bytes(s3: S3Settings, key: str) -> bytes:
    resp = client(s3).get_object(s3.bucket, key)
    try:
        return resp.read()
    finally:
        resp.close()
        resp.release_conn()


def put_bytes(
    s3: S3Settings, key: str, data: bytes, content_type: str = "application/octet-stream"
) -> None:
    client(s3).put_object(s3.bucket, key, io.BytesIO(data), len(data), content_type=content_type)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
