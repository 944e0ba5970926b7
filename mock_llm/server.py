"""The mock_llm application: routes, the small endpoints, and each completion's way in.

A completion is recorded in the ledger, planned (``engine.planning``), admitted
(``engine.admission``) and handed to a :class:`TokenStream` on the one timer
wheel; the HTTP side (``http``) parses requests and carries the bytes.

``create_app(settings)`` builds everything from one settings object; nothing
lives at module level, so tests can run several servers side by side.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import json
import logging
import os
import resource
import socket
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from .engine.admission import Admission
from .engine.chunk_writer import WRITE_PATH
from .engine.folding import fold_then
from .engine.planning import length_rule, plan_stream, random_fault
from .engine.request_random import Draws, LazyRandom, request_seed
from .engine.scheduler import TimerWheel
from .engine.streams import StreamPlan, TokenStream
from .engine.vocabulary import Vocabulary
from .http.completion_request import CompletionRequest, parse_request
from .http.connection import ConnectionCount, HttpConnection, Request
from .http.wire import ApiError, ChunkEncoder, rate_limited, status_error
from .ledger import LEDGER_TEXT_MAX_CHARS, Ledger, LedgerRecord
from .marker import MarkerSearch, find_marker, without_marker
from .overrides import NO_OVERRIDES, FaultSpec, MockOverrides, parse_overrides
from .settings import UNRESTRICTED_MODEL_ID, MockSettings
from .stats import MockStats, build_registry, render

Handler = Callable[[HttpConnection, Request], None]

_log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Completion:
    """A completion request and its ledger record, on its way to being planned."""

    conn: HttpConnection
    request: Request
    record: LedgerRecord
    id_header: list[tuple[str, str]]
    # Deadlines count from here: a pipelined request arrived (record.arrival_ns)
    # long before its turn on the connection.
    dispatched_ns: int


def _json(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


class MockServer:
    """Holds the state of one mock process; hands out its protocol factory."""

    def __init__(self, settings: MockSettings) -> None:
        self.settings = settings
        self.ledger = Ledger(settings.ledger_size, settings.ledger_jsonl)
        self.stats = MockStats()
        self.connections = ConnectionCount()
        self.registry = build_registry(self.stats)
        self.vocabulary = Vocabulary()
        # Empty: any model id is accepted (and echoed back, as OpenAI does).
        self.models = frozenset(settings.models)
        self.length_rule = length_rule(settings)
        self._scheduler: TimerWheel | None = None
        self._admission = Admission(settings, self.stats)
        self._fault_uses: dict[str, int] = {}
        # Completions waiting for the wheel to catch up (see _defer).
        self._deferred: deque[_Completion] = deque()
        self._drain_scheduled = False
        self._tick_ns = settings.tick_us * 1000
        self._max_defer_ns = min(self._tick_ns, round(settings.ttft_ms * 1e6 / 2))
        self._started_ns = time.monotonic_ns()
        self._id_prefix = os.urandom(4).hex()
        self._ids_issued = 0
        self._routes: dict[tuple[str, str], Handler] = {
            ("POST", "/v1/chat/completions"): self._chat,
            ("POST", "/v1/completions"): self._completions,
            ("GET", "/v1/models"): self._list_models,
            ("GET", "/health"): self._health,
            ("GET", "/ready"): self._health,
            ("GET", "/metrics"): self._metrics,
            ("GET", "/mock/requests"): self._ledger_query,
            ("DELETE", "/mock/requests"): self._ledger_reset,
            ("POST", "/mock/reset"): self._ledger_reset,
            ("GET", "/mock/stats"): self._stats,
        }

    # serving

    def protocol_factory(self) -> HttpConnection:
        return HttpConnection(self.dispatch, self.settings.max_body_bytes, self.connections)

    async def serve(self, sock: socket.socket) -> asyncio.Server:
        loop = asyncio.get_running_loop()
        self._scheduler = TimerWheel(
            loop, tick_ns=self._tick_ns, early_ns=self._tick_ns // 2, wakeup=self.settings.wakeup
        )
        return await loop.create_server(self.protocol_factory, sock=sock, backlog=4096)

    def close(self) -> None:
        if self._scheduler is not None:
            self._scheduler.close()
        self.ledger.close()

    def dispatch(self, conn: HttpConnection, request: Request) -> None:
        self.stats.requests += 1
        if request.too_large:
            self._reply_error(conn, ApiError(413, "Request body too large", code="body_too_large"))
            return
        handler = self._routes.get((request.method, request.path))
        if handler is None:
            if request.method == "GET" and request.path.startswith("/v1/models/"):
                handler = self._get_model
            else:
                known = any(path == request.path for _, path in self._routes)
                status = 405 if known else 404
                self._reply_error(
                    conn,
                    ApiError(
                        status,
                        f"Unknown request URL: {request.method} {request.path}.",
                        code="unknown_url",
                    ),
                )
                return
        try:
            handler(conn, request)
        except ApiError as error:
            self._reply_error(conn, error)

    def _reply_error(
        self, conn: HttpConnection, error: ApiError, headers: list[tuple[str, str]] | None = None
    ) -> None:
        self._count(error.status)
        conn.respond_error(error, headers)

    def _count(self, status: int) -> None:
        by_status = self.stats.responses_by_status
        by_status[status] = by_status.get(status, 0) + 1

    # small endpoints

    def _health(self, conn: HttpConnection, request: Request) -> None:
        self._count(200)
        conn.respond(200, b'{"status":"ok"}')

    def _after_folding_live(self, then: Callable[[], None]) -> None:
        """Bring the stats and records of live streams up to their last write; then ``then()``."""
        fold_then(list(self._admission.live), self._scheduler, then)

    def _metrics(self, conn: HttpConnection, request: Request) -> None:
        def reply() -> None:
            self._count(200)
            conn.respond(200, render(self.registry), content_type="text/plain; version=0.0.4")

        self._after_folding_live(reply)

    def _model_obj(self, model: str) -> dict[str, object]:
        return {"id": model, "object": "model", "created": 1_700_000_000, "owned_by": "mock_llm"}

    def _list_models(self, conn: HttpConnection, request: Request) -> None:
        """The ``models`` setting; when it is empty (any id accepted), ``mock-gpt`` alone.

        A client that picks the first listed id (a benchmark tool's default)
        gets one the mock serves either way.
        """
        self._check_auth(request)
        listed = self.settings.models or [UNRESTRICTED_MODEL_ID]
        self._count(200)
        conn.respond(200, _json({"object": "list", "data": [self._model_obj(m) for m in listed]}))

    def _get_model(self, conn: HttpConnection, request: Request) -> None:
        """Any id when unrestricted (it would be served), else 404 for an id not listed."""
        self._check_auth(request)
        model = request.path[len("/v1/models/") :]
        if not self._serves(model):
            raise self._unknown_model(model)
        self._count(200)
        conn.respond(200, _json(self._model_obj(model)))

    def _ledger_query(self, conn: HttpConnection, request: Request) -> None:
        ids = request.query.get("id")
        limit = request.query.get("limit", ["0"])[0]
        if not limit.isdigit():
            raise ApiError(400, "'limit' must be a non-negative integer", param="limit")

        def reply() -> None:
            records = self.ledger.query(ids[0] if ids else None, int(limit) or None)
            self._count(200)
            conn.respond(200, _json({"requests": [r.as_dict() for r in records]}))

        self._after_folding_live(reply)

    def _ledger_reset(self, conn: HttpConnection, request: Request) -> None:
        cleared = self.ledger.reset()
        self._fault_uses.clear()
        self._count(200)
        conn.respond(200, _json({"cleared": cleared}))

    def _stats(self, conn: HttpConnection, request: Request) -> None:
        def reply() -> None:
            usage = resource.getrusage(resource.RUSAGE_SELF)
            body = {
                **self.stats.snapshot(),
                # Client connections open now, the one asking excluded. More than
                # active_streams + queued: the rest are idle (a client's keep-alive pool).
                "open_connections": max(0, self.connections.open - 1),
                "connections_opened": self.connections.opened,
                "cpu_user_s": usage.ru_utime,
                "cpu_system_s": usage.ru_stime,
                "uptime_s": (time.monotonic_ns() - self._started_ns) / 1e9,
                "wakeup": self._scheduler.wakeup_kind if self._scheduler is not None else None,
                "tick_us": self.settings.tick_us,
                "cyclic_gc": gc.isenabled(),
                "write_path": WRITE_PATH,
                "models": self.settings.models or None,
                "length_rule": self.length_rule,
            }
            self._count(200)
            conn.respond(200, _json(body))

        self._after_folding_live(reply)

    # completions

    def _chat(self, conn: HttpConnection, request: Request) -> None:
        self._completion(conn, request, "chat")

    def _completions(self, conn: HttpConnection, request: Request) -> None:
        self._completion(conn, request, "completion")

    def _new_request_id(self) -> str:
        # A random per-process prefix and a counter: unique like a uuid4, a tenth of the cost.
        self._ids_issued += 1
        return f"mock-{self._id_prefix}{self._ids_issued:08x}"

    def _check_auth(self, request: Request) -> None:
        key = self.settings.api_key
        if key is None:
            return
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth[len("Bearer ") :] != key:
            raise ApiError(401, "Incorrect API key provided. (mock_llm)", code="invalid_api_key")

    def _serves(self, model: str) -> bool:
        return not self.models or model in self.models

    def _unknown_model(self, model: str) -> ApiError:
        return ApiError(
            404,
            f"The model `{model}` does not exist or you do not have access to it.",
            param="model",
            code="model_not_found",
        )

    def _completion(self, conn: HttpConnection, request: Request, endpoint: str) -> None:
        dispatched = time.monotonic_ns()
        request_id = request.headers.get("x-request-id") or self._new_request_id()
        id_header = [("x-request-id", request_id)]
        seq = self.ledger.next_seq()
        record = LedgerRecord(
            id=request_id,
            seq=seq,
            endpoint=endpoint,
            stream=False,
            model="",
            arrival_ns=request.arrival_ns or dispatched,
        )
        self.ledger.add(record)
        conn.records.append(record)
        job = _Completion(conn, request, record, id_header, dispatched)
        if (
            self._max_defer_ns > 0
            and self._scheduler is not None
            and (self._deferred or self._scheduler.behind())
        ):
            self._defer(job)
            return
        self._start(job)

    def _defer(self, job: _Completion) -> None:
        """Plan this request after the tokens already due are written.

        Planning costs ~60-80 us a request. Planned at once, a burst of
        requests read in one loop turn would run before the timer wheel's slot
        due in the same turn, and every stream's tokens would wait. A
        deferred request keeps its dispatch time: its deadlines count from it,
        so the wait shows as lateness of its first token if it ever matters,
        not hidden in the TTFT.

        A request waits at most one scheduler slot (``tick_us``; none when the TTFT
        is 0): a mock that is always behind (overloaded, or zero delay) must
        still start new streams, and within the wheel's own granularity the
        wait costs a first token due 10 ms later nothing.
        """
        self._deferred.append(job)
        if not self._drain_scheduled:
            self._drain_scheduled = True
            asyncio.get_running_loop().call_soon(self._drain_deferred)

    def _drain_deferred(self) -> None:
        """Plan deferred requests in order while no slot is due (or they waited enough)."""
        self._drain_scheduled = False
        scheduler = self._scheduler
        deferred = self._deferred
        try:
            while deferred and (
                scheduler is None
                or not scheduler.behind()
                or time.monotonic_ns() - deferred[0].dispatched_ns >= self._max_defer_ns
            ):
                job = deferred.popleft()
                try:
                    self._start(job)
                except Exception as exc:
                    # One broken request must not strand the rest. In
                    # data_received uvloop would have closed its connection.
                    asyncio.get_running_loop().call_exception_handler(
                        {"message": "mock_llm: planning a request failed", "exception": exc}
                    )
                    if job.conn.transport is not None:
                        job.conn.transport.abort()
        finally:
            if deferred and not self._drain_scheduled:
                # The loop polls its sockets and the wheel's timer before this runs again.
                self._drain_scheduled = True
                asyncio.get_running_loop().call_soon(self._drain_deferred)

    def _start(self, job: _Completion) -> None:
        """Validate, plan and admit a completion whose ledger record exists."""
        conn, request, record, id_header = job.conn, job.request, job.record, job.id_header
        if conn.closed:
            # Gone while its request waited to be planned: nothing generated.
            record.disconnected = True
            record.disconnect_ns = record.closed_ns
            record.finish_reason = "client_disconnected"
            record.completed_ns = time.monotonic_ns()
            self.stats.disconnects += 1
            self.ledger.finished(record)
            return
        now = job.dispatched_ns
        try:
            parsed, plan = self._accept(request, record, id_header)
        except ApiError as error:
            record.status = error.status
            if record.finish_reason is None:
                record.finish_reason = "rejected"
            record.completed_ns = time.monotonic_ns()
            self.ledger.finished(record)
            self._reply_error(conn, error, id_header)
            return
        record.tokens_planned = sum(plan.chunk_tokens)
        # Per request, never per token: the plan's text by reference (ledger.py).
        record.text_chars = len(plan.text)
        if record.text_chars <= LEDGER_TEXT_MAX_CHARS:
            record.text = plan.text
        chat = record.endpoint == "chat"
        # record.id, not the id at arrival: the prompt's marker may have named it.
        completion_id = ("chatcmpl-" if chat else "cmpl-") + record.id[-24:]
        encoder = ChunkEncoder(
            endpoint="chat" if chat else "completion",
            completion_id=completion_id,
            created=int(time.time()),
            model=parsed.model,
            include_usage=parsed.include_usage,
        )
        assert self._scheduler is not None
        stream = TokenStream(
            plan=plan,
            record=record,
            encoder=encoder,
            conn=conn,
            scheduler=self._scheduler,
            stats=self.stats,
            on_finished=self._release,
            keep_token_times=self.settings.keep_token_times,
        )
        conn.responder = stream
        self._admit(conn, stream, now)

    def _accept(
        self,
        request: Request,
        record: LedgerRecord,
        id_header: list[tuple[str, str]],
    ) -> tuple[CompletionRequest, StreamPlan]:
        """Validate and plan a completion; raise ApiError for anything OpenAI would reject."""
        self._check_auth(request)
        ctype = request.headers.get("content-type", "application/json")
        if not ctype.startswith("application/json"):
            raise ApiError(400, f"Unsupported content type {ctype!r}; send application/json")
        parsed = parse_request(record.endpoint, request.body)  # type: ignore[arg-type]
        record.model = parsed.model
        record.stream = parsed.stream
        # Before anything can reject it: a rejected request's record carries the marker's id.
        parsed, marked = self._apply_marker(parsed, request, record, id_header)
        if not self._serves(parsed.model):
            raise self._unknown_model(parsed.model)
        overrides = parse_overrides(parsed.mock, request.headers, marked)
        seed = self.settings.seed if overrides.seed is None else overrides.seed
        rng = LazyRandom(request_seed(seed, record.seq))
        fault = self._choose_fault(overrides.fault, rng, record.id)
        if fault is not None and fault.kind == "status":
            record.fault = "status"
            record.finish_reason = "fault"
            retry_after = (
                fault.retry_after if fault.retry_after is not None else self.settings.retry_after_s
            )
            raise status_error(fault.status, retry_after)
        plan = plan_stream(self.settings, self.vocabulary, parsed, overrides, fault, rng, id_header)
        return parsed, plan

    def _apply_marker(
        self,
        parsed: CompletionRequest,
        request: Request,
        record: LedgerRecord,
        id_header: list[tuple[str, str]],
    ) -> tuple[CompletionRequest, MockOverrides]:
        """Find the prompt's marker: its id names the record unless an ``x-request-id`` came.

        Returns the request with the marker cut out of its prompt (echo mode
        echoes what the user wrote) and the marker's overrides, which headers
        and the body override field by field.
        """
        search: MarkerSearch = find_marker(parsed.prompt_text, *parsed.marker_span)
        if search.malformed:
            self.stats.markers_malformed += len(search.malformed)
            self.stats.marker_malformed_last = search.malformed[0]
            for why in search.malformed:
                _log.debug("request %s: '[sg:' in the prompt is no marker: %s", record.id, why)
        marker = search.marker
        if marker is None:
            return parsed, NO_OVERRIDES
        self.stats.markers_seen += 1
        if not request.headers.get("x-request-id"):
            self.ledger.rename(record, marker.request_id)
            id_header[0] = ("x-request-id", marker.request_id)
        stripped = dataclasses.replace(
            parsed, prompt_text=without_marker(parsed.prompt_text, marker), marker_span=(0, 0)
        )
        return stripped, marker.overrides

    def _choose_fault(
        self, requested: FaultSpec | None, rng: Draws, request_id: str
    ) -> FaultSpec | None:
        """The request's own fault (up to ``times`` per request id), else maybe a random one."""
        if requested is not None:
            if requested.times is not None:
                used = self._fault_uses.get(request_id, 0)
                self._fault_uses[request_id] = used + 1
                if used >= requested.times:
                    return None
            return requested
        return random_fault(self.settings, rng)

    # admission (max_concurrent with a queue or immediate 429)

    def _admit(self, conn: HttpConnection, stream: TokenStream, now: int) -> None:
        if self._admission.admit(stream, now):
            return
        s = self.settings
        stream.finished = True
        rec = stream.record
        rec.status = 429
        rec.finish_reason = "rejected"
        rec.completed_ns = now
        self.ledger.finished(rec)
        self._reply_error(
            conn,
            rate_limited(
                s.retry_after_s, s.max_concurrent, "Too many concurrent requests (mock_llm)"
            ),
            stream.plan.headers,
        )

    def _release(self, stream: TokenStream) -> None:
        self._count(200 if stream.record.status == 200 else stream.record.status)
        self.ledger.finished(stream.record)
        self._admission.release(stream)


def create_app(settings: MockSettings) -> MockServer:
    return MockServer(settings)
