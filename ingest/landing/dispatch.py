"""Parse any landing object by its key."""

from __future__ import annotations

from collections.abc import Callable

from ingest.landing.context import ParseContext
from ingest.landing.hikvision import parse_hikvision
from ingest.landing.inspections import parse_inspections
from ingest.landing.keys import parse_key
from ingest.landing.model import ParseResult
from ingest.landing.payroll import parse_payroll
from ingest.landing.registry import parse_registry
from ingest.landing.roster import parse_roster
from ingest.landing.zkteco import parse_zkteco

PARSERS: dict[str, Callable[[bytes, ParseContext], ParseResult]] = {
    "registry": parse_registry,
    "roster": parse_roster,
    "zkteco": parse_zkteco,
    "hikvision": parse_hikvision,
    "payroll": parse_payroll,
    "inspections": parse_inspections,
}


def parse_object(data: bytes, ctx: ParseContext) -> ParseResult:
    """Parse the object ``ctx.object_key`` with the parser of its kind.

    Raises ``ValueError`` for unknown keys and for photo keys (use
    :func:`ingest.landing.photos.photo_ref`). The result's accounting is checked.
    """
    kind = parse_key(ctx.object_key).kind
    parser = PARSERS.get(kind)
    if parser is None:
        raise ValueError(f"{ctx.object_key!r}: {kind} objects are referenced, not parsed")
    result = parser(data, ctx)
    result.check_accounting()
    return result
