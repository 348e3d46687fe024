"""Seed 000: the DRF-style balance API — its conventions and the wallet."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tallybook.api.app import create_app
from tallybook.auth.keys import issue_key, list_keys, revoke_key
from tallybook.ledger import Ledger
from tallybook.model import Role
from tallybook.settings import Settings
from tallybook.surfaces.drf.pagination import MAX_PAGE_SIZE
from tests.surfaces.conftest import assert_golden
from tests.surfaces.story import Story

WALLETS = "/api/balance/wallet/"
AGENT_WALLET = "/api/balance/wallet/1/"
NOT_FOUND = {"detail": "Not found."}
INVALID_PAGE = {"detail": "Invalid page."}
DENIED = {"detail": "You do not have permission to perform this action."}


def token(key: str) -> dict[str, str]:
    """The DRF surface's own scheme."""
    return {"Authorization": f"Token {key}"}


def bearer(key: str) -> dict[str, str]:
    """The native API's scheme (it does not take `Token`)."""
    return {"Authorization": f"Bearer {key}"}


def native_history(client: TestClient, story: Story, account: Any) -> list[dict[str, Any]]:
    answer = client.get(
        "/v1/entries", params={"account_id": str(account)}, headers=bearer(story.admin_key)
    )
    entries: list[dict[str, Any]] = answer.json()["data"]
    return entries


# -- reading wallets ----------------------------------------------------------------------------


def test_the_wallet_list_is_a_drf_page(client: TestClient, story: Story) -> None:
    answer = client.get(WALLETS, headers=token(story.admin_key))
    assert answer.status_code == 200
    assert_golden("drf/wallets.json", answer.json())


def test_a_wallet_shows_its_balance_less_what_payouts_hold(
    client: TestClient, story: Story
) -> None:
    answer = client.get(AGENT_WALLET, params={"currency": "USD"}, headers=token(story.agent_key))
    assert answer.status_code == 200
    assert_golden("drf/agent_wallet_usd.json", answer.json())
    balance = client.get(f"/v1/accounts/{story.agent}", headers=bearer(story.admin_key)).json()
    usd = next(b for b in balance["balances"] if b["currency"] == "USD")
    assert (usd["posted"], usd["held"], answer.json()["balance"]) == (
        "50134.870",
        "30.000",
        "50104.870",
    )


def test_a_key_sees_the_wallets_of_its_account_and_sub_accounts(
    client: TestClient, story: Story
) -> None:
    def listed(key: str) -> list[int]:
        return [w["id"] for w in client.get(WALLETS, headers=token(key)).json()["results"]]

    assert listed(story.admin_key) == [1, 2, 3]
    assert listed(story.agent_key) == [1, 2]
    assert listed(story.sub_agent_key) == [2]


@pytest.mark.parametrize("pk", ["1", "3", "4", "999", "abc", "-1"])
def test_a_wallet_outside_the_key_or_no_wallet_at_all_is_not_found(
    client: TestClient, story: Story, pk: str
) -> None:
    answer = client.get(f"/api/balance/wallet/{pk}/", headers=token(story.sub_agent_key))
    assert (answer.status_code, answer.json()) == (404, NOT_FOUND)


def test_the_wallet_currency_can_be_chosen_and_must_be_the_tenants(
    client: TestClient, story: Story
) -> None:
    cny = client.get(AGENT_WALLET, headers=token(story.agent_key)).json()
    unknown = client.get(AGENT_WALLET, params={"currency": "EUR"}, headers=token(story.agent_key))
    assert cny["balance"] == "0.00"  # the setting's CNY: the agent has none
    assert unknown.status_code == 400
    assert unknown.json() == {"currency": ["EUR is not a currency of this tenant."]}


