"""The package exports exactly its public names, sorted."""

from __future__ import annotations

import loom.core.config
import loom.core.di


def test_public_names_are_sorted_and_exist() -> None:
    for package in (loom.core.config, loom.core.di):
        assert package.__all__ == sorted(package.__all__)
        assert all(hasattr(package, name) for name in package.__all__)
