"""One error policy for every step: data errors fail now, transient errors are retried.

- :class:`DataError` (and its subclasses): the input or a rule is at fault: a bad object,
  a failed quality gate, a missing prerequisite. Retrying the same step on the same input
  cannot help, so the task fails at once (``AirflowFailException``) and an operator looks.
- :class:`TransientError`: the world is at fault: a refused connection, a timeout, an S3
  5xx. The task raises it (or the driver's own exception) and Airflow retries with backoff.

:func:`classify` maps any exception to one of the two; the DAGs' task wrapper
(:mod:`ingest.tasks`) is the one place that turns the verdict into Airflow's terms.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: the gate's result types (no import at run time)
    from ingest.quality.gate import GateOutcome, GateResult


class SitepassError(RuntimeError):
    """Base of every error sitepass raises on purpose."""


class DataError(SitepassError):
    """Bad data or a violated rule: retrying the task cannot help."""


class GateFailed(DataError):
    """A critical expectation failed: the batch must not be published (see ingest.quality).

    Raised by the one gate entry point :func:`ingest.quality.gate.gate` (which is where
    the message naming every failed expectation with counts and sample values is written).
    ``results`` holds every dataset's evidence (``GateResult``), ``outcome`` the batch's
    failed ``GateOutcome`` (what the Airflow wrapper pushes to XCom); ``result`` is the
    first failed dataset's evidence."""

    def __init__(
        self,
        message: str,
        *,
        results: Sequence[GateResult] = (),
        outcome: GateOutcome | None = None,
    ) -> None:
        super().__init__(message)
        self.results: list[GateResult] = list(results)
        self.outcome = outcome

    @property
    def result(self) -> GateResult | None:
        """The first failed dataset's evidence (else the first dataset's; None if none)."""
        failed = [r for r in self.results if not r.success]
        return next(iter(failed or self.results), None)


class ConfigError(DataError, ValueError):
    """The configuration is missing or inconsistent: retrying cannot help either (also a
    ``ValueError``: an invalid value of a setting)."""


class TransientError(SitepassError):
    """A failure of the infrastructure that a retry may cure (connection, timeout, 5xx)."""


class Verdict(Enum):
    DATA = "data"  # fail without retry
    TRANSIENT = "transient"  # retry with backoff


def classify(exc: BaseException) -> Verdict:
    """Data or transient? Only :class:`DataError` is data; anything else (a driver's
    connection error, a timeout, an unforeseen bug) is retried: a retry costs minutes, a
    wrongly failed day costs an operator."""
    return Verdict.DATA if isinstance(exc, DataError) else Verdict.TRANSIENT
