"""Retention of the GX validation store and its Data Docs pages (filesystem only)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.quality.docs import keep_results, prune


def _result(results: Path, site: Path, suite: str, batch: str, run: str) -> Path:
    name = f"warehouse-{suite}-load_id_{batch}"
    stored = results / f"{suite}_suite" / batch / run / f"{name}.json"
    stored.parent.mkdir(parents=True, exist_ok=True)
    stored.write_text("{}")
    page = site / "validations" / f"{suite}_suite" / batch / run / f"{name}.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text("<html></html>")
    return stored


def test_prune_keeps_the_newest_results_and_their_pages(tmp_path: Path) -> None:
    results, site = tmp_path / "gx" / "validations", tmp_path / "gx-docs"
    # GIVEN five results of two suites, stored by GX run time, plus the store's marker file
    runs = [
        "20261101T010000.000001Z",
        "20261102T010000.000001Z",
        "20261103T010000.000001Z",
        "20261104T010000.000001Z",
        "20261105T010000.000001Z",
    ]
    stored = [
        _result(results, site, ("punches", "roster")[i % 2], f"b:{i}", run)
        for i, run in enumerate(runs)
    ]
    (results / ".ge_store_backend_id").write_text("store-id")
    # WHEN the store is pruned to the newest three
    deleted = prune(3, results, site)
    # THEN the two oldest results, their pages and their empty folders are gone
    assert deleted == 2
    assert [p.exists() for p in stored] == [False, False, True, True, True]
    assert not (results / "punches_suite" / "b:0").exists()
    assert not (site / "validations" / "punches_suite" / "b:0").exists()
    assert not (site / "validations" / "roster_suite" / "b:1").exists()
    # AND the newest pages and the store's own files stay
    assert (site / "validations" / "punches_suite" / "b:4").is_dir()
    assert (results / ".ge_store_backend_id").read_text() == "store-id"
    # AND pruning again deletes nothing
    assert prune(3, results, site) == 0


def test_keep_results_must_be_a_positive_whole_number(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SITEPASS_GX_KEEP_RESULTS", "0")
    with pytest.raises(ValueError, match="at least 1"):
        keep_results()
    monkeypatch.setenv("SITEPASS_GX_KEEP_RESULTS", "many")
    with pytest.raises(ValueError, match="whole number"):
        keep_results()
    monkeypatch.delenv("SITEPASS_GX_KEEP_RESULTS")
    assert keep_results() == 400
