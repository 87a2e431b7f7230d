"""How cached values are stored: a fingerprint-tagged envelope around msgpack bytes.

``MAGIC + fingerprint + payload``. The magic starts with 0xC1, a byte MessagePack never uses,
so values written by anything else are never taken for an envelope. A reader compares the
stored fingerprint with the one of the counters it just read before decoding the payload.

Imports msgspec and the standard library only.
"""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec

MAGIC = b"\xc1L1"

_encoder = msgspec.msgpack.Encoder()
_query_encoder = msgspec.msgpack.Encoder(order="deterministic")

MISS: Any = object()
"""Returned by :func:`open_envelope` when the bytes are not a valid, current envelope."""


def seal(fingerprint: bytes, payload: bytes) -> bytes:
    """Wrap msgpack ``payload`` for storage under ``fingerprint`` (ASCII hex bytes)."""
    return MAGIC + fingerprint + payload


def encode_payload(value: Any) -> bytes:
    """msgpack bytes of a result (Struct, page, list, ``None``)."""
    return _encoder.encode(value)


def open_envelope(raw: Any, fingerprint: bytes, decoder: msgspec.msgpack.Decoder[Any]) -> Any:
    """The value in ``raw`` if it is an envelope for ``fingerprint``, else :data:`MISS`.

    Args:
        raw: Stored bytes (anything else is a miss).
        fingerprint: The fingerprint of the counters read with it (ASCII hex bytes).
        decoder: Typed decoder of the payload.
    """
    header = MAGIC + fingerprint
    if not isinstance(raw, bytes) or not raw.startswith(header):
        return MISS
    try:
        return decoder.decode(memoryview(raw)[len(header) :])
    except (msgspec.DecodeError, msgspec.ValidationError):
        return MISS


def query_fingerprint(*parts: Any) -> str:
    """A stable hash of query arguments (Structs, mappings, scalars), for keys.

    Raises:
        TypeError: When an argument cannot be encoded (the call is then not cached).
    """
    try:
        data = _query_encoder.encode(parts)
    except (TypeError, msgspec.EncodeError) as exc:
        raise TypeError(f"cannot fingerprint query arguments: {exc}") from exc
    return hashlib.blake2b(data, digest_size=16).hexdigest()
