"""loom-kernel 9's spellings of the configuration: app.rest, logger:, jobs.<JobClassName>."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from loom.core.config import JobSection, LoggingSection, load_config
from loom.core.errors import ConfigError


def write(path: Path, text: str) -> Path:
    path.write_text(dedent(text))
    return path


def test_app_rest_is_the_rest_section(tmp_path: Path) -> None:
    api = write(
        tmp_path / "api.yaml",
        """
        app:
          name: dummy_store
          rest:
            backend: fastapi
            title: Dummy Store API
            version: 0.1.0
            docs_url: /docs
            redoc_url: /redoc
            openapi_url: /spec.json
            max_body_bytes: 2048
        """,
    )

    config = load_config(api)

    assert config.rest.title == "Dummy Store API"
    assert (config.rest.redoc_url, config.rest.openapi_url) == ("/redoc", "/spec.json")
    assert config.rest.body_limit == 2048
    assert config.app.rest == config.rest


def test_rest_in_both_places_must_agree(tmp_path: Path) -> None:
    same = write(tmp_path / "same.yaml", "app: {rest: {title: A}}\nrest: {title: A}\n")
    differ = write(tmp_path / "differ.yaml", "app: {rest: {title: A}}\nrest: {title: B}\n")

    assert load_config(same).rest.title == "A"
    with pytest.raises(ConfigError) as caught:
        load_config(differ)
    assert str(caught.value) == (
        f"the REST section is given twice with different values: app.rest in {differ} and "
        f"rest in {differ}; keep one of them (loom-kernel reads app.rest, Loom reads either)"
    )


def test_an_unknown_key_under_app_rest_names_its_path(tmp_path: Path) -> None:
    api = write(tmp_path / "api.yaml", "app: {rest: {titel: A}}\n")

    with pytest.raises(
        ConfigError, match=r"unknown key 'app\.rest\.titel' in .*did you mean 'title'"
    ):
        load_config(api)


def test_max_body_bytes_and_body_limit_are_one_setting(tmp_path: Path) -> None:
    api = write(tmp_path / "api.yaml", "rest: {max_body_bytes: 10, body_limit: 20}\n")

    with pytest.raises(
        ConfigError, match=r"rest\.max_body_bytes \(10\) and rest\.body_limit \(20\)"
    ):
        load_config(api)
    assert load_config(overrides={"rest.max_body_bytes": 10}).rest.body_limit == 10


def test_cors_refuses_any_origin_with_credentials(tmp_path: Path) -> None:
    api = write(
        tmp_path / "api.yaml",
        "rest: {cors: {allow_origins: ['*'], allow_credentials: true}}\n",
    )

    with pytest.raises(
        ConfigError, match=r"rest\.cors allows the origin '\*' with allow_credentials"
    ):
        load_config(api)
    cors = load_config(overrides={"rest.cors.allow_origins": ["https://a.example"]}).rest.cors
    assert cors is not None
    assert cors.allow_origins == ("https://a.example",)


@pytest.mark.parametrize(
    ("logger", "expected"),
    [
        (
            "{name: app, renderer: json, colors: false, level: debug}",
            LoggingSection(level="DEBUG", json=True, name="app", colors=False),
        ),
        ("{renderer: CONSOLE, level: WARNING}", LoggingSection(level="WARNING", json=False)),
        ("{environment: development}", LoggingSection(json=False)),
        ("{environment: staging}", LoggingSection(json=True)),
        (
            "{renderer: console, named_levels: {celery: warning}, fields: {service: store}}",
            LoggingSection(levels={"celery": "WARNING"}, fields={"service": "store"}),
        ),
    ],
)
def test_the_logger_section_is_read_into_logging(
    tmp_path: Path, logger: str, expected: LoggingSection
) -> None:
    api = write(tmp_path / "api.yaml", f"logger: {logger}\n")

    assert load_config(api).logging == expected


def test_without_renderer_or_environment_loom_env_decides_as_in_loom_kernel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = write(tmp_path / "api.yaml", "logger: {level: INFO}\n")

    monkeypatch.delenv("LOOM_ENV", raising=False)
    assert load_config(api).logging.json is True
    monkeypatch.setenv("LOOM_ENV", "development")
    assert load_config(api).logging.json is False


def test_logger_and_logging_together_are_an_error(tmp_path: Path) -> None:
    api = write(tmp_path / "api.yaml", "logger: {level: INFO}\nlogging: {level: INFO}\n")

    with pytest.raises(ConfigError, match=r"both logger in .* and logging in .* are given"):
        load_config(api)


def test_a_bad_renderer_names_the_logger_key(tmp_path: Path) -> None:
    api = write(tmp_path / "api.yaml", "logger: {renderer: xml}\n")

    with pytest.raises(ConfigError, match=r"'logger\.renderer' .*: 'xml'; expected one of 'json'"):
        load_config(api)


def test_per_job_settings_are_keys_of_jobs(tmp_path: Path) -> None:
    api = write(
        tmp_path / "api.yaml",
        """
        jobs:
          backend: inline
          SendRestockEmailJob: {queue: notifications, retries: 3, countdown: 2, priority: 5}
          BuildProductSummaryJob:
        """,
    )

    jobs = load_config(api).jobs

    assert jobs.backend == "inline"
    assert jobs.per_job == {
        "SendRestockEmailJob": JobSection(
            queue="notifications", retries=3, countdown=2, priority=5
        ),
        "BuildProductSummaryJob": JobSection(),
    }


def test_an_unknown_per_job_setting_names_its_path(tmp_path: Path) -> None:
    api = write(tmp_path / "api.yaml", "jobs: {SendRestockEmailJob: {quue: mail}}\n")

    with pytest.raises(ConfigError) as caught:
        load_config(api)
    assert str(caught.value) == (
        f"unknown key 'jobs.SendRestockEmailJob.quue' in {api}; known keys of "
        "jobs.SendRestockEmailJob: countdown, priority, queue, retries, timeout; "
        "did you mean 'queue'?"
    )


def test_a_wrong_per_job_value_names_its_path(tmp_path: Path) -> None:
    api = write(tmp_path / "api.yaml", "jobs: {SendRestockEmailJob: {retries: many}}\n")

    with pytest.raises(ConfigError, match=r"'jobs\.SendRestockEmailJob\.retries' in .*: 'many'"):
        load_config(api)


def test_a_scalar_under_jobs_is_still_an_unknown_key(tmp_path: Path) -> None:
    api = write(tmp_path / "api.yaml", "jobs: {backnd: celery}\n")

    with pytest.raises(ConfigError) as caught:
        load_config(api)
    assert str(caught.value) == (
        f"unknown key 'jobs.backnd' in {api}; known keys of jobs: backend, default_queue, or "
        "the name of a job class with its settings (queue, retries, countdown, timeout, "
        "priority); did you mean 'backend'?"
    )
