"""The dbt docs page is rebuilt when the project's files change, not every day."""

from __future__ import annotations

from pathlib import Path

from ingest.transform.docs import project_fingerprint


def _project(root: Path) -> Path:
    (root / "models").mkdir(parents=True)
    (root / "models" / "a.sql").write_text("select 1")
    (root / "models" / "_a.yml").write_text("models: [{name: a}]")
    (root / "dbt_project.yml").write_text("name: p")
    return root


def test_fingerprint_follows_sources_and_ignores_what_dbt_generates(tmp_path: Path) -> None:
    # GIVEN a dbt project and its fingerprint
    project = _project(tmp_path / "p")
    before = project_fingerprint(project)
    # WHEN dbt writes its target/ and logs/
    (project / "target").mkdir()
    (project / "target" / "manifest.json").write_text("{}")
    (project / "logs").mkdir()
    (project / "logs" / "dbt.log").write_text("…")
    # THEN the fingerprint is the same
    assert project_fingerprint(project) == before
    # WHEN a model's description changes (the page shows it)
    (project / "models" / "_a.yml").write_text("models: [{name: a, description: x}]")
    # THEN it differs
    changed = project_fingerprint(project)
    assert changed != before
    # AND a file moved to another path counts as a change too
    (project / "models" / "a.sql").rename(project / "models" / "b.sql")
    assert project_fingerprint(project) not in {before, changed}
