"""Auto-CRUD: generated commands, use cases and routes; interface and route declarations."""

from __future__ import annotations

import msgspec
import pytest

from loom.core.command import decode_command
from loom.core.errors import ConfigError, ValidationError
from loom.core.query import PaginationMode
from loom.core.use_case import compile_use_case
from loom.rest import RestInterface, RestRoute, build_auto_routes
from loom.rest._compile import compile_routes
from loom.rest.autocrud import auto_crud
from tests.unit.rest.models import Item


def test_all_five_routes_in_order() -> None:
    routes = build_auto_routes(Item, ())
    assert [(r.method, r.path, r.status_code) for r in routes] == [
        ("POST", "/", 201),
        ("GET", "/", None),
        ("GET", "/{id}", None),
        ("PATCH", "/{id}", None),
        ("DELETE", "/{id}", 204),
    ]
    assert [r.method for r in build_auto_routes(Item, ("get", "list"))] == ["GET", "GET"]


def test_an_unknown_operation_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown operation\\(s\\) 'show'; use some of create"):
        build_auto_routes(Item, ("show",))


def test_the_generated_classes_are_built_once_per_model() -> None:
    assert auto_crud(Item) is auto_crud(Item)
    assert build_auto_routes(Item)[0].use_case is auto_crud(Item).create


def test_the_create_command_holds_the_writable_fields_only() -> None:
    command = auto_crud(Item).create_command
    assert command.__struct_fields__ == ("name", "price", "note", "secret", "seen_at")
    cmd = decode_command(command, b'{"name": "a", "price": 1}')
    assert cmd.to_patch() == {"name": "a", "price": 1, "note": None, "secret": "s", "seen_at": None}
    for field in ("id", "created_at"):
        with pytest.raises(ValidationError) as info:
            decode_command(command, msgspec.json.encode({"name": "a", "price": 1, field: 1}))
        assert info.value.errors[0].field == field


def test_the_update_command_is_the_same_fields_as_patch() -> None:
    command = auto_crud(Item).update_command
    assert command.patch_fields() == frozenset({"name", "price", "note", "secret", "seen_at"})
    assert decode_command(command, b'{"note": null}').to_patch() == {"note": None}


def test_the_generated_use_cases_compile_with_named_parameters() -> None:
    crud = auto_crud(Item)
    get = compile_use_case(crud.get)
    assert [(p.name, p.annotation) for p in get.params] == [("id", int), ("profile", str)]
    assert get.read_only
    assert compile_use_case(crud.list).query_param == "query"
    assert compile_use_case(crud.list).read_only
    assert compile_use_case(crud.create).command_type is crud.create_command
    assert not compile_use_case(crud.update).read_only
    assert crud.delete.model is Item


def test_a_route_with_a_bad_method_or_path_is_a_config_error() -> None:
    crud = auto_crud(Item)
    with pytest.raises(ConfigError, match="method 'FETCH' is not supported"):
        RestRoute(use_case=crud.get, method="FETCH")
    with pytest.raises(ConfigError, match="must start with '/'; write '/items'"):
        RestRoute(use_case=crud.get, path="items")
    assert RestRoute(use_case=crud.get, method="get").method == "GET"


def test_the_interface_takes_its_model_from_the_type_argument() -> None:
    class Items(RestInterface[Item]):
        prefix = "/items"
        routes = build_auto_routes(Item)

    assert Items.model is Item
    assert Items.pagination_mode is PaginationMode.OFFSET
    assert Items.__dict__.get("__abstract__") is None
    assert RestInterface.__dict__["__abstract__"] is True


def _compile(interface: type[RestInterface[Item]]) -> list[str]:
    return [r.path for r in compile_routes([interface], compile_use_case)]


def test_paths_join_without_trailing_slashes() -> None:
    class Items(RestInterface[Item]):
        prefix = "/items/"
        routes = build_auto_routes(Item, ("list", "get"))

    assert _compile(Items) == ["/items", "/items/{id}"]


def test_routes_that_cannot_work_are_config_errors() -> None:
    crud = auto_crud(Item)

    class NoKey(RestInterface[Item]):
        prefix = "/items"
        routes = (RestRoute(use_case=crud.get, path="/by-name/{name}"),)

    with pytest.raises(ConfigError, match=r"parameter 'id' .* is not in the path"):
        _compile(NoKey)

    class Twice(RestInterface[Item]):
        prefix = "/items"
        routes = (*build_auto_routes(Item, ("get",)), RestRoute(use_case=crud.get, path="/{id}"))

    with pytest.raises(ConfigError, match="same method and path"):
        _compile(Twice)

    class BadFilter(RestInterface[Item]):
        prefix = "/items"
        filterable = ("prise",)
        routes = build_auto_routes(Item, ("list",))

    with pytest.raises(ConfigError, match=r"filterable names 'prise'.*columns: id, name"):
        _compile(BadFilter)


def test_allowlists_come_from_the_route_then_the_interface() -> None:
    crud = auto_crud(Item)

    class Items(RestInterface[Item]):
        prefix = "/items"
        filterable = ("price", "name")
        sortable = ("price",)
        pagination_mode = PaginationMode.CURSOR
        routes = (
            RestRoute(use_case=crud.list, path="/"),
            RestRoute(use_case=crud.list, path="/by-name", filterable=("name",)),
        )

    first, second = compile_routes([Items], compile_use_case)
    assert first.query.listing is not None
    assert first.query.listing.filterable == ("name", "price")  # model order
    assert first.query.listing.sortable == ("price",)
    assert first.query.listing.pagination is PaginationMode.CURSOR
    assert second.query.listing is not None
    assert second.query.listing.filterable == ("name",)
    assert first.operation_id != second.operation_id
