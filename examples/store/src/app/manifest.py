"""Every component of the store, listed explicitly (manifest discovery mode)."""

from __future__ import annotations

from app.product.interface import ProductRestInterface
from app.product.jobs import BuildProductSummaryJob, SendRestockEmailJob
from app.product.model import Product
from app.product.repository import ProductRepository
from app.product.use_cases import (
    BuildProductSummaryUseCase,
    DispatchRestockEmailUseCase,
    ListLowStockProductsUseCase,
    RestockWorkflowUseCase,
)
from app.user.interface import AddressRestInterface, UserRestInterface
from app.user.model import Address, User
from app.user.use_cases import (
    CreateAddressUseCase,
    DeleteAddressUseCase,
    GetAddressUseCase,
    ListAddressesUseCase,
    UpdateAddressUseCase,
)

# Importing the repository module registers it for Product (repository_for).
REPOSITORIES = [ProductRepository]
MODELS = [User, Address, Product]
USE_CASES = [
    CreateAddressUseCase,
    ListAddressesUseCase,
    GetAddressUseCase,
    UpdateAddressUseCase,
    DeleteAddressUseCase,
    ListLowStockProductsUseCase,
    BuildProductSummaryUseCase,
    DispatchRestockEmailUseCase,
    RestockWorkflowUseCase,
]
JOBS = [SendRestockEmailJob, BuildProductSummaryJob]
INTERFACES = [ProductRestInterface, UserRestInterface, AddressRestInterface]
