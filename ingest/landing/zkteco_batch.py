"""ZKTeco ``attlog.dat``, columnar: a batch of attlog files in one pass.

The fast path takes a file when every non-blank line has the strict shape a healthy
device writes (``PIN<TAB>YYYY-MM-DD HH:MM:SS<TAB>int<TAB>int<TAB>int[<TAB>WorkCode…]``,
ASCII PIN, a real calendar date) and the file is UTF-8 (with or without BOM). Any other
file (GBK text, padded or space-separated fields, a truncated line, bad bytes) is parsed
by :func:`ingest.landing.zkteco.parse_zkteco`, so every record keeps exactly the row
parser's outcome. Semantics are documented there; this module only makes them fast.
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence

import polars as pl

from ingest.landing import batch, codes
from ingest.landing import reasons as R
from ingest.landing._punch import require_project
from ingest.landing.model import ParseResult
from ingest.landing.zkteco import parse_zkteco

FEED = "zkteco"

_LINE = (
    r"^(?P<pin>[0-9A-Za-z]+)\t"
    r"(?P<ts>[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2})\t"
    r"(?P<verified>-?[0-9]{1,9})\t(?P<status>-?[0-9]{1,9})\t(?P<mode>-?[0-9]{1,9})"
    r"(?:\t(?P<work_code>[0-9A-Za-z]*)(?:\t.*)?)?$"
)
_BLANK = r"^[ \t\x0b\x0c]*$"


def _decode(data: bytes) -> tuple[str | None, str]:
    if data.startswith(codecs.BOM_UTF8):
        data, encoding = data[len(codecs.BOM_UTF8) :], "utf-8-sig"
    else:
        encoding = "utf-8"
    try:
        return data.decode("utf-8"), encoding
    except UnicodeDecodeError:
        return None, encoding


def _lines(objs: list[int], texts: list[str]) -> pl.DataFrame:
    """Every physical line with its object, 1-based line number and strict fields."""
    lines = (
        pl.DataFrame({"obj": objs, "line": texts}, schema={"obj": pl.UInt32, "line": pl.String})
        .with_columns(pl.col("line").str.split("\n"))
        .explode("line")
        .with_columns(
            record_no=pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over("obj"),
            line=pl.col("line").str.strip_suffix("\r"),
        )
    )
    fields = pl.col("line").str.extract_groups(_LINE)
    return lines.with_columns(
        blank=pl.col("line").str.contains(_BLANK),
        pin=fields.struct.field("pin"),
        punch_at=fields.struct.field("ts").str.replace(" ", "T", literal=True) + "+08:00",
        local=fields.struct.field("ts").str.strptime(
            pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False
        ),
        verified=fields.struct.field("verified").cast(pl.Int64),
        status=fields.struct.field("status").cast(pl.Int64),
        verify_mode=fields.struct.field("mode").cast(pl.Int64),
        work_code=pl.when(fields.struct.field("work_code") != "").then(
            fields.struct.field("work_code")
        ),
    )


def parse_zkteco_batch(
    inputs: Sequence[batch.BatchInput], roster: pl.DataFrame | None = None
) -> batch.BatchParse:
    """Parse a batch of attlog files (see the module docstring)."""
    results: list[ParseResult] = []
    objs: list[int] = []
    texts: list[str] = []
    for i, inp in enumerate(inputs):
        require_project(inp.ctx)
        text, encoding = _decode(inp.data)
        results.append(ParseResult(kind=FEED, encoding=encoding))
        if text is not None:
            objs.append(i)
            texts.append(text)

    lines = _lines(objs, texts)
    strict = pl.col("blank") | (pl.col("pin").is_not_null() & pl.col("local").is_not_null())
    lines = lines.with_columns(fast=strict.all().over("obj"))
    fast_objs = set(lines.filter(pl.col("fast"))["obj"].unique().to_list())
    records = lines.filter(pl.col("fast") & ~pl.col("blank"))
    digits = pl.col("pin").str.contains("^[0-9]+$")
    stripped = pl.col("pin").str.strip_chars_start("0")
    records = records.with_columns(
        employee_no=pl.when(digits)
        .then(pl.when(stripped == "").then(pl.lit("0")).otherwise(stripped))
        .otherwise(pl.col("pin")),
    )
    # A resend: same (canonical PIN, time) as an earlier line of the file.
    records = records.with_columns(
        first=pl.struct("obj", "employee_no", "local").is_first_distinct()
    )
    for obj, read, dups in (
        records.group_by("obj").agg(pl.len(), (~pl.col("first")).sum()).iter_rows()
    ):
        results[obj].rows_read = int(read)
        results[obj].duplicates = int(dups)

    candidates = records.filter(pl.col("first")).select(
        "obj",
        "record_no",
        "employee_no",
        "local",
        "punch_at",
        "pin",
        "verified",
        "status",
        "verify_mode",
        "work_code",
        raw=pl.col("line"),
        status_code=pl.col("status").cast(pl.String),
    )
    modes = list(codes.table(codes.VERIFY_MODE_ZKTECO))
    facts = batch.ObjectFacts.of([inp.ctx for inp in inputs])
    loaded, rejected = batch.checks(
        candidates,
        facts,
        roster,
        codes.ZKTECO_STATUS,
        lambda: [(~pl.col("verify_mode").cast(pl.String).is_in(modes), R.UNKNOWN_VERIFY_MODE)],
    )
    batch.add_rejects(results, rejected, "employee_no")

    return batch.complete(FEED, inputs, results, loaded, fast_objs, parse_zkteco)
