"""Hikvision ``AcsEvent`` pages, columnar: a batch of pages in one pass.

All pages of the batch are read by one multi-threaded, strictly typed JSON reader
(pyarrow's, into polars). The fast path takes a page when it is UTF-8 JSON of the
documented shape, every field the parser reads has the documented JSON type (numbers for
``major``/``minor``/``serialNo``/``cardReaderNo``/``doorNo``/``employeeNo``, strings for
the rest; a key never repeated), text fields carry no surrounding blanks, employee numbers
are ASCII alphanumerics and punch times are ``YYYY-MM-DDTHH:MM:SS+08:00``. Every other
page (a truncated upload, another offset, a number sent as a string, …) goes through
:func:`ingest.landing.hikvision.parse_hikvision`, so every record keeps exactly the row
parser's outcome; semantics are documented there.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Sequence
from typing import Any

import msgspec
import polars as pl
import pyarrow as pa
import pyarrow.json as pj

from ingest.landing import batch, codes
from ingest.landing import reasons as R
from ingest.landing._common import dump, loads
from ingest.landing._punch import require_project
from ingest.landing.hikvision import parse_hikvision
from ingest.landing.model import ParseResult

log = logging.getLogger(__name__)

FEED = "hikvision"

# employeeNo: older firmware's number (newer firmware sends employeeNoString, a string).
_INTS = ("major", "minor", "serialNo", "cardReaderNo", "doorNo", "employeeNo")
_TEXTS = (
    "time",
    "name",
    "cardNo",
    "currentVerifyMode",
    "attendanceStatus",
    "mask",
    "pictureURL",
    "employeeNoString",
)
#: What the reader decodes: every field the row parser reads, typed. The reader is strict:
#: any other JSON type (a number sent as a string or the reverse, a decimal, a boolean, a
#: number beyond 64 bits, an object or array) or a key repeated within an event fails the
#: page, which then goes to the row parser.
_EVENT = pa.struct([(n, pa.int64()) for n in _INTS] + [(n, pa.string()) for n in _TEXTS])
_SCHEMA = pa.schema([("AcsEvent", pa.struct([("InfoList", pa.list_(_EVENT))]))])
_OPTIONS = pj.ParseOptions(explicit_schema=_SCHEMA, unexpected_field_behavior="ignore")
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


def _lines(inputs: Sequence[batch.BatchInput]) -> tuple[list[int], list[bytes]]:
    """Objects the reader may take, each as one line of newline-delimited JSON: no BOM,
    a JSON object; a pretty-printed page is joined onto one line once Python's JSON
    reader confirms its line breaks are whitespace (inside a string they are invalid)."""
    objs, lines = [], []
    for i, inp in enumerate(inputs):
        data = inp.data.strip(b" \t\r\n")
        if not data.startswith(b"{") or not data.endswith(b"}"):
            continue
        if b"\n" in data or b"\r" in data:
            try:
                json.loads(data)
            except ValueError:
                continue
            data = data.replace(b"\r", b" ").replace(b"\n", b" ")
        objs.append(i)
        lines.append(data)
    return objs, lines


def _read(lines: list[bytes]) -> pl.DataFrame:
    table = pj.read_json(
        io.BytesIO(b"\n".join(lines)),
        parse_options=_OPTIONS,
        read_options=pj.ReadOptions(block_size=1 << 22),
    )
    if table.num_rows != len(lines):
        raise pa.ArrowInvalid(f"{table.num_rows} documents read from {len(lines)} pages")
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def _decode_pages(objs: list[int], lines: list[bytes]) -> tuple[list[int], pl.DataFrame | None]:
    """One multi-threaded read of every page (pyarrow's JSON reader); when it fails, each
    page is read alone to find the ones it cannot take (they go to the row parser)."""
    try:
        return objs, _read(lines)
    except pa.ArrowInvalid:
        pass
    keep = []
    for n, line in enumerate(lines):
        try:
            _read([line])
        except pa.ArrowInvalid:
            continue
        keep.append(n)
    log.info("hikvision: %d of %d pages left to the row parser", len(lines) - len(keep), len(lines))
    if not keep:
        return [], None
    return [objs[n] for n in keep], _read([lines[n] for n in keep])


def _events(objs: list[int], docs: pl.DataFrame) -> pl.DataFrame:
    """One row per ``InfoList`` entry (``page_ok``: the page has an InfoList; ``elem_ok``:
    the entry is an object)."""
    pages = docs.select(
        obj=pl.Series(objs, dtype=pl.UInt32),
        info=pl.col("AcsEvent").struct.field("InfoList"),
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
    objs, lines = _lines(inputs)
    objs, docs = _decode_pages(objs, lines) if objs else ([], None)
    if docs is None:
        return _row_only(inputs, results)
    ev = _events(objs, docs)

    punch_minors = sorted(codes.hikvision_punch_minors())
    padded = pl.any_horizontal([pl.col(n).str.contains(_PADDED).fill_null(False) for n in _TEXTS])
    emp = pl.coalesce(
        pl.when(pl.col("employeeNoString") != "").then(pl.col("employeeNoString")),
        pl.col("employeeNo").cast(pl.String),
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
    early_rules = (
        (pl.col("major").is_null() | pl.col("minor").is_null(), R.MISSING_REQUIRED_FIELD),
        (pl.col("serialNo") < 0, R.BAD_VALUE),
    )
    ev = ev.with_columns(
        serial=serial,
        early_bad=pl.any_horizontal([c for c, _ in early_rules]).fill_null(False),
    )
    ev = ev.with_columns(
        dup=pl.col("serial").is_not_null() & ~pl.struct("obj", "serial").is_first_distinct()
    )
    early_bad = pl.col("early_bad")
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
        # serialNo or time missing: missing_required_field, before any other reason
        pre=pl.col("serial").is_null() | pl.col("time").is_null(),
        punch_at=pl.col("time"),  # the strict shape is already the row parser's ISO text
        raw=pl.lit(None, pl.String),
        **{out: pl.when(pl.col(src) != "").then(pl.col(src)) for src, out in _TEXT_OUT.items()},
    ).with_columns(attendance_status=pl.col("status_code"))
    missing = pl.lit([R.MISSING_REQUIRED_FIELD], pl.List(pl.String))
    # A punch without a time cannot be checked further: its only reason is the above.
    timeless = candidates.filter(pl.col("local").is_null()).with_columns(reasons=missing)
    loaded, rejected = batch.checks(
        candidates.filter(pl.col("local").is_not_null()),
        batch.ObjectFacts.of([inp.ctx for inp in inputs]),
        roster,
        codes.HIKVISION_ATTENDANCE_STATUS,
    )
    rejected = pl.concat(
        [
            rejected.with_columns(
                reasons=pl.when("pre")
                .then(pl.concat_list(missing, "reasons"))
                .otherwise(pl.col("reasons"))
            ).select("obj", "record_no", "serial_no", "reasons"),
            timeless.select("obj", "record_no", "serial_no", "reasons"),
            loaded.filter("pre").select("obj", "record_no", "serial_no", reasons=missing),
        ]
    )
    loaded = loaded.filter(~pl.col("pre"))
    early = ev.filter(~pl.col("dup") & early_bad).select(
        "obj", "record_no", serial_no=pl.col("serial"), reasons=batch.reason_list(*early_rules)
    )
    rejected = pl.concat([rejected, early])
    batch.add_rejects(results, _with_raw(inputs, rejected), "serial_no")

    return batch.complete(FEED, inputs, results, loaded, fast_objs, parse_hikvision)


class _Events(msgspec.Struct):
    InfoList: list[msgspec.Raw]


class _Page(msgspec.Struct):
    AcsEvent: _Events


#: A page read down to its entries' exact texts (msgspec.Raw): only the rejected entries
#: are then parsed, not every value of the page (repeated keys: the last wins, as in
#: :func:`~ingest.landing._common.loads`).
_PAGE = msgspec.json.Decoder(_Page)


def _page_entries(data: bytes) -> list[Any]:
    """A page's ``InfoList`` entries: each its exact text, or (where msgspec refuses the
    page) the row parser's reading of it."""
    try:
        return list(_PAGE.decode(data).AcsEvent.InfoList)
    except (msgspec.DecodeError, UnicodeError, RecursionError):
        return list(loads(data.decode("utf-8"))["AcsEvent"]["InfoList"])


def _rendered(entry: Any) -> str:
    if isinstance(entry, msgspec.Raw):
        entry = loads(bytes(entry).decode("utf-8"))
    return dump(entry)


def _with_raw(inputs: Sequence[batch.BatchInput], rejected: pl.DataFrame) -> pl.DataFrame:
    """The rejected entries' raw text exactly as the row parser renders it
    (:func:`~ingest.landing._common.dump` of the entry read with exact decimals: fields the
    parser does not read may hold any JSON): pages with rejects are read again, each
    rejected entry parsed from its own text."""
    pages: dict[int, list[Any]] = {}
    raws = []
    for obj, record_no in rejected.select("obj", "record_no").iter_rows():
        if obj not in pages:
            pages[obj] = _page_entries(inputs[obj].data)
        raws.append(_rendered(pages[obj][record_no - 1]))
    return rejected.with_columns(raw=pl.Series(raws, dtype=pl.String))


def _row_only(inputs: Sequence[batch.BatchInput], results: list[ParseResult]) -> batch.BatchParse:
    return batch.complete(FEED, inputs, results, batch.empty_frame(FEED), set(), parse_hikvision)
