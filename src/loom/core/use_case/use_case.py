"""``UseCase[ModelT, ResultT]``: the base class of application use cases.

Kept at this public path because the documented API imports it from here. Imports only the
standard library and ``loom.core``.
"""

from __future__ import annotations

import typing
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from typing_extensions import TypeVar as TypeVarWithDefault

from loom.core.repository.abc import RepoFor
from loom.core.use_case._compute import Compute, ComputeFn
from loom.core.use_case._outcome import without_created
from loom.core.use_case._rules import Rule, RuleFn

ModelT = TypeVar("ModelT")
ResultT = TypeVar("ResultT")
# loom-kernel's optional third argument: the contract of main_repo (RepoFor[Model] by default).
# At run time the default cannot name ModelT: typing would not substitute it in a generic
# subclass (`class Base(UseCase[M, R], Generic[M, R])` would fail), so it is RepoFor[Any].
if TYPE_CHECKING:
    RepoT = TypeVarWithDefault("RepoT", default=RepoFor[ModelT])
else:
    RepoT = TypeVarWithDefault("RepoT", default=RepoFor[Any])


class UseCase(Generic[ModelT, ResultT, RepoT]):
    """Base of every use case: one ``async def execute(...)`` run in one transaction.

    The first type argument is the model whose repository becomes ``self.main_repo``; the second
    is what ``execute`` returns; an optional third (loom-kernel's) types ``main_repo`` as a
    custom repository contract, ``UseCase[Product, Product, ProductRepo]``. ``execute``'s
    parameters say what the request supplies: path and query parameters by name, the body
    through ``Input()``, entities through ``LoadById`` and existence checks through
    ``Exists``. :func:`loom.core.use_case.compile_use_case` reads
    them once, at boot.

    Attributes:
        model: The model of the first type argument (``None`` while it is a type variable).
        result_type: The second type argument.
        read_only: Run in a read-only transaction (auto GET routes are read-only).
        rules: Business rules checked before ``execute`` runs.
        computes: Command fields derived before the rules (``Compute.set(...)``).
        main_repo: The repository of ``model``; the kernel sets it.

    Example:
        >>> class CreateAddressUseCase(UseCase[Address, Address]):  # doctest: +SKIP
        ...     async def execute(
        ...         self,
        ...         user_id: int,
        ...         cmd: CreateUserAddress = Input(),
        ...         _user_exists: bool = Exists(
        ...             User, from_param="user_id", against="id", on_missing=OnMissing.RAISE
        ...         ),
        ...     ) -> Address:
        ...         payload = CreateAddressRecord(user_id=user_id, **cmd.__dict__)
        ...         return await self.main_repo.create(payload)
    """

    model: ClassVar[type[Any] | None] = None
    result_type: ClassVar[Any] = None
    read_only: ClassVar[bool] = False
    rules: ClassVar[Sequence[Rule | RuleFn]] = ()
    computes: ClassVar[Sequence[Compute | ComputeFn]] = ()
    main_repo: RepoT

    # Type variables of a generic intermediate base, so `Base[Product, X]` finds its model.
    __loom_type_params__: ClassVar[tuple[Any, Any]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for base in cls.__dict__.get("__orig_bases__", ()):
            origin = typing.get_origin(base)
            if not (isinstance(origin, type) and issubclass(origin, UseCase)):
                continue
            args = dict(
                zip(getattr(origin, "__parameters__", ()), typing.get_args(base), strict=False)
            )
            model_arg, result_arg = (args.get(p, p) for p in origin.__loom_type_params__)
            cls.__loom_type_params__ = (model_arg, result_arg)
            cls.model = model_arg if isinstance(model_arg, type) else None
            # `T | Created[T]`: the body is a T either way (Created only sets the status).
            cls.result_type = (
                None if isinstance(result_arg, TypeVar) else without_created(result_arg)
            )
            break

    async def execute(self, *args: Any, **kwargs: Any) -> ResultT:
        """Do the work. Override it with named parameters; see the class docstring."""
        raise NotImplementedError(f"{type(self).__name__} must define `async def execute(...)`")


# The class's own model and result type variables, read after Generic has set them.
UseCase.__loom_type_params__ = UseCase.__parameters__[:2]  # type: ignore[attr-defined]  # Generic sets it
