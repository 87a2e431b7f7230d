"""The Celery application of a Loom config: Loom's delivery guarantees plus ``config.celery``.

``config.celery`` is passed to Celery as its own settings (``broker_url``, ``task_routes``,
...). Loom adds what its guarantees need: late acknowledgement, redelivery of the job of a
worker that died, publisher confirms on AMQP, and short broker timeouts so that a broker that is
down fails a publish at once (the outbox keeps the row and retries) instead of hanging the relay.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from celery import Celery

from loom.core.config import LoomConfig
from loom.core.errors import ConfigError

TASK_PREFIX = "loom.job."
"""Prefix of every job task name."""

_REQUIRED = {"task_acks_late": True, "task_reject_on_worker_lost": True}
"""Settings without which a job can be lost; a config that turns them off is refused."""

_DEFAULTS: dict[str, Any] = {
    **_REQUIRED,
    # One unacknowledged job per worker process: with late acks a prefetched job is otherwise
    # stuck behind a long one, and redelivered late when the worker dies.
    "worker_prefetch_multiplier": 1,
    "task_serializer": "json",
    "accept_content": ["json"],
    # Said explicitly because Celery 5.3+ warns when it is left to the deprecated default.
    "broker_connection_retry_on_startup": True,
    "broker_connection_timeout": 2.0,
    "worker_hijack_root_logger": False,
    "enable_utc": True,
}

_AMQP_TRANSPORT: dict[str, Any] = {
    # The broker acknowledges each publish before the relay marks its outbox row sent.
    "confirm_publish": True,
    "connect_timeout": 2.0,
    # A broker that accepts the connection but never answers must not hang the relay.
    "read_timeout": 10.0,
    "write_timeout": 10.0,
}

_AMQP_SCHEMES = {"amqp", "amqps", "pyamqp"}


def task_name(job: type[Any]) -> str:
    """The Celery task name of a job class: ``loom.job.<module>.<QualName>``."""
    return f"{TASK_PREFIX}{job.__module__}.{job.__qualname__}"


def celery_settings(config: LoomConfig) -> dict[str, Any]:
    """Celery settings for ``config``: Loom's defaults, then ``config.celery`` over them.

    Raises:
        ConfigError: ``config.celery`` turns off late acks, redelivery on worker loss, or
            publisher confirms on AMQP (each would let a committed job be lost).
    """
    user: Mapping[str, Any] = config.celery
    for key, value in _REQUIRED.items():
        if key in user and user[key] != value:
            raise ConfigError(
                f"celery.{key} is {user[key]!r}; Loom needs it {value!r} so that a job whose "
                f"worker dies is run again; remove celery.{key} from the config"
            )
    settings = {**_DEFAULTS, **user}
    broker = str(settings.get("broker_url") or "amqp://guest@127.0.0.1//")
    if urlsplit(broker).scheme in _AMQP_SCHEMES:
        transport = {**_AMQP_TRANSPORT, **dict(user.get("broker_transport_options") or {})}
        if not transport["confirm_publish"]:
            raise ConfigError(
                "celery.broker_transport_options.confirm_publish is false; Loom marks an outbox "
                "row sent only after the broker confirmed it; remove the option"
            )
        settings["broker_transport_options"] = transport
    return settings


def make_celery(config: LoomConfig) -> Celery:
    """A Celery application configured from ``config`` (not set as Celery's current app)."""
    app = Celery(config.app.name, set_as_current=False)
    app.conf.update(celery_settings(config))
    return app


def queue_for(app: Celery, name: str, default: str) -> str:
    """The queue task ``name`` goes to: ``task_routes`` first, then ``default`` (``__queue__``).

    Operators re-route jobs with ``celery.task_routes`` (``{"loom.job.app.product.*":
    {"queue": "mail"}}``) without touching the job classes.
    """
    router = app.amqp.router
    route = router.lookup_route(name, (), {}, {}, None) if router.routes else None
    if isinstance(route, str):
        return route
    if isinstance(route, Mapping):
        queue = route.get("queue")
        if isinstance(queue, str):
            return queue
        if queue is not None:
            return str(queue.name)
    return default
