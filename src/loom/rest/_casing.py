"""camelCase JSON (``rest.casing: camel``): renamed variants of commands and results.

Nothing here runs on the default (snake_case) path. With camel casing, each Struct type a route
reads or writes gets a variant, built once per application when the routes are compiled: a
subclass that redeclares every field under ``rename="camel"`` (nested Structs replaced by their
own variants). msgspec then decodes camelCase bodies and encodes camelCase results itself;
keys of plain builtins are renamed only for results whose type is not declared. Use cases still
receive the command class they declare, with its snake_case attribute names. Imports msgspec,
the standard library and ``loom.core`` only.
"""

from __future__ import annotations

import copy
import re
import types
import typing
from collections.abc import Callable, Collection
from typing import Annotated, Any, Union

import msgspec

from loom.core.command import decode_command
from loom.core.errors import FieldError, LoomError, QueryError, ValidationError


def camel(name: str) -> str:
    """``name`` as msgspec's ``rename="camel"`` writes it (``price_cents`` -> ``priceCents``).

    Leading underscores stay; the first word keeps its case; later words start upper-case.
    """
    stripped = name.lstrip("_")
    parts = [part for part in stripped.split("_") if part]
    if not parts:
        return name
    lead = name[: len(name) - len(stripped)]
    return lead + parts[0] + "".join(part[:1].upper() + part[1:] for part in parts[1:])