def test_without_the_default_currency_a_wallet_shows_the_first_one(
    client: TestClient, ledger: Ledger
) -> None:
    tenant = ledger.create_tenant("Euro Shop")
    for code in ("USD", "EUR"):
        ledger.configure_currency(tenant.id, code)
    ledger.create_account(tenant.id, "u1", "User One")
    key = issue_key(ledger, tenant.id, "reader", Role.READ)[1]
    assert client.get("/api/balance/wallet/1/", headers=token(key)).json()["balance"] == "0.00"
    with TestClient(create_app(Settings(drf_wallet_currency="USD"), ledger=ledger)) as usd:
        assert usd.get("/api/balance/wallet/1/", headers=token(key)).status_code == 200


# -- pagination ---------------------------------------------------------------------------------


def test_pages_link_to_each_other_absolutely(client: TestClient, story: Story) -> None:
    def page(**params: Any) -> Any:
        return client.get(WALLETS, params=params, headers=token(story.admin_key)).json()

    first, second, third = page(page_size=1), page(page_size=1, page=2), page(page_size=1, page=3)
    base = "http://testserver/api/balance/wallet/"

    assert (first["count"], first["previous"], first["next"]) == (
        3,
        None,
        f"{base}?page_size=1&page=2",
    )
    assert (second["previous"], second["next"]) == (
        f"{base}?page_size=1",
        f"{base}?page_size=1&page=3",
    )
    assert (third["previous"], third["next"]) == (f"{base}?page_size=1&page=2", None)
    assert [w["id"] for w in (first, second, third) for w in w["results"]] == [1, 2, 3]
    assert page(page_size=1, page="last") == third


@pytest.mark.parametrize("number", ["4", "0", "-1", "abc", "1.0"])
def test_a_page_that_is_not_there_is_invalid(client: TestClient, story: Story, number: str) -> None:
    answer = client.get(
        WALLETS, params={"page": number, "page_size": 1}, headers=token(story.admin_key)
    )
    assert (answer.status_code, answer.json()) == (404, INVALID_PAGE)


def test_the_first_page_of_nothing_is_an_empty_page(client: TestClient, ledger: Ledger) -> None:
    tenant = ledger.create_tenant("Empty")
    ledger.configure_currency(tenant.id, "CNY")
    key = issue_key(ledger, tenant.id, "reader", Role.READ)[1]
    answer = client.get(WALLETS, headers=token(key))
    assert answer.json() == {"count": 0, "next": None, "previous": None, "results": []}


@pytest.mark.parametrize("size", ["0", "-5", "many", ""])
def test_an_unreadable_page_size_falls_back_to_the_default(
    client: TestClient, story: Story, size: str
) -> None:
    answer = client.get(WALLETS, params={"page_size": size}, headers=token(story.admin_key))
    assert answer.status_code == 200 and len(answer.json()["results"]) == 3


def test_page_size_is_capped(client: TestClient, ledger: Ledger) -> None:
    tenant = ledger.create_tenant("Crowd")
    ledger.configure_currency(tenant.id, "CNY")
    for number in range(MAX_PAGE_SIZE + 5):
        ledger.create_account(tenant.id, f"user-{number}", f"User {number}")
    key = issue_key(ledger, tenant.id, "reader", Role.READ)[1]
    answer = client.get(WALLETS, params={"page_size": 1000}, headers=token(key)).json()
    assert answer["count"] == MAX_PAGE_SIZE + 5
    assert len(answer["results"]) == MAX_PAGE_SIZE
    assert answer["next"] == "http://testserver/api/balance/wallet/?page_size=1000&page=2"


