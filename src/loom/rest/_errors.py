"""Errors only the HTTP edge raises: a body too large or of the wrong media type, a broken body.

They join the one Loom error tree (``LoomError``). Imports ``loom.core`` only.
"""

from __future__ import annotations

from loom.core.errors import LoomError, ValidationError


class PayloadTooLargeError(LoomError):
    """A request body over ``rest.body_limit`` (413)."""

    code = "payload_too_large"
    status = 413


class UnsupportedMediaTypeError(LoomError):
    """A body route called with a ``Content-Type`` other than JSON (415)."""

    code = "unsupported_media_type"
    status = 415


class MalformedBodyError(ValidationError):
    """A body that is not JSON, not an object, or whose length header lies (400)."""

    code = "malformed_body"
    status = 400