class CamelCase:
    """The camelCase variants of one application's types, built once and kept here."""

    def __init__(self) -> None:
        self._variants: dict[Any, Any] = {}
        self._building: set[Any] = set()

    def name(self, name: str) -> str:
        """The camelCase spelling of a field or parameter name."""
        return camel(name)

    def variant(self, tp: Any) -> Any:
        """The type that reads and writes ``tp``'s values with camelCase field names.

        Struct classes (generic ones with their arguments) become renamed subclasses, and the
        arguments of containers, unions and ``Annotated`` are replaced the same way; a type
        without a Struct in it is returned as is.
        """
        try:
            return self._variants[tp]
        except KeyError:
            pass
        except TypeError:  # an unhashable annotation argument: keep it as declared
            return tp
        if tp in self._building:
            return tp  # a recursive Struct keeps its declared names below the first level
        self._building.add(tp)
        try:
            variant = self._variant(tp)
        finally:
            self._building.discard(tp)
        self._variants[tp] = variant
        return variant

    def _variant(self, tp: Any) -> Any:
        origin = typing.get_origin(tp)
        base = origin if origin is not None else tp
        if isinstance(base, type) and issubclass(base, msgspec.Struct):
            return self._struct(tp, base)
        args = typing.get_args(tp)
        if not args:
            return tp
        if origin is Annotated:
            inner = self.variant(args[0])
            return tp if inner is args[0] else Annotated[(inner, *tp.__metadata__)]
        if origin is typing.Literal:
            return tp
        new_args = tuple(self.variant(arg) for arg in args)
        if all(new is old for new, old in zip(new_args, args, strict=True)):
            return tp
        if origin is Union or origin is types.UnionType:
            return Union[new_args]  # noqa: UP007 - built at run time
        if isinstance(tp, types.GenericAlias):
            return types.GenericAlias(origin, new_args)
        copy_with = getattr(tp, "copy_with", None)
        return copy_with(new_args) if callable(copy_with) else tp

    def _struct(self, tp: Any, base: type[msgspec.Struct]) -> type[msgspec.Struct]:
        annotations: dict[str, Any] = {}
        namespace: dict[str, Any] = {}
        for field in msgspec.structs.fields(tp):
            annotations[field.name] = self.variant(field.type)
            explicit = field.encode_name if field.encode_name != field.name else None
            if field.default_factory is not msgspec.NODEFAULT:
                namespace[field.name] = msgspec.field(
                    default_factory=field.default_factory, name=explicit
                )
            elif field.default is not msgspec.NODEFAULT:
                namespace[field.name] = (
                    msgspec.field(default=field.default, name=explicit)
                    if explicit
                    else field.default
                )
            elif explicit:
                namespace[field.name] = msgspec.field(name=explicit)
        # The variant keeps the name the schema of ``tp`` has, so OpenAPI names stay the same.
        name = _schema_name(tp) or base.__name__
        namespace["__annotations__"] = annotations
        namespace["__module__"] = base.__module__
        namespace["__qualname__"] = name
        config = base.__struct_config__
        options = {
            "rename": "camel",
            "kw_only": True,
            "frozen": config.frozen,
            "forbid_unknown_fields": config.forbid_unknown_fields,
        }
        created = types.new_class(name, (base,), options, lambda ns: ns.update(namespace))
        return typing.cast(type[msgspec.Struct], created)

    def decoder(self, command_type: type[Any]) -> Callable[[bytes | None], Any]:
        """``decode(body) -> command``: a camelCase body read into ``command_type`` itself.

        The body is decoded by the variant (a 422 names the camelCase field), then converted to
        ``command_type`` so use cases, jobs and JSON columns see the declared class and names.
        """
        variant = self.variant(command_type)
        unset = msgspec.UNSET

        def decode(body: bytes | None) -> Any:
            decoded = decode_command(variant, body)
            # The stored values: a Patch field that was not sent stays UNSET (it reads None).
            values = {
                name: value
                for name, value in msgspec.structs.asdict(decoded).items()
                if value is not unset
            }
            return msgspec.convert(values, command_type, from_attributes=True)

        return decode

    def encoder(self, result_type: Any) -> Callable[[Any], bytes]:
        """``encode(result) -> bytes`` writing camelCase field names, for a declared type."""
        members = _union_args(result_type)
        targets: dict[type[Any], Any] = {}
        for member in members if members is not None else (result_type,):
            origin = typing.get_origin(member) or member
            if isinstance(origin, type) and origin is not type(None):
                targets.setdefault(origin, self.variant(member))
        encode = msgspec.json.encode

        def encode_result(result: Any) -> bytes:
            target = targets.get(type(result))
            if target is not None:
                try:
                    return encode(msgspec.convert(result, target, from_attributes=True))
                except msgspec.ValidationError:
                    pass  # not the declared shape (a profile's projection): rename the keys
            return encode(self._rename_keys(msgspec.to_builtins(result)))

        return encode_result

    def _rename_keys(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                camel(key) if isinstance(key, str) else key: self._rename_keys(item)
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [self._rename_keys(item) for item in value]
        return value

    def error(self, exc: LoomError, *, keep: Collection[str] = ()) -> LoomError:
        """``exc`` with its field names in camelCase.

        For errors a use case raised about its fields (rules, repositories): names in ``keep``
        (path parameters, written as the path declares them) and query errors, which already
        name what the client sent, stay as they are.
        """
        if not isinstance(exc, ValidationError) or isinstance(exc, QueryError) or not exc.errors:
            return exc
        errors = tuple(
            e if e.field in keep else FieldError(_camel_path(e.field), e.message)
            for e in exc.errors
        )
        if errors == exc.errors:
            return exc
        renamed = copy.copy(exc)
        renamed.errors = errors
        return renamed

    def message(self, text: str, field: str) -> str:
        """``text`` with the snake_case ``field`` written in camelCase."""
        public = camel(field)
        if public == field:
            return text
        return re.sub(rf"(?<![A-Za-z0-9]){re.escape(field)}(?![A-Za-z0-9])", public, text)


def _camel_path(field: str) -> str:
    return ".".join(camel(part) for part in field.split("."))


def _union_args(tp: Any) -> tuple[Any, ...] | None:
    origin = typing.get_origin(tp)
    if origin is Union or origin is types.UnionType:
        return typing.get_args(tp)
    return None


def _schema_name(tp: Any) -> str | None:
    try:
        ref = msgspec.json.schema(tp).get("$ref")
    except (TypeError, ValueError):
        return None
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None
