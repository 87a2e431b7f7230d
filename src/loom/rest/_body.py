"""Request bodies: media type and size checks, and every field problem of a rejected body.

msgspec stops at the first problem; :func:`field_errors` runs only after a body was rejected and
names every unknown, missing and mistyped field, so one answer lists them all. Imports msgspec,
the standard library and ``loom.core`` only.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection
from typing import Any, Union

import msgspec

from loom.core.command import ROOT_FIELD, field_error_from_msgspec
from loom.core.errors import FieldError
from loom.rest._errors import MalformedBodyError, PayloadTooLargeError, UnsupportedMediaTypeError

MAX_JSON_DEPTH = 64
"""How deep arrays and objects of a request body may nest; deeper is a 400."""

_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = [0] * 256
for _byte in b"[{":
    _STEP[_byte] = 1
for _byte in b"]}":
    _STEP[_byte] = -1

_JSON_NAMES = {
    dict: "object",
    list: "array",
    str: "string",
    int: "number",
    float: "number",
    bool: "boolean",
    type(None): "null",
}


def check_media_type(content_type: str | None, has_body: bool) -> None:
    """Accept ``application/json`` and ``application/*+json``; no header only without a body.

    Raises:
        UnsupportedMediaTypeError: Any other media type.
    """
    if content_type is None:
        if has_body:
            raise UnsupportedMediaTypeError(
                "the request has a body but no Content-Type; send Content-Type: application/json"
            )
        return
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    ):
        return
    raise UnsupportedMediaTypeError(
        f"Content-Type {media or content_type!r} is not supported; send application/json"
    )


def check_declared_length(value: str | None, limit: int) -> int | None:
    """Read ``Content-Length`` and refuse it early when it is over the limit.

    Raises:
        MalformedBodyError: A value that is not a whole number.
        PayloadTooLargeError: A length over ``limit``.
    """
    if value is None:
        return None
    text = value.strip()
    if not text.isdigit() or not text.isascii():
        raise MalformedBodyError(f"Content-Length {value!r} is not a whole number of bytes")
    length = int(text)
    if length > limit:
        raise too_large(limit)
    return length


def too_large(limit: int) -> PayloadTooLargeError:
    """The error of a body over ``limit`` bytes."""
    return PayloadTooLargeError(
        f"the request body is over the limit of {limit} bytes (rest.body_limit); send less"
    )


def json_depth(body: bytes) -> int:
    """How deep the arrays and objects of a JSON document nest (``{"a": [1]}`` is 2).

    Brackets inside strings do not count. Every step is linear and runs in C: escaped
    backslashes and quotes are dropped, so the quotes left alternate between opening and
    closing a string; the parts outside strings are kept, and of them only the brackets.
    """
    plain = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    outside = b"".join(plain.split(b'"')[::2])
    brackets = outside.translate(None, _NOT_BRACKETS)
    return max(itertools.accumulate(map(_STEP.__getitem__, brackets)), default=0)


def check_depth(body: bytes, limit: int = MAX_JSON_DEPTH) -> None:
    """Refuse a body whose arrays and objects nest deeper than ``limit``.

    Deep nesting is never data a command needs, and decoding it untyped recurses once per
    level: the check runs before any decoder sees the body.

    Raises:
        MalformedBodyError: A body nested deeper than ``limit``.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return  # too few brackets to nest that deep: the common case costs two counts
    depth = json_depth(body)
    if depth > limit:
        raise MalformedBodyError(
            f"the body nests arrays and objects {depth} levels deep; at most {limit} are accepted",
            errors=[FieldError(ROOT_FIELD, f"nested {depth} levels deep; the limit is {limit}")],
        )


def check_object(body: bytes) -> None:
    """Refuse a body that is not a JSON object, before it reaches the command decoder.

    Raises:
        MalformedBodyError: Malformed JSON, or JSON that is not an object.
    """
    if body.lstrip()[:1] == b"{":
        return  # the decoder reports malformed objects itself
    try:
        value = msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise MalformedBodyError(
            "the body is not valid JSON; send a JSON object",
            errors=[FieldError(ROOT_FIELD, f"malformed JSON: {exc}")],
        ) from None
    kind = _JSON_NAMES.get(type(value), type(value).__name__)
    raise MalformedBodyError(
        f"the body is a JSON {kind}; send a JSON object",
        errors=[FieldError(ROOT_FIELD, f"expected object, got {kind}")],
    )


def field_errors(
    command_type: type[Any], body: bytes, *, read_only: Collection[str] = ()
) -> list[FieldError]:
    """Every problem of a JSON object body against a command, one per field.

    Args:
        command_type: The command class.
        body: The body, a JSON object the decoder already rejected.
        read_only: Model fields the server sets (key, timestamps); sending one is reported as
            read-only rather than unknown.

    Returns:
        Unknown fields, missing required fields and fields of the wrong type, in the command's
        field order with unknown fields last; empty when nothing can be said per field.
    """
    try:
        data = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return []
    if not isinstance(data, dict):
        return []
    fields = msgspec.structs.fields(command_type)
    names = [f.encode_name for f in fields]
    errors: list[FieldError] = []
    forbid = bool(getattr(command_type.__struct_config__, "forbid_unknown_fields", False))
    for f in fields:
        if f.encode_name not in data:
            if f.required:
                errors.append(FieldError(f.encode_name, "required field is missing"))
            continue
        error = _type_error(f.encode_name, f.type, data[f.encode_name])
        if error is not None:
            errors.append(error)
    if forbid:
        expected = ", ".join(names) or "(none)"
        errors.extend(
            FieldError(
                str(key),
                "read-only field, set by the server; leave it out"
                if key in read_only
                else f"unknown field; expected one of: {expected}",
            )
            for key in data
            if key not in names
        )
    return errors


def _type_error(name: str, tp: Any, value: Any) -> FieldError | None:
    # One field at a time: a Struct of that field alone decodes the value exactly as the
    # command would (constraints, nested structs), with the path relative to the field.
    probe = msgspec.defstruct("Probe", [(name, Union[tp, msgspec.UnsetType], msgspec.UNSET)])  # noqa: UP007
    try:
        msgspec.convert({name: value}, probe, strict=True)
    except msgspec.ValidationError as exc:
        return field_error_from_msgspec(exc)
    except TypeError:
        return None  # a type msgspec cannot check on its own; the decoder's message stands
    return None
