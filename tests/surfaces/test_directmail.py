"""Seed 002: DirectMail API 2.0's scoreLogList, read through Tallybook."""

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

SCORE_LOG = "/user/scoreLogList"
# The seed's own query string: every filter present and empty.
SEED_QUERY = "pageSize=10&page=1&country_code=&type=&order_no=&start=&end=&tag="


def score_log(client: TestClient, key: str, **params: Any) -> Any:
    answer = client.get(SCORE_LOG, params=params, headers={"x-token": key})
    assert answer.status_code == 200
    return answer.json()


def rows(client: TestClient, key: str, **params: Any) -> list[dict[str, Any]]:
    body = score_log(client, key, pageSize=1000, **params)
    assert body["code"] == 0, body
    listed: list[dict[str, Any]] = body["data"]["list"]
    assert body["data"]["total"] == len(listed)
    return listed


def failure(body: Any) -> str:
    assert body["code"] == 7 and body["data"] is None, body
    message: str = body["msg"]
    return message


def test_the_seed_query_reads_the_first_ten_rows(client: TestClient, story: Story) -> None:
    answer = client.get(f"{SCORE_LOG}?{SEED_QUERY}", headers={"x-token": story.agent_key})
    assert answer.status_code == 200
    assert_golden("directmail/agent_first_page.json", answer.json())


def test_every_transfer_type_has_its_row_shape(client: TestClient, story: Story) -> None:
    assert_golden(
        "directmail/agent_every_row.json", score_log(client, story.agent_key, pageSize=100)
    )


def test_type_numbers_follow_the_mapping(client: TestClient, story: Story) -> None:
    listed = rows(client, story.agent_key)
    types = {(row["type"], row["pay_way"]) for row in listed}
    assert types == {
        (1, "Balance"),  # order payment
        (2, "card"),  # top-up through its channel
        (3, "alipay"),  # withdrawal to its channel
        (4, "System"),  # adjustment
        (5, "Balance"),  # fee
        (9, "System"),  # refund: money returned by the system
        (10, "Balance"),  # allocation between agent and sub-agent
        (11, "System"),  # reversal
    }


def test_an_allocation_is_two_rows_with_one_order_number(client: TestClient, story: Story) -> None:
    allocation = rows(client, story.agent_key, type=10)
    assert [(r["agent_id"], r["pid"], r["price"], r["order_no"]) for r in allocation] == [
        (2, 1, "1", "Pr022304192354306"),
        (1, 1, "-1", "Pr022304192354306"),
    ]


@pytest.mark.parametrize(
    ("params", "expected_ids"),
    [
        ({"type": 1}, [19, 11, 5, 3]),  # order payments of the agent and its sub-agent
        ({"country_code": "GB"}, [3]),
        ({"order_no": "Po022304192312035"}, [8, 5]),
        ({"tag": "promo"}, [5]),
        ({"type": 1, "country_code": "US"}, [19, 11, 5]),
        ({"start": "2026-02-01"}, [22, 19, 17]),  # local days: 2026-02-01 starts at 00:00 +08
        ({"end": "2026-01-31"}, [16, 13, 11, 10, 9, 8, 5, 3, 2]),
        ({"start": "2026-01-31 23:53:00", "end": "2026-01-31 23:54:00"}, [8, 5]),
    ],
)
def test_filters_narrow_the_list(
    client: TestClient, story: Story, params: dict[str, Any], expected_ids: list[int]
) -> None:
    assert [row["id"] for row in rows(client, story.agent_key, **params)] == expected_ids


def test_pages_cut_the_list_and_total_counts_it_all(client: TestClient, story: Story) -> None:
    everything = rows(client, story.agent_key)
    second = score_log(client, story.agent_key, page=2, pageSize=3)["data"]
    beyond = score_log(client, story.agent_key, page=9, pageSize=10)["data"]
    capped = score_log(client, story.agent_key, pageSize=5000)["data"]

    assert second == {"list": everything[3:6], "total": len(everything), "page": 2, "pageSize": 3}
    assert beyond == {"list": [], "total": len(everything), "page": 9, "pageSize": 10}
    assert capped["pageSize"] == 1000 and capped["list"] == everything


def test_a_sub_agent_sees_its_own_rows_under_its_parent(client: TestClient, story: Story) -> None:
    listed = rows(client, story.sub_agent_key)
    assert {(r["agent_id"], r["agent_name"], r["pid"]) for r in listed} == {(2, "222个", 1)}
    assert [r["price"] for r in listed] == ["-0.5", "1"]


def test_a_tenant_wide_key_sees_every_customer_and_no_system_account(
    client: TestClient, story: Story
) -> None:
    agents = {row["agent_id"] for row in rows(client, story.admin_key)}
    assert agents == {1, 2, 3}


@pytest.mark.parametrize(
    ("params", "blamed"),
    [
        ({"page": 0}, "page"),
        ({"page": "first"}, "page"),
        ({"pageSize": 0}, "pageSize"),
        ({"pageSize": "-10"}, "pageSize"),
        ({"type": 6}, "type"),
        ({"type": "order"}, "type"),
        ({"start": "19/04/2023"}, "start"),
        ({"end": "2023-13-01"}, "end"),
        ({"order_no": "P" * 129}, "order_no"),
        ({"country_code": "USA-CANADA"}, "country_code"),
        ({"tag": "t" * 65}, "tag"),
    ],
)
def test_bad_parameters_are_code_7_naming_the_parameter(
    client: TestClient, story: Story, params: dict[str, Any], blamed: str
) -> None:
    assert failure(score_log(client, story.agent_key, **params)).startswith(f"{blamed}: ")


def test_a_missing_or_bad_token_asks_the_client_to_sign_in_again(
    client: TestClient, ledger: Ledger, story: Story
) -> None:
    key_id = next(key.id for key in list_keys(ledger, story.tenant.id) if key.name == "agent")
    revoke_key(ledger, story.tenant.id, key_id)
    missing = [client.get(SCORE_LOG), client.get(SCORE_LOG, headers={"x-token": ""})]
    bad = [score_log(client, "tb_not-a-key"), score_log(client, story.agent_key)]

    assert {answer.status_code for answer in missing} == {200}
    assert all(
        answer.json()
        == {
            "code": 7,
            "data": {"reload": True},
            "msg": "未登录或非法访问 (not signed in: the x-token header is missing)",
        }
        for answer in missing
    )
    assert all(
        body
        == {
            "code": 7,
            "data": {"reload": True},
            "msg": "令牌无效或已失效 (the x-token is not a valid key, or it was revoked)",
        }
        for body in bad
    )


def test_unknown_paths_answer_in_the_envelope(client: TestClient, story: Story) -> None:
    answer = client.get("/user/rechargeList", headers={"x-token": story.agent_key})
    assert answer.status_code == 404
    assert answer.json() == {"code": 7, "data": None, "msg": "Not Found"}


def test_the_surface_can_be_switched_off(ledger: Ledger, story: Story) -> None:
    with TestClient(
        create_app(Settings(directmail_surface_enabled=False), ledger=ledger)
    ) as client:
        answer = client.get(SCORE_LOG, headers={"x-token": story.agent_key})
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
