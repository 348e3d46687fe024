"""Seed 000: `/api/balance/in/` (top-ups) and `/api/balance/out/` (withdrawals), over the
wallet flows, read and written as a DRF client does."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tallybook.ledger import Ledger
from tallybook.wallet import topups, withdrawals
from tests.surfaces.conftest import assert_golden
from tests.surfaces.story import Story
from tests.surfaces.test_drf import DENIED, NOT_FOUND, bearer, token

IN = "/api/balance/in/"
OUT = "/api/balance/out/"
AGENT_WALLET = "/api/balance/wallet/1/"


def top_up(client: TestClient, key: str, **fields: Any) -> dict[str, Any]:
    body = {"channel": "alipay", "amount": "100.000", "currency": "USD"} | fields
    answer = client.post(IN, json=body, headers=token(key))
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def withdraw(client: TestClient, key: str, **fields: Any) -> dict[str, Any]:
    body = {"amount": "10", "currency": "USD"} | fields
    answer = client.post(OUT, json=body, headers=token(key))
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def wallet_balance(client: TestClient, story: Story) -> str:
    answer = client.get(AGENT_WALLET, params={"currency": "USD"}, headers=token(story.agent_key))
    balance: str = answer.json()["balance"]
    return balance


# -- top-ups ------------------------------------------------------------------------------------


def test_a_top_up_is_created_pending_for_the_keys_own_wallet(
    client: TestClient, story: Story
) -> None:
    created = top_up(client, story.writer_key)

    assert_golden("drf/balance_in_created.json", created)
    assert client.get(f"{IN}{created['id']}/", headers=token(story.agent_key)).json() == created


def test_a_confirmed_top_up_succeeds_with_a_receipt_and_credits_the_wallet(
    client: TestClient, story: Story, ledger: Ledger
) -> None:
    before = wallet_balance(client, story)
    created = top_up(client, story.writer_key, amount="25.5")
    topup = topups.get_by_number(ledger, story.tenant.id, created["id"])

    confirmed = client.post(
        f"/v1/topups/{topup.id}/confirm",
        json={"external_reference": "ALI-778"},
        headers=bearer(story.admin_key),
    )
    shown = client.get(f"{IN}{created['id']}/", headers=token(story.agent_key)).json()

    assert confirmed.status_code == 200
    assert shown["status"] == "succeeded"
    assert shown["receipt_id"] == confirmed.json()["receipt_id"]
    assert Decimal(wallet_balance(client, story)) == Decimal(before) + Decimal("25.5")


def test_the_top_up_list_is_a_drf_page_newest_first(client: TestClient, story: Story) -> None:
    first = top_up(client, story.writer_key, amount="1")
    second = top_up(client, story.writer_key, amount="2")
    third = top_up(client, story.writer_key, amount="3")

    page = client.get(IN, params={"page_size": 2}, headers=token(story.agent_key)).json()
    last = client.get(IN, params={"page_size": 2, "page": 2}, headers=token(story.agent_key))

    assert page["count"] == 3
    assert [row["id"] for row in page["results"]] == [third["id"], second["id"]]
    assert page["next"] == "http://testserver/api/balance/in/?page_size=2&page=2"
    assert page["previous"] is None
    assert [row["id"] for row in last.json()["results"]] == [first["id"]]


def test_a_key_sees_the_top_ups_of_its_tree_only(client: TestClient, story: Story) -> None:
    agents = top_up(client, story.writer_key)
    sub_agents = top_up(client, story.admin_key, wallet=2)

    agent_view = client.get(IN, headers=token(story.agent_key)).json()
    sub_agent_view = client.get(IN, headers=token(story.sub_agent_key)).json()
    outside = client.get(f"{IN}{agents['id']}/", headers=token(story.division_key))

    assert {row["id"] for row in agent_view["results"]} == {agents["id"], sub_agents["id"]}
    assert [row["id"] for row in sub_agent_view["results"]] == [sub_agents["id"]]
    assert sub_agents["wallet"] == 2
    assert (outside.status_code, outside.json()) == (404, NOT_FOUND)


def test_a_tenant_wide_key_must_name_the_wallet(client: TestClient, story: Story) -> None:
    answer = client.post(
        IN,
        json={"channel": "alipay", "amount": "1", "currency": "USD"},
        headers=token(story.admin_key),
    )

    assert (answer.status_code, answer.json()) == (400, {"wallet": ["This field is required."]})


def test_a_wallet_the_key_does_not_see_is_an_invalid_pk(client: TestClient, story: Story) -> None:
    answer = client.post(
        IN,
        json={"channel": "alipay", "amount": "1", "currency": "USD", "wallet": 3},
        headers=token(story.writer_key),
    )

    assert answer.status_code == 400
    assert answer.json() == {"wallet": ['Invalid pk "3" - object does not exist.']}


def test_invalid_top_ups_name_each_field_and_create_nothing(
    client: TestClient, story: Story
) -> None:
    missing = client.post(IN, json={}, headers=token(story.writer_key))
    as_number = client.post(
        IN,
        json={"channel": "alipay", "amount": 5, "currency": "USD"},
        headers=token(story.writer_key),
    )
    too_precise = client.post(
        IN,
        json={"channel": "alipay", "amount": "1.0001", "currency": "USD"},
        headers=token(story.writer_key),
    )
    unknown_channel = client.post(
        IN,
        json={"channel": "carrier-pigeon", "amount": "1", "currency": "USD"},
        headers=token(story.writer_key),
    )

    assert missing.status_code == 400
    assert set(missing.json()) == {"channel", "amount"}
    assert as_number.status_code == 400 and set(as_number.json()) == {"amount"}
    assert too_precise.status_code == 400 and set(too_precise.json()) == {"amount"}
    assert unknown_channel.status_code == 400 and set(unknown_channel.json()) == {"channel"}
    assert client.get(IN, headers=token(story.agent_key)).json()["count"] == 0


def test_a_read_key_cannot_create_a_top_up(client: TestClient, story: Story) -> None:
    answer = client.post(
        IN,
        json={"channel": "alipay", "amount": "1", "currency": "USD"},
        headers=token(story.agent_key),
    )

    assert (answer.status_code, answer.json()) == (403, DENIED)


def test_a_repeated_idempotency_key_creates_one_top_up(client: TestClient, story: Story) -> None:
    body = {"channel": "alipay", "amount": "7", "currency": "USD"}
    headers = token(story.writer_key) | {"Idempotency-Key": "recharge-1"}

    first = client.post(IN, json=body, headers=headers)
    again = client.post(IN, json=body, headers=headers)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert client.get(IN, headers=token(story.agent_key)).json()["count"] == 1


@pytest.mark.parametrize("pk", ["999", "abc", "1.5", "-1"])
def test_a_top_up_that_is_not_there_is_not_found(client: TestClient, story: Story, pk: str) -> None:
    answer = client.get(f"{IN}{pk}/", headers=token(story.agent_key))

    assert (answer.status_code, answer.json()) == (404, NOT_FOUND)


# -- withdrawals --------------------------------------------------------------------------------


def test_a_withdrawal_holds_its_amount_and_snapshots_the_payout_profile(
    client: TestClient, story: Story
) -> None:
    before = Decimal(wallet_balance(client, story))

    created = withdraw(client, story.writer_key, amount="12.5")

    assert_golden("drf/balance_out_created.json", created)
    assert Decimal(wallet_balance(client, story)) == before - Decimal("12.5")


def test_a_pending_withdrawal_can_be_edited_and_the_hold_follows(
    client: TestClient, story: Story
) -> None:
    before = Decimal(wallet_balance(client, story))
    created = withdraw(client, story.writer_key, amount="10")
    url = f"{OUT}{created['id']}/"

    patched = client.patch(url, json={"amount": "15"}, headers=token(story.writer_key))
    replaced = client.put(
        url,
        json={"amount": "20", "alipay": "new@example.com", "full_name": "N. Ew"},
        headers=token(story.writer_key),
    )

    assert patched.status_code == 200 and patched.json()["amount"] == "15.000"
    assert replaced.status_code == 200
    assert (replaced.json()["amount"], replaced.json()["alipay"]) == ("20.000", "new@example.com")
    assert Decimal(wallet_balance(client, story)) == before - 20


def test_put_needs_the_amount(client: TestClient, story: Story) -> None:
    created = withdraw(client, story.writer_key)

    answer = client.put(f"{OUT}{created['id']}/", json={}, headers=token(story.writer_key))

    assert (answer.status_code, answer.json()) == (400, {"amount": ["This field is required."]})


def test_deleting_a_pending_withdrawal_cancels_it_and_releases_the_hold(
    client: TestClient, story: Story
) -> None:
    before = wallet_balance(client, story)
    created = withdraw(client, story.writer_key, amount="30")
    url = f"{OUT}{created['id']}/"

    deleted = client.delete(url, headers=token(story.writer_key))

    assert (deleted.status_code, deleted.content) == (204, b"")
    assert client.get(url, headers=token(story.agent_key)).json()["status"] == "cancelled"
    assert wallet_balance(client, story) == before


def test_a_withdrawal_no_longer_pending_refuses_edits_and_deletes(
    client: TestClient, story: Story, ledger: Ledger
) -> None:
    created = withdraw(client, story.writer_key)
    withdrawal = withdrawals.get_by_number(ledger, story.tenant.id, created["id"])
    approved = client.post(
        f"/v1/withdrawals/{withdrawal.id}/approve", json={}, headers=bearer(story.admin_key)
    )
    url = f"{OUT}{created['id']}/"
    refusal = {
        "non_field_errors": [
            f"Withdrawal {created['id']} is approved: only a pending one can be changed."
        ]
    }

    patched = client.patch(url, json={"amount": "11"}, headers=token(story.writer_key))
    deleted = client.delete(url, headers=token(story.writer_key))

    assert approved.status_code == 200
    assert (patched.status_code, patched.json()) == (400, refusal)
    assert deleted.status_code == 400
    assert deleted.json() == {
        "non_field_errors": [
            f"Withdrawal {created['id']} is approved: only a pending one can be cancelled."
        ]
    }
    assert client.get(url, headers=token(story.agent_key)).json()["status"] == "approved"


def test_a_withdrawal_beyond_the_balance_is_refused_on_its_amount(
    client: TestClient, story: Story
) -> None:
    answer = client.post(
        OUT, json={"amount": "999999", "currency": "USD"}, headers=token(story.writer_key)
    )

    assert answer.status_code == 400
    assert list(answer.json()) == ["amount"]
    assert client.get(OUT, headers=token(story.agent_key)).json()["count"] == 0


def test_withdrawals_are_ordered_by_any_listed_field(client: TestClient, story: Story) -> None:
    small = withdraw(client, story.writer_key, amount="5")
    large = withdraw(client, story.writer_key, amount="50")
    middle = withdraw(client, story.writer_key, amount="20")

    def ids(order_by: str) -> list[int]:
        answer = client.get(OUT, params={"order_by": order_by}, headers=token(story.agent_key))
        return [row["id"] for row in answer.json()["results"]]

    assert ids("amount") == [small["id"], middle["id"], large["id"]]
    assert ids("-amount") == [large["id"], middle["id"], small["id"]]
    assert ids("id") == [small["id"], large["id"], middle["id"]]
    assert ids("status,-id") == [middle["id"], large["id"], small["id"]]


def test_an_unknown_order_by_field_is_refused(client: TestClient, story: Story) -> None:
    answer = client.get(OUT, params={"order_by": "-secret"}, headers=token(story.agent_key))

    assert answer.status_code == 400
    assert list(answer.json()) == ["order_by"]


def test_created_at_bounds_are_local_days_or_times(client: TestClient, story: Story) -> None:
    created = withdraw(client, story.writer_key)
    local_day = created["created_at"][:10]

    def count(**params: str) -> int:
        answer = client.get(OUT, params=params, headers=token(story.agent_key))
        assert answer.status_code == 200, answer.text
        total: int = answer.json()["count"]
        return total

    assert count(created_at_from=local_day, created_at_to=local_day) == 1
    assert count(created_at_to="2020-01-01") == 0
    assert count(created_at_from="2099-01-01 00:00:00") == 0
    assert count(created_at_from=created["created_at"]) == 1
    bad = client.get(OUT, params={"created_at_from": "yesterday"}, headers=token(story.agent_key))
    assert (bad.status_code, bad.json()) == (400, {"created_at_from": ["Enter a valid date/time."]})


def test_the_sub_agent_sees_none_of_the_agents_withdrawals(
    client: TestClient, story: Story
) -> None:
    created = withdraw(client, story.writer_key)

    listed = client.get(OUT, headers=token(story.sub_agent_key)).json()
    direct = client.get(f"{OUT}{created['id']}/", headers=token(story.sub_agent_key))

    assert listed["count"] == 0
    assert (direct.status_code, direct.json()) == (404, NOT_FOUND)
