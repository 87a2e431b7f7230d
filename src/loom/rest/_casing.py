"""camelCase JSON (``rest.casing: camel``): renamed variants of commands and results.

Nothing here runs on the default (snake_case) path. With camel casing, each Struct type a route
reads or writes gets a variant, built once per application when the routes are compiled: a
subclass that redeclares every field under ``rename="camel"`` (nested Structs replaced by their
own variants). msgspec then decodes camelCase bodies and encodes camelCase results itself;
keys of plain builtins are renamed only for results whose type is not declared. Use cases still
receive the command class they declare, with its snake_case attribute names. Bodies may also
spell a field in snake_case (clients send either): :meth:`CamelCase.input_keys` rewrites those
keys before decoding, and only when the body holds an underscore at all. Imports msgspec, the
standard library and ``loom.core`` only.
"""

from __future__ import annotations

import copy
import re
import types
import typing
from collections.abc import Callable, Collection, Mapping
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
    """The camelCase variants of one application's types, built once and kept here.

    Args:
        renamed: Which Struct classes write their fields in camelCase; ``None`` renames every
            Struct. Loom's loom-kernel compatibility renames models, commands and pages only,
            as loom-kernel 9 does, and keeps the declared names of other Structs (whose nested
            models are still renamed).
    """

    def __init__(self, renamed: Callable[[type[Any]], bool] | None = None) -> None:
        self._renamed = renamed
        self._variants: dict[Any, Any] = {}
        self._building: set[Any] = set()
        self._key_maps: dict[Any, _KeyMap | None] = {}

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

    def renames(self, cls: type[Any]) -> bool:
        """Whether the Struct class ``cls`` writes its fields in camelCase."""
        return self._renamed is None or self._renamed(cls)

    def _struct(self, tp: Any, base: type[msgspec.Struct]) -> Any:
        annotations: dict[str, Any] = {}
        namespace: dict[str, Any] = {}
        renamed = self.renames(base)
        fields = msgspec.structs.fields(tp)
        for field in fields:
            annotations[field.name] = self.variant(field.type)
        if not renamed and all(annotations[f.name] is f.type for f in fields):
            return tp  # declared names kept and nothing renamed below: the type itself
        for field in fields:
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
            "rename": "camel" if renamed else None,
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

    def input_keys(self, command_type: type[Any]) -> Callable[[bytes], bytes] | None:
        """``rewrite(body) -> body`` spelling snake_case keys of a JSON body in camelCase.

        Keys are read by the declared type, nested Structs included, so only field names are
        rewritten (never the keys of a ``dict`` field). A body sending one field under both
        spellings is refused, naming it.

        Returns:
            The rewriter, or ``None`` when no field of ``command_type`` has two spellings.

        Raises:
            ValidationError: From the rewriter, for a field sent under both spellings.
        """
        keys = self._key_map(command_type)
        if keys is None:
            return None
        name = command_type.__name__
        decode, encode = msgspec.json.decode, msgspec.json.encode

        def rewrite(body: bytes) -> bytes:
            if b"_" not in body:
                return body  # camelCase names hold no underscore: nothing to rewrite
            try:
                data = decode(body)
            except msgspec.DecodeError:
                return body  # the command decoder reports the syntax error
            renamed = keys.apply(data, "", name)
            return body if renamed is data else encode(renamed)

        return rewrite

    def aliases(self, command_type: type[Any]) -> dict[str, str]:
        """The snake_case spellings ``input_keys`` accepts at the top level, to their names."""
        keys = self._key_map(command_type)
        return dict(keys.aliases) if keys is not None else {}

    def _key_map(self, tp: Any) -> _KeyMap | None:
        try:
            return self._key_maps[tp]
        except KeyError:
            pass
        except TypeError:
            return None
        self._key_maps[tp] = None  # a recursive Struct reads its own level only
        found = self._build_key_map(tp)
        self._key_maps[tp] = found
        return found

    def _build_key_map(self, tp: Any) -> _KeyMap | None:
        origin = typing.get_origin(tp)
        base = origin if origin is not None else tp
        if isinstance(base, type) and issubclass(base, msgspec.Struct):
            variant = self.variant(tp)
            if not (isinstance(typing.get_origin(variant) or variant, type)):
                return None
            renamed = {f.name: f.encode_name for f in msgspec.structs.fields(variant)}
            aliases = {
                name: public
                for name, public in renamed.items()
                if public != name and name not in renamed.values()
            }
            children = {
                renamed[f.name]: child
                for f in msgspec.structs.fields(tp)
                if (child := self._key_map(f.type)) is not None
            }
            if not aliases and not children:
                return None
            return _KeyMap(aliases=aliases, children=children)
        if origin is Annotated:
            return self._key_map(typing.get_args(tp)[0])
        args = typing.get_args(tp)
        if _is_sequence(origin) and args:
            inner = self._key_map(args[0])
            return None if inner is None else _KeyMap(each=inner)
        if _is_union(tp):
            maps = [m for arg in args if (m := self._key_map(arg)) is not None]
            return maps[0] if len(maps) == 1 else None
        return None

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


class _KeyMap:
    """How to rewrite the snake_case keys of one JSON value of a known type."""

    __slots__ = ("aliases", "children", "each")

    def __init__(
        self,
        *,
        aliases: dict[str, str] | None = None,
        children: dict[str, _KeyMap] | None = None,
        each: _KeyMap | None = None,
    ) -> None:
        self.aliases = aliases or {}
        self.children = children or {}
        self.each = each

    def apply(self, value: Any, path: str, where: str) -> Any:
        """``value`` with its keys rewritten; the same object when nothing changed."""
        if self.each is not None:
            if not isinstance(value, list):
                return value
            items = [self.each.apply(item, f"{path}[{i}]", where) for i, item in enumerate(value)]
            changed = any(new is not old for new, old in zip(items, value, strict=True))
            return items if changed else value
        if not isinstance(value, dict):
            return value
        out: dict[Any, Any] = {}
        changed = False
        for key, item in value.items():
            public = self.aliases.get(key, key) if isinstance(key, str) else key
            if public != key:
                changed = True
                if public in value:
                    field = f"{path}.{public}" if path else public
                    raise ValidationError(
                        f"invalid {where}",
                        errors=[FieldError(field, f"sent twice, as {public} and {key}; send one")],
                    )
            child = self.children.get(public)
            if child is not None:
                new = child.apply(item, f"{path}.{public}" if path else public, where)
                changed = changed or new is not item
                item = new
            out[public] = item
        return out if changed else value


def _is_sequence(origin: Any) -> bool:
    # JSON arrays: list, tuple (X, ...), set and the abstract sequences; never a mapping.
    return (
        isinstance(origin, type)
        and issubclass(origin, Collection)
        and not issubclass(origin, (Mapping, str, bytes))
    )


def _is_union(tp: Any) -> bool:
    origin = typing.get_origin(tp)
    return origin is Union or origin is types.UnionType


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
