"""Commands: frozen Structs whose Patch fields tell "not sent" from "sent as null"."""

from __future__ import annotations

import typing
from typing import Any, assert_type

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st
from msgspec import UNSET

from loom.core.command import Command, CommandMeta, Patch, decode_command, is_patch
from loom.core.command import Patch as PatchAlias
from loom.core.errors import ConfigError


class CreateUserAddress(Command, frozen=True):
    label: str
    street: str
    city: str


class UpdateAddress(Command, frozen=True):
    label: Patch[str] = None
    street: Patch[str] = None
    city: Patch[str] = None


class Record(msgspec.Struct, kw_only=True):
    user_id: int
    label: str
    street: str
    city: str


def test_a_patch_field_not_sent_reads_none_and_fields_set_tells_it_from_a_null() -> None:
    cmd = decode_command(UpdateAddress, b'{"street": null, "city": "Oslo"}')

    assert cmd.label is None
    assert cmd.street is None
    assert cmd.city == "Oslo"
    assert cmd.fields_set == {"street", "city"}
    assert cmd.sent_fields() == {"street", "city"}
    assert cmd.to_patch() == {"street": None, "city": "Oslo"}


def test_code_written_for_loom_kernel_reads_an_unsent_field_as_none() -> None:
    cmd = decode_command(UpdateAddress, b'{"city": "Oslo"}')

    labels = [cmd.label] if cmd.label is not None else []

    assert labels == []


def test_a_patch_field_reads_none_when_constructed_without_it() -> None:
    cmd = UpdateAddress(city="Oslo")

    assert cmd.label is None
    assert cmd.fields_set == {"city"}
    assert cmd.to_patch() == {"city": "Oslo"}
    assert UpdateAddress.patch_fields() == {"label", "street", "city"}


def test_a_patch_field_still_stores_unset_so_equality_tells_absent_from_null() -> None:
    assert UpdateAddress(city="Oslo") != UpdateAddress(city="Oslo", label=None)
    assert msgspec.structs.asdict(UpdateAddress())["label"] is UNSET
    assert repr(UpdateAddress(city="Oslo")) == (
        "UpdateAddress(label=UNSET, street=UNSET, city='Oslo')"
    )


def test_replace_sends_a_field() -> None:
    cmd = msgspec.structs.replace(UpdateAddress(city="Oslo"), label=None)

    assert cmd.fields_set == {"label", "city"}
    assert cmd.label is None


def test_dict_spreads_the_fields_into_another_struct() -> None:
    cmd = CreateUserAddress(label="Home", street="Main 1", city="Oslo")

    record = Record(user_id=7, **cmd.__dict__)

    assert record == Record(user_id=7, label="Home", street="Main 1", city="Oslo")
    assert vars(cmd) == {"label": "Home", "street": "Main 1", "city": "Oslo"}


def test_dict_leaves_out_patch_fields_that_were_not_sent() -> None:
    cmd = UpdateAddress(label=None, city="Oslo")

    assert cmd.__dict__ == {"label": None, "city": "Oslo"}


def test_dict_is_a_copy_that_does_not_change_the_command() -> None:
    cmd = UpdateAddress(city="Oslo")

    cmd.__dict__["city"] = "Bergen"

    assert cmd.city == "Oslo"


def test_to_builtins_and_json_leave_out_fields_that_were_not_sent() -> None:
    cmd = UpdateAddress(street=None, city="Oslo")

    assert msgspec.to_builtins(cmd) == {"street": None, "city": "Oslo"}
    assert msgspec.json.encode(cmd) == b'{"street":null,"city":"Oslo"}'


def test_commands_are_frozen_and_hashable() -> None:
    cmd = UpdateAddress(city="Oslo")

    with pytest.raises(AttributeError):
        cmd.city = "Bergen"  # type: ignore[misc]  # the point: frozen rejects it
    assert hash(cmd) == hash(UpdateAddress(city="Oslo"))


def test_commands_are_frozen_without_saying_so() -> None:
    class Rename(Command):
        name: str

    with pytest.raises(AttributeError):
        Rename(name="a").name = "b"  # type: ignore[misc]  # frozen by default


def test_commands_are_keyword_only_so_patch_and_required_fields_mix() -> None:
    class Mixed(Command, frozen=True):
        note: Patch[str] = None
        quantity: int

    assert Mixed(quantity=2).to_patch() == {"quantity": 2}


def test_patch_types_read_as_value_or_none() -> None:
    cmd = UpdateAddress(city="Oslo")

    assert_type(cmd.city, str | None)
    assert_type(cmd.fields_set, frozenset[str])
    assert_type(cmd.to_patch(), dict[str, Any])


def test_a_patch_field_with_another_default_is_refused() -> None:
    with pytest.raises(ConfigError) as caught:

        class Bad(Command, frozen=True):
            label: Patch[str] = "home"

    assert "Patch field 'label'" in str(caught.value)
    assert "= None" in str(caught.value)


def test_patch_is_recognised_through_an_alias() -> None:
    class Aliased(Command, frozen=True):
        label: PatchAlias[str] = None

    assert Aliased().label is None
    assert Aliased().fields_set == frozenset()


def test_patch_is_recognised_around_a_forward_reference() -> None:
    class Later(msgspec.Struct):
        x: int

    class WithLocal(Command, frozen=True):
        later: Patch[Later] = None

    assert WithLocal().later is None
    assert WithLocal().fields_set == frozenset()


def test_patch_is_recognised_in_evaluated_annotations() -> None:
    evaluated = typing.get_type_hints(UpdateAddress, include_extras=True)
    namespace: dict[str, Any] = {
        "__module__": __name__,
        "__annotations__": {"label": evaluated["label"], "plain": int | None},
        "label": None,
        "plain": None,
    }

    Evaluated: Any = CommandMeta("Evaluated", (Command,), namespace)

    assert Evaluated().label is None
    assert Evaluated().fields_set == {"plain"}
    assert Evaluated().plain is None
    assert is_patch(evaluated["city"])
    assert not is_patch(int | None)


def test_a_plain_optional_field_keeps_its_none_default() -> None:
    class Note(Command, frozen=True):
        text: str | None = None

    assert Note().text is None
    assert Note().fields_set == {"text"}


_values = st.one_of(st.none(), st.text(max_size=5))


@given(st.dictionaries(st.sampled_from(["label", "street", "city"]), _values))
def test_to_patch_is_exactly_what_was_sent(sent: dict[str, str | None]) -> None:
    cmd = decode_command(UpdateAddress, msgspec.json.encode(sent))

    assert cmd.to_patch() == sent
    assert cmd.sent_fields() == set(sent)
    assert decode_command(UpdateAddress, msgspec.json.encode(cmd)) == cmd
