"""``list_paginated`` in terms of ``list_with_query``, shared by repository implementations."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from loom.core.query import (
    CursorResult,
    FilterParams,
    PageParams,
    PageResult,
    QuerySpec,
    paginated_query,
)

OutputT = TypeVar("OutputT")


class PaginatedListing(Generic[OutputT]):
    """Gives a repository ``list_paginated`` from its ``list_with_query``."""

    async def list_with_query(
        self, query: QuerySpec, profile: str = "default"
    ) -> PageResult[OutputT] | CursorResult[OutputT]:
        """One page of rows matching the query (the repository implements it)."""
        raise NotImplementedError

    async def list_paginated(
        self,
        page_params: PageParams,
        filter_params: FilterParams | None = None,
        profile: str = "default",
    ) -> PageResult[OutputT]:
        """One offset page of rows matching equality filters, in primary-key order."""
        result: Any = await self.list_with_query(
            paginated_query(page_params, filter_params), profile
        )
        assert isinstance(result, PageResult)
        return result
