"""Seed 001: DigiCert CertCentral's balance history, read through Tallybook."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tallybook.api.app import create_app
from tallybook.auth.keys import list_keys, revoke_key
from tallybook.ledger import Ledger
from tallybook.settings import Settings
from tests.surfaces.conftest import assert_golden
from tests.surfaces.story import Story

HISTORY = "/services/v2/finance/balance-history"


def history(client: TestClient, key: str, **params: Any) -> Any:
    return client.get(HISTORY, params=params, headers={"X-DC-DEVKEY": key})


def error_of(answer: Any) -> tuple[int, str]:
    errors = answer.json()["errors"]
    assert len(errors) == 1 and set(errors[0]) == {"code", "message"}
    return answer.status_code, errors[0]["code"]


def test_a_single_division_needs_no_container_id(client: TestClient, story: Story) -> None:
    answer = history(client, story.division_key)
    assert answer.status_code == 200
    assert_golden("certcentral/division_history.json", answer.json())


def test_every_kind_of_movement_maps_to_an_adjustment(client: TestClient, story: Story) -> None:
    answer = history(client, story.agent_key, container_id=1)
    assert answer.status_code == 200
    assert_golden("certcentral/agent_history.json", answer.json())


def test_each_row_has_credit_or_debit_and_order_id_only_on_sales(
    client: TestClient, story: Story
) -> None:
    rows = history(client, story.agent_key, container_id=1).json()["adjustments"]
    for row in rows:
        assert ("credit" in row) != ("debit" in row)
        assert ("order_id" in row) == (row["transaction_type"] == "Sale from Account Balance")
        if "credit" in row:
            assert row["transaction_type"] == "Credit" and row["receipt_id"] == "0"
    assert [int(row["id"]) for row in rows] == sorted(
        (int(row["id"]) for row in rows), reverse=True
    )


def test_offset_and_limit_cut_the_list_and_total_counts_it_all(
    client: TestClient, story: Story
) -> None:
    everything = history(client, story.agent_key, container_id=1).json()
    window = history(client, story.agent_key, container_id=1, offset=2, limit=3).json()
    past_the_end = history(client, story.agent_key, container_id=1, offset=500).json()

    assert everything["page"] == {"total": 10, "limit": 1000, "offset": 0}
    assert window["page"] == {"total": 10, "limit": 3, "offset": 2}
    assert window["adjustments"] == everything["adjustments"][2:5]
    assert past_the_end == {"adjustments": [], "page": {"total": 10, "limit": 1000, "offset": 500}}


def test_a_limit_above_1000_is_cut_to_1000(client: TestClient, story: Story) -> None:
    page = history(client, story.division_key, limit=5000).json()["page"]
    assert page == {"total": 3, "limit": 1000, "offset": 0}


def test_containers_are_the_key_account_and_its_divisions(client: TestClient, story: Story) -> None:
    sub_agent = history(client, story.agent_key, container_id=2).json()["adjustments"]
    own = history(client, story.sub_agent_key).json()["adjustments"]

    assert sub_agent == own
    assert {row["container"]["id"] for row in own} == {2}
    assert own[0]["container"] == {"id": 2, "name": "222个", "is_active": True}


@pytest.mark.parametrize(
    ("key_name", "params", "status", "code"),
    [
        ("agent_key", {}, 400, "missing_param|container_id"),
        ("admin_key", {}, 400, "missing_param|container_id"),
        ("agent_key", {"container_id": 3}, 404, "not_found|container"),  # another division
        ("sub_agent_key", {"container_id": 1}, 404, "not_found|container"),  # the parent
        ("admin_key", {"container_id": 4}, 404, "not_found|container"),  # a system account
        ("admin_key", {"container_id": 999}, 404, "not_found|container"),
        ("agent_key", {"container_id": "abc"}, 400, "invalid_param|container_id"),
        ("agent_key", {"container_id": 0}, 400, "invalid_param|container_id"),
        ("division_key", {"offset": -1}, 400, "invalid_param|offset"),
        ("division_key", {"offset": "1.5"}, 400, "invalid_param|offset"),
        ("division_key", {"limit": 0}, 400, "invalid_param|limit"),
        ("division_key", {"limit": "ten"}, 400, "invalid_param|limit"),
        ("division_key", {"limit": "9" * 30}, 400, "invalid_param|limit"),
        ("division_key", {"currency": "C" * 11}, 400, "invalid_param|currency"),
    ],
)
def test_bad_parameters_and_containers_answer_certcentral_errors(
    client: TestClient,
    story: Story,
    key_name: str,
    params: dict[str, Any],
    status: int,
    code: str,
) -> None:
    assert error_of(history(client, getattr(story, key_name), **params)) == (status, code)


def test_a_tenant_wide_key_reads_any_division(client: TestClient, story: Story) -> None:
    rows = history(client, story.admin_key, container_id=3).json()["adjustments"]
    assert [row["container"]["name"] for row in rows] == ["Example Division"] * 3


def test_currency_narrows_an_account_that_holds_several(client: TestClient, story: Story) -> None:
    usd = history(client, story.agent_key, container_id=1, currency="USD").json()
    cny = history(client, story.agent_key, container_id=1, currency="CNY").json()
    assert usd["page"]["total"] == 10 and {row["currency"] for row in usd["adjustments"]} == {"USD"}
    assert cny == {"adjustments": [], "page": {"total": 0, "limit": 1000, "offset": 0}}


def test_missing_unknown_and_revoked_keys_get_the_same_401(
    client: TestClient, ledger: Ledger, story: Story
) -> None:
    key_id = next(key.id for key in list_keys(ledger, story.tenant.id) if key.name == "division")
    revoke_key(ledger, story.tenant.id, key_id)
    answers = [
        client.get(HISTORY),
        history(client, "tb_not-a-key"),
        history(client, story.division_key),
    ]
    assert {a.status_code for a in answers} == {401}
    assert all(
        a.json()
        == {
            "errors": [
                {
                    "code": "invalid_api_key",
                    "message": "The API key is missing, unknown or revoked.",
                }
            ]
        }
        for a in answers
    )


def test_unknown_paths_and_methods_answer_in_the_envelope(client: TestClient, story: Story) -> None:
    headers = {"X-DC-DEVKEY": story.division_key}
    assert error_of(client.get("/services/v2/finance/nothing", headers=headers)) == (
        404,
        "not_found",
    )
    assert error_of(client.post(HISTORY, headers=headers)) == (405, "method_not_allowed")


def test_the_surface_can_be_switched_off(ledger: Ledger, story: Story) -> None:
    settings = Settings(certcentral_surface_enabled=False)
    with TestClient(create_app(settings, ledger=ledger)) as client:
        answer = history(client, story.division_key)
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
