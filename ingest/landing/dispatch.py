"""Parse any landing object by its key, with the parser the feed registry names."""

from __future__ import annotations

from ingest import feeds
from ingest.landing.context import ParseContext
from ingest.landing.keys import parse_key
from ingest.landing.model import ParseResult


def parse_object(data: bytes, ctx: ParseContext) -> ParseResult:
    """Parse the object ``ctx.object_key`` with the parser of its kind.

    Raises ``ValueError`` for unknown keys and for photo keys (use
    :func:`ingest.landing.photos.photo_ref`). The result's accounting is checked.
    """
    kind = parse_key(ctx.object_key).kind
    result = feeds.feed(kind).load_parser()(data, ctx)
    result.check_accounting()
    return result
