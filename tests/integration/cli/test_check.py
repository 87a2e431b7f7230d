"""``loom check``: boot an application and compile it; exit 1 with the errors."""

from __future__ import annotations

import textwrap
import uuid
from pathlib import Path

import yaml
from typer.testing import CliRunner

from loom.cli import app

STORE_CONFIG = Path(__file__).resolve().parents[3] / "examples" / "store" / "config" / "api.yaml"

BAD_USE_CASE = """
from loom.core.model import BaseModel, ColumnField
from loom.core.use_case import LoadById
from loom.core.use_case.use_case import UseCase


class Lamp(BaseModel):
    __tablename__ = "lamps"
    id: int = ColumnField(primary_key=True, autoincrement=True)


class GetLampUseCase(UseCase[Lamp, Lamp]):
    async def execute(self, lamp_id: int, lamp: Lamp = LoadById(Lamp, by="lamp_idd")) -> Lamp:
        return lamp
"""


def _config(tmp_path: Path, document: dict[str, object]) -> Path:
    path = tmp_path / "app.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def test_check_summarizes_a_good_application(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        {
            "includes": [str(STORE_CONFIG)],
            "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"},
        },
    )
    result = CliRunner().invoke(app, ["check", str(config)])
    assert result.exit_code == 0, result.output
    assert f"{config}: ok" in result.output
    assert "use cases: 9" in result.output
    assert "jobs: 2" in result.output
    assert "routes: 18" in result.output


def test_check_fails_on_a_bad_marker_and_names_it(tmp_path: Path) -> None:
    module = f"loom_check_bad_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module}.py").write_text(textwrap.dedent(BAD_USE_CASE))
    config = _config(
        tmp_path,
        {
            "app": {"code_path": ".", "discovery": {"modules": {"include": [module]}}},
            "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'bad.db'}"},
        },
    )
    result = CliRunner().invoke(app, ["check", str(config)])
    assert result.exit_code == 1
    assert "error:" in result.output
    assert "lamp_idd" in result.output
    assert "GetLampUseCase" in result.output


def test_check_fails_on_an_unknown_config_key(tmp_path: Path) -> None:
    config = _config(tmp_path, {"databse": {"url": "sqlite+aiosqlite:///x.db"}})
    result = CliRunner().invoke(app, ["check", str(config)])
    assert result.exit_code == 1
    assert "databse" in result.output
