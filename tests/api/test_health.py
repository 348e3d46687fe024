"""Health endpoints and the problem+json envelope for requests the API does not know."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tallybook.ledger import Ledger
from tests.api.conftest import Keys


def test_healthz_and_readyz_answer_when_the_database_does(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}


def test_readyz_says_503_when_the_engine_is_stopped(client: TestClient, ledger: Ledger) -> None:
    ledger.engine.stop()
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "engine_unavailable"


def test_an_unknown_path_is_a_problem_document(client: TestClient) -> None:
    answer = client.get("/nowhere")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json() == {
        "type": "https://tallybook.dev/problems/not_found",
        "title": "Not found",
        "status": 404,
        "code": "not_found",
        "detail": "Not Found",
    }


def test_a_body_that_is_not_json_is_a_400_blaming_the_body(client: TestClient, keys: Keys) -> None:
    for body in (b'{"external_id": ', b'"\xff"', b"\xff\xfe\x00"):
        answer = client.post(
            "/v1/accounts", content=body, headers={**keys.write, "Content-Type": "application/json"}
        )

        assert answer.status_code == 400, (body, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert (answer.json()["code"], answer.json()["field"]) == ("invalid_json", "body")
    assert client.get("/v1/accounts", headers=keys.read).json()["data"] == []


def test_an_unsupported_method_is_a_405_listing_every_method_of_the_path(
    client: TestClient,
) -> None:
    collection = client.request("PUT", "/v1/accounts")
    one = client.request("DELETE", "/v1/accounts/0190a000-0000-7000-8000-000000000000")
    batch = client.request("DELETE", "/v1/transfers/batch")

    assert collection.status_code == 405 and collection.json()["code"] == "method_not_allowed"
    assert collection.headers["content-type"] == "application/problem+json"
    assert collection.headers["allow"] == "GET, POST"
    assert one.headers["allow"] == "GET, PATCH"
    assert batch.headers["allow"] == "POST"


def test_a_401_names_the_scheme_to_use(client: TestClient) -> None:
    answer = client.get("/v1/accounts")

    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
