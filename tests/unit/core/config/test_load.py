"""load_config: files, includes, overrides, interpolation and typed sections."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from loom.core.config import LoomConfig, load_config


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dedent(text))
    return path


def test_an_empty_file_gives_the_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path / "empty.yaml", ""))

    assert config.app.name == "loom-app"
    assert config.database.url == "sqlite+aiosqlite:///./app.db"
    assert config.database.schema == "create_all"
    assert config.cache is None
    assert (config.rest.default_limit, config.rest.max_limit) == (50, 1000)
    assert config.rest.body_limit == 1024 * 1024
    assert config.trace.enabled is True
    assert config.trace.header == "x-request-id"
    assert config.jobs.backend == "inline"
    assert config.security.cursor_secret is None
    assert config.celery == {}
    assert config.source_files == (tmp_path / "empty.yaml",)
    assert config.raw == {}


def test_no_files_and_the_bare_struct_agree() -> None:
    loaded = load_config()

    assert loaded.database == LoomConfig().database
    assert loaded.source_files == ()


def test_later_files_win(tmp_path: Path) -> None:
    base = write(tmp_path / "base.yaml", "database: {url: 'sqlite+aiosqlite:///a.db', echo: true}")
    prod = write(tmp_path / "prod.yaml", "database: {url: 'postgresql+asyncpg://db/app'}")

    config = load_config(base, prod)

    assert config.database.url == "postgresql+asyncpg://db/app"
    assert config.database.echo is True
    assert config.source_files == (base, prod)


def test_includes_are_relative_to_their_file_and_merged_under_it(tmp_path: Path) -> None:
    write(tmp_path / "config" / "shared" / "db.yaml", "database: {pool_size: 5, echo: true}")
    write(tmp_path / "config" / "shared" / "rest.yaml", "rest: {title: Shared}")
    main = write(
        tmp_path / "config" / "api.yaml",
        """\
        includes: [shared/db.yaml, shared/rest.yaml]
        database:
          echo: false
        """,
    )

    config = load_config(main)

    assert (config.database.pool_size, config.database.echo) == (5, False)
    assert config.rest.title == "Shared"
    assert "includes" not in config.raw
    assert [p.name for p in config.source_files] == ["db.yaml", "rest.yaml", "api.yaml"]


def test_overrides_come_last_and_accept_dotted_keys(tmp_path: Path) -> None:
    path = write(tmp_path / "api.yaml", "database: {echo: false, pool_size: 3}")

    config = load_config(path, overrides={"database.echo": True, "rest": {"casing": "camel"}})

    assert (config.database.echo, config.database.pool_size) == (True, 3)
    assert config.rest.casing == "camel"


def test_environment_values_are_converted_to_the_declared_types(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POOL", "7")
    monkeypatch.setenv("ECHO", "true")
    monkeypatch.setenv("TIMEOUT", "2.5")
    path = write(
        tmp_path / "api.yaml",
        """\
        database:
          pool_size: ${oc.env:POOL}
          echo: ${oc.env:ECHO}
          pool_timeout: ${oc.env:TIMEOUT}
        """,
    )

    config = load_config(path)

    assert (config.database.pool_size, config.database.echo) == (7, True)
    assert config.database.pool_timeout == 2.5


def test_references_to_other_keys_resolve_across_files(tmp_path: Path) -> None:
    base = write(tmp_path / "base.yaml", "app: {name: shop}")
    api = write(tmp_path / "api.yaml", "rest: {title: '${app.name} API'}")

    config = load_config(base, api)

    assert config.rest.title == "shop API"
    assert config.raw["rest"] == {"title": "shop API"}


def test_code_path_becomes_absolute_against_the_declaring_file(tmp_path: Path) -> None:
    write(tmp_path / "project" / "config" / "base.yaml", "app: {code_path: ../src}")
    main = write(tmp_path / "project" / "config" / "api.yaml", "includes: [base.yaml]")

    config = load_config(main)

    assert config.app.code_path == str((tmp_path / "project" / "src").resolve())


def test_log_levels_accept_any_case(tmp_path: Path) -> None:
    config = load_config(write(tmp_path / "a.yaml", "logging: {level: debug, json: true}"))

    assert (config.logging.level, config.logging.json) == ("DEBUG", True)


def test_a_section_with_nothing_under_it_takes_the_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path / "a.yaml", "cache:\ndatabase:\n"))

    assert config.cache is not None
    assert config.cache.enabled is True
    assert config.database.pool_size == 10


def test_celery_settings_pass_through_untouched(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.yaml",
        """\
        jobs: {backend: celery}
        celery:
          broker_url: amqp://guest@rabbit//
          task_acks_late: true
          task_routes: {"app.*": {queue: fast}}
        """,
    )

    config = load_config(path)

    assert config.jobs.backend == "celery"
    assert config.celery == {
        "broker_url": "amqp://guest@rabbit//",
        "task_acks_late": True,
        "task_routes": {"app.*": {"queue": "fast"}},
    }


def test_the_outbox_lease_is_configurable() -> None:
    assert load_config(overrides={"outbox.lease": 5}).outbox.lease == 5.0
    assert load_config(overrides={}).outbox.lease == 60.0
