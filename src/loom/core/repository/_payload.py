"""Turning create/update inputs (Structs or mappings) into validated column values."""

from __future__ import annotations

import typing
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import msgspec

from loom.core.errors import FieldError, ValidationError
from loom.core.errors._errors import NUL_MESSAGE
from loom.core.model import ModelInfo, current_actor
from loom.core.query._fieldtypes import scalar_type

UNSET = msgspec.UNSET


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


class _WritePlan:
    """What writes of one model need, computed once per model."""

    __slots__ = (
        "audit",
        "columns",
        "defaults",
        "factories",
        "json_fields",
        "required",
        "texts",
        "timestamps",
        "trusted",
    )

    def __init__(self, info: ModelInfo) -> None:
        self.columns = tuple(info.columns)
        self.json_fields = tuple(
            name for name, column in info.columns.items() if holds_structs(column.base_type)
        )
        self.timestamps = info.has_timestamps
        self.audit = info.has_audit
        # Text columns and their declared length (None: unbounded). Checked on every write,
        # so SQLite (which stores any length) refuses what PostgreSQL's VARCHAR(n) refuses.
        self.texts = tuple(
            (name, column.spec.length)
            for name, column in info.columns.items()
            if scalar_type(column) is str
        )
        self.defaults: dict[str, Any] = {}
        self.factories: dict[str, Any] = {}
        self.required: list[str] = []
        for field in msgspec.structs.fields(info.model):
            if field.name not in info.columns:
                continue
            if field.default_factory is not msgspec.NODEFAULT:
                self.factories[field.name] = field.default_factory
            elif field.default is msgspec.NODEFAULT:
                self.required.append(field.name)
            elif field.default is not UNSET:
                self.defaults[field.name] = field.default
        # Struct input types whose fields are model columns of the same types: their values
        # were validated when the Struct was built, so they skip the conversion.
        self.trusted: dict[type[Any], _Trusted | None] = {}

    def trusted_for(self, info: ModelInfo, kind: type[Any]) -> _Trusted | None:
        known = self.trusted.get(kind, _UNKNOWN)
        if known is _UNKNOWN:
            known = _Trusted(self, kind) if _same_types(info, kind) else None
            self.trusted[kind] = known
        return known  # type: ignore[no-any-return]


_UNKNOWN: Any = object()


class _Trusted:
    """How to turn one trusted Struct type into column values, worked out once."""

    __slots__ = ("defaults", "factories", "may_be_unset", "missing")

    def __init__(self, plan: _WritePlan, kind: type[Any]) -> None:
        fields = msgspec.structs.fields(kind)
        names = {f.name for f in fields}
        self.may_be_unset = any(f.default is UNSET for f in fields)
        self.defaults = {k: v for k, v in plan.defaults.items() if k not in names}
        self.factories = {k: v for k, v in plan.factories.items() if k not in names}
        self.missing = [name for name in plan.required if name not in names]


def _plan(info: ModelInfo) -> _WritePlan:
    # Kept on the model class: a cache of what the class itself declares (no registry).
    plan: _WritePlan | None = info.model.__dict__.get("__loom_write_plan__")
    if plan is None:
        plan = _WritePlan(info)
        type.__setattr__(info.model, "__loom_write_plan__", plan)
    return plan


def _same_types(info: ModelInfo, kind: type[Any]) -> bool:
    if getattr(kind, "to_patch", None) is not None:
        return False  # commands with Patch fields go through the general path
    try:
        fields = msgspec.structs.fields(kind)
    except TypeError:
        return False
    return all(f.name in info.columns and f.type == info.columns[f.name].type for f in fields)


def holds_structs(tp: Any) -> bool:
    """Whether values of type ``tp`` may contain msgspec Structs (stored as JSON)."""
    args = typing.get_args(tp)
    if args:
        return any(holds_structs(arg) for arg in args)
    return isinstance(tp, type) and issubclass(tp, msgspec.Struct)


def _encode_json(plan: _WritePlan, values: dict[str, Any]) -> None:
    for name in plan.json_fields:
        value = values.get(name)
        if value is not None:
            values[name] = msgspec.to_builtins(value)


