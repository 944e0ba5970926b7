"""The suite's Locust users: a streaming user, a health probe, a user who leaves early.

Every user reads its settings from Locust's parsed options (:mod:`.options`) at start.
Stream requests carry ``Accept-Encoding: identity``: FastHttpUser asks for gzip by
default and does not decompress in stream mode (docs/behaviours.md#locust).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from locust import FastHttpUser, constant, constant_pacing, task

from ..client import ledger as ledger_client
from ..client.leaving import ContentCounter
from ..client.records import RequestRecord
from ..client.response_shapes import ResponseShape, read_record
from ..load.stream_samples import ITL, REQUEST_TYPE, stream_outcome
from ..metrics import request_error
from .options import SuiteConfig, config_from
from .reading import StopRule, read_body, release

__all__ = [
    "LEDGER_TYPE",
    "LEFT_STREAM_NAME",
    "PROBE_NAME",
    "STREAM_NAME",
    "TOKENS_AFTER_LEAVING",
    "UPSTREAM_CLOSED_AFTER",
    "DisconnectingUser",
    "HealthProbeUser",
    "StreamingUser",
]

#: Locust's own row for the streaming POST: its time is time to headers (docs/behaviours.md#locust),
#: its failures are the failed streams (the SLO's error ratio).
STREAM_NAME = "stream"
LEFT_STREAM_NAME = "stream (leaves early)"
PROBE_NAME = "healthz"
LEDGER_TYPE = "LEDGER"
TOKENS_AFTER_LEAVING = "tokens after leaving"
UPSTREAM_CLOSED_AFTER = "upstream closed after leaving"
#: How long a left stream waits for its upstream to finish before it is reported as it
#: stands (a leaking upstream generates to the end of its stream).
_LEDGER_PATIENCE_NS = 30_000_000_000


class _StreamUser(FastHttpUser):
    """POSTs one stream and reads it read by read (:mod:`.reading`)."""

    abstract = True

    def on_start(self) -> None:
        self.config: SuiteConfig = config_from(self.environment.parsed_options)
        endpoint = self.config.endpoint
        # The shape's own headers (auth) may replace these defaults, as in the core client.
        defaults = {
            "Accept": "text/event-stream",
            "Accept-Encoding": "identity",
            "Content-Type": "application/json",
        }
        extra = endpoint.headers(self.config.mock_headers)
        given = {name.lower() for name in extra}
        self._headers = {
            **{k: v for k, v in defaults.items() if k.lower() not in given},
            **extra,
        }

    def _fire(
        self, request_type: str, name: str, value: float, length: int, error: str | None
    ) -> None:
        self.environment.events.request.fire(
            request_type=request_type,
            name=name,
            response_time=value,
            response_length=length,
            exception=error,
            context={},
        )

    def _stream(
        self, name: str, *, request_id: str | None = None, stop: StopRule | None = None
    ) -> tuple[RequestRecord, Any]:
        """Send, read to the end (or until ``stop``), release the connection.

        Returns the record and Locust's response; the caller marks the response
        (``success()``/``failure()``) inside ``with response:``, which reports it.
        """
        config = self.config
        request_id = request_id or f"sg-locust-{uuid.uuid4().hex}"
        headers = {**self._headers, "x-request-id": request_id}
        body = config.endpoint.body(
            request_id=request_id,
            shaping=config.shaping,
            max_tokens=config.max_tokens,
            prompt=config.prompt,
        )
        clock = time.perf_counter_ns
        sent_ns = clock()
        response = self.client.request(
            "POST",
            config.endpoint.url,
            name=name,
            # Bytes, as Locust's docstring allows ("String/bytes"): the UTF-8 body as built.
            data=body,  # type: ignore[arg-type]
            headers=headers,
            stream=True,
            catch_response=True,
        )
        headers_ns = clock()
        status: int | None = response.status_code or None
        record = RequestRecord(
            request_id=request_id,
            scenario="locust",
            target=self.host or "",
            sent_ns=sent_ns,
            headers_ns=headers_ns if status else None,
            status=status,
        )
        raw = response._response
        if status is None or raw is None:
            error = getattr(response, "error", None)
            record.error = f"{type(error).__name__}: {error}" if error else "no response"
            record.closed_ns = clock()
        elif 200 <= status < 300:
            record.response_headers = _lower_headers(response.headers)
            try:
                read_body(raw, record, headers_ns, stop=stop, clock=clock)
            finally:
                release(raw)
        else:
            # request_error() reports the status; the unread body goes with the socket.
            release(raw)
            record.closed_ns = clock()
        return record, response


class StreamingUser(_StreamUser):
    """One concurrent stream per user, back to back (closed loop).

    Fires the stream's samples (:mod:`loadtests.load.stream_samples`: TTFB, first event,
    TTFT, ITL per gap, E2E, tokens, events per read) and marks the ``stream`` request
    failed on a transport error, a non-2xx status, an error event or a missing ``[DONE]``.
    """

    wait_time = constant(0)
    weight = 4

    @task
    def stream(self) -> None:
        record, response = self._stream(STREAM_NAME)
        outcome = stream_outcome(record, self.config.endpoint.response)
        with response:
            if outcome.error is None:
                response.success()
            else:
                response.failure(outcome.error)
        for sample in outcome.samples:
            self._fire(REQUEST_TYPE, sample.name, sample.value, sample.length, sample.error)
        if outcome.itl_ms:
            # One sample per token: straight into the ITL row, skipping the request event
            # (its listener dispatch and the "Aggregated" row) that would double the CPU
            # per event. The row reaches CSV/JSON/HTML and a master like any other.
            log = self.environment.stats.get(ITL, REQUEST_TYPE).log
            for gap_ms in outcome.itl_ms:
                log(gap_ms, 0)


@dataclass(frozen=True, slots=True)
class _Left:
    request_id: str
    closed_ns: int


class _LeaveAfter:
    """Stop rule: true once ``k`` content events arrived (parsed read by read)."""

    def __init__(self, k: int, shape: ResponseShape) -> None:
        self._k = k
        self._count = ContentCounter(shape)

    def __call__(self, record: RequestRecord) -> bool:
        return self._count(record) >= self._k


def _lower_headers(headers: Any) -> dict[str, str]:
    """Locust's response headers with lower-case names (``auto`` reads Content-Type)."""
    if headers is None:
        return {}
    return {str(name).lower(): str(value) for name, value in headers.items()}


