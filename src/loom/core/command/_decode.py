"""Strict decoding of commands, and msgspec errors turned into field errors."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar

import msgspec

from loom.core.errors import FieldError, ValidationError
from loom.core.errors._errors import NUL_MESSAGE

S = TypeVar("S", bound=msgspec.Struct)

ROOT_FIELD = "body"
"""The ``field`` of an error about the input as a whole (not JSON, not an object)."""

_AT = re.compile(r"^(?P<text>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_NAMED = re.compile(r"^Object (?P<what>missing required|contains unknown) field `(?P<name>[^`]+)`$")
_STEP = re.compile(r"\.([^.\[]+)|\[(\d+)\]")


def _path_parts(path: str) -> list[str]:
    # msgspec writes `$.items[0].x`; Loom names fields with dots only: `items.0.x`.
    return [key or index for key, index in _STEP.findall(path)]


def field_error_from_msgspec(
    exc: msgspec.ValidationError, *, prefix: str = "", fields: tuple[str, ...] = ()
) -> FieldError:
    """Turn msgspec's one validation message into a :class:`FieldError` naming the field.

    Args:
        exc: The error msgspec raised.
        prefix: Field name the msgspec path is relative to (empty for a whole body).
        fields: Field names of the top-level type, listed when a top-level field is unknown.

    Returns:
        The field error, with a dotted field name (``items.0.price``) and a plain message.
    """
    match = _AT.match(str(exc))
    text = match.group("text") if match else str(exc)
    parts = _path_parts(match.group("path") or "") if match else []
    if prefix:
        parts.insert(0, prefix)
    named = _NAMED.match(text)
    if named:
        parts.append(named.group("name"))
        if named.group("what") == "missing required":
            message = "required field is missing"
        elif len(parts) == 1 and fields:
            message = f"unknown field; expected one of: {', '.join(fields)}"
        else:
            message = "unknown field"
    else:
        message = text[:1].lower() + text[1:].replace("`", "")
    return FieldError(field=".".join(parts) or prefix or ROOT_FIELD, message=message)


def _nul_errors(data: bytes | bytearray | memoryview | str) -> list[FieldError]:
    """One error per string (value or key) of a JSON document that holds the NUL character.

    JSON carries NUL only escaped, so a document without the text ``\\u0000`` has none, at the
    cost of one substring search; one that has it is decoded untyped and walked. Empty when
    the document does not decode: the typed decoder reports that.
    """
    if isinstance(data, str):
        if "\\u0000" not in data:
            return []
    elif b"\\u0000" not in (bytes(data) if isinstance(data, memoryview) else data):
        return []
    try:
        document = msgspec.json.decode(data)
    except (msgspec.DecodeError, RecursionError):
        return []
    errors: list[FieldError] = []
    # Iterative, so a document nested as deep as the decoder allows cannot exhaust the stack.
    pending: list[tuple[tuple[str, ...], Any]] = [((), document)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str):
            if "\x00" in value:
                errors.append(FieldError(".".join(path) or ROOT_FIELD, NUL_MESSAGE))
        elif isinstance(value, dict):
            for key, item in reversed(value.items()):
                if "\x00" in key:
                    errors.append(FieldError(".".join((*path, key)), NUL_MESSAGE))
                pending.append(((*path, key), item))
        elif isinstance(value, list):
            pending.extend(((*path, str(i)), item) for i, item in reversed(list(enumerate(value))))
    return errors


def decode_command(
    command_type: type[S],
    data: bytes | bytearray | memoryview | str | Mapping[str, Any] | msgspec.Struct | None,
) -> S:
    """Decode a command strictly from JSON or from a mapping.

    Unknown fields (for :class:`~loom.core.command.Command` subclasses) and values of the wrong
    type are rejected; numbers are not read from strings. ``None`` decodes like ``{}``.

    Args:
        command_type: The command class (any msgspec Struct class).
        data: JSON bytes or text, a mapping of field names to values, an instance of the
            command (returned as is) or of another Struct (its fields are used), or ``None``.

    Returns:
        The command.

    Raises:
        ValidationError: The data does not fit; ``errors`` names the field
            (``FieldError("label", "required field is missing")``). msgspec stops at the first
            problem, so one field is named per error. JSON strings holding the NUL character
            (``\\u0000``, which PostgreSQL cannot store) are refused, one error per string.

    Example:
        >>> from loom.core.command import Command, decode_command
        >>> class Rename(Command, frozen=True):
        ...     name: str
        >>> decode_command(Rename, b'{"name": "Ada"}')
        Rename(name='Ada')
    """
    if isinstance(data, command_type):
        return data
    try:
        if isinstance(data, bytes | bytearray | memoryview | str):
            nul = _nul_errors(data)
            if nul:
                raise ValidationError(f"invalid {command_type.__name__}: {NUL_MESSAGE}", errors=nul)
            return msgspec.json.decode(data, type=command_type)
        source: Any = {} if data is None else data
        if isinstance(source, msgspec.Struct):
            source = msgspec.to_builtins(source)
        return msgspec.convert(source, type=command_type, strict=True)
    except msgspec.ValidationError as exc:
        names = tuple(f.encode_name for f in msgspec.structs.fields(command_type))
        error = field_error_from_msgspec(exc, fields=names)
        raise ValidationError(f"invalid {command_type.__name__}", errors=[error]) from exc
    except msgspec.DecodeError as exc:
        raise ValidationError(
            f"invalid {command_type.__name__}: the body is not valid JSON; send a JSON object",
            errors=[FieldError(ROOT_FIELD, f"malformed JSON: {exc}")],
        ) from exc
    except RecursionError as exc:
        # Values typed Any decode untyped, and msgspec stops at Python's recursion limit.
        raise ValidationError(
            f"invalid {command_type.__name__}: the JSON is nested too deeply to decode",
            errors=[FieldError(ROOT_FIELD, "arrays and objects nested too deeply; flatten them")],
        ) from exc
