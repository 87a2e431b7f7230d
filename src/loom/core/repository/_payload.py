"""Turning create/update inputs (Structs or mappings) into validated column values."""

from __future__ import annotations

import typing
import weakref
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import msgspec

from loom.core.errors import FieldError, ValidationError
from loom.core.model import ModelInfo, current_actor

UNSET = msgspec.UNSET
# Per model class; models are few and live as long as the process.
_JSON_FIELDS: weakref.WeakKeyDictionary[type[Any], tuple[str, ...]] = weakref.WeakKeyDictionary()


def _sent_fields(data: msgspec.Struct) -> dict[str, Any]:
    to_patch = getattr(data, "to_patch", None)
    if callable(to_patch):
        return dict(to_patch())
    return {
        name: value
        for name in data.__struct_fields__
        if (value := getattr(data, name)) is not UNSET
    }


def _as_dict(info: ModelInfo, data: Any) -> dict[str, Any]:
    if isinstance(data, msgspec.Struct):
        return _sent_fields(data)
    if isinstance(data, Mapping):
        return {k: v for k, v in data.items() if v is not UNSET}
    raise ValidationError(
        f"{info.name}: expected a Struct or a mapping of field names, got {type(data).__name__}"
    )


def _reject_unknown(info: ModelInfo, values: Mapping[str, Any]) -> None:
    unknown = [name for name in values if name not in info.columns]
    if unknown:
        known = ", ".join(info.columns)
        raise ValidationError(
            f"{info.name} has no field {', '.join(repr(u) for u in unknown)}; fields: {known}",
            errors=[
                FieldError(name, f"unknown field; {info.name} fields: {known}") for name in unknown
            ],
        )


def _conversion_error(info: ModelInfo, exc: msgspec.ValidationError) -> ValidationError:
    message = str(exc)
    field = "?"
    if "at `$." in message:
        field = message.rsplit("at `$.", 1)[1].rstrip("`").split("[")[0].split(".")[0]
    elif "missing required field `" in message:
        field = message.split("missing required field `", 1)[1].split("`")[0]
    return ValidationError(f"{info.name}: {message}", errors=[FieldError(field, message)])


def _json_fields(info: ModelInfo) -> tuple[str, ...]:
    """Fields stored as JSON whose values may hold Structs (encoded to builtins first)."""
    cached = _JSON_FIELDS.get(info.model)
    if cached is None:
        cached = tuple(
            name for name, column in info.columns.items() if _holds_structs(column.base_type)
        )
        _JSON_FIELDS[info.model] = cached
    return cached


def _holds_structs(tp: Any) -> bool:
    args = typing.get_args(tp)
    if args:
        return any(_holds_structs(arg) for arg in args)
    return isinstance(tp, type) and issubclass(tp, msgspec.Struct)


def _encode_json(info: ModelInfo, values: dict[str, Any]) -> None:
    for name in _json_fields(info):
        value = values.get(name)
        if value is not None:
            values[name] = msgspec.to_builtins(value)


def _stamp(info: ModelInfo, values: dict[str, Any], *, created: bool) -> None:
    if info.has_timestamps:
        now = datetime.now(UTC)
        if created:
            values["created_at"] = now
        values["updated_at"] = now
    if info.has_audit:
        actor = current_actor.get()
        if created:
            values["created_by"] = actor
        values["updated_by"] = actor


def create_values(info: ModelInfo, data: Any) -> dict[str, Any]:
    """Column values for an INSERT, validated against the model.

    A model instance is trusted as typed; other Structs and mappings are converted with
    msgspec (missing required fields and wrong types raise :class:`ValidationError`).
    """
    model = info.model
    if isinstance(data, model):
        values = {
            name: value for name in info.columns if (value := getattr(data, name)) is not UNSET
        }
    else:
        raw = _as_dict(info, data)
        _reject_unknown(info, raw)
        try:
            obj = msgspec.convert(raw, model, strict=False)
        except msgspec.ValidationError as exc:
            raise _conversion_error(info, exc) from None
        values = {
            name: value for name in info.columns if (value := getattr(obj, name)) is not UNSET
        }
    _encode_json(info, values)
    _stamp(info, values, created=True)
    return values


def update_values(info: ModelInfo, data: Any) -> dict[str, Any]:
    """Column values for an UPDATE: only the fields present in ``data``, each converted."""
    raw = _as_dict(info, data)
    _reject_unknown(info, raw)
    values: dict[str, Any] = {}
    errors: list[FieldError] = []
    for name, value in raw.items():
        column = info.columns[name]
        if column.spec.primary_key:
            errors.append(FieldError(name, "the primary key cannot be changed"))
            continue
        if value is None:
            if not column.nullable:
                errors.append(FieldError(name, "may not be null"))
            values[name] = None
            continue
        try:
            values[name] = msgspec.convert(value, column.type, strict=False)
        except msgspec.ValidationError as exc:
            errors.append(FieldError(name, str(exc)))
    if errors:
        raise ValidationError(f"{info.name}: invalid update", errors=errors)
    if values:
        _encode_json(info, values)
        _stamp(info, values, created=False)
    return values
