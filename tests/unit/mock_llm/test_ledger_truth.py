"""What the ledger says for the gate: each attempt numbered, the generated text, connections."""

from __future__ import annotations

import json

from mock_llm.http.connection import ConnectionCount, HttpConnection
from mock_llm.ledger import LEDGER_TEXT_MAX_CHARS, Ledger, LedgerRecord
from tests.unit.mock_llm.fake_client import SinkTransport
from tests.unit.mock_llm.server_driver import chat, completed, content_tokens, started


def _record(seq: int, request_id: str) -> LedgerRecord:
    return LedgerRecord(
        id=request_id, seq=seq, endpoint="chat", stream=True, model="m", arrival_ns=seq
    )


def test_every_attempt_of_an_id_is_its_own_numbered_record() -> None:
    ledger = Ledger(10)
    for seq in (1, 2, 3):
        ledger.add(_record(seq, f"mock-{seq}"))
        ledger.rename(ledger.query()[-1], "r-1")
    ledger.add(_record(4, "r-2"))
    assert [r.attempt for r in ledger.query("r-1")] == [1, 2, 3]
    assert [r.attempt for r in ledger.query("r-2")] == [1]


async def test_the_record_keeps_the_generated_text_multibyte_included() -> None:
    """``hard`` mixes in 中文, 🙂, 👩‍💻, CRLF and ``data: [DONE]``: the text is what was sent."""
    server = started(tokens=10)
    try:
        record, written = await completed(
            server, chat("hi [sg:t-1 tokens=40 text-mode=hard]", stream=True)
        )
        sent = "".join(content_tokens(written))
        assert record.text == sent
        assert record.text_chars == len(sent)
        assert "🙂" in sent
        assert "中文" in sent
        assert json.loads(json.dumps(record.as_dict()))["text"] == sent
    finally:
        server.close()


async def test_a_text_over_the_cap_keeps_only_its_length() -> None:
    server = started(tokens=10)
    try:
        record, _ = await completed(server, chat("hi [sg:t-2 tokens=2 text-mode=long]"))
        assert record.text_chars > LEDGER_TEXT_MAX_CHARS
        assert record.text is None
    finally:
        server.close()


async def test_a_status_fault_retried_leaves_two_attempts_the_second_with_text() -> None:
    server = started(tokens=10)
    try:
        prompt = "hi [sg:f-1 tokens=3 fault=status fault-status=429 fault-times=1]"
        first, _ = await completed(server, chat(prompt, stream=True))
        second, _ = await completed(server, chat(prompt, stream=True))
        assert [(r.attempt, r.status) for r in server.ledger.query("f-1")] == [(1, 429), (2, 200)]
        assert (first.text, second.finish_reason) == (None, "completed")
        assert second.text is not None
    finally:
        server.close()


def test_connections_are_counted_open_and_opened() -> None:
    count = ConnectionCount()
    conns = [HttpConnection(lambda c, r: None, 1024, count) for _ in range(3)]
    for conn in conns:
        conn.connection_made(SinkTransport())  # type: ignore[arg-type]
    conns[0].connection_lost(None)
    conns[0].connection_lost(None)  # lost once, counted once
    assert (count.open, count.opened) == (2, 3)


async def test_stats_report_open_connections_without_the_one_asking() -> None:
    server = started()
    try:
        for _ in range(2):
            server.protocol_factory().connection_made(SinkTransport())  # type: ignore[arg-type]
        asking = server.protocol_factory()
        transport = SinkTransport()
        asking.connection_made(transport)  # type: ignore[arg-type]
        asking.data_received(b"GET /mock/stats HTTP/1.1\r\nhost: x\r\n\r\n")
        body = b"".join(transport.writes).split(b"\r\n\r\n", 1)[1]
        stats = json.loads(body)
        assert (stats["open_connections"], stats["connections_opened"]) == (2, 3)
    finally:
        server.close()
