"""``MsgspecJSONResponse``: a JSON response encoded by msgspec, for routes users write."""

from __future__ import annotations

import msgspec
from starlette.responses import Response


class MsgspecJSONResponse(Response):
    """``JSONResponse`` with msgspec's encoder: Structs, dates and UUIDs encode directly.

    Example:
        >>> MsgspecJSONResponse({"id": 1}, status_code=201).body
        b'{"id":1}'
    """

    media_type = "application/json"

    def render(self, content: object) -> bytes:
        """``content`` as JSON bytes."""
        return msgspec.json.encode(content)
