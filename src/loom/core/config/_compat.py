"""Where loom-kernel 9 writes a setting differently, read it into Loom's place.

``app.rest`` is the ``rest`` section, ``rest.max_body_bytes`` is ``rest.body_limit``, and the
``logger:`` section is ``logging:``. Giving one setting in both places with different values
is an error naming both. Imports only the standard library, msgspec and ``loom.core``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import msgspec

from loom.core.config._convert import in_file
from loom.core.config._sections import Document, LoggerSection, LoggingSection, RestSection
from loom.core.config._sources import Source
from loom.core.errors import ConfigError

_DEPLOYED = ("production", "staging")


def apply(document: Document, raw: dict[str, Any], sources: Sequence[Source]) -> Document:
    """The document with loom-kernel's spellings read into Loom's sections.

    Raises:
        ConfigError: A setting given in both places with different values, or ``logger`` and
            ``logging`` both given.
    """
    rest = _rest(document, raw, sources)
    logging = _logging(document, raw, sources)
    app = msgspec.structs.replace(document.app, rest=rest)
    return msgspec.structs.replace(document, app=app, rest=rest, logging=logging)


def _rest(document: Document, raw: dict[str, Any], sources: Sequence[Source]) -> RestSection:
    nested = document.app.rest
    app = raw.get("app")
    nested_given = isinstance(app, dict) and "rest" in app
    rest = document.rest
    if nested is not None and nested_given:
        if "rest" in raw and nested != rest:
            raise ConfigError(
                f"the REST section is given twice with different values: app.rest"
                f"{in_file(sources, ('app', 'rest'))} and rest{in_file(sources, ('rest',))}; "
                "keep one of them (loom-kernel reads app.rest, Loom reads either)",
                code="config_conflict",
            )
        rest = nested
    if rest.max_body_bytes is not None and rest.max_body_bytes != rest.body_limit:
        where = ("app", "rest") if nested_given else ("rest",)
        section = raw.get("app", {}).get("rest") if nested_given else raw.get("rest")
        if isinstance(section, dict) and "body_limit" in section:
            raise ConfigError(
                f"{'.'.join(where)}.max_body_bytes ({rest.max_body_bytes}) and "
                f"{'.'.join(where)}.body_limit ({rest.body_limit}) differ"
                f"{in_file(sources, where)}; they are one setting, keep one of them",
                code="config_conflict",
            )
        rest = msgspec.structs.replace(rest, body_limit=rest.max_body_bytes)
    cors = rest.cors
    if cors is not None and cors.allow_credentials and "*" in cors.allow_origins:
        raise ConfigError(
            f"rest.cors allows the origin '*' with allow_credentials: true"
            f"{in_file(sources, ('rest', 'cors'))}; browsers would then send cookies to this API "
            "from every site. List the exact origins, or set allow_credentials: false",
            code="config_invalid",
        )
    return rest


def _logging(document: Document, raw: dict[str, Any], sources: Sequence[Source]) -> LoggingSection:
    logger = document.logger
    if logger is None:
        return document.logging
    if "logging" in raw:
        raise ConfigError(
            f"both logger{in_file(sources, ('logger',))} and logging"
            f"{in_file(sources, ('logging',))} are given; logger is loom-kernel's name of the "
            "logging section, keep one of them",
            code="config_conflict",
        )
    return from_logger(logger)


def from_logger(logger: LoggerSection) -> LoggingSection:
    """The ``logging`` section a loom-kernel ``logger:`` section means.

    ``renderer: json`` is ``json: true``; without a renderer, a deployed environment logs JSON
    as in loom-kernel (the environment is ``logger.environment``, else ``LOOM_ENV``, else
    production).
    """
    if logger.renderer is not None:
        json = logger.renderer == "json"
    else:
        environment = logger.environment or os.environ.get("LOOM_ENV", "production")
        json = environment.strip().lower() in _DEPLOYED
    return LoggingSection(
        level=logger.level,
        json=json,
        name=logger.name,
        colors=logger.colors,
        levels=dict(logger.named_levels),
        fields=dict(logger.fields),
    )
