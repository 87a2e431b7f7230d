"""The msgpack serializer aiocache data backends are configured with.

Lives at a public path (``loom.core.cache.serializer.MsgspecSerializer``) because cache YAML
names it as a string. Imports msgspec and the standard library only; never aiocache, so it can
be loaded by any backend without pulling a client in.
"""

from __future__ import annotations

from typing import Any

import msgspec

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder()


class MsgspecSerializer:
    """aiocache serializer backed by msgspec's MessagePack codec.

    ``encoding`` is ``None``: aiocache's Redis backend decodes stored bytes as UTF-8 unless the
    serializer declares no encoding, and MessagePack is binary.

    Args:
        encoding: Accepted for aiocache's factory, which may pass it; always treated as ``None``.
        **_options: Other options aiocache may forward; ignored.
    """

    encoding: str | None = None

    def __init__(self, encoding: str | None = None, **_options: Any) -> None:
        # A text encoding would make the Redis backend decode msgpack as UTF-8 and fail.
        self.encoding = None

    def dumps(self, value: Any) -> bytes:
        """Serialize a Python object to MessagePack bytes for cache storage.

        Args:
            value: Object to serialize (builtins, msgspec Structs, dataclasses, ...).

        Returns:
            MessagePack-encoded bytes.
        """
        return _encoder.encode(value)

    def loads(self, value: bytes | None) -> Any:
        """Deserialize MessagePack bytes back into a Python object.

        Args:
            value: Raw bytes from the cache, or ``None`` on a miss.

        Returns:
            The decoded object, or ``None`` when ``value`` is ``None``.

        Raises:
            msgspec.DecodeError: When the bytes are not MessagePack (the gateway turns this
                into a miss).
        """
        if value is None:
            return None
        return _decoder.decode(value)
