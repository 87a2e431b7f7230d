"""Commands: the frozen, strictly decoded input of use cases, with ``Patch`` for partial updates.

A command is a msgspec Struct. Decoding rejects unknown fields and wrong types with a
:class:`loom.core.errors.ValidationError` that names the field. ``Patch[T]`` fields tell "not
sent" (``msgspec.UNSET``) from "sent as null" (``None``).

This package imports only msgspec, the standard library and ``loom.core.errors``.

Example:
    >>> from loom.core.command import Command, Patch, decode_command
    >>> class UpdateAddress(Command, frozen=True):
    ...     label: Patch[str] = None
    ...     city: Patch[str] = None
    >>> decode_command(UpdateAddress, b'{"city": null}').to_patch()
    {'city': None}
"""

from loom.core.command._command import Command, CommandMeta
from loom.core.command._decode import ROOT_FIELD, decode_command, field_error_from_msgspec
from loom.core.command._introspection import (
    CommandAdapter,
    get_calculated_fields,
    get_command_fields,
    get_input_fields,
    get_internal_fields,
    get_patch_fields,
    is_patch_command,
)
from loom.core.command._patch import CommandField, Computed, Internal, Patch, is_patch

__all__ = [
    "Command",
    "CommandAdapter",
    "CommandField",
    "CommandMeta",
    "Computed",
    "Internal",
    "Patch",
    "ROOT_FIELD",
    "decode_command",
    "field_error_from_msgspec",
    "get_calculated_fields",
    "get_command_fields",
    "get_input_fields",
    "get_internal_fields",
    "get_patch_fields",
    "is_patch",
    "is_patch_command",
]
