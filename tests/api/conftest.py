"""An HTTP client on the app, over the same per-test databases as the ledger tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tallybook.api.app import create_app
from tallybook.ledger import Ledger


@pytest.fixture
def client(ledger: Ledger) -> Iterator[TestClient]:
    with TestClient(create_app(ledger=ledger)) as test_client:
        yield test_client
