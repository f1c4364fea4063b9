"""Checks shared by the two punch parsers (ZKTeco, Hikvision)."""

from __future__ import annotations

from datetime import datetime

from ingest.landing import codes
from ingest.landing import reasons as R
from ingest.landing._common import Issues, known_project_check
from ingest.landing.context import ParseContext


def require_project(ctx: ParseContext) -> None:
    """Checks keyed by project need the key's project code."""
    if ctx.project_code is None and (ctx.roster_lookup is not None or ctx.known_projects):
        raise ValueError("ParseContext.project_code is required for roster/project checks")


def punch_checks(ctx: ParseContext, punch_at: datetime, employee_no: str, iss: Issues) -> None:
    """future_timestamp, timestamp_outside_partition, unknown_project, unknown_employee
    (rejects) and unknown_device (flag)."""
    work_date = punch_at.date()
    if ctx.interval_end is not None and punch_at > ctx.interval_end:
        iss.reject(R.FUTURE_TIMESTAMP)
    if ctx.partition_date is not None and abs((work_date - ctx.partition_date).days) > 1:
        iss.reject(R.TIMESTAMP_OUTSIDE_PARTITION)
    known_project_check(ctx.project_code, ctx.known_projects, iss)
    if ctx.roster_lookup is not None and ctx.project_code is not None:
        if not ctx.roster_lookup(ctx.project_code, employee_no, work_date):
            iss.reject(R.UNKNOWN_EMPLOYEE)
    if ctx.device_roles is not None and ctx.device_sn not in ctx.device_roles:
        iss.flag(R.UNKNOWN_DEVICE)


def direction(
    ctx: ParseContext, status_table: str, status: str | None, iss: Issues
) -> tuple[str | None, str | None]:
    """``(direction, direction_source)``: from the punch's own status when the status
    implies one (``status``), else from the channel role of the device (``channel``),
    else ``(None, None)`` — pairing is left to SQL. An unknown status is flagged."""
    if status is not None:
        if status in codes.table(status_table):
            d = codes.direction_of(status_table, status)
            if d is not None:
                return d, "status"
        else:
            iss.flag(R.UNKNOWN_PUNCH_STATUS)
    if ctx.device_roles is not None and ctx.device_sn is not None:
        role = ctx.device_roles.get(ctx.device_sn)
        if role is not None:
            d = codes.direction_of(codes.DEVICE_ROLE, role)
            if d is not None:
                return d, "channel"
    return None, None
