"""``Patch[T]``, ``Internal[T]`` and ``Computed[T]``: command field kinds, and how a class
recognises them."""

from __future__ import annotations

import re
import sys
import typing
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar, Union

import msgspec

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class CommandField:
    """What kind of command field an annotation declares (metadata inside ``Annotated``).

    Attributes:
        calculated: Derived by the use case (``Computed[T]``), not sent by clients.
        internal: Set by the application (``Internal[T]``), not sent by clients.
        patch: A partial-update field (``Patch[T]``): not sent, null, or a value.
        default: The field's default (``msgspec.UNSET``: none given here).
    """

    calculated: bool = False
    internal: bool = False
    patch: bool = False
    default: Any = msgspec.UNSET


PATCH_MARKER = CommandField(patch=True)
INTERNAL_MARKER = CommandField(internal=True)
CALCULATED_MARKER = CommandField(calculated=True)

# A generic alias: type checkers read `Patch[str]` as `str | None`, what the field reads, so
# `label: Patch[str] = None` checks, while the marker lets Loom tell it from a plain union.
Patch = Annotated[Union[T, None], PATCH_MARKER]  # noqa: UP007 - TypeVar in a union alias
"""A field of a partial update: not sent, sent as ``null``, or a value.

Declare it with ``= None`` as the documents do. A field that was not sent reads ``None``, like
one sent as ``null``; ``cmd.fields_set`` tells them apart, and repositories write only the
fields in it (the command stores ``msgspec.UNSET`` for a field not sent, so ``to_builtins`` and
JSON leave it out too).
"""

Internal = Annotated[Union[T, None], INTERNAL_MARKER]  # noqa: UP007 - TypeVar in a union alias
"""A field the application sets (from the caller, a marker, a compute), not the client: it is
not required in the body and defaults to ``None``."""

Computed = Annotated[Union[T, None], CALCULATED_MARKER]  # noqa: UP007 - TypeVar in a union alias
"""A field a ``Compute`` derives: not required in the body, ``None`` until computed."""

# Fallback for string annotations that cannot be evaluated yet (a forward reference inside
# the brackets): the spelling `Patch[...]` (or Internal, Computed), possibly module-qualified.
_KIND_TEXT = re.compile(r"^\s*(?:[A-Za-z_][\w]*\.)*(Patch|Internal|Computed)\[")
_KIND_OF_TEXT = {"Patch": PATCH_MARKER, "Internal": INTERNAL_MARKER, "Computed": CALCULATED_MARKER}


def field_kind(annotation: Any) -> CommandField | None:
    """The :class:`CommandField` of an evaluated annotation, or ``None`` for a plain field."""
    if typing.get_origin(annotation) is Annotated:
        for meta in annotation.__metadata__:
            if isinstance(meta, CommandField):
                return meta
    return None


def is_patch(annotation: Any) -> bool:
    """Whether an evaluated annotation is ``Patch[...]``.

    Args:
        annotation: A type annotation (not a string).

    Returns:
        True for ``Patch[T]`` in any spelling that keeps the marker.
    """
    kind = field_kind(annotation)
    return kind is not None and kind.patch


def annotation_kind(
    annotation: Any, module: str | None, namespace: dict[str, Any]
) -> CommandField | None:
    """The :class:`CommandField` of a class-body annotation, possibly a string.

    Args:
        annotation: The raw annotation from the class body.
        module: The module the class is declared in (its globals resolve string annotations).
        namespace: The class namespace (for names declared in the class body).

    Returns:
        The field kind, or ``None`` for a plain field.
    """
    if not isinstance(annotation, str):
        return field_kind(annotation)
    module_globals = getattr(sys.modules.get(module or ""), "__dict__", {})
    try:
        # Annotations are code the class author wrote; evaluating them is what typing does.
        value = eval(annotation, dict(module_globals), dict(namespace))
    except Exception:
        match = _KIND_TEXT.match(annotation)
        return _KIND_OF_TEXT[match.group(1)] if match else None
    return field_kind(value)


def is_patch_annotation(annotation: Any, module: str | None, namespace: dict[str, Any]) -> bool:
    """Whether a class-body annotation, possibly a string, is ``Patch[...]``."""
    kind = annotation_kind(annotation, module, namespace)
    return kind is not None and kind.patch
