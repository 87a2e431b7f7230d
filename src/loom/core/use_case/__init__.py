"""Use cases: ``UseCase``, the ``execute`` markers, business rules, and the compiled plan.

A use case declares what a request supplies through ``execute``'s parameters; at boot
:func:`compile_use_case` turns that into a :class:`UseCasePlan`, which on each request converts
parameters, decodes the command, evaluates the rules, runs ``Exists``/``LoadById`` through the
repositories, and calls ``execute``. The transaction around it is the caller's.

Imports only msgspec, the standard library and ``loom.core`` (never an adapter library).

Example:
    >>> from loom.core.use_case import Exists, Input, OnMissing
    >>> from loom.core.use_case.use_case import UseCase
    >>> class CreateAddressUseCase(UseCase[Address, Address]):  # doctest: +SKIP
    ...     async def execute(
    ...         self,
    ...         user_id: int,
    ...         cmd: CreateUserAddress = Input(),
    ...         _user_exists: bool = Exists(
    ...             User, from_param="user_id", against="id", on_missing=OnMissing.RAISE
    ...         ),
    ...     ) -> Address:
    ...         return await self.main_repo.create(
    ...             CreateAddressRecord(user_id=user_id, **cmd.__dict__)
    ...         )
"""

from loom.core.use_case._compile import compile_use_case
from loom.core.use_case._compute import CompiledCompute, Compute, ComputeFn, ComputeTarget
from loom.core.use_case._field_ref import F, FieldExpr, FieldRef, PredicateOp, field_ref
from loom.core.use_case._markers import (
    Exists,
    ExistsMarker,
    Input,
    InputMarker,
    Load,
    LoadById,
    LoadByIdMarker,
    LoadMarker,
    LookupKind,
    OnMissing,
    Query,
    QueryMarker,
    SourceKind,
)
from loom.core.use_case._outcome import Created
from loom.core.use_case._plan import (
    ExistsStep,
    LoadStep,
    ParamSpec,
    Payload,
    RepositoryLookup,
    UseCasePlan,
)
from loom.core.use_case._rule_plan import CompiledRule
from loom.core.use_case._rules import Rule, RuleFn
from loom.core.use_case.use_case import UseCase

__all__ = [
    "CompiledCompute",
    "CompiledRule",
    "Compute",
    "ComputeFn",
    "ComputeTarget",
    "Created",
    "Exists",
    "ExistsMarker",
    "ExistsStep",
    "F",
    "FieldExpr",
    "FieldRef",
    "Input",
    "InputMarker",
    "Load",
    "LoadById",
    "LoadByIdMarker",
    "LoadMarker",
    "LoadStep",
    "LookupKind",
    "OnMissing",
    "ParamSpec",
    "Payload",
    "PredicateOp",
    "Query",
    "QueryMarker",
    "RepositoryLookup",
    "Rule",
    "RuleFn",
    "SourceKind",
    "UseCase",
    "UseCasePlan",
    "compile_use_case",
    "field_ref",
]