# -- who may call -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("authorization", "detail"),
    [
        (None, "Authentication credentials were not provided."),
        ("Basic dXNlcjpwYXNz", "Authentication credentials were not provided."),
        ("Token", "Invalid token header. No credentials provided."),
        ("Token tb_a tb_b", "Invalid token header. Token string should not contain spaces."),
        ("Token tb_not-a-key", "Invalid token."),
        ("Bearer tb_not-a-key", "Invalid token."),
    ],
)
def test_authentication_failures_are_drf_401s(
    client: TestClient, story: Story, authorization: str | None, detail: str
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    answer = client.get(WALLETS, headers=headers)
    assert (answer.status_code, answer.json()) == (401, {"detail": detail})
    assert answer.headers["WWW-Authenticate"] == "Token"


def test_a_bearer_token_works_and_a_revoked_one_does_not(
    client: TestClient, ledger: Ledger, story: Story
) -> None:
    bearer = {"Authorization": f"Bearer {story.agent_key}"}
    assert client.get(WALLETS, headers=bearer).status_code == 200
    key_id = next(key.id for key in list_keys(ledger, story.tenant.id) if key.name == "agent")
    revoke_key(ledger, story.tenant.id, key_id)
    answer = client.get(WALLETS, headers=bearer)
    assert (answer.status_code, answer.json()) == (401, {"detail": "Invalid token."})


# -- DRF's conventions --------------------------------------------------------------------------


def test_a_path_without_its_trailing_slash_is_redirected(client: TestClient, story: Story) -> None:
    answer = client.get(
        "/api/balance/wallet", headers=token(story.admin_key), follow_redirects=False
    )
    assert answer.status_code == 307
    assert answer.headers["location"] == "http://testserver/api/balance/wallet/"


@pytest.mark.parametrize(
    ("method", "path"), [("POST", WALLETS), ("DELETE", AGENT_WALLET), ("PUT", WALLETS)]
)
def test_methods_the_resource_lacks_are_405(
    client: TestClient, story: Story, method: str, path: str
) -> None:
    answer = client.request(method, path, headers=token(story.admin_key))
    assert answer.status_code == 405
    assert answer.json() == {"detail": f'Method "{method}" not allowed.'}


def test_unknown_resources_are_not_found(client: TestClient, story: Story) -> None:
    answer = client.get("/api/balance/nothing/", headers=token(story.admin_key))
    assert (answer.status_code, answer.json()) == (404, NOT_FOUND)


# -- writing wallets ----------------------------------------------------------------------------


def test_patching_the_payout_profile_updates_the_account(client: TestClient, story: Story) -> None:
    answer = client.patch(
        AGENT_WALLET,
        json={"alipay": "new@example.com", "full_name": "Ann Test"},
        headers=token(story.writer_key),
    )
    account = client.get(f"/v1/accounts/{story.agent}", headers=bearer(story.admin_key)).json()

    assert answer.status_code == 200
    assert answer.json() == {
        "id": 1,
        "balance": "0.00",
        "alipay": "new@example.com",
        "full_name": "Ann Test",
    }
    assert account["payout_profile"] == {"alipay": "new@example.com", "full_name": "Ann Test"}


def test_a_form_body_works_as_drf_parses_it(client: TestClient, story: Story) -> None:
    answer = client.patch(
        AGENT_WALLET, data={"full_name": "Form Name"}, headers=token(story.writer_key)
    )
    assert answer.status_code == 200 and answer.json()["full_name"] == "Form Name"


def test_put_needs_the_balance_and_ignores_fields_it_does_not_know(
    client: TestClient, story: Story
) -> None:
    read_back = client.get(
        AGENT_WALLET, params={"currency": "USD"}, headers=token(story.writer_key)
    )
    missing = client.put(AGENT_WALLET, json={"alipay": "x@y"}, headers=token(story.writer_key))
    sent_back = client.put(
        AGENT_WALLET,
        params={"currency": "USD"},
        json={**read_back.json(), "full_name": "Renamed", "id": 77},
        headers=token(story.writer_key),
    )

    assert (missing.status_code, missing.json()) == (400, {"balance": ["This field is required."]})
    assert sent_back.status_code == 200
    assert sent_back.json() == {**read_back.json(), "full_name": "Renamed"}


def test_only_an_admin_changes_a_balance(client: TestClient, story: Story) -> None:
    before = native_history(client, story, story.agent)
    refused = client.patch(
        AGENT_WALLET,
        params={"currency": "USD"},
        json={"balance": "100.000", "alipay": "not@saved"},
        headers=token(story.writer_key),
    )
    assert (refused.status_code, refused.json()) == (403, DENIED)
    assert native_history(client, story, story.agent) == before
    wallet = client.get(AGENT_WALLET, headers=token(story.writer_key)).json()
    assert wallet["alipay"] == "atest001@example.com"


def test_an_admin_balance_write_is_an_adjustment_in_the_history(
    client: TestClient, story: Story
) -> None:
    answer = client.put(
        AGENT_WALLET,
        params={"currency": "USD"},
        json={"balance": "50000"},
        headers=token(story.admin_key),
    )
    history = native_history(client, story, story.agent)

    assert answer.status_code == 200 and answer.json()["balance"] == "50000.000"
    newest = history[0]
    assert newest["type"] == "adjustment"
    assert (newest["amount"], newest["balance_before"], newest["balance_after"]) == (
        "-104.870",
        "50134.870",
        "50030.000",
    )
    assert (newest["note"], newest["operator"]) == ("Balance set through the wallet API", "finance")
    again = client.put(
        AGENT_WALLET,
        params={"currency": "USD"},
        json={"balance": "50000.00"},
        headers=token(story.admin_key),
    )
    assert again.status_code == 200
    assert native_history(client, story, story.agent) == history  # already there: nothing new


def test_a_read_key_cannot_write(client: TestClient, story: Story) -> None:
    answer = client.patch(AGENT_WALLET, json={"alipay": "x@y"}, headers=token(story.agent_key))
    assert (answer.status_code, answer.json()) == (403, DENIED)


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"alipay": None}, {"alipay": ["This field may not be null."]}),
        ({"alipay": 12}, {"alipay": ["Not a valid string."]}),
        (
            {"full_name": "n" * 201},
            {"full_name": ["Ensure this field has no more than 200 characters."]},
        ),
        ({"balance": None}, {"balance": ["This field may not be null."]}),
        (
            {"balance": 12.5},
            {"balance": ['Send the amount as a string, like "12.50": numbers lose cents.']},
        ),
        ({"balance": "twelve"}, {"balance": ["A valid number is required."]}),
        ({"balance": "-5.00"}, {"balance": ["a balance is set to zero or more"]}),
        ({"balance": "1.001"}, {"balance": ["1.001 has more than 2 decimals for this currency"]}),
        (
            {"alipay": 1, "balance": "x"},
            {"alipay": ["Not a valid string."], "balance": ["A valid number is required."]},
        ),
        ([1, 2], {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}),
    ],
)
def test_invalid_writes_name_each_field_and_change_nothing(
    client: TestClient, story: Story, body: Any, errors: dict[str, list[str]]
) -> None:
    before = client.get(AGENT_WALLET, headers=token(story.admin_key)).json()
    answer = client.patch(AGENT_WALLET, json=body, headers=token(story.admin_key))
    assert (answer.status_code, answer.json()) == (400, errors)
    assert client.get(AGENT_WALLET, headers=token(story.admin_key)).json() == before


