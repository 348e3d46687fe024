"""Health endpoints and the problem+json envelope for requests the API does not know."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tallybook.ledger import Ledger


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
