"""Celery settings of a Loom config: guarantees, user settings, task names and routing."""

from __future__ import annotations

from typing import Any

import pytest

from loom.celery import celery_settings, make_celery, queue_for, task_name
from loom.core.config import load_config
from loom.core.errors import ConfigError
from loom.core.job.job import Job


class ReportJob(Job[None]):
    """A job class to name."""

    __queue__ = "reports"


def _settings(**celery: Any) -> dict[str, Any]:
    return celery_settings(load_config(overrides={"celery": celery}))


def test_jobs_survive_a_dying_worker_and_amqp_publishes_are_confirmed() -> None:
    settings = _settings(broker_url="amqp://guest:guest@127.0.0.1:5672//")
    assert settings["task_acks_late"] is True
    assert settings["task_reject_on_worker_lost"] is True
    assert settings["broker_transport_options"]["confirm_publish"] is True
    assert settings["broker_transport_options"]["connect_timeout"] == 2.0


def test_user_settings_are_passed_to_celery_over_the_defaults() -> None:
    settings = _settings(
        broker_url="pyamqp://127.0.0.1//",
        worker_prefetch_multiplier=4,
        broker_transport_options={"connect_timeout": 0.5},
    )
    assert settings["worker_prefetch_multiplier"] == 4
    assert settings["broker_transport_options"]["connect_timeout"] == 0.5
    assert settings["broker_transport_options"]["confirm_publish"] is True


def test_a_redis_broker_gets_no_amqp_transport_options() -> None:
    assert "broker_transport_options" not in _settings(broker_url="redis://127.0.0.1:6379/1")


@pytest.mark.parametrize(
    ("celery", "named"),
    [
        ({"task_acks_late": False}, "celery.task_acks_late"),
        ({"task_reject_on_worker_lost": False}, "celery.task_reject_on_worker_lost"),
        (
            {
                "broker_url": "amqp://127.0.0.1//",
                "broker_transport_options": {"confirm_publish": 0},
            },
            "confirm_publish",
        ),
    ],
)
def test_settings_that_could_lose_a_job_are_refused_by_name(
    celery: dict[str, Any], named: str
) -> None:
    with pytest.raises(ConfigError, match=named):
        _settings(**celery)


def test_a_job_task_is_named_after_its_class() -> None:
    assert task_name(ReportJob) == f"loom.job.{__name__}.ReportJob"


def test_task_routes_override_the_queue_a_job_declares() -> None:
    routed = make_celery(load_config(overrides={"celery": {"task_routes": {"loom.job.*": "bulk"}}}))
    plain = make_celery(load_config())
    name = task_name(ReportJob)
    assert queue_for(routed, name, "reports") == "bulk"
    assert queue_for(plain, name, "reports") == "reports"
