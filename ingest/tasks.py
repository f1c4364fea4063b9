"""The one place where sitepass's error policy (:mod:`ingest.errors`) meets Airflow.

Every DAG task body runs inside :func:`airflow_errors` (or is decorated with
:func:`step`): a :class:`~ingest.errors.DataError` becomes ``AirflowFailException``
(the task fails at once, no retry); anything else propagates unchanged, so Airflow retries
it with the DAG's backoff. Airflow is imported only when a data error is raised.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from ingest.errors import Verdict, classify

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


def _fail_now(exc: BaseException) -> BaseException:
    from airflow.sdk.exceptions import AirflowFailException

    return AirflowFailException(f"{type(exc).__name__}: {exc}")


@contextmanager
def airflow_errors() -> Iterator[None]:
    """Map a data error to ``AirflowFailException``; let transient errors propagate."""
    try:
        yield
    except Exception as exc:
        if classify(exc) is Verdict.DATA:
            log.error("data error (no retry): %s", exc)
            raise _fail_now(exc) from exc
        log.warning("transient error (Airflow retries): %s: %s", type(exc).__name__, exc)
        raise


def step(func: Callable[P, R]) -> Callable[P, R]:
    """Decorator form of :func:`airflow_errors`."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with airflow_errors():
            return func(*args, **kwargs)

    return wrapper
