"""The OpenAPI document describes every field, parameter and error, so the interactive docs
explain themselves and a generated client handles every answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tallybook.api.app import create_app
from tallybook.api.problems import PROBLEM_MEDIA_TYPE
from tallybook.ledger import Ledger
from tallybook.storage.database import Database

HTTP_METHODS = {"get", "put", "post", "delete", "patch"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    # The document does not depend on the data: the ledger never starts.
    return create_app(ledger=Ledger(Database("sqlite://"))).openapi()


def operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, path_item in document["paths"].items():
        for method, operation in path_item.items():
            if method in HTTP_METHODS:
                yield f"{method.upper()} {path}", operation


def has_example(schema: dict[str, Any]) -> bool:
    """An example on the property itself; or a reference to an object (whose own properties
    carry the examples), a list of such, or a union whose every non-null branch has one."""
    if {"examples", "example", "const", "$ref"} & set(schema):
        return True
    if schema.get("type") == "array":
        return has_example(schema.get("items", {}))
    branches = [b for b in schema.get("anyOf", []) if b.get("type") != "null"]
    return bool(branches) and all(has_example(branch) for branch in branches)


def test_every_property_has_a_description_and_an_example(document: dict[str, Any]) -> None:
    undocumented = [
        f"{name}.{field}"
        for name, schema in document["components"]["schemas"].items()
        for field, prop in schema.get("properties", {}).items()
        if "description" not in prop or not has_example(prop)
    ]

    assert undocumented == []


def test_every_parameter_has_a_description_and_an_example(document: dict[str, Any]) -> None:
    undocumented = [
        f"{label} {parameter['name']}"
        for label, operation in operations(document)
        for parameter in operation.get("parameters", [])
        if "description" not in parameter
        or not (has_example(parameter) or has_example(parameter["schema"]))
    ]

    assert undocumented == []


def test_every_operation_documents_its_errors_as_problem_documents(
    document: dict[str, Any],
) -> None:
    for label, operation in operations(document):
        responses = operation["responses"]
        expected = set()
        if " /v1/" in label:
            expected |= {"401", "422"}
        if "requestBody" in operation:
            expected |= {"400", "413"}
        assert expected <= set(responses), label
        assert operation.get("summary"), label
        for status, response in responses.items():
            if int(status) >= 400:
                assert set(response["content"]) == {PROBLEM_MEDIA_TYPE}, (label, status)
                schema = response["content"][PROBLEM_MEDIA_TYPE]["schema"]
                assert schema == {"$ref": "#/components/schemas/Problem"}, (label, status)


CALLBACK = "POST /v1/callbacks/{tenant_id}/{channel}"


def test_every_v1_operation_takes_either_key_header(document: dict[str, Any]) -> None:
    """Except the channel callback: an HMAC signature authenticates it, no key, so it says
    explicitly that no security scheme applies (a generated client sends no key)."""
    schemes = document["components"]["securitySchemes"]

    assert schemes["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "`Authorization: Bearer tb_...`",
    }
    assert schemes["api_key"]["in"] == "header" and schemes["api_key"]["name"] == "X-API-Key"
    by_label = dict(operations(document))
    assert by_label.pop(CALLBACK)["security"] == []
    for label, operation in by_label.items():
        if " /v1/" in label:
            assert operation["security"] == [{"bearer": []}, {"api_key": []}], label
