"""``Command``: the frozen, strictly decoded input of a use case."""

from __future__ import annotations

from typing import Any, ClassVar, dataclass_transform

import msgspec

from loom.core.command._patch import is_patch_annotation
from loom.core.errors import ConfigError


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(msgspec.field,))
class CommandMeta(msgspec.StructMeta):
    """Metaclass of every command.

    Commands are frozen, keyword-only and reject unknown fields unless the class says otherwise.
    A field annotated ``Patch[...]`` whose default is ``None`` (or that has no default) gets the
    default ``msgspec.UNSET`` instead, so "not sent" and "sent as null" stay apart.
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
        for attr, annotation in namespace.get("__annotations__", {}).items():
            if not is_patch_annotation(annotation, module, namespace):
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
        namespace["__loom_patch_fields__"] = inherited | frozenset(patch_fields)
        return super().__new__(mcls, name, bases, namespace, **kwargs)


# Repeated on the class: type checkers take the transform of the nearest base class (msgspec's
# Struct declares one), so the metaclass's keyword-only and frozen defaults would be missed.
@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(msgspec.field,))
class Command(msgspec.Struct, metaclass=CommandMeta):
    """Base of every command: the request data a use case receives through ``Input()``.

    Subclasses are frozen msgspec Structs. Decoding is strict: unknown fields and wrong types
    are rejected (see :func:`loom.core.command.decode_command`).

    Example:
        >>> from loom.core.command import Command, Patch
        >>> class UpdateAddress(Command, frozen=True):
        ...     label: Patch[str] = None
        ...     city: Patch[str] = None
        >>> cmd = UpdateAddress(label="Home")
        >>> cmd.to_patch()
        {'label': 'Home'}
        >>> cmd.__dict__
        {'label': 'Home'}
    """

    __loom_patch_fields__: ClassVar[frozenset[str]]

    @property
    def __dict__(self) -> dict[str, Any]:  # type: ignore[override]
        """The fields that hold a value, as a new dict (``Patch`` fields not sent are left out).

        It makes ``Record(user_id=user_id, **cmd.__dict__)`` and ``vars(cmd)`` work, although a
        Struct stores its fields in slots.
        """
        return self.to_patch()

    def sent_fields(self) -> frozenset[str]:
        """Names of the fields that hold a value.

        ``Patch`` fields are included only when the request sent them (a ``null`` counts as
        sent); every other field always holds a value.

        Returns:
            The field names.
        """
        return frozenset(
            name for name in self.__struct_fields__ if getattr(self, name) is not msgspec.UNSET
        )

    def to_patch(self) -> dict[str, Any]:
        """The fields that hold a value, by name; explicit nulls are kept as ``None``.

        Returns:
            A new dict, in field order, suitable for a repository ``update``.
        """
        values: dict[str, Any] = {}
        for name in self.__struct_fields__:
            value = getattr(self, name)
            if value is not msgspec.UNSET:
                values[name] = value
        return values

    @classmethod
    def patch_fields(cls) -> frozenset[str]:
        """Names of the fields declared ``Patch[...]`` (absent unless sent).

        Returns:
            The field names.
        """
        return cls.__loom_patch_fields__
