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

from enum import Enum


class SitepassError(RuntimeError):
    """Base of every error sitepass raises on purpose."""


class DataError(SitepassError):
    """Bad data or a violated rule: retrying the task cannot help."""


class GateFailed(DataError):
    """A critical expectation failed: the batch must not be published (see ingest.quality)."""


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
