"""Finding the post-commit channel a cached repository's writes are announced on.

A :class:`~loom.core.cache.CachedRepository` subscribes its resolver to the channel of the
repository it wraps, so values are invalidated after every commit however the cache was
wired: by the kernel, or by hand as the package docstring shows. The channel is the
repository's session manager (every transaction it commits, whichever repository wrote), or
the repository itself when it delivers its own events (the in-memory repository).

Imports the standard library and ``loom.core`` only.
"""

from __future__ import annotations

import logging
from typing import Any

from loom.core.events import SupportsPostCommit

logger = logging.getLogger("loom.cache")

_MANAGER_ATTRS = ("session_manager", "_session_manager", "_sm")
"""Where repositories keep their session manager (the names ``@transactional`` looks at)."""


def post_commit_channel(repository: Any) -> Any | None:
    """The object whose ``add_post_commit_hook`` announces ``repository``'s committed writes.

    Args:
        repository: The wrapped repository.

    Returns:
        Its session manager, the repository itself when it has ``add_post_commit_hook``, or
        ``None`` when neither exists.
    """
    for attr in _MANAGER_ATTRS:
        manager = getattr(repository, attr, None)
        if manager is not None and callable(getattr(manager, "add_post_commit_hook", None)):
            return manager
    if callable(getattr(repository, "add_post_commit_hook", None)):
        return repository
    return None


def subscribe(repository: Any, hook: SupportsPostCommit, name: str) -> Any | None:
    """Register ``hook`` on ``repository``'s post-commit channel.

    Channels keep one registration per hook object, so the kernel registering the same
    resolver (or a second cached repository sharing it) never bumps a counter twice.

    Args:
        repository: The wrapped repository.
        hook: What reacts to committed events (the resolver).
        name: The cached entity, for the warning when there is no channel.

    Returns:
        The channel, or ``None`` (logged) when the repository offers none.
    """
    channel = post_commit_channel(repository)
    if channel is None:
        logger.warning(
            "CachedRepository(%s): %s has no session_manager nor add_post_commit_hook, so "
            "its writes cannot invalidate the cache by themselves; deliver each committed "
            "transaction's events to resolver.on_transaction_committed(events)",
            name,
            type(repository).__name__,
        )
        return None
    channel.add_post_commit_hook(hook)
    return channel
