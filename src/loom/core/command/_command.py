"""``Command``: the frozen, strictly decoded input of a use case."""

from __future__ import annotations

import types
from typing import Any, ClassVar, dataclass_transform

import msgspec

from loom.core.command._patch import CommandField, annotation_kind
from loom.core.errors import ConfigError


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(msgspec.field,))
class CommandMeta(msgspec.StructMeta):
    """Metaclass of every command.

    Commands are frozen, keyword-only and reject unknown fields unless the class says otherwise.
    A field annotated ``Patch[...]`` whose default is ``None`` (or that has no default) stores
    ``msgspec.UNSET`` until it is sent, so "not sent" and "sent as null" stay apart, and reads
    ``None`` while it is not sent.
    """

    def __new__(
        mcls,
        name: str,
        bases: tuple[type, ...],
        namespace: dict[str, Any],
        **kwargs: Any,
    ) -> CommandMeta:
        kwargs.setdefault("frozen", True)
        kwargs.setdefault("kw_only", True)
        kwargs.setdefault("forbid_unknown_fields", True)
        namespace = dict(namespace)
        module = namespace.get("__module__")
        patch_fields: list[str] = []
        kinds: dict[str, CommandField] = {}
        for attr, annotation in namespace.get("__annotations__", {}).items():
            kind = annotation_kind(annotation, module, namespace)
            if kind is None:
                continue
            kinds[attr] = kind
            if not kind.patch:
                # Internal and Computed fields are not sent by clients: None until set.
                namespace.setdefault(attr, None)
                continue
            default = namespace.get(attr)
            if default is not None and default is not msgspec.UNSET:
                raise ConfigError(
                    f"command {name}: Patch field {attr!r} has the default {default!r}; "
                    f"a Patch field is UNSET until sent, declare it as `{attr}: Patch[...] = None`"
                )
            namespace[attr] = msgspec.UNSET
            patch_fields.append(attr)
        inherited: frozenset[str] = frozenset().union(
            *(getattr(base, "__loom_patch_fields__", frozenset()) for base in bases)
        )
        redeclared = frozenset(namespace.get("__annotations__", {}))
        namespace["__loom_patch_fields__"] = (inherited - redeclared) | frozenset(patch_fields)
        inherited_kinds: dict[str, CommandField] = {}
        for base in reversed(bases):
            inherited_kinds.update(getattr(base, "__loom_command_fields__", {}))
        namespace["__loom_command_fields__"] = {
            **{k: v for k, v in inherited_kinds.items() if k not in redeclared},
            **kinds,
        }
        cls = super().__new__(mcls, name, bases, namespace, **kwargs)
        for attr in patch_fields:
            slot = cls.__dict__.get(attr)
            if isinstance(slot, types.MemberDescriptorType):
                type.__setattr__(cls, attr, _PatchRead(slot))
        return cls


class _PatchRead:
    """Reads a ``Patch`` field: ``None`` while it was not sent (its slot holds ``UNSET``).

    msgspec encodes, compares and copies through the slot itself, so the stored ``UNSET``
    still keeps an unsent field out of JSON and ``to_builtins``.
    """

    __slots__ = ("slot",)

    def __init__(self, slot: types.MemberDescriptorType) -> None:
        self.slot = slot

    def __get__(self, obj: Any, owner: type[Any] | None = None) -> Any:
        if obj is None:
            return self
        value = self.slot.__get__(obj, owner)
        return None if value is msgspec.UNSET else value

    def __set__(self, obj: Any, value: Any) -> None:
        self.slot.__set__(obj, value)

    def __delete__(self, obj: Any) -> None:
        self.slot.__delete__(obj)

    def raw(self, obj: Any) -> Any:
        """The stored value: ``msgspec.UNSET`` when the field was not sent."""
        return self.slot.__get__(obj, type(obj))


def stored(obj: Any, name: str) -> Any:
    """The value a Struct stores for ``name``: ``msgspec.UNSET`` for a Patch field not sent."""
    reader = getattr(type(obj), name, None)
    if isinstance(reader, _PatchRead):
        return reader.raw(obj)
    return getattr(obj, name)


# Repeated on the class: type checkers take the transform of the nearest base class (msgspec's
# Struct declares one), so the metaclass's keyword-only and frozen defaults would be missed.
@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(msgspec.field,))
class Command(msgspec.Struct, metaclass=CommandMeta):
    """Base of every command: the request data a use case receives through ``Input()``.

    Subclasses are frozen msgspec Structs. Decoding is strict: unknown fields and wrong types
    are rejected (see :func:`loom.core.command.decode_command`).

    A ``Patch`` field that was not sent reads ``None``; :attr:`fields_set` says which fields
    were sent.

    Example:
        >>> from loom.core.command import Command, Patch
        >>> class UpdateAddress(Command, frozen=True):
        ...     label: Patch[str] = None
        ...     city: Patch[str] = None
        >>> cmd = UpdateAddress(label="Home")
        >>> cmd.city is None, sorted(cmd.fields_set)
        (True, ['label'])
        >>> cmd.to_patch()
        {'label': 'Home'}
        >>> cmd.__dict__
        {'label': 'Home'}
    """

    __loom_patch_fields__: ClassVar[frozenset[str]]
    __loom_command_fields__: ClassVar[dict[str, CommandField]]

    @property
    def __dict__(self) -> dict[str, Any]:  # type: ignore[override]
        """The fields that hold a value, as a new dict (``Patch`` fields not sent are left out).

        It makes ``Record(user_id=user_id, **cmd.__dict__)`` and ``vars(cmd)`` work, although a
        Struct stores its fields in slots.
        """
        return self.to_patch()

    @property
    def fields_set(self) -> frozenset[str]:
        """Names of the fields that hold a value (loom-kernel's name).

        ``Patch`` fields are included only when the request sent them (a ``null`` counts as
        sent); every other field always holds a value.
        """
        return frozenset(self.to_patch())

    def sent_fields(self) -> frozenset[str]:
        """The same as :attr:`fields_set`.

        Returns:
            The field names.
        """
        return self.fields_set

    def to_patch(self) -> dict[str, Any]:
        """The fields that hold a value, by name; explicit nulls are kept as ``None``.

        Returns:
            A new dict, in field order, suitable for a repository ``update``.
        """
        unset = msgspec.UNSET
        # asdict reads the slots, where a Patch field not sent is still UNSET.
        return {k: v for k, v in msgspec.structs.asdict(self).items() if v is not unset}

    @classmethod
    def patch_fields(cls) -> frozenset[str]:
        """Names of the fields declared ``Patch[...]`` (absent unless sent).

        Returns:
            The field names.
        """
        return cls.__loom_patch_fields__
