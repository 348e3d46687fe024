"""`/metrics`: Prometheus text an operator can scrape without a key, switchable off."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from tallybook.api.app import create_app
from tallybook.ledger import Ledger
from tallybook.settings import Settings
from tests.api.conftest import Keys
from tests.api.helpers import create_account, transfer


def scrape(client: TestClient) -> dict[str, list[Sample]]:
    answer = client.get("/metrics")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return {family.name: family.samples for family in text_string_to_metric_families(answer.text)}


def value(samples: list[Sample], name: str, **labels: str) -> float:
    matching = [s.value for s in samples if s.name == name and s.labels == labels]
    assert len(matching) == 1, (name, labels, samples)
    return matching[0]


def test_after_a_transfer_the_metrics_show_the_request_and_its_batch(
    client: TestClient, keys: Keys
) -> None:
    alice = create_account(client, keys.write, "alice")
    transfer(client, keys.write, "@world", alice, "10.00")

    metrics = scrape(client)

    requests = metrics["tallybook_http_requests"]
    assert (
        value(
            requests,
            "tallybook_http_requests_total",
            method="POST",
            route="/v1/transfers",
            status="201",
        )
        == 1
    )
    latency = metrics["tallybook_http_request_duration_seconds"]
    assert (
        value(
            latency,
            "tallybook_http_request_duration_seconds_count",
            method="POST",
            route="/v1/transfers",
        )
        == 1
    )
    assert value(metrics["tallybook_engine_batch_size"], "tallybook_engine_batch_size_count") >= 1
    assert value(metrics["tallybook_engine_batch_size"], "tallybook_engine_batch_size_sum") >= 1
    for timing in (
        "tallybook_engine_lock_wait_seconds",
        "tallybook_engine_commit_seconds",
        "tallybook_engine_transaction_seconds",
    ):
        assert value(metrics[timing], f"{timing}_count") >= 1
    assert "tallybook_engine_retries" in metrics
    assert value(metrics["tallybook_engine_queue_depth"], "tallybook_engine_queue_depth") >= 0


def test_routes_are_labelled_by_template_not_by_path(client: TestClient, keys: Keys) -> None:
    alice = create_account(client, keys.write, "alice")
    client.get(f"/v1/accounts/{alice}", headers=keys.read)
    client.get("/api/balance/wallet/", headers=keys.read)
    client.get("/no/such/page")

    requests = scrape(client)["tallybook_http_requests"]

    routes = {sample.labels["route"] for sample in requests}
    assert "/v1/accounts/{account_id}" in routes
    assert "/api/balance/wallet/" in routes
    assert "<unmatched>" in routes
    assert not any(alice in route for route in routes)


@pytest.fixture
def client_without_metrics(ledger: Ledger) -> Iterator[TestClient]:
    app = create_app(Settings(metrics_enabled=False), ledger=ledger)
    with TestClient(app) as test_client:
        yield test_client


def test_metrics_can_be_switched_off(client_without_metrics: TestClient) -> None:
    assert client_without_metrics.get("/metrics").status_code == 404