class DisconnectingUser(_StreamUser):
    """Reads ``--leave-after`` content events, then closes the connection.

    With ``--ledger-url`` (the mock_llm behind the service) it looks each left stream up
    in the mock's ledger by its ``x-request-id`` once the upstream finished, and fires
    ``tokens after leaving`` (tokens the upstream wrote after the close) and ``upstream
    closed after leaving`` (ms). The service must forward ``x-request-id`` upstream.
    """

    wait_time = constant(0.2)
    weight = 1

    def on_start(self) -> None:
        super().on_start()
        self._pending: list[_Left] = []

    @task
    def leave_early(self) -> None:
        self._report_ledger()
        request_id = f"sg-locust-{uuid.uuid4().hex}"
        stop = _LeaveAfter(self.config.leave_after, self.config.endpoint.response)
        record, response = self._stream(LEFT_STREAM_NAME, request_id=request_id, stop=stop)
        closed_ns = time.perf_counter_ns()  # after release(): the socket is closed
        result = read_record(record, self.config.endpoint.response)
        error = request_error(record, result, require_done=False)
        with response:
            if error is None:
                response.success()
            else:
                response.failure(error)
        if error is None and self.config.ledger_url is not None:
            self._pending.append(_Left(request_id, closed_ns))

    def on_stop(self) -> None:
        self._report_ledger(final=True)

    def _report_ledger(self, *, final: bool = False) -> None:
        """Report left streams whose upstream finished; keep the others for later."""
        ledger_url = self.config.ledger_url
        if ledger_url is None or not self._pending:
            return
        waiting: list[_Left] = []
        now = time.perf_counter_ns()
        for left in self._pending:
            give_up = final or now - left.closed_ns > _LEDGER_PATIENCE_NS
            try:
                records = ledger_client.fetch_records(ledger_url, left.request_id)
            except httpx.HTTPError as exc:
                self._fire(LEDGER_TYPE, TOKENS_AFTER_LEAVING, 0, 0, f"ledger: {exc!r}")
                continue
            record = records[-1] if records else None
            if record is None:
                if give_up:
                    self._fire(LEDGER_TYPE, TOKENS_AFTER_LEAVING, 0, 0, "no ledger record")
                else:
                    waiting.append(left)
                continue
            finished = record.get("finish_reason") is not None or record.get("closed_ns")
            if not finished and not give_up:
                waiting.append(left)
                continue
            truth = ledger_client.after_leaving(record, left.closed_ns)
            after = truth.tokens_after_leaving
            self._fire(LEDGER_TYPE, TOKENS_AFTER_LEAVING, after, after, None)
            if truth.upstream_closed_after_ms is not None:
                self._fire(
                    LEDGER_TYPE, UPSTREAM_CLOSED_AFTER, truth.upstream_closed_after_ms, 0, None
                )
        self._pending = waiting


class HealthProbeUser(FastHttpUser):
    """``GET --probe-path`` at ``--probe-rate`` per second; exactly one such user.

    A service that blocks its event loop shows here as latency of a trivial endpoint.
    ``constant_pacing`` waits for a late probe before sending the next, and the probe
    shares the load generator's process: read it as a blocking detector, not a precise
    latency (docs/behaviours.md#event-loop-lag: a prober inside the generator saw p99 792 ms,
    a separate one saw 33 ms; ``loadtests/client/prober.py`` is the precise one).
    """

    fixed_count = 1

    def on_start(self) -> None:
        config = config_from(self.environment.parsed_options)
        self._path = config.probe_path
        self._pacing = constant_pacing(1.0 / config.probe_rate)

    def wait_time(self) -> float:
        return self._pacing(self)

    @task
    def probe(self) -> None:
        self.client.get(self._path, name=PROBE_NAME)
