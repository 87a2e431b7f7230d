"""Configuration errors name the key, the file, the value and the fix."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from loom.core.config import load_config
from loom.core.errors import ConfigError


def write(path: Path, text: str) -> Path:
    path.write_text(dedent(text))
    return path


def test_an_unknown_top_level_key_names_the_file_and_the_known_keys(tmp_path: Path) -> None:
    store = write(tmp_path / "store.yaml", "databse: {url: x}\n")

    with pytest.raises(ConfigError) as caught:
        load_config(store)

    assert str(caught.value) == (
        f"unknown key 'databse' in {store}; known top-level keys: app, cache, celery, database, "
        "jobs, logger, logging, metrics, migrations, outbox, rest, security, trace; did you mean "
        "'database'?"
    )
    assert caught.value.code == "config_unknown_key"


def test_an_unknown_nested_key_names_its_dotted_path(tmp_path: Path) -> None:
    store = write(tmp_path / "store.yaml", "app:\n  discovery:\n    modules: {includes: [a]}\n")

    with pytest.raises(ConfigError) as caught:
        load_config(store)

    assert str(caught.value) == (
        f"unknown key 'app.discovery.modules.includes' in {store}; known keys of "
        "app.discovery.modules: include; did you mean 'include'?"
    )


def test_the_file_named_is_the_one_that_wrote_the_key(tmp_path: Path) -> None:
    base = write(tmp_path / "base.yaml", "rest: {titel: Shop}\n")
    api = write(tmp_path / "api.yaml", "includes: [base.yaml]\nrest: {version: '1'}\n")

    with pytest.raises(ConfigError, match=r"unknown key 'rest.titel' in .*base\.yaml;"):
        load_config(api)
    assert base.exists()


def test_an_unknown_key_in_the_overrides_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown key 'database.ulr' in overrides;"):
        load_config(overrides={"database.ulr": "x"})


def test_a_wrong_type_names_the_path_the_value_and_the_expected_type(tmp_path: Path) -> None:
    store = write(tmp_path / "store.yaml", "database: {pool_size: many}\n")

    with pytest.raises(ConfigError) as caught:
        load_config(store)

    assert str(caught.value) == (
        f"invalid value for 'database.pool_size' in {store}: 'many'; expected `int`, got `str`"
    )


def test_a_value_outside_a_choice_lists_the_choices(tmp_path: Path) -> None:
    store = write(tmp_path / "store.yaml", "database: {schema: migrations}\n")

    with pytest.raises(ConfigError) as caught:
        load_config(store)

    assert str(caught.value) == (
        f"invalid value for 'database.schema' in {store}: 'migrations'; "
        "expected one of 'create_all', 'migrate', 'none'"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "cache: {ttl: {user: 60, order: soon}}",
            r"'cache\.ttl\.order' .*: 'soon'; expected `int`",
        ),
        (
            "app: {discovery: {modules: {include: [a, [b]]}}}",
            r"'app\.discovery\.modules\.include\[1\]'",
        ),
        ("database: {pool_size: 0}", r"'database\.pool_size' .*: 0; expected `int` >= 1"),
        ("database: 5", r"'database' .*: 5; expected `object`, got `int`"),
        ("logging: {level: loud}", r"'logging\.level' .*: 'loud'; expected one of 'DEBUG'"),
        ("jobs: {backend: rq}", r"'jobs\.backend' .*: 'rq'; expected one of 'inline', 'celery'"),
    ],
)
def test_wrong_types_deep_in_the_tree_are_located(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path / "store.yaml", text))


def test_a_missing_file_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"

    with pytest.raises(ConfigError, match=rf"config file not found: {missing}; check the path"):
        load_config(missing)


def test_a_missing_include_names_the_including_file(tmp_path: Path) -> None:
    api = write(tmp_path / "api.yaml", "includes: [base.yaml]\n")

    with pytest.raises(ConfigError, match=rf"base\.yaml \(included from {api}\)"):
        load_config(api)


def test_an_include_cycle_is_named(tmp_path: Path) -> None:
    a = write(tmp_path / "a.yaml", "includes: [b.yaml]\n")
    write(tmp_path / "b.yaml", "includes: [a.yaml]\n")

    with pytest.raises(ConfigError, match=r"config includes form a cycle: .*a\.yaml -> .*b\.yaml"):
        load_config(a)


def test_a_yaml_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    store = write(tmp_path / "store.yaml", "app:\n  name: shop\ndatabase: [oops\n")

    with pytest.raises(ConfigError) as caught:
        load_config(store)

    assert str(caught.value).startswith(f"YAML syntax error in {store} at line 4, column 1:")


def test_a_list_at_the_top_level_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="holds a list at the top level"):
        load_config(write(tmp_path / "store.yaml", "- app\n"))


def test_includes_must_be_paths(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"'includes' in .* must be a list of file paths"):
        load_config(write(tmp_path / "store.yaml", "includes: {a: 1}\n"))


def test_a_missing_environment_variable_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LOOM_TEST_DB_URL", raising=False)
    store = write(tmp_path / "store.yaml", "database: {url: '${oc.env:LOOM_TEST_DB_URL}'}\n")

    with pytest.raises(ConfigError) as caught:
        load_config(store)

    assert str(caught.value) == (
        f"environment variable LOOM_TEST_DB_URL is not set (needed by 'database.url' in "
        f"{store}); set it, or give a default in the file: ${{oc.env:LOOM_TEST_DB_URL,<default>}}"
    )


def test_a_reference_to_a_missing_key_is_named(tmp_path: Path) -> None:
    store = write(tmp_path / "store.yaml", "rest: {title: '${app.title}'}\n")

    with pytest.raises(
        ConfigError, match=r"cannot resolve 'rest.title' in .*store\.yaml: .*app\.title"
    ):
        load_config(store)


def test_manifest_mode_needs_a_module(tmp_path: Path) -> None:
    store = write(tmp_path / "store.yaml", "app: {discovery: {mode: manifest}}\n")

    with pytest.raises(ConfigError, match=r"app\.discovery\.manifest\.module is not set"):
        load_config(store)


def test_the_default_page_size_cannot_exceed_the_maximum(tmp_path: Path) -> None:
    store = write(tmp_path / "store.yaml", "rest: {default_limit: 200, max_limit: 100}\n")

    with pytest.raises(ConfigError, match=r"rest\.default_limit \(200\) is above rest\.max_limit"):
        load_config(store)


def test_a_section_of_an_extension_whose_extra_is_missing_names_the_extra(tmp_path: Path) -> None:
    from loom.core.extension import ExtensionCatalog, MissingExtension

    missing = MissingExtension("migrations", "loom-framework", "alembic", "migrations")
    catalog = ExtensionCatalog((), (missing,))
    store = write(tmp_path / "store.yaml", "migrations: {path: ../migrations}\n")

    with pytest.raises(ConfigError) as caught:
        load_config(store, extensions=catalog)

    assert str(caught.value) == (
        "the config has a 'migrations' section, which needs the 'migrations' extension, but "
        "alembic is not installed; install the migrations extra: pip install "
        "'loom-framework[migrations]'"
    )
