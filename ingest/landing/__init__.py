"""Parsers and validators for every file kind of the landing-zone contract.

Entry points: :func:`ingest.landing.dispatch.parse_object` (any parsed kind, by object
key), the per-kind ``parse_<kind>(data, ctx)`` functions in ``registry``, ``roster``,
``zkteco`` (also ``parse_attlog``), ``hikvision``, ``payroll`` and ``inspections``;
``keys.parse_key`` for object keys, ``photos.photo_ref`` for photos, ``checks`` for check
characters and ``worker_key``, ``codes`` for the shared code tables, ``reasons`` for the
reason codes and ``redact.redact`` for anything bound for logs.
"""
