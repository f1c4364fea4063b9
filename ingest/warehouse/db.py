"""Connections and the ``COPY`` encoder."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

import psycopg2
import psycopg2.extensions


@contextmanager
def connect(dsn: str) -> Iterator[psycopg2.extensions.connection]:
    """A connection that commits on success and rolls back on any error."""
    conn = psycopg2.connect(dsn, application_name="sitepass")
    try:
        yield conn
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    finally:
        conn.close()


_SPECIAL = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text_value(value: Any) -> str:
    """One value in COPY text format (hot path: one call per value loaded)."""
    kind = type(value)
    if kind is str:
        text: str = value
        if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
            return text.translate(_SPECIAL)
        return text
    if value is None:
        return r"\N"
    if kind is int:
        return str(value)
    if kind is bool:
        return "t" if value else "f"
    if kind is datetime or kind is date:
        return value.isoformat()  # type: ignore[no-any-return]
    if isinstance(value, datetime | date):
        text = value.isoformat()
    elif isinstance(value, list | tuple):
        text = (
            "{"
            + ",".join('"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in value)
            + "}"
        )
    elif isinstance(value, bytes):
        text = "\\x" + value.hex()
    else:
        text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


#: Bytes psycopg2 reads per call while COPYing from a buffer (its default, 8 KiB, is a
#: Python call per 8 KiB); the connection releases the GIL while it sends.
COPY_READ = 1 << 20


def copy_text(rows: Iterable[Sequence[Any]]) -> tuple[str, int]:
    """Rows in ``COPY`` text format, and their number (build off the connection's thread,
    COPY later with :func:`copy_in`)."""
    buf = io.StringIO()
    count = 0
    for row in rows:
        buf.write("\t".join(_text_value(v) for v in row))
        buf.write("\n")
        count += 1
    return buf.getvalue(), count


def copy_in(cur: psycopg2.extensions.cursor, table: str, columns: Sequence[str], text: str) -> None:
    """``COPY table (columns) FROM STDIN`` of rows already in text format."""
    if text:
        cur.copy_expert(
            f"copy {table} ({', '.join(columns)}) from stdin", io.StringIO(text), size=COPY_READ
        )


def copy_rows(
    cur: psycopg2.extensions.cursor,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
) -> int:
    """``COPY table (columns) FROM STDIN`` in text format; return the number of rows."""
    text, count = copy_text(rows)
    copy_in(cur, table, columns, text)
    return count
