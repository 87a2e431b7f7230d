"""loom-kernel's command field kinds: Internal and Computed beside Patch, and their lookups."""

from __future__ import annotations

from typing import Annotated

from loom.core.command import (
    Command,
    CommandField,
    Computed,
    Internal,
    Patch,
    decode_command,
    get_calculated_fields,
    get_command_fields,
    get_input_fields,
    get_internal_fields,
    get_patch_fields,
    is_patch_command,
)


class PlaceOrder(Command, frozen=True):
    sku: str
    quantity: int
    note: Patch[str] = None
    owner_id: Internal[int]
    total: Computed[int]


class Rename(Command, frozen=True):
    name: str


def test_internal_and_computed_fields_are_not_required_and_read_none() -> None:
    cmd = decode_command(PlaceOrder, b'{"sku": "A", "quantity": 2}')

    assert (cmd.owner_id, cmd.total, cmd.note) == (None, None, None)
    assert cmd.fields_set == {"sku", "quantity", "owner_id", "total"}


def test_field_kinds_are_listed_by_name() -> None:
    assert get_command_fields(PlaceOrder) == {
        "note": CommandField(patch=True),
        "owner_id": CommandField(internal=True),
        "total": CommandField(calculated=True),
    }
    assert list(get_patch_fields(PlaceOrder)) == ["note"]
    assert list(get_internal_fields(PlaceOrder)) == ["owner_id"]
    assert list(get_calculated_fields(PlaceOrder)) == ["total"]
    assert list(get_input_fields(PlaceOrder)) == ["note"]
    assert is_patch_command(PlaceOrder)
    assert not is_patch_command(Rename)


def test_a_hand_written_command_field_marker_is_recognised() -> None:
    class Edit(Command, frozen=True):
        title: Annotated[str | None, CommandField(patch=True)] = None

    assert Edit().title is None
    assert Edit().fields_set == frozenset()
    assert Edit.patch_fields() == {"title"}
