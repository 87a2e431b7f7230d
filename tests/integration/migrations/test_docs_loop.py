"""The migration loop of the README and of docs/migrations.md, run command by command."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from tests.integration.migrations.conftest import Project

ROOT = Path(__file__).resolve().parents[3]
MARKER = "<!-- the migration loop: tests/integration/migrations/test_docs_loop.py runs"


def loop(page: Path) -> list[str]:
    """The lines of the ```sh block that follows the marker on ``page``."""
    text = page.read_text()
    assert MARKER in text, f"{page.name} lost its migration loop"
    block = re.search(r"```sh\n(.*?)```", text.split(MARKER, 1)[1], re.DOTALL)
    assert block is not None
    return [line for line in block[1].splitlines() if line.strip()]


def test_the_readme_shows_the_same_loop_as_the_docs() -> None:
    assert loop(ROOT / "README.md") == loop(ROOT / "docs" / "migrations.md")


@pytest.mark.parametrize("page", ["README.md", "docs/migrations.md"])
def test_the_loop_runs_as_written(
    project: Project, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    # The page's own file name for the config, and no migration folder yet.
    shutil.rmtree(project.root / "config" / "migrations")
    shutil.copy(project.config, project.root / "config" / "api.yaml")
    project.config.unlink()
    monkeypatch.chdir(project.root)
    edited = False
    for line in loop(ROOT / page):
        if line.startswith("# change a model"):
            project.edit_models(
                "    label: str | None = None\n",
                "    label: str | None = None\n    discount_cents: int = 0\n",
            )
            edited = True
            continue
        command, _, comment = line.partition("#")
        loom, db, name, config, *args = shlex.split(command)
        assert (loom, db, config) == ("loom", "db", "config/api.yaml"), line
        project.forget()
        result = project.runner(["db", name, config, *args])
        expected = 1 if "exits 1" in comment else 0
        assert result.exit_code == expected, f"{line}\n{result.output}"
        if name == "check" and expected == 1:
            assert "column shelves.discount_cents (BIGINT) is in the models" in result.output
    assert edited
