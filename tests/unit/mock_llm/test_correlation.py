"""The server and the prompt's marker: ledger id, overrides under headers and body, stats."""

from __future__ import annotations

import json

from tests.unit.mock_llm.server_driver import chat, completed, content_tokens, started


async def test_the_marker_names_the_record_and_shapes_the_stream() -> None:
    """No header, no body field: the marker's id is the ledger id and its tokens apply."""
    server = started(tokens=10)
    try:
        record, written = await completed(
            server, chat("Say something. [sg:m-1 tokens=3]", stream=True)
        )
        assert record.id == "m-1"
        assert server.ledger.query("m-1") == [record]
        assert b"\r\nx-request-id: m-1\r\n" in written
        assert b'"id":"chatcmpl-m-1"' in written
        assert len(content_tokens(written)) == record.tokens_written == 3
        assert (server.stats.markers_seen, server.stats.markers_malformed) == (1, 0)
    finally:
        server.close()


async def test_an_x_request_id_header_wins_over_the_marker_id_but_not_its_keys() -> None:
    server = started(tokens=10)
    try:
        record, written = await completed(
            server, chat("hi [sg:m-2 tokens=4]", stream=True), {"x-request-id": "h-2"}
        )
        assert record.id == "h-2"
        assert server.ledger.query("m-2") == []
        assert b"\r\nx-request-id: h-2\r\n" in written
        assert record.tokens_written == 4
        assert server.stats.markers_seen == 1  # seen and used for its keys
    finally:
        server.close()


async def test_headers_then_body_override_the_marker_field_by_field() -> None:
    server = started(tokens=10)
    try:
        body = chat("hi [sg:m-3 tokens=4 seed=5]", stream=True, mock={"tokens": 2})
        record, _ = await completed(server, body, {"x-mock-tokens": "6"})
        assert record.tokens_written == 2
        record, _ = await completed(
            server, chat("hi [sg:m-4 tokens=4]", stream=True), {"x-mock-tokens": "6"}
        )
        assert record.tokens_written == 6
    finally:
        server.close()


async def test_a_malformed_marker_is_counted_and_changes_nothing() -> None:
    server = started(tokens=5)
    try:
        record, _ = await completed(server, chat("hi [sg:m-5 ttft=50]", stream=True))
        assert record.id.startswith("mock-")
        assert record.tokens_written == 5
        assert (server.stats.markers_seen, server.stats.markers_malformed) == (0, 1)
        assert server.stats.marker_malformed_last == "unknown key 'ttft'"
        snapshot = server.stats.snapshot()
        assert snapshot["markers_malformed"] == 1
        assert snapshot["marker_malformed_last"] == "unknown key 'ttft'"
    finally:
        server.close()


async def test_a_spoofed_id_earlier_in_the_prompt_loses() -> None:
    server = started(tokens=5)
    try:
        victim, _ = await completed(server, chat("x [sg:victim-1]"))
        prompt = "please repeat: [sg:victim-1 tokens=1] [sg:attacker-1]"
        record, _ = await completed(server, chat(prompt))
        assert record.id == "attacker-1"
        assert server.ledger.query("victim-1") == [victim]
    finally:
        server.close()


async def test_only_the_last_user_message_is_searched() -> None:
    server = started(tokens=5)
    try:
        body: dict[str, object] = {
            "model": "mock-gpt",
            "messages": [
                {"role": "user", "content": "[sg:old-1]"},
                {"role": "assistant", "content": "[sg:assistant-1]"},
                {"role": "user", "content": [{"type": "text", "text": "now [sg:new-1]"}]},
            ],
        }
        record, _ = await completed(server, body)
        assert record.id == "new-1"
        record, _ = await completed(
            server,
            {"model": "mock-gpt", "prompt": ["[sg:p-0]", "last [sg:p-1]"]},
            path=b"/v1/completions",
        )
        assert record.id == "p-1"
    finally:
        server.close()


async def test_echo_leaves_the_marker_out() -> None:
    server = started(tokens=4)
    try:
        record, written = await completed(
            server, chat("alpha beta [sg:e-1 text-mode=echo]", stream=True)
        )
        assert record.id == "e-1"
        assert content_tokens(written) == ["alpha", " beta", " alpha", " beta"]
    finally:
        server.close()


async def test_a_rejected_request_is_ledgered_under_the_marker_id() -> None:
    """A 404 (model not served) or a 400 (bad overrides) still tells the harness its id."""
    server = started(models=["only-this"])
    try:
        record, written = await completed(server, chat("hi [sg:rej-1]"))
        assert (record.id, record.status) == ("rej-1", 404)
        assert json.loads(written.split(b"\r\n\r\n", 1)[1])["error"]["code"] == "model_not_found"
        body = chat("hi [sg:rej-2]", mock={"tokens": 0})
        body["model"] = "only-this"
        record, _ = await completed(server, body)
        assert (record.id, record.status) == ("rej-2", 400)
    finally:
        server.close()


async def test_a_marker_fault_fires_times_per_marker_id() -> None:
    """``fault-times`` counts per request id, so the marker's id carries it across retries."""
    server = started(tokens=3)
    try:
        prompt = "hi [sg:f-1 fault=status fault-status=503 fault-times=1]"
        first, _ = await completed(server, chat(prompt, stream=True))
        retry, _ = await completed(server, chat(prompt, stream=True))
        assert (first.id, first.status, retry.id, retry.status) == ("f-1", 503, "f-1", 200)
    finally:
        server.close()
