"""Where a daily run's objects live in the bucket, derived from the feeds' key patterns.

Every landing key is ``root/{level}/…/{partition}/{file}``: literal root segments
(``punches/``), zero or more variable levels (project, device), then the partition (``dt=``
or ``month=``), which sorts chronologically. So the objects of a window are found without
reading history: walk the variable levels with delimiter listings, then list each leaf
from its first partition on (S3 ``StartAfter``). :func:`listing_roots` derives the walk
from :mod:`ingest.feeds` (nothing here names a feed); :func:`start_after` gives each leaf's
``StartAfter`` key for a window's first day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from ingest import feeds

_PARTITIONS = ("dt=", "month=")


@dataclass(frozen=True, slots=True)
class ListingRoot:
    """One literal prefix of the layout, the variable levels under it, and its partition."""

    prefix: str  # e.g. "punches/"
    levels: int  # variable segments between the prefix and the partition
    partition: str  # "dt=" or "month="


def _segments(pattern: str) -> list[str]:
    """``pattern`` split at the ``/`` that separate key segments (not those inside a
    character class such as ``[^/]+`` or a group)."""
    out: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in pattern:
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        if ch == "/" and depth == 0:
            out.append("".join(current))
            current = []
        else:
            current.append(ch)
    out.append("".join(current))
    return out


def root_of(pattern: str) -> ListingRoot | None:
    """The listing root of a key pattern, or None when it has no partition segment."""
    segments = _segments(pattern)
    literal: list[str] = []
    levels = 0
    for seg in segments:
        partition = next((p for p in _PARTITIONS if seg.startswith(p)), None)
        if partition is not None:
            return ListingRoot("".join(s + "/" for s in literal), levels, partition)
        if seg.startswith("("):
            levels += 1
        elif levels:
            return None  # a literal below a variable level: not a layout this walk knows
        else:
            literal.append(seg)
    return None


def listing_roots(kinds: Iterable[str]) -> dict[ListingRoot, tuple[str, ...]]:
    """The roots to walk for ``kinds`` (landing feeds), each with the kinds it holds
    (ZKTeco and Hikvision share ``punches/{project}/{device}/dt=``)."""
    roots: dict[ListingRoot, list[str]] = {}
    for kind in kinds:
        pattern = feeds.feed(kind).key_pattern
        root = root_of(pattern) if pattern else None
        if root is None:
            raise ValueError(f"{kind}: its key pattern has no partition to list from")
        roots.setdefault(root, []).append(kind)
    return {r: tuple(k) for r, k in roots.items()}


def start_after(leaf: str, root: ListingRoot, first_day: date) -> str:
    """The ``StartAfter`` key that lists ``leaf``'s partitions from the one holding
    ``first_day`` on: the partition's folder name with its ``/`` (``…/dt=2026-10-26/``),
    which every object of that folder sorts after. Without the ``/`` S3 means the same,
    but SeaweedFS's S3 gateway skips the whole folder (docs/scale.md, Object store)."""
    if root.partition == "dt=":
        return f"{leaf}dt={first_day.isoformat()}/"
    return f"{leaf}month={first_day:%Y-%m}/"
