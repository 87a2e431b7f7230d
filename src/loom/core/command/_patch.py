"""``Patch[T]``: the field type of partial updates, and how a class recognises it."""

from __future__ import annotations

import re
import sys
import typing
from typing import Annotated, Any, TypeVar, Union

T = TypeVar("T")


class _PatchMarker:
    """Annotation metadata that tags ``Patch[...]`` (msgspec ignores foreign metadata)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "PATCH"


PATCH_MARKER = _PatchMarker()

# A generic alias: type checkers read `Patch[str]` as `str | None`, what the field reads, so
# `label: Patch[str] = None` checks, while the marker lets Loom tell it from a plain union.
Patch = Annotated[Union[T, None], PATCH_MARKER]  # noqa: UP007 - TypeVar in a union alias
"""A field of a partial update: not sent, sent as ``null``, or a value.

Declare it with ``= None`` as the documents do. A field that was not sent reads ``None``, like
one sent as ``null``; ``cmd.fields_set`` tells them apart, and repositories write only the
fields in it (the command stores ``msgspec.UNSET`` for a field not sent, so ``to_builtins`` and
JSON leave it out too).
"""

# Fallback for string annotations that cannot be evaluated yet (a forward reference inside
# the brackets): the spelling `Patch[...]`, possibly qualified by a module.
_PATCH_TEXT = re.compile(r"^\s*(?:[A-Za-z_][\w]*\.)*Patch\[")


def is_patch(annotation: Any) -> bool:
    """Whether an evaluated annotation is ``Patch[...]``.

    Args:
        annotation: A type annotation (not a string).

    Returns:
        True for ``Patch[T]`` in any spelling that keeps the marker.
    """
    if typing.get_origin(annotation) is Annotated:
        return any(meta is PATCH_MARKER for meta in annotation.__metadata__)
    return False


def is_patch_annotation(annotation: Any, module: str | None, namespace: dict[str, Any]) -> bool:
    """Whether a class-body annotation, possibly a string, is ``Patch[...]``.

    Args:
        annotation: The raw annotation from the class body.
        module: The module the class is declared in (its globals resolve string annotations).
        namespace: The class namespace (for names declared in the class body).

    Returns:
        True when the annotation is ``Patch[...]``.
    """
    if not isinstance(annotation, str):
        return is_patch(annotation)
    module_globals = getattr(sys.modules.get(module or ""), "__dict__", {})
    try:
        # Annotations are code the class author wrote; evaluating them is what typing does.
        value = eval(annotation, dict(module_globals), dict(namespace))
    except Exception:
        return bool(_PATCH_TEXT.match(annotation))
    return is_patch(value)