def _check_texts(info: ModelInfo, plan: _WritePlan, values: dict[str, Any]) -> None:
    errors: list[FieldError] = []
    for name, length in plan.texts:
        value = values.get(name)
        if type(value) is not str:
            continue
        if length is not None and len(value) > length:
            errors.append(FieldError(name, f"at most {length} characters; got {len(value)}"))
        if "\x00" in value:
            errors.append(FieldError(name, NUL_MESSAGE))
    if errors:
        shown = ", ".join(dict.fromkeys(e.field for e in errors))
        raise ValidationError(
            f"{info.name}: a value does not fit its column ({shown})",
            code="invalid_value",
            errors=errors,
        )


def _stamp(
    plan: _WritePlan, values: dict[str, Any], *, created: bool, now: datetime | None = None
) -> None:
    if plan.timestamps:
        now = now or datetime.now(UTC)
        if created:
            values["created_at"] = now
        values["updated_at"] = now
    if plan.audit:
        actor = current_actor.get()
        if created:
            values["created_by"] = actor
        values["updated_by"] = actor


def _from_trusted(
    info: ModelInfo, plan: _WritePlan, trusted: _Trusted, data: msgspec.Struct
) -> dict[str, Any]:
    values = msgspec.structs.asdict(data)
    if trusted.may_be_unset:
        values = {name: value for name, value in values.items() if value is not UNSET}
    if trusted.defaults:
        values.update(trusted.defaults)
    for name, factory in trusted.factories.items():
        values[name] = factory()
    missing = trusted.missing
    if not missing and trusted.may_be_unset:
        missing = [name for name in plan.required if name not in values]
    if missing:
        raise ValidationError(
            f"{info.name}: missing required field(s) {', '.join(missing)}",
            errors=[FieldError(name, "required field is missing") for name in missing],
        )
    return values


def create_values(info: ModelInfo, data: Any, now: datetime | None = None) -> dict[str, Any]:
    """Column values for an INSERT, validated against the model.

    A model instance is trusted as typed, and so is a Struct whose fields are model columns of
    the same types; other Structs and mappings are converted with msgspec (missing required
    fields and wrong types raise :class:`ValidationError`).
    """
    plan = _plan(info)
    kind = type(data)
    trusted = plan.trusted.get(kind, _UNKNOWN)
    if trusted is _UNKNOWN:
        trusted = plan.trusted_for(info, kind) if isinstance(data, msgspec.Struct) else None
    if kind is info.model or isinstance(data, info.model):
        values = {
            name: value for name in plan.columns if (value := getattr(data, name)) is not UNSET
        }
    elif trusted is not None:
        values = _from_trusted(info, plan, trusted, data)
    else:
        raw = _as_dict(info, data)
        _reject_unknown(info, raw)
        try:
            obj = msgspec.convert(raw, info.model, strict=False)
        except msgspec.ValidationError as exc:
            raise _conversion_error(info, exc) from None
        values = {
            name: value for name in plan.columns if (value := getattr(obj, name)) is not UNSET
        }
    if plan.texts:
        _check_texts(info, plan, values)
    if plan.json_fields:
        _encode_json(plan, values)
    _stamp(plan, values, created=True, now=now)
    return values


def update_values(info: ModelInfo, data: Any) -> dict[str, Any]:
    """Column values for an UPDATE: only the fields present in ``data``, each converted."""
    plan = _plan(info)
    raw = _as_dict(info, data)
    _reject_unknown(info, raw)
    trusted = isinstance(data, msgspec.Struct) and plan.trusted_for(info, type(data)) is not None
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
        if trusted:
            values[name] = value
            continue
        try:
            values[name] = msgspec.convert(value, column.type, strict=False)
        except msgspec.ValidationError as exc:
            errors.append(FieldError(name, str(exc)))
    if errors:
        raise ValidationError(f"{info.name}: invalid update", errors=errors)
    if values:
        if plan.texts:
            _check_texts(info, plan, values)
        if plan.json_fields:
            _encode_json(plan, values)
        _stamp(plan, values, created=False)
    return values
