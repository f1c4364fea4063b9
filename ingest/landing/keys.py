"""Object keys of the landing bucket, parsed into a typed :class:`LandingKey`.

Layout (contract "Bucket layout"; the patterns are declared in :mod:`ingest.feeds`)::

    registry/dt=YYYY-MM-DD/projects.json
    roster/{projectCode}/dt=YYYY-MM-DD/workers.jsonl
    photos/enrolment/{projectCode}/{employeeNo}.jpg
    punches/{projectCode}/{deviceSN}/dt=YYYY-MM-DD/attlog.dat
    punches/{projectCode}/{deviceSN}/dt=YYYY-MM-DD/acsevent-NNNN.json
    photos/capture/{projectCode}/{deviceSN}/dt=YYYY-MM-DD/{captureName}.jpg
    payroll/{projectCode}/month=YYYY-MM/{anyName}.json
    inspections/dt=YYYY-MM-DD/inspections.json

Photos may also be ``.jpeg`` or ``.png`` (any case). Any other key raises
:class:`UnknownKeyError`; a matching key with an impossible date raises
:class:`BadKeyError`. Both are ``ValueError`` and name the key and the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from ingest import feeds
from ingest.schedule import SHANGHAI

#: Every key kind of the bucket layout, from the feed registry (landing feeds and photos).
KINDS = feeds.KEY_KINDS
#: Kinds with a parser (photos are only referenced).
PARSED_KINDS = feeds.LOAD_ORDER
_ZK_CAPTURE = re.compile(r"(?P<ts>\d{14})-(?P<pin>.+)")


class UnknownKeyError(ValueError):
    """The object key matches no pattern of the bucket layout."""


class BadKeyError(ValueError):
    """The key matches a pattern but a partition value is impossible (e.g. dt=2026-02-30)."""


@dataclass(frozen=True, slots=True)
class LandingKey:
    key: str
    kind: str  # one of KINDS
    file_name: str
    project_code: str | None = None
    device_sn: str | None = None
    partition_date: date | None = None  # dt=
    pay_month: str | None = None  # month= (YYYY-MM), payroll only
    page_no: int | None = None  # acsevent-NNNN
    employee_no: str | None = None  # enrolment photo: the file stem
    capture_name: str | None = None  # capture photo: the file stem

    @property
    def is_parsed(self) -> bool:
        """True for kinds with a parser; photos are only referenced."""
        return self.kind in PARSED_KINDS


def parse_key(key: str) -> LandingKey:
    """Parse an object key (relative to the bucket, no leading ``/``)."""
    for kind in KINDS:
        m = feeds.feed(kind).pattern.fullmatch(key)
        if m is None:
            continue
        g = m.groupdict()
        dt: date | None = None
        if g.get("dt"):
            try:
                dt = date.fromisoformat(g["dt"])
            except ValueError:
                raise BadKeyError(f"{key!r}: dt={g['dt']} is not a calendar date") from None
        month = g.get("month")
        if month is not None:
            y, mo = int(month[:4]), int(month[5:])
            if not 1 <= mo <= 12 or y < 1900:
                raise BadKeyError(f"{key!r}: month={month} is not a calendar month")
        stem = g.get("stem")
        return LandingKey(
            key=key,
            kind=kind,
            file_name=g["file"],
            project_code=g.get("project"),
            device_sn=g.get("device"),
            partition_date=dt,
            pay_month=month,
            page_no=int(g["page"]) if g.get("page") else None,
            employee_no=stem if kind == "enrolment_photo" else None,
            capture_name=stem if kind == "capture_photo" else None,
        )
    raise UnknownKeyError(
        f"{key!r} matches no landing key pattern (registry/, roster/, punches/, payroll/, "
        "inspections/, photos/ per the landing-zone contract)"
    )


def try_parse_key(key: str) -> LandingKey | None:
    """Like :func:`parse_key` but returns None for unknown or bad keys."""
    try:
        return parse_key(key)
    except ValueError:
        return None


def parse_zkteco_capture_name(name: str) -> tuple[datetime, str] | None:
    """``{YYYYMMDDHHMMSS}-{PIN}`` → (local time, PIN as written), else None."""
    m = _ZK_CAPTURE.fullmatch(name)
    if m is None:
        return None
    try:
        ts = datetime.strptime(m["ts"], "%Y%m%d%H%M%S").replace(tzinfo=SHANGHAI)
    except ValueError:
        return None
    return ts, m["pin"]
