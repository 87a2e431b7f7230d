"""Boot-time failures: each kind of mistake fails at start with a message naming its cause."""

from __future__ import annotations

import textwrap
import uuid
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from loom.core.bootstrap import create_kernel
from loom.core.errors import BootError, ConfigError, DependencyError
from tests.conftest import PG_URL, require_postgres

MODEL = """
from loom.core.model import BaseModel, ColumnField

class Thing(BaseModel):
    __tablename__ = "things"
    id: int = ColumnField(primary_key=True, autoincrement=True)
    name: str = ColumnField(length=20)
"""


def write_app(tmp_path: Path, source: str) -> tuple[Path, str]:
    """Write a one-module app and a config listing it; return the config and module name."""
    package = f"bootapp_{uuid.uuid4().hex[:8]}"
    folder = tmp_path / "src" / package
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    (folder / "components.py").write_text(textwrap.dedent(MODEL + source))
    config = tmp_path / "app.yaml"
    config.write_text(
        textwrap.dedent(
            f"""
            app:
              code_path: src
              discovery:
                modules:
                  include: [{package}.components]
            database:
              url: sqlite+aiosqlite:///{tmp_path / "boot.db"}
            security:
              cursor_secret: test-secret
            """
        )
    )
    return config, package


async def test_a_module_that_does_not_exist(tmp_path: Path) -> None:
    config, package = write_app(tmp_path, "")
    config.write_text(config.read_text().replace(f"{package}.components", f"{package}.nope"))
    with pytest.raises(BootError, match=rf"module '{package}.nope' was not found"):
        await create_kernel(config).start()


async def test_a_marker_naming_a_missing_parameter(tmp_path: Path) -> None:
    config, _ = write_app(
        tmp_path,
        """
from loom.core.use_case import LoadById
from loom.core.use_case.use_case import UseCase

class Show(UseCase[Thing, Thing]):
    async def execute(self, thing_id: int, thing: Thing = LoadById(Thing, by="id")) -> Thing:
        return thing
""",
    )
    with pytest.raises(ConfigError, match=r"Show.execute.*'id' is not a parameter of execute"):
        await create_kernel(config).start()


async def test_a_missing_dependency_names_the_chain(tmp_path: Path) -> None:
    config, _ = write_app(
        tmp_path,
        """
from loom.core.use_case.use_case import UseCase

class Mailer:
    pass

class Notify(UseCase[Thing, None]):
    def __init__(self, mailer: Mailer) -> None:
        self.mailer = mailer

    async def execute(self) -> None:
        return None
""",
    )
    with pytest.raises(DependencyError, match=r"Notify -> Mailer: Mailer is not registered"):
        await create_kernel(config).start()


async def test_an_unknown_config_key_names_key_and_file(tmp_path: Path) -> None:
    config, _ = write_app(tmp_path, "")
    config.write_text(config.read_text() + "databse:\n  url: x\n")
    with pytest.raises(
        ConfigError, match=r"unknown key 'databse' in \S*app.yaml; known top-level keys: app, cache"
    ):
        create_kernel(config)


async def test_an_unsupported_field_type_names_model_and_field(tmp_path: Path) -> None:
    config, _ = write_app(
        tmp_path,
        """
class Odd(BaseModel):
    __tablename__ = "odd"
    id: int = ColumnField(primary_key=True)
    shape: complex
""",
    )
    with pytest.raises(ConfigError, match=r"model Odd, field 'shape'"):
        await create_kernel(config).start()


async def test_container_modules_register_the_application_services(tmp_path: Path) -> None:
    config, _ = write_app(
        tmp_path,
        """
from loom.core.di import LoomContainer
from loom.core.use_case.use_case import UseCase

class Mailer:
    def send(self) -> str:
        return "sent"

class Notify(UseCase[Thing, str]):
    def __init__(self, mailer: Mailer) -> None:
        self.mailer = mailer

    async def execute(self) -> str:
        return self.mailer.send()

def services(container: LoomContainer) -> None:
    container.register(Mailer)

CONTAINER_MODULES = [services]
""",
    )
    async with create_kernel(config) as kernel:
        notify = next(u for u in kernel.components.use_cases if u.__name__ == "Notify")
        assert await kernel.invoker.invoke(notify) == "sent"


async def test_a_default_repository_builder_registered_first_is_kept(tmp_path: Path) -> None:
    config, _ = write_app(
        tmp_path,
        """
from typing import Any

from loom.core.di import LoomContainer
from loom.core.repository.abc import DefaultRepositoryBuilder
from loom.core.repository.sqlalchemy import RepositorySQLAlchemy, SessionManager


class ShoutingRepository(RepositorySQLAlchemy[Any, int]):
    async def create(self, data: Any) -> Any:
        return await super().create({**data, "name": str(data["name"]).upper()})


class ShoutingBuilder:
    def __init__(self, manager: SessionManager) -> None:
        self.manager = manager

    def build(self, model: type[Any]) -> Any:
        return ShoutingRepository(self.manager, model)


def services(container: LoomContainer) -> None:
    container.register(DefaultRepositoryBuilder, factory=ShoutingBuilder)

CONTAINER_MODULES = [services]
""",
    )
    async with create_kernel(config) as kernel:
        thing = next(m for m in kernel.components.models if m.__name__ == "Thing")
        created = await kernel.invoker.entity(thing).create({"name": "quiet"})
        assert created.name == "QUIET"


@pytest.mark.integration
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "database",
            "loom_no_such_database",
            r"the PostgreSQL database 'loom_no_such_database' at 127\.0\.0\.1(:\d+)? does not "
            r"exist; create it \(createdb loom_no_such_database\)",
        ),
        (
            "username",
            "loom_no_such_role",
            r"refused the login of user 'loom_no_such_role': role \"loom_no_such_role\" does not "
            r"exist; fix the user or password in database.url",
        ),
    ],
)
async def test_a_database_that_refuses_says_why(
    tmp_path: Path, field: str, value: str, message: str
) -> None:
    require_postgres()
    parsed = make_url(PG_URL)
    parsed = parsed.set(database=value) if field == "database" else parsed.set(username=value)
    url = parsed.render_as_string(hide_password=False)
    config, _ = write_app(tmp_path, "")
    kernel = create_kernel(config, overrides={"database.url": url})
    with pytest.raises(BootError, match=message):
        await kernel.start()
