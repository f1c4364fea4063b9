"""Hikvision ``AcsEvent`` pages, columnar: a batch of pages in one pass.

All pages of the batch are decoded by one vectorised JSON reader (polars). The fast path
takes a page when it is UTF-8 JSON of the documented shape and every field the parser
reads has the documented JSON type (numbers for ``major``/``minor``/``serialNo``/
``cardReaderNo``/``doorNo``, strings for the rest), text fields carry no surrounding
blanks, employee numbers are ASCII alphanumerics and punch times are
``YYYY-MM-DDTHH:MM:SS+08:00``. Every other page (a truncated upload, another offset,
numbers sent as strings, duplicate keys, …) goes through
:func:`ingest.landing.hikvision.parse_hikvision`, so every record keeps exactly the row
parser's outcome; semantics are documented there.
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Sequence
from typing import Any

import polars as pl

from ingest.landing import batch, codes
from ingest.landing import reasons as R
from ingest.landing._common import dump, loads
from ingest.landing._punch import require_project
from ingest.landing.hikvision import parse_hikvision
from ingest.landing.model import ParseResult

log = logging.getLogger(__name__)

FEED = "hikvision"

_INTS = ("major", "minor", "serialNo", "cardReaderNo", "doorNo")
_TEXTS = (
    "time",
    "name",
    "cardNo",
    "currentVerifyMode",
    "attendanceStatus",
    "mask",
    "pictureURL",
    "employeeNoString",
    "employeeNo",
)
_EMPLOYEE_FIELDS = ("employeeNoString", "employeeNo")  # older firmware: a JSON number
# The reader turns JSON booleans and decimals met in a text field into text the row parser
# would not produce (it rejects booleans, keeps "1.50" as written): such pages go there.
_NOT_FAST = re.compile(rb"\btrue\b|\bfalse\b|[0-9][.eE]")
_TIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\+08:00$"
# Python's str.strip() removes Unicode White_Space and \x1c-\x1f: a text field with any of
# them at either end (or blank but not empty) is left to the row parser.
_PADDED = r"^[\s\x1c-\x1f]|[\s\x1c-\x1f]$"
_EMPLOYEE = r"^[0-9A-Za-z]+$"
_TEXT_OUT = {
    "cardNo": "card_no",
    "currentVerifyMode": "verify_mode",
    "attendanceStatus": "attendance_status",
    "mask": "mask",
    "pictureURL": "picture_url",
}


def _texts(inputs: Sequence[batch.BatchInput]) -> tuple[list[int], list[str]]:
    """Objects the reader may take: UTF-8 without BOM, looking like one JSON object."""
    objs, texts = [], []
    for i, inp in enumerate(inputs):
        if inp.data.startswith(codecs.BOM_UTF8):
            continue
        try:
            text = inp.data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        body = text.strip(" \t\r\n")
        if body.startswith("{") and body.endswith("}") and not _NOT_FAST.search(inp.data):
            objs.append(i)
            texts.append(body)
    return objs, texts


def _decode_pages(objs: list[int], texts: list[str]) -> tuple[list[int], pl.Series | None]:
    """One vectorised decode of every page; pages the reader rejects are dropped (they
    go to the row parser). Returns the decoded objects and their documents."""
    try:
        return objs, pl.Series(texts, dtype=pl.String).str.json_decode(infer_schema_length=None)
    except (pl.exceptions.ComputeError, pl.exceptions.DuplicateError):
        pass
    keep = []
    for n, text in enumerate(texts):  # find the pages the reader cannot take
        try:
            pl.Series([text]).str.json_decode(infer_schema_length=None)
        except (pl.exceptions.ComputeError, pl.exceptions.DuplicateError):
            continue
        keep.append(n)
    log.info("hikvision: %d of %d pages left to the row parser", len(texts) - len(keep), len(texts))
    if not keep:
        return [], None
    return _decode_pages([objs[n] for n in keep], [texts[n] for n in keep])


def _events(objs: list[int], docs: pl.Series) -> pl.DataFrame | None:
    """One row per ``InfoList`` entry, fields typed; None when a field has a type the
    fast path does not take (then the whole batch goes to the row parser)."""
    acs_type = docs.dtype.to_schema().get("AcsEvent") if isinstance(docs.dtype, pl.Struct) else None
    if not isinstance(acs_type, pl.Struct):
        return None
    info_type = acs_type.to_schema().get("InfoList")
    if not isinstance(info_type, pl.List) or not isinstance(info_type.inner, pl.Struct):
        return None
    fields = info_type.inner.to_schema()
    for name in _INTS:
        if fields.get(name, pl.Null) not in (pl.Int64, pl.Null):
            return None
    for name in _TEXTS:
        allowed = (pl.String, pl.Null, pl.Int64) if name in _EMPLOYEE_FIELDS else (pl.String, pl.Null)
        if fields.get(name, pl.Null) not in allowed:
            return None
    pages = pl.DataFrame({"obj": pl.Series(objs, dtype=pl.UInt32), "doc": docs}).select(
        "obj", info=pl.col("doc").struct.field("AcsEvent").struct.field("InfoList")
    )
    ev = (
        pages.with_columns(page_ok=pl.col("info").is_not_null())
        .explode("info")
        .with_columns(record_no=pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over("obj"))
    )
    ev = ev.with_columns(
        elem_ok=pl.col("info").is_not_null(),
        **{
            name: (
                pl.col("info").struct.field(name)
                if name in fields
                else pl.lit(None, pl.Int64 if name in _INTS else pl.String)
            ).cast(pl.Int64 if name in _INTS else pl.String)
            for name in (*_INTS, *_TEXTS)
        },
    ).drop("info")
    return ev


def parse_hikvision_batch(
    inputs: Sequence[batch.BatchInput], roster: pl.DataFrame | None = None
) -> batch.BatchParse:
    """Parse a batch of AcsEvent pages (see the module docstring)."""
    for inp in inputs:
        require_project(inp.ctx)
    results = [ParseResult(kind=FEED, encoding="utf-8") for _ in inputs]
    objs, texts = _texts(inputs)
    objs, docs = _decode_pages(objs, texts) if objs else ([], None)
    ev = _events(objs, docs) if docs is not None else None
    if ev is None:
        if objs:
            log.warning("hikvision: field types outside the fast path: row parser for the batch")
        return _row_only(inputs, results)

    punch_minors = sorted(codes.hikvision_punch_minors())
    padded = pl.any_horizontal(
        [pl.col(n).str.contains(_PADDED).fill_null(False) for n in _TEXTS]
    )
    emp = pl.coalesce(
        pl.when(pl.col("employeeNoString") != "").then(pl.col("employeeNoString")),
        pl.when(pl.col("employeeNo") != "").then(pl.col("employeeNo")),
    )
    ev = ev.with_columns(emp=emp)
    is_punch = (
        (pl.col("major") == 5) & pl.col("minor").is_in(punch_minors) & pl.col("emp").is_not_null()
    )
    local = pl.col("time").str.strptime(pl.Datetime("us"), "%Y-%m-%dT%H:%M:%S+08:00", strict=False)
    ev = ev.with_columns(is_punch=is_punch.fill_null(False), local=local)
    strict = (
        pl.col("page_ok")
        & pl.col("elem_ok")
        & ~padded
        & (
            ~pl.col("is_punch")
            | (
                pl.col("emp").str.contains(_EMPLOYEE)
                & (
                    pl.col("time").is_null()
                    | (pl.col("time").str.contains(_TIME) & pl.col("local").is_not_null())
                )
            )
        )
    )
    ev = ev.with_columns(fast=strict.fill_null(False).all().over("obj"))
    fast_objs = set(ev.filter(pl.col("fast"))["obj"].unique().to_list())
    ev = ev.filter(pl.col("fast"))

    # get_int: missing major/minor reject; a negative serialNo is a bad value (no key).
    serial = pl.when(pl.col("serialNo") >= 0).then(pl.col("serialNo"))
    ev = ev.with_columns(
        serial=serial,
        early=batch.reason_list(
            (pl.col("major").is_null() | pl.col("minor").is_null(), R.MISSING_REQUIRED_FIELD),
            (pl.col("serialNo") < 0, R.BAD_VALUE),
        ),
    )
    ev = ev.with_columns(
        dup=pl.col("serial").is_not_null()
        & ~pl.struct("obj", "serial").is_first_distinct()
    )
    early_bad = pl.col("early").list.len() > 0
    stage2 = ~pl.col("dup") & ~early_bad
    ignored = stage2 & ~pl.col("is_punch")
    label = pl.format("major={} minor={}", pl.col("major"), pl.col("minor")) + pl.when(
        (pl.col("major") == 5) & pl.col("minor").is_in(punch_minors)
    ).then(pl.lit(" no_employee")).otherwise(pl.lit(""))
    ev = ev.with_columns(ignored=ignored, label=label)

    for obj, read, dups, ign in (
        ev.group_by("obj").agg(pl.len(), pl.col("dup").sum(), pl.col("ignored").sum()).iter_rows()
    ):
        results[obj].rows_read = int(read)
        results[obj].duplicates = int(dups)
        results[obj].ignored = int(ign)
    for obj, lab, n in ev.filter("ignored").group_by("obj", "label").len().iter_rows():
        results[obj].ignored_by[lab] = int(n)

    punches = ev.filter(stage2 & pl.col("is_punch"))
    digits = pl.col("emp").str.contains("^[0-9]+$")
    stripped = pl.col("emp").str.strip_chars_start("0")
    candidates = punches.select(
        "obj",
        "record_no",
        "local",
        serial_no=pl.col("serial"),
        major=pl.col("major"),
        minor=pl.col("minor"),
        employee_no_string=pl.col("emp"),
        employee_no=pl.when(digits)
        .then(pl.when(stripped == "").then(pl.lit("0")).otherwise(stripped))
        .otherwise(pl.col("emp")),
        card_reader_no=pl.col("cardReaderNo"),
        door_no=pl.col("doorNo"),
        status_code=pl.when(pl.col("attendanceStatus") != "").then(pl.col("attendanceStatus")),
        pre=batch.reason_list(
            (pl.col("serial").is_null(), R.MISSING_REQUIRED_FIELD),
            (pl.col("time").is_null(), R.MISSING_REQUIRED_FIELD),
        ).list.unique(maintain_order=True),
        raw=pl.lit(None, pl.String),
        **{
            out: pl.when(pl.col(src) != "").then(pl.col(src))
            for src, out in _TEXT_OUT.items()
        },
    ).with_columns(attendance_status=pl.col("status_code"))
    # A punch without a time cannot be checked further: its only reasons are the above.
    timeless = candidates.filter(pl.col("local").is_null()).with_columns(reasons=pl.col("pre"))
    loaded, rejected = batch.checks(
        candidates.filter(pl.col("local").is_not_null()), batch.ObjectFacts.of(
            [inp.ctx for inp in inputs]
        ), roster, codes.HIKVISION_ATTENDANCE_STATUS
    )
    rejected = pl.concat(
        [
            rejected.with_columns(
                reasons=pl.concat_list("pre", "reasons").list.unique(maintain_order=True)
            ).select("obj", "record_no", "serial_no", "reasons"),
            timeless.select("obj", "record_no", "serial_no", "reasons"),
        ]
    )
    pre_bad = pl.col("pre").list.len() > 0
    rejected = pl.concat(
        [rejected, loaded.filter(pre_bad).select("obj", "record_no", "serial_no", reasons="pre")]
    )
    loaded = loaded.filter(~pre_bad)
    early = ev.filter(~pl.col("dup") & early_bad).select(
        "obj", "record_no", serial_no=pl.col("serial"), reasons=pl.col("early")
    )
    rejected = pl.concat([rejected, early])
    batch.add_rejects(results, _with_raw(inputs, rejected), "serial_no")

    parts = [loaded]
    for i, inp in enumerate(inputs):
        if i not in fast_objs:
            results[i], frame = batch.row_parsed(FEED, i, inp, parse_hikvision)
            parts.append(frame)
    return batch.finish(FEED, parts, results, len(parts) - 1)


def _with_raw(inputs: Sequence[batch.BatchInput], rejected: pl.DataFrame) -> pl.DataFrame:
    """The rejected entries' raw text, as the row parser renders it (``dump`` of the
    entry parsed with exact decimals): pages with rejects are re-read one by one."""
    pages: dict[int, list[Any]] = {}
    raws = []
    for obj, record_no in rejected.select("obj", "record_no").iter_rows():
        if obj not in pages:
            pages[obj] = loads(inputs[obj].data.decode("utf-8"))["AcsEvent"]["InfoList"]
        raws.append(dump(pages[obj][record_no - 1]))
    return rejected.with_columns(raw=pl.Series(raws, dtype=pl.String))


def _row_only(inputs: Sequence[batch.BatchInput], results: list[ParseResult]) -> batch.BatchParse:
    parts = []
    for i, inp in enumerate(inputs):
        results[i], frame = batch.row_parsed(FEED, i, inp, parse_hikvision)
        parts.append(frame)
    return batch.finish(FEED, parts, results, len(parts))
