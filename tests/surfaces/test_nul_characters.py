"""Every seed surface refuses the NUL character (U+0000) as it refuses any invalid input, in
its own envelope, and writes nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.surfaces.story import Story

REFUSAL = "must not contain the NUL character (U+0000)"
AGENT_WALLET = "/api/balance/wallet/1/"


def test_drf_refuses_a_nul_in_a_json_or_a_form_field_as_invalid_input(
    client: TestClient, story: Story
) -> None:
    headers = {"Authorization": f"Token {story.writer_key}"}

    as_json = client.patch(AGENT_WALLET, json={"full_name": "Ann\u0000Test"}, headers=headers)
    as_form = client.patch(AGENT_WALLET, data={"alipay": "ann\u0000@example.com"}, headers=headers)

    assert as_json.status_code == as_form.status_code == 400
    assert as_json.json() == {"full_name": [REFUSAL]}
    assert as_form.json() == {"alipay": [REFUSAL]}
    wallet = client.get(AGENT_WALLET, headers=headers).json()
    assert (wallet["full_name"], wallet["alipay"]) == ("A. Test", "atest001@example.com")


def test_certcentral_refuses_a_nul_in_a_parameter_as_an_invalid_param(
    client: TestClient, story: Story
) -> None:
    answer = client.get(
        "/services/v2/finance/balance-history",
        params={"currency": "USD\u0000"},
        headers={"X-DC-DEVKEY": story.division_key},
    )

    assert answer.status_code == 400
    assert answer.json() == {
        "errors": [{"code": "invalid_param|currency", "message": f"currency: {REFUSAL}"}]
    }


def test_directmail_refuses_a_nul_in_a_filter_with_its_error_code(
    client: TestClient, story: Story
) -> None:
    answer = client.get(
        "/user/scoreLogList", params={"order_no": "\u0000"}, headers={"x-token": story.agent_key}
    )

    # The family answers every error as HTTP 200 with code 7 (see docs/compat.md).
    assert answer.status_code == 200
    assert answer.json() == {"code": 7, "data": None, "msg": f"order_no: {REFUSAL}"}
