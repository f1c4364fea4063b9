"""Expectation suites, built in code (one per raw dataset).

Severity: ``critical`` expectations stop the publish; ``warning`` ones are recorded in
``ops.gate_results`` and the publish goes on. Which is which is documented in
``docs/quality-gate.md``.
"""

from __future__ import annotations

from typing import Any

CRITICAL = "critical"
WARNING = "warning"


def zkteco_punch_expectations() -> list[tuple[str, dict[str, Any], str]]:
    """(expectation class name, kwargs, severity) for ``staging.zkteco_punches``."""
    not_null = [
        "load_id",
        "object_key",
        "project_code",
        "device_sn",
        "employee_no",
        "punch_at",
        "work_date",
    ]
    return [
        *[("ExpectColumnValuesToNotBeNull", {"column": c}, CRITICAL) for c in not_null],
        (
            "ExpectCompoundColumnsToBeUnique",
            {"column_list": ["device_sn", "employee_no", "punch_at"]},
            CRITICAL,
        ),
        (
            "ExpectColumnValuesToBeInSet",
            {"column": "status", "value_set": [0, 1, 2, 3, 4, 5]},
            CRITICAL,
        ),
        (
            "ExpectColumnValuesToBeInSet",
            {"column": "direction", "value_set": ["in", "out"]},
            CRITICAL,
        ),
        (
            "ExpectColumnValuesToMatchRegex",
            {"column": "project_code", "regex": r"^\d{6}\d{8}\d{4}$"},
            CRITICAL,
        ),
        (
            "ExpectColumnValuesToBeInSet",
            {"column": "verify_mode", "value_set": [0, 1, 4, 15, 25]},
            WARNING,
        ),
    ]


SUITES = {
    "zkteco_punches": zkteco_punch_expectations,
}
