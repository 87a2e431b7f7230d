"""From merged layers to typed sections: interpolation, unknown keys, types, and the messages.

Imports only the standard library, msgspec, omegaconf and ``loom.core.errors``.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Collection, Sequence
from typing import Any

import msgspec
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from loom.core.config._sections import Document, JobSection, JobsSection
from loom.core.config._sources import Source, locate
from loom.core.errors import ConfigError

_ENV_MISSING = re.compile(r"Environment variable '([^']+)' not found")
_AT = re.compile(r"^(?P<detail>.*) - at `\$(?P<path>.*)`$", re.DOTALL)
_SEGMENT = re.compile(r"\.([^.\[]+)|\[(\d+|\.\.\.)\]")
_SECTIONS = frozenset(field.name for field in msgspec.structs.fields(Document))


def resolve(sources: Sequence[Source]) -> dict[str, Any]:
    """Merge the layers in order and resolve every interpolation to a plain dict.

    Raises:
        ConfigError: A missing environment variable, a reference to a missing key, or an
            interpolation that does not parse.
    """
    if not sources:
        return {}
    try:
        merged = OmegaConf.merge(*(OmegaConf.create(source.tree) for source in sources))
        raw = OmegaConf.to_container(merged, resolve=True)
    except OmegaConfBaseException as error:
        raise _interpolation_error(error, sources) from error
    assert isinstance(raw, dict)  # the merge of mappings is a mapping
    return {str(key): value for key, value in raw.items()}


def convert(
    raw: dict[str, Any], sources: Sequence[Source], claimed: Collection[str] = ()
) -> Document:
    """Check keys and convert ``raw`` to typed sections (strings from env vars coerced).

    Args:
        raw: The merged configuration.
        sources: The layers it came from (for messages).
        claimed: Top-level keys owned by extensions: skipped here, known in messages.

    Raises:
        ConfigError: An unknown key or a value of the wrong type, naming the dotted path, the
            file and what was expected.
    """
    own = {key: value for key, value in raw.items() if key not in claimed}
    _check_keys(own, Document, (), sources, extra_known=claimed)
    try:
        return msgspec.convert(_normalize(own), Document, strict=False)
    except msgspec.ValidationError as error:
        raise _type_error(str(error), raw, sources) from error


def convert_section(
    name: str, value: Any, section_type: type[Any], sources: Sequence[Source]
) -> Any:
    """Convert an extension's section ``name`` to its ``msgspec.Struct`` type, checked as
    Loom's own sections are (unknown keys with "did you mean", wrong types with the path).

    Raises:
        ConfigError: An unknown key or a value of the wrong type.
    """
    value = {} if value is None else value
    _check_keys(value, section_type, (name,), sources)
    try:
        return msgspec.convert(value, section_type, strict=False)
    except msgspec.ValidationError as error:
        raise _type_error(str(error), value, sources, root=section_type, prefix=(name,)) from error


def in_file(sources: Sequence[Source], keys: Sequence[str]) -> str:
    """`` in store.yaml`` for the layer that wrote ``keys``, or ``""`` when none did."""
    source = locate(sources, keys)
    return f" in {source.name}" if source is not None else ""


def _normalize(raw: dict[str, Any]) -> dict[str, Any]:
    # A section written with nothing under it (`cache:`) is YAML null; it means "the defaults".
    raw = {key: {} if value is None and key in _SECTIONS else value for key, value in raw.items()}
    # Log levels are accepted in any case ("info"), as the logging module itself does.
    for section in ("logging", "logger"):
        logging = raw.get(section)
        if isinstance(logging, dict):
            raw = {**raw, section: _normalize_logging(logging)}
    jobs = raw.get("jobs")
    if isinstance(jobs, dict):
        raw = {**raw, "jobs": _split_jobs(jobs)}
    return raw


def _normalize_logging(section: dict[str, Any]) -> dict[str, Any]:
    section = dict(section)
    for key in ("level", "renderer"):
        value = section.get(key)
        if isinstance(value, str):
            section[key] = value.upper() if key == "level" else value.lower()
    for key in ("levels", "named_levels"):
        levels = section.get(key)
        if isinstance(levels, dict):
            section[key] = {k: v.upper() if isinstance(v, str) else v for k, v in levels.items()}
    return section


_JOBS_FIELDS = frozenset(field.name for field in msgspec.structs.fields(JobsSection))


def _split_jobs(jobs: dict[str, Any]) -> dict[str, Any]:
    """``jobs.<JobClassName>`` keys (loom-kernel's per-job settings) go under ``per_job``."""
    per_job = {
        str(key): {} if value is None else value
        for key, value in jobs.items()
        if key not in _JOBS_FIELDS
    }
    kept = {key: value for key, value in jobs.items() if key in _JOBS_FIELDS}
    if per_job:
        kept["per_job"] = {**(kept.get("per_job") or {}), **per_job}
    return kept


def _check_keys(
    data: Any,
    struct: type[Any],
    path: tuple[str, ...],
    sources: Sequence[Source],
    extra_known: Collection[str] = (),
) -> None:
    if not isinstance(data, dict):
        return  # msgspec reports the wrong type with its path
    fields = {field.name: field.type for field in msgspec.structs.fields(struct)}
    for key, value in data.items():
        per_job = struct is JobsSection and (value is None or isinstance(value, dict))
        if key not in fields and per_job:
            # loom-kernel's jobs.<JobClassName>: settings of one job class (checked at boot).
            _check_keys(value, JobSection, (*path, str(key)), sources)
            continue
        if key not in fields:
            known = sorted({*fields, *extra_known} - {"per_job"})
            raise _unknown_key(str(key), path, known, sources)
        nested = _struct_of(fields[key])
        if nested is not None:
            _check_keys(value, nested, (*path, str(key)), sources)


def _unknown_key(
    key: str, path: tuple[str, ...], known: list[str], sources: Sequence[Source]
) -> ConfigError:
    dotted = ".".join((*path, key))
    scope = "top-level keys" if not path else f"keys of {'.'.join(path)}"
    message = (
        f"unknown key '{dotted}'{in_file(sources, (*path, key))}; known {scope}: {', '.join(known)}"
    )
    if path == ("jobs",):
        message += (
            ", or the name of a job class with its settings (queue, retries, countdown, timeout, "
            "priority)"
        )
    close = difflib.get_close_matches(key, known, n=1)
    if close:
        message += f"; did you mean '{close[0]}'?"
    return ConfigError(message, code="config_unknown_key")


def _struct_of(annotation: Any) -> type[Any] | None:
    for candidate in _alternatives(annotation):
        if isinstance(candidate, type) and issubclass(candidate, msgspec.Struct):
            return candidate
    return None


def _alternatives(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _alternatives(typing.get_args(annotation)[0])
    if origin is typing.Union or origin is types.UnionType:
        return [arg for arg in typing.get_args(annotation) if arg is not type(None)]
    return [annotation]


def _type_error(
    text: str,
    raw: dict[str, Any],
    sources: Sequence[Source],
    *,
    root: Any = Document,
    prefix: tuple[str, ...] = (),
) -> ConfigError:
    match = _AT.match(text)
    if match is None:
        return ConfigError(f"invalid configuration: {text}", code="config_invalid")
    detail, path_text = match["detail"], match["path"]
    keys, value, annotation = _follow(path_text, raw, root)
    if keys[:2] == ["jobs", "per_job"]:
        keys = ["jobs", *keys[2:]]  # the file writes jobs.<JobClassName> directly
    keys = [*prefix, *keys]
    dotted = ".".join(keys) or "the top level"
    literal = [a for a in _alternatives(annotation) if typing.get_origin(a) is typing.Literal]
    if literal:
        options = ", ".join(repr(option) for option in typing.get_args(literal[0]))
        detail = f"expected one of {options}"
    else:
        detail = detail[:1].lower() + detail[1:]
    file_keys = [key for key in keys if not key.startswith("[")]
    return ConfigError(
        f"invalid value for '{dotted}'{in_file(sources, file_keys)}: {value!r}; {detail}",
        code="config_invalid",
    )


def _follow(path_text: str, raw: dict[str, Any], root: Any) -> tuple[list[str], Any, Any]:
    """Walk msgspec's ``.a.b[0][...]`` path through the data and the declared types."""
    keys: list[str] = []
    value: Any = raw
    annotation: Any = root
    for name, index in _SEGMENT.findall(path_text):
        if name:
            struct = _struct_of(annotation)
            fields = {f.name: f.type for f in msgspec.structs.fields(struct)} if struct else {}
            annotation = fields.get(name, Any)
            if not (keys == ["jobs"] and name == "per_job"):  # written as jobs.<Name> in the file
                value = value.get(name) if isinstance(value, dict) else None
            keys.append(name)
        elif index == "...":
            # msgspec does not say which dict entry failed: find it by converting each one.
            item_type = _dict_value_type(annotation)
            key, value = _first_invalid(value, item_type)
            annotation = item_type
            keys.append(key)
        else:
            annotation = _sequence_item_type(annotation)
            value = value[int(index)] if isinstance(value, list) else None
            keys[-1] = f"{keys[-1]}[{index}]" if keys else f"[{index}]"
    return keys, value, annotation


def _dict_value_type(annotation: Any) -> Any:
    for candidate in _alternatives(annotation):
        if typing.get_origin(candidate) is dict:
            return typing.get_args(candidate)[1]
    return Any


def _sequence_item_type(annotation: Any) -> Any:
    for candidate in _alternatives(annotation):
        args = typing.get_args(candidate)
        if typing.get_origin(candidate) in (list, tuple) and args:
            return args[0]
    return Any


def _first_invalid(value: Any, item_type: Any) -> tuple[str, Any]:
    if isinstance(value, dict):
        for key, item in value.items():
            try:
                msgspec.convert(item, item_type, strict=False)
            except msgspec.ValidationError:
                return str(key), item
    return "[...]", None


def _interpolation_error(error: OmegaConfBaseException, sources: Sequence[Source]) -> ConfigError:
    full_key = str(getattr(error, "full_key", "") or "")
    keys = full_key.split(".") if full_key else []
    where = f"'{full_key}'{in_file(sources, keys)}" if full_key else "the configuration"
    text = str(error).split("\n", 1)[0]
    missing = _ENV_MISSING.search(text)
    if missing:
        name = missing[1]
        return ConfigError(
            f"environment variable {name} is not set (needed by {where}); set it, or give a "
            f"default in the file: ${{oc.env:{name},<default>}}",
            code="config_env_missing",
        )
    return ConfigError(f"cannot resolve {where}: {text}", code="config_interpolation")
