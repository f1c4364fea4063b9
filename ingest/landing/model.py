"""Shared result types of the landing-zone parsers.

Every parser turns the bytes of one landing object into a :class:`ParseResult`. The
accounting invariant every parser must keep is::

    rows_read == len(rows) + len(rejects) + duplicates + ignored

where ``rows_read`` counts input records (non-blank lines for line formats, array
elements / ``InfoList`` entries for JSON formats; a JSON file that cannot be decoded at
all counts as one record rejected with ``malformed_json``).

Child entities (nested lists flattened into their own tables, e.g. a project's
sub-contractors) are accounted separately, per entity, with the same invariant::

    children_read[e] == len(children[e]) + rejects of entity e + children_duplicates[e]

Only the children of a *loaded* parent are read and counted: the children of a parent
that was rejected or dropped as a duplicate are inside that parent's raw text and are not
counted again. The main-entity invariant above counts only rejects whose ``entity`` is
``None``. :meth:`ParseResult.totals` sums every entity, so the per-file identity
``read == loaded + quarantined + duplicates + ignored`` holds over all entities too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Reject:
    """One input record that could not be loaded, with the reason codes why."""

    record_no: int  # 1-based line number (line formats) or record index (JSON formats);
    # 0 = the whole file (undecodable / not the expected JSON document)
    raw: str  # the record's raw text as decoded (never truncated silently)
    reasons: tuple[str, ...]  # reason codes from ingest.landing.reasons
    entity: str | None = None  # child entity name; None = the parser's main entity
    child_no: int | None = None  # 1-based index in the parent's nested list (children)
    key: str | None = None  # the record's natural key when it could be read (never PII)


@dataclass(frozen=True, slots=True)
class Counts:
    """Row accounting of one entity (or of a whole file)."""

    read: int
    loaded: int
    quarantined: int
    duplicates: int
    ignored: int

    @classmethod
    def sum(cls, parts: Iterable[Counts]) -> Counts:
        per = list(parts)
        return cls(
            read=sum(c.read for c in per),
            loaded=sum(c.loaded for c in per),
            quarantined=sum(c.quarantined for c in per),
            duplicates=sum(c.duplicates for c in per),
            ignored=sum(c.ignored for c in per),
        )

    @property
    def balanced(self) -> bool:
        return self.read == self.loaded + self.quarantined + self.duplicates + self.ignored


@dataclass(slots=True)
class ParseResult:
    """Outcome of parsing one landing object."""

    kind: str  # registry | roster | zkteco | hikvision | payroll | inspections
    encoding: str  # detected text encoding: utf-8 | utf-8-sig | gb18030
    rows_read: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    duplicates: int = 0  # exact duplicates dropped within this object
    ignored: int = 0  # records that are not person events (Hikvision door/alarm events)
    # --- extensions (all optional; empty for kinds without child entities) ---
    children: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    children_read: dict[str, int] = field(default_factory=dict)
    children_duplicates: dict[str, int] = field(default_factory=dict)
    # Children of members reused unchanged from an earlier snapshot (rosters): loaded, but
    # not emitted again (their rows are the earlier version's).
    children_reused: dict[str, int] = field(default_factory=dict)
    ignored_by: dict[str, int] = field(default_factory=dict)  # breakdown of ``ignored``
    meta: dict[str, Any] = field(default_factory=dict)  # file-level facts (page counters…)
    # Set by the columnar path (ingest.landing.batch), whose rows travel in one frame for
    # the whole batch: the number of this object's loaded rows; ``rows`` is then empty.
    loaded_rows: int | None = None

    @property
    def loaded(self) -> int:
        return len(self.rows) if self.loaded_rows is None else self.loaded_rows

    def counts(self) -> dict[str, Counts]:
        """Accounting per entity: the main entity under ``kind``, then each child entity."""
        out = {
            self.kind: Counts(
                read=self.rows_read,
                loaded=self.loaded,
                quarantined=sum(1 for r in self.rejects if r.entity is None),
                duplicates=self.duplicates,
                ignored=self.ignored,
            )
        }
        names = sorted(
            set(self.children)
            | set(self.children_read)
            | set(self.children_reused)
            | {r.entity for r in self.rejects if r.entity is not None}
        )
        for name in names:
            out[name] = Counts(
                read=self.children_read.get(name, 0),
                loaded=len(self.children.get(name, ())) + self.children_reused.get(name, 0),
                quarantined=sum(1 for r in self.rejects if r.entity == name),
                duplicates=self.children_duplicates.get(name, 0),
                ignored=0,
            )
        return out

    def totals(self) -> Counts:
        """Accounting of the whole file, all entities summed."""
        return Counts.sum(self.counts().values())

    def check_accounting(self) -> None:
        """Raise if the accounting invariant does not hold (for any entity)."""
        main = sum(1 for r in self.rejects if r.entity is None)
        accounted = self.loaded + main + self.duplicates + self.ignored
        if accounted != self.rows_read:
            raise ValueError(
                f"{self.kind}: rows_read={self.rows_read} but accounted={accounted} "
                f"(rows={self.loaded} rejects={main} "
                f"duplicates={self.duplicates} ignored={self.ignored})"
            )
        if sum(self.ignored_by.values()) not in (0, self.ignored):
            raise ValueError(f"{self.kind}: ignored_by does not sum to ignored={self.ignored}")
        for name, c in self.counts().items():
            if name != self.kind and not c.balanced:
                raise ValueError(
                    f"{self.kind}/{name}: read={c.read} but loaded={c.loaded} "
                    f"quarantined={c.quarantined} duplicates={c.duplicates}"
                )
