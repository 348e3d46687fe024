"""The server's protocol writes a response's head and body as one write, and serves exactly as
uvicorn's own: in order, nothing lost on closing."""

from __future__ import annotations

import asyncio
import http.client
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from tallybook.joined_writes import JoinedWritesProtocol, _JoinedWrites


class _Transport:
    """What the real transport was asked to do, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, bytes]] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        self.calls.append(("write", data))

    def close(self) -> None:
        self.calls.append(("close", b""))
        self.closing = True

    def is_closing(self) -> bool:
        return self.closing

    def get_extra_info(self, name: str) -> str:
        return f"the transport's {name}"


def _one_turn_then_the_next(step: Any, transport: _Transport) -> _Transport:
    """Run `step(joined)` on `transport` in one turn of a loop, then let the loop turn once
    more; `transport` back."""

    async def main() -> None:
        step(_JoinedWrites(transport, asyncio.get_running_loop()))  # type: ignore[arg-type]
        await asyncio.sleep(0)
        await asyncio.sleep(0)

    asyncio.run(main())
    return transport


def test_the_writes_of_one_turn_reach_the_transport_as_one_write() -> None:
    def step(joined: _JoinedWrites) -> None:
        joined.write(b"HTTP/1.1 201 Created\r\n\r\n")
        joined.write(b'{"id": 1}')

    transport = _one_turn_then_the_next(step, _Transport())

    assert transport.calls == [("write", b'HTTP/1.1 201 Created\r\n\r\n{"id": 1}')]


def test_closing_writes_what_was_gathered_first() -> None:
    def step(joined: _JoinedWrites) -> None:
        joined.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        joined.close()

    transport = _one_turn_then_the_next(step, _Transport())

    assert transport.calls == [("write", b"HTTP/1.1 400 Bad Request\r\n\r\n"), ("close", b"")]


def test_what_is_gathered_for_a_transport_already_closing_is_dropped_as_it_would_drop_it() -> None:
    transport = _Transport()

    def step(joined: _JoinedWrites) -> None:
        joined.write(b"late")
        transport.closing = True

    _one_turn_then_the_next(step, transport)

    assert transport.calls == []


def test_everything_else_is_the_transports_own() -> None:
    loop = asyncio.new_event_loop()
    joined = _JoinedWrites(_Transport(), loop)  # type: ignore[arg-type]

    assert joined.get_extra_info("peername") == "the transport's peername"
    loop.close()


async def _app(scope: Scope, receive: Receive, send: Send) -> None:
    """Echoes the request body's length; `/big` answers 1 MiB in 64 KiB pieces."""
    if scope["type"] != "http":
        return
    received = 0
    while True:
        message = await receive()
        received += len(message.get("body", b""))
        if not message.get("more_body"):
            break
    if scope["path"] == "/big":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for n in range(16):
            piece = bytes([n]) * 65536
            await send({"type": "http.response.body", "body": piece, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    body = str(received).encode()
    headers = [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 201, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture
def served() -> Iterator[int]:
    """uvicorn with the joined-writes protocol serving `_app` on a free port."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(_app, http=JoinedWritesProtocol, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    while not server.started:
        threading.Event().wait(0.01)
    yield port
    server.should_exit = True
    thread.join(timeout=10)
    listener.close()


def test_a_connection_kept_alive_gets_every_answer_whole_and_in_order(served: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", served, timeout=10)
    answers = []
    for size in (0, 10, 100_000, 3):
        connection.request("POST", "/echo", body=b"x" * size)
        answer = connection.getresponse()
        answers.append((answer.status, answer.read()))
    connection.request("GET", "/big")
    big = connection.getresponse().read()
    connection.close()

    assert answers == [(201, b"0"), (201, b"10"), (201, b"100000"), (201, b"3")]
    assert big == b"".join(bytes([n]) * 65536 for n in range(16))
