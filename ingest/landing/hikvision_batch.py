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
import json
import logging
from collections.abc import Sequence
from typing import Any

import polars as pl

from ingest.landing import batch, codes
from ingest.landing import reasons as R
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
#: What the reader decodes: every field the row parser reads, typed. A value of another
#: JSON type fails the page (string in a number field, object or array anywhere), except
#: numbers in text fields, which read as their text, as in the row parser.
_EVENT = pl.Struct({n: pl.Int64 for n in _INTS} | {n: pl.String for n in _TEXTS})
_PAGE = pl.Struct({"AcsEvent": pl.Struct({"InfoList": pl.List(_EVENT)})})
# The reader would silently turn these into something else (a boolean into 1 or "true", a
# decimal into a truncated integer or "1.5" for "1.50", a number beyond 64 bits into
# null): pages holding any of them go to the row parser.
_NOT_FAST = r":\s*(?:-?[0-9]+[.eE]|-?[0-9]{19,}|true|false)"
_SEP = (",", ":")
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
    """Objects the reader may take: UTF-8 without BOM, one JSON object, no JSON boolean
    or decimal number (checked on all pages at once)."""
    objs, texts = [], []
    for i, inp in enumerate(inputs):
        if inp.data.startswith(codecs.BOM_UTF8):
            continue
        try:
            texts.append(inp.data.decode("utf-8"))
        except UnicodeDecodeError:
            continue
        objs.append(i)
    pages = pl.DataFrame(
        {"obj": objs, "text": texts}, schema={"obj": pl.Int64, "text": pl.String}
    ).with_columns(pl.col("text").str.strip_chars(" \t\r\n"))
    ok = pages.filter(
        pl.col("text").str.starts_with("{")
        & pl.col("text").str.ends_with("}")
        & ~pl.col("text").str.contains(_NOT_FAST)
    )
    return ok["obj"].to_list(), ok["text"].to_list()


def _decode(texts: list[str]) -> pl.Series:
    return pl.Series(texts, dtype=pl.String).str.json_decode(_PAGE)


def _decode_pages(objs: list[int], texts: list[str]) -> tuple[list[int], pl.Series | None]:
    """One vectorised decode of every page; pages the reader rejects are dropped (they
    go to the row parser). Returns the decoded objects and their documents."""
    try:
        return objs, _decode(texts)
    except pl.exceptions.ComputeError:
        pass
    keep = []
    for n, text in enumerate(texts):  # find the pages the reader cannot take
        try:
            _decode([text])
        except pl.exceptions.ComputeError:
            continue
        keep.append(n)
    log.info("hikvision: %d of %d pages left to the row parser", len(texts) - len(keep), len(texts))
    if not keep:
        return [], None
    return [objs[n] for n in keep], _decode([texts[n] for n in keep])


def _events(objs: list[int], docs: pl.Series) -> pl.DataFrame:
    """One row per ``InfoList`` entry (``page_ok``: the page has an InfoList; ``elem_ok``:
    the entry is an object)."""
    pages = pl.DataFrame({"obj": pl.Series(objs, dtype=pl.UInt32), "doc": docs}).select(
        "obj", info=pl.col("doc").struct.field("AcsEvent").struct.field("InfoList")
    )
    ev = (
        pages.with_columns(page_ok=pl.col("info").is_not_null())
        .explode("info")
        .with_columns(record_no=pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over("obj"))
    )
    return ev.with_columns(
        elem_ok=pl.col("info").is_not_null(),
        **{name: pl.col("info").struct.field(name) for name in (*_INTS, *_TEXTS)},
    ).drop("info")


def parse_hikvision_batch(
    inputs: Sequence[batch.BatchInput], roster: pl.DataFrame | None = None
) -> batch.BatchParse:
    """Parse a batch of AcsEvent pages (see the module docstring)."""
    for inp in inputs:
        require_project(inp.ctx)
    results = [ParseResult(kind=FEED, encoding="utf-8") for _ in inputs]
    objs, texts = _texts(inputs)
    objs, docs = _decode_pages(objs, texts) if objs else ([], None)
    if docs is None:
        return _row_only(inputs, results)
    ev = _events(objs, docs)

    punch_minors = sorted(codes.hikvision_punch_minors())
    padded = pl.any_horizontal([pl.col(n).str.contains(_PADDED).fill_null(False) for n in _TEXTS])
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
        dup=pl.col("serial").is_not_null() & ~pl.struct("obj", "serial").is_first_distinct()
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
        **{out: pl.when(pl.col(src) != "").then(pl.col(src)) for src, out in _TEXT_OUT.items()},
    ).with_columns(attendance_status=pl.col("status_code"))
    # A punch without a time cannot be checked further: its only reasons are the above.
    timeless = candidates.filter(pl.col("local").is_null()).with_columns(reasons=pl.col("pre"))
    loaded, rejected = batch.checks(
        candidates.filter(pl.col("local").is_not_null()),
        batch.ObjectFacts.of([inp.ctx for inp in inputs]),
        roster,
        codes.HIKVISION_ATTENDANCE_STATUS,
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
    """The rejected entries' raw text, as the row parser renders it (compact JSON of the
    entry; fast-path pages hold no decimals or booleans, so the standard encoder writes
    what :func:`ingest.landing._common.dump` writes): pages with rejects are re-read."""
    pages: dict[int, list[Any]] = {}
    raws = []
    for obj, record_no in rejected.select("obj", "record_no").iter_rows():
        if obj not in pages:
            pages[obj] = json.loads(inputs[obj].data)["AcsEvent"]["InfoList"]
        raws.append(json.dumps(pages[obj][record_no - 1], ensure_ascii=False, separators=_SEP))
    return rejected.with_columns(raw=pl.Series(raws, dtype=pl.String))


def _row_only(inputs: Sequence[batch.BatchInput], results: list[ParseResult]) -> batch.BatchParse:
    parts = []
    for i, inp in enumerate(inputs):
        results[i], frame = batch.row_parsed(FEED, i, inp, parse_hikvision)
        parts.append(frame)
    return batch.finish(FEED, parts, results, len(parts))
