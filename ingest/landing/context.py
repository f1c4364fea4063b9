"""The context a landing parser needs beyond the file's bytes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from ingest.schedule import SHANGHAI

if TYPE_CHECKING:
    from ingest.landing.keys import LandingKey

__all__ = ["SHANGHAI", "KnownMember", "KnownMembers", "ParseContext", "RosterLookup"]

RosterLookup = Callable[[str, str, date], bool]
"""``(project_code, canonical_employee_no, local_date) -> on the roster that day?``"""


@dataclass(frozen=True, slots=True)
class KnownMember:
    """A roster line published before, parsed clean (nothing of it quarantined)."""

    employee_no: str  # canonical
    member_hash: str
    children: Mapping[str, int]  # loaded children per child entity


@dataclass(frozen=True, slots=True)
class KnownMembers:
    """The members of a project's latest published roster snapshot, by ``line_hash``;
    ``salt`` is what the hashes were salted with (see :func:`ingest.landing.roster.salt`)."""

    salt: bytes
    by_line: Mapping[str, KnownMember]


@dataclass(frozen=True)
class ParseContext:
    """Everything a parser checks against. Every field is optional; a check whose input
    is ``None`` is skipped (documented per check in ``docs/landing-fields.md``).

    Use :meth:`from_key` to fill ``project_code``, ``device_sn``, ``partition_date`` and
    ``pay_month`` from the object key.
    """

    object_key: str = ""
    project_code: str | None = None  # from the key (roster, punches, payroll)
    device_sn: str | None = None  # from the key (punches)
    partition_date: date | None = None  # dt= of the key
    pay_month: str | None = None  # month= of the key, YYYY-MM (payroll)
    interval_end: datetime | None = None  # end of the run's data interval (tz-aware)
    known_projects: frozenset[str] | None = None  # project codes of the latest registry
    roster_lookup: RosterLookup | None = None
    device_roles: Mapping[str, str] | None = None  # device_sn -> in | out | both
    roster_members: KnownMembers | None = None  # rosters: the project's last snapshot

    def __post_init__(self) -> None:
        if self.interval_end is not None and self.interval_end.utcoffset() is None:
            raise ValueError("ParseContext.interval_end must be timezone-aware")

    @classmethod
    def from_key(
        cls,
        object_key: str,
        *,
        interval_end: datetime | None = None,
        known_projects: frozenset[str] | None = None,
        roster_lookup: RosterLookup | None = None,
        device_roles: Mapping[str, str] | None = None,
        roster_members: KnownMembers | None = None,
    ) -> ParseContext:
        """Build a context from an object key (raises ``ValueError`` for unknown keys)."""
        from ingest.landing.keys import parse_key

        return cls.of_key(
            parse_key(object_key),
            interval_end=interval_end,
            known_projects=known_projects,
            roster_lookup=roster_lookup,
            device_roles=device_roles,
            roster_members=roster_members,
        )

    @classmethod
    def of_key(
        cls,
        k: LandingKey,
        *,
        interval_end: datetime | None = None,
        known_projects: frozenset[str] | None = None,
        roster_lookup: RosterLookup | None = None,
        device_roles: Mapping[str, str] | None = None,
        roster_members: KnownMembers | None = None,
    ) -> ParseContext:
        """:meth:`from_key` for a key already parsed."""
        return cls(
            object_key=k.key,
            project_code=k.project_code,
            device_sn=k.device_sn,
            partition_date=k.partition_date,
            pay_month=k.pay_month,
            interval_end=interval_end,
            known_projects=known_projects,
            roster_lookup=roster_lookup,
            device_roles=device_roles,
            roster_members=roster_members,
        )
