"""Generation counters as stored: key names, starting values, the epoch token and digests.

Counters never repeat a value, so an old entry can never become valid again: a counter that is
missing (a fresh, restarted or evicting server, or one that expired) restarts at a random point
of a 60-bit range, and the global epoch token -- read with the counters in the same MGET -- is
replaced whenever a bump could not be delivered.

Imports the standard library and ``loom.core`` only.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from typing import Any

from loom.core.cache._gateway import CacheGateway

EPOCH_KEY = "loom:epoch"
"""Key of the global epoch token, stored beside the counters (it never expires)."""
TAG_PREFIX = "loom:gen:"
"""Prefix of generation-counter keys (``loom:gen:products:list``)."""

_DIGESTS_KEPT = 4096
"""Digests remembered per resolver: counters change rarely, so most reads repeat one."""


def initial_counter() -> int:
    """Where a missing counter starts: a generation it cannot have had before."""
    return secrets.randbits(60) + 1


def new_epoch() -> str:
    """A fresh epoch token."""
    return secrets.token_hex(8)


def canonical(value: Any) -> bytes | None:
    """Counter or epoch as bytes, identical whether read raw (Redis) or as a Python value."""
    if value is None:
        return None
    if isinstance(value, bytes):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int | str):
        return str(value).encode()
    return None


class Digests:
    """Digests of the counters read with a value, remembered (they are a pure function)."""

    __slots__ = ("_known",)

    def __init__(self) -> None:
        self._known: dict[bytes, bytes] = {}

    def of(self, raw: Sequence[Any]) -> bytes | None:
        """The digest (ASCII hex bytes) of the epoch and counters in ``raw``, or ``None`` when
        one is missing or is not a counter."""
        parts: list[bytes] = []
        for value in raw:
            # Redis answers bytes, the memory backend ints and a str epoch: no conversion call.
            cls = value.__class__
            if cls is bytes:
                part = value
            elif cls is int:
                part = b"%d" % value
            elif cls is str:
                part = value.encode()
            else:
                part = canonical(value)
            if part is None or (parts and not part.isdigit()):
                return None
            parts.append(part)
        joined = b"\x00".join(parts)
        # A pure function of the counters: remembering it is correct in every process.
        digest = self._known.get(joined)
        if digest is None:
            if len(self._known) >= _DIGESTS_KEPT:
                self._known.clear()
            # Hex as bytes: what envelopes store and compare, with no encode per hit.
            digest = hashlib.blake2b(joined, digest_size=12).hexdigest().encode()
            self._known[joined] = digest
        return digest


class Route:
    """How one data gateway is read together with the counters, worked out once per pair.

    Full keys are built by concatenating fixed prefixes when both gateways use aiocache's own
    key builder; in-process backends are read without a coroutine.
    """

    __slots__ = ("counters_now", "data_now", "epoch_key", "joint", "tag_prefix", "value_prefix")

    def __init__(self, counters: CacheGateway, data: CacheGateway) -> None:
        self.epoch_key = counters._full_key(EPOCH_KEY)
        self.tag_prefix = None if counters._prefix is None else counters._prefix + TAG_PREFIX
        self.value_prefix = data._prefix
        self.joint = data is counters or data._colocated(counters)
        """One round trip to the data backend reaches counters and value together."""
        self.counters_now = counters._local is not None
        self.data_now = data._local is not None
