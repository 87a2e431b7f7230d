"""Patch semantics, generated: an unsent field reads None and is left alone; a null is written.

For any subset of the ``Patch`` fields sent (values, nulls, non-ASCII and mixed-case text),
``update`` through the repository changes exactly the sent fields, on memory, SQLite and
PostgreSQL, and the command reads ``None`` for every field it did not send.
"""

from __future__ import annotations

import itertools
from typing import Any

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from loom.core.command import Command, Patch, decode_command
from tests.integration.repository.conftest import RepoFactory, new_user
from tests.integration.repository.models import User


class EditUser(Command, frozen=True):
    full_name: Patch[str] = None
    nickname: Patch[str] = None
    score: Patch[int] = None


_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)
_sent = st.fixed_dictionaries(
    {},
    optional={
        "full_name": _text.filter(bool),
        "nickname": st.none() | _text,
        "score": st.none() | st.integers(min_value=-(2**31), max_value=2**31 - 1),
    },
)


_serial = itertools.count()


@given(sent=_sent)
async def test_update_writes_exactly_the_sent_fields(
    repo_factory: RepoFactory, sent: dict[str, Any]
) -> None:
    users = repo_factory(User)
    before = await users.create(new_user(next(_serial), nickname="Nick", score=7))
    cmd = decode_command(EditUser, msgspec.json.encode(sent))

    for name in EditUser.__struct_fields__:
        if name not in sent:
            assert getattr(cmd, name) is None  # what loom-kernel code reads
    assert cmd.fields_set == set(sent)

    after = await users.update(before.id, cmd)

    assert after is not None
    stored = await users.get_by_id(before.id)
    assert stored is not None
    for name in EditUser.__struct_fields__:
        expected = sent[name] if name in sent else getattr(before, name)
        assert getattr(after, name) == expected
        assert getattr(stored, name) == expected
