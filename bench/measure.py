"""Wall time and peak resident memory of a step, and medians over repetitions."""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE


@dataclass(frozen=True)
class Sample:
    seconds: float
    peak_rss_mb: float  # peak resident set size of this process during the step


def measure(step: Callable[[], T], interval: float = 0.01) -> tuple[T, Sample]:
    """Run ``step``; sample this process's RSS every ``interval`` seconds meanwhile."""
    peak = rss_bytes()
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(interval):
            peak = max(peak, rss_bytes())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t0 = time.perf_counter()
    try:
        out = step()
    finally:
        elapsed = time.perf_counter() - t0
        done.set()
        sampler.join()
    peak = max(peak, rss_bytes())
    return out, Sample(elapsed, peak / 2**20)


def median(values: list[float]) -> float:
    return float(statistics.median(values))
