"""The access log: a line per request on standard output, written in bulk, switchable off."""

from __future__ import annotations

import asyncio
import io
import re

import pytest
from fastapi.testclient import TestClient
from starlette.types import Receive, Scope, Send

from tallybook.api import access_log
from tallybook.api.access_log import AccessLog, AccessLogWriter
from tallybook.api.app import create_app
from tallybook.api.request_observers import ObservedRequests
from tallybook.ledger import Ledger
from tallybook.settings import Settings
from tests.api.conftest import Keys
from tests.api.helpers import create_account, transfer

LINE = re.compile(
    r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (?P<client>\S+) "(?P<request>[^"]*)" '
    r"(?P<status>\d{3}|-) (?P<milliseconds>\d+\.\d)ms$"
)


def logged(text: str) -> list[dict[str, str]]:
    lines = [LINE.match(line) for line in text.splitlines() if '" ' in line]
    assert all(lines), text
    return [line.groupdict() for line in lines if line]


def test_each_request_is_logged_with_its_status_and_time(
    ledger: Ledger, keys: Keys, capsys: pytest.CaptureFixture[str]
) -> None:
    with TestClient(create_app(ledger=ledger)) as client:
        alice = create_account(client, keys.write, "alice")
        transfer(client, keys.write, "@world", alice, "10.00")
        client.get("/v1/accounts?limit=2", headers=keys.read)
        client.get("/v1/nowhere")
    lines = logged(capsys.readouterr().out)

    assert [(line["request"], line["status"]) for line in lines] == [
        ("POST /v1/accounts HTTP/1.1", "201"),
        ("POST /v1/transfers HTTP/1.1", "201"),
        ("GET /v1/accounts?limit=2 HTTP/1.1", "200"),
        ("GET /v1/nowhere HTTP/1.1", "404"),
    ]
    assert all(line["client"] == "testclient:50000" for line in lines)


def test_no_line_is_written_when_the_access_log_is_off(
    ledger: Ledger, keys: Keys, capsys: pytest.CaptureFixture[str]
) -> None:
    with TestClient(create_app(Settings(access_log=False), ledger=ledger)) as client:
        create_account(client, keys.write, "alice")

    assert logged(capsys.readouterr().out) == []


def test_a_line_appears_within_the_flush_interval_without_waiting_for_more() -> None:
    stream = io.StringIO()

    async def one_line_then_wait() -> tuple[str, str]:
        writer = AccessLogWriter(stream, flush_seconds=0.05)
        writer.add("first\n")
        at_once = stream.getvalue()
        await asyncio.sleep(0.2)
        return at_once, stream.getvalue()

    at_once, later = asyncio.run(one_line_then_wait())

    assert at_once == ""
    assert later == "first\n"


def test_a_line_left_by_a_loop_that_ended_is_written_with_the_next_loops_lines() -> None:
    stream = io.StringIO()
    writer = AccessLogWriter(stream, flush_seconds=0.05)

    async def one_line(line: str, then_wait_seconds: float) -> None:
        writer.add(line)
        await asyncio.sleep(then_wait_seconds)

    asyncio.run(one_line("first\n", 0))  # its loop ends before the flush is due
    asyncio.run(one_line("second\n", 0.2))

    assert stream.getvalue() == "first\nsecond\n"


def test_a_full_buffer_is_written_at_once() -> None:
    stream = io.StringIO()
    line = "x" * 99 + "\n"
    lines_to_fill = access_log.FLUSH_CHARACTERS // len(line) + 1  # the last one fills it

    async def fill() -> str:
        writer = AccessLogWriter(stream, flush_seconds=60)
        for _ in range(lines_to_fill):
            writer.add(line)
        return stream.getvalue()

    assert asyncio.run(fill()) == line * lines_to_fill


def test_a_request_that_fails_inside_the_app_is_logged_as_the_500_it_becomes() -> None:
    stream = io.StringIO()

    async def failing(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("a bug")

    async def request() -> None:
        writer = AccessLogWriter(stream)
        scope: Scope = {
            "type": "http",
            "method": "POST",
            "path": "/v1/transfers",
            "raw_path": b"/v1/transfers",
            "query_string": b"",
            "http_version": "1.1",
            "client": ("10.0.0.7", 4242),
        }
        with pytest.raises(RuntimeError):
            await ObservedRequests(failing, [AccessLog(writer)])(
                scope, _nothing_received, _nothing_sent
            )
        writer.flush()

    asyncio.run(request())

    [line] = logged(stream.getvalue())
    assert (line["client"], line["request"], line["status"]) == (
        "10.0.0.7:4242",
        "POST /v1/transfers HTTP/1.1",
        "500",
    )


async def _nothing_received() -> dict[str, object]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _nothing_sent(message: object) -> None:
    return None
