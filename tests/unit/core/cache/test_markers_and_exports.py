"""``cached`` / ``cache_query`` markers and the package's public names."""

from __future__ import annotations

import pytest

import loom.core.cache as cache_pkg
from loom.core.cache import cache_query, cached, is_cached
from loom.core.errors import ConfigError


def test_cached_marks_the_class_and_returns_it() -> None:
    class Repo:
        pass

    assert cached(Repo) is Repo
    assert is_cached(Repo)
    assert is_cached(Repo())
    assert not is_cached(object)


def test_cache_query_refuses_an_unknown_scope() -> None:
    with pytest.raises(ConfigError, match="'forever' is not one of list, entity"):
        cache_query(scope="forever")


def test_all_is_sorted_and_importable() -> None:
    assert cache_pkg.__all__ == sorted(cache_pkg.__all__)
    for name in cache_pkg.__all__:
        assert getattr(cache_pkg, name) is not None


def test_serializer_lives_at_the_documented_path() -> None:
    from loom.core.cache.serializer import MsgspecSerializer

    serializer = MsgspecSerializer()
    assert serializer.encoding is None
    assert serializer.loads(serializer.dumps({"b": b"\x00\xff"})) == {"b": b"\x00\xff"}
    assert serializer.loads(None) is None