def test_a_body_drf_cannot_parse_is_refused(client: TestClient, story: Story) -> None:
    broken = client.patch(
        AGENT_WALLET,
        content=b"{not json",
        headers={**token(story.admin_key), "Content-Type": "application/json"},
    )
    plain = client.patch(
        AGENT_WALLET,
        content=b"alipay",
        headers={**token(story.admin_key), "Content-Type": "text/plain"},
    )
    assert broken.status_code == 400 and broken.json()["detail"].startswith("JSON parse error - ")
    assert (plain.status_code, plain.json()) == (
        415,
        {"detail": 'Unsupported media type "text/plain" in request.'},
    )


def test_a_frozen_wallet_cannot_be_lowered(
    client: TestClient, ledger: Ledger, story: Story
) -> None:
    ledger.freeze(story.tenant.id, story.division)
    answer = client.patch(
        "/api/balance/wallet/3/", json={"balance": "1.00"}, headers=token(story.admin_key)
    )
    assert answer.status_code == 400
    assert list(answer.json()) == ["non_field_errors"]


def test_the_surface_can_be_switched_off(ledger: Ledger, story: Story) -> None:
    with TestClient(create_app(Settings(drf_surface_enabled=False), ledger=ledger)) as client:
        answer = client.get(WALLETS, headers=token(story.admin_key))
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
