"""Scenario ``buffering``: the service behind a real nginx, one generated config per path.

Paths (name: config from ``deploy/nginx/``, service variant, client encoding):

- ``direct``: no proxy, ``no_accel_header``; the control
- ``nginx_defaults``: ``defaults.conf``, ``no_accel_header``
- ``nginx_defaults_accel_header``: ``defaults.conf``, ``reference``
- ``nginx_buffering_off``: ``buffering_off.conf``, ``no_accel_header``
- ``nginx_gzip``: ``gzip.conf``, ``no_accel_header``, client sends ``Accept-Encoding: gzip``
- ``nginx_gzip_accel_header``: ``gzip.conf``, ``reference``, gzip too

One stream per path (``events`` x ``itl_ms``), all paths at once: a handful of paced
streams is no load for the client or the servers, and the client's own event-loop lag
is measured to prove it. Per path: time to headers, first byte, first event and first
token, the last event, and how the content events were grouped into reads.

Verdict per path: :func:`loadtests.scenarios.buffering_detector.detect_buffering` (``streams`` /
``buffered``), ``error`` when the request failed. Expected per path:
:func:`expected_verdict`, nginx 1.22's behaviour as measured, applied to what each
service's response head says when asked the way nginx asks (HTTP/1.0), because that
decides the ``defaults`` paths: see :mod:`loadtests.scenarios.proxy_framing`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import uuid
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..client.endpoints import mock_headers
from ..client.loop_lag import LoopLagProbe, lag_verdict
from ..client.marker import Shaping, marked_prompt
from ..client.records import RequestRecord
from ..client.request_shapes import RequestShape
from ..client.response_shapes import SERVICE_SSE, ResponseShape, read_record
from ..client.stream_client import stream_request
from ..metrics import request_error, request_metrics
from ..systems.nginx import NginxStartError, find_nginx, running_nginx
from .buffering_control import control_stream
from .buffering_detector import (
    BufferingEvidence,
    decompressed_reads,
    detect_buffering,
    is_gzip,
)
from .buffering_paths import PATHS, ProxyPath, expected_verdict, headline, paths_for
from .proxy_framing import UpstreamHead, probe_http10
from .result import ScenarioResult

__all__ = [
    "PATHS",
    "ProxyPath",
    "expected_verdict",
    "headline",
    "measure_path",
    "paths_for",
    "run_buffering",
]

_STREAM_PATH = "/chat/stream"
_PROMPT_TEXT = "Tell me about proxies."
_PROMPT = {"prompt": _PROMPT_TEXT}


@dataclass(frozen=True)
class _Request:
    """What every stream of the scenario sends, and how it is read."""

    shape: RequestShape
    response: ResponseShape
    shaping: Shaping | None
    max_tokens: int | None

    def body(self, request_id: str) -> bytes:
        prompt = marked_prompt(_PROMPT_TEXT, request_id, self.shaping)
        return self.shape.body(prompt, max_tokens=self.max_tokens)

    def probe_body(self, request_id: str) -> Mapping[str, object]:
        """The body as an object (the HTTP/1.0 probe takes one; a template may not be)."""
        obj = json.loads(self.body(request_id))
        return obj if isinstance(obj, dict) else _PROMPT


def _ms(ns: float | None) -> float | None:
    return None if ns is None else round(ns / 1e6, 2)


def measure_path(
    record: RequestRecord, response: ResponseShape = SERVICE_SSE
) -> tuple[dict[str, Any], BufferingEvidence, str | None]:
    """Numbers, detector evidence and error (or ``None``) of one path's record. Pure.

    A gzip body is inflated read by read first, so events keep their read's arrival
    time; ``ttfb_ms`` is still the first (compressed) byte. ``response`` reads the body.
    """
    compressed = is_gzip(record.reads)
    decoded = record
    inflate_error: str | None = None
    if compressed:
        try:
            decoded = dataclasses.replace(record, reads=decompressed_reads(record.reads))
        except zlib.error as exc:
            inflate_error = f"corrupt gzip body: {exc}"
    stream = read_record(decoded, response)
    metrics = request_metrics(decoded, stream)
    evidence = detect_buffering(record.sent_ns, stream.token_arrivals_ns)
    sent = record.sent_ns
    numbers: dict[str, Any] = {
        "status": record.status,
        "headers_ms": _ms(None if record.headers_ns is None else record.headers_ns - sent),
        "ttfb_ms": _ms(metrics.ttfb_ns),
        "first_event_ms": _ms(metrics.time_to_first_event_ns),
        "ttft_ms": _ms(metrics.ttft_ns),
        "last_event_ms": _ms(metrics.e2e_ns),
        "n_reads": len(record.reads),
        "bytes_received": record.bytes_received,
        "compressed": compressed,
        "events": evidence.n_events,
        "arrivals_with_events": evidence.n_arrivals,
        "events_per_arrival": evidence.events_per_arrival,
        "max_events_per_arrival": evidence.max_events_per_arrival,
        "max_gap_ms": _ms(evidence.max_gap_ns),
        "first_event_share": evidence.first_event_share,
    }
    return numbers, evidence, inflate_error or request_error(decoded, stream)


def _evidence_line(path: ProxyPath, numbers: Mapping[str, Any], verdict: str, exp: str) -> str:
    n = numbers
    reads = n["arrivals_with_events"]
    gap = "no gap" if n["max_gap_ms"] is None else f"max gap {n['max_gap_ms']} ms"
    return (
        f"{path.name} ({path.label}): headers {n['headers_ms']} ms, first byte "
        f"{n['ttfb_ms']} ms, first event {n['first_event_ms']} ms, TTFT {n['ttft_ms']} ms, "
        f"last event {n['last_event_ms']} ms; {n['events']} events in {reads} "
        f"read{'' if reads == 1 else 's'} (max {n['max_events_per_arrival']} per read), "
        f"{gap} -> {verdict} (expected {exp})"
    )


async def _probe_heads(
    urls: Mapping[str, str],
    headers: Mapping[str, str],
    result: ScenarioResult,
    request: _Request,
    stream_path: str,
) -> dict[str, UpstreamHead]:
    heads: dict[str, UpstreamHead] = {}
    tag = uuid.uuid4().hex[:8]
    for variant, url in urls.items():
        try:
            head = await probe_http10(
                url + stream_path,
                request.probe_body(f"buffering-probe-{variant}-{tag}"),
                headers={**dict(request.shape.headers), **headers},
            )
        except (OSError, TimeoutError, ValueError) as exc:
            result.invalidate(f"{variant}: HTTP/1.0 probe failed: {exc!r}")
            continue
        heads[variant] = head
        result.numbers.setdefault("upstream_http10", {})[variant] = {
            "status": head.status,
            "framing": head.framing,
            "x_accel_buffering": head.headers.get("x-accel-buffering"),
        }
        result.evidence.append(
            f"{variant} answers an HTTP/1.0 request {head.status} with {head.framing} framing"
            + (", X-Accel-Buffering: no" if head.accel_buffering_off else ", no X-Accel-Buffering")
        )
    return heads


def _skipped(result: ScenarioResult, reason: str) -> ScenarioResult:
    result.skipped = reason
    result.invalidate(reason)
    return result


def _start_proxies(
    stack: contextlib.ExitStack,
    paths: list[ProxyPath],
    urls: Mapping[str, str],
    *,
    binary: str,
    log_dir: Path | None,
    result: ScenarioResult,
) -> dict[str, str]:
    """Start one nginx per proxied path (stopped with ``stack``); path name -> URL to hit.

    Blocking, on purpose: each start takes tens of ms and nothing is timed meanwhile.
    """
    targets: dict[str, str] = {}
    for path in paths:
        if path.template is None:
            targets[path.name] = urls[path.variant]
            continue
        prefix = None if log_dir is None else log_dir / f"nginx-{path.name}"
        try:
            instance = stack.enter_context(
                running_nginx(path.template, urls[path.variant], nginx_path=binary, prefix=prefix)
            )
        except NginxStartError as exc:
            result.verdicts[path.name] = "error"
            result.invalidate(f"{path.name}: nginx did not start: {exc}")
            continue
        targets[path.name] = instance.url
    return targets


async def _stream_all(
    paths: list[ProxyPath],
    targets: Mapping[str, str],
    headers: Mapping[str, str],
    timeout_s: float,
    request: _Request,
    *,
    stream_path: str,
) -> tuple[list[RequestRecord], dict[str, float | None]]:
    """One stream per path, all at once, while the client's own loop lag is measured."""
    tag = uuid.uuid4().hex[:8]
    lag = LoopLagProbe()
    lag.start()
    try:
        records = await asyncio.gather(
            *(
                stream_request(
                    targets[p.name] + stream_path,
                    request.body(f"buffering-{p.name}-{tag}"),
                    request_id=f"buffering-{p.name}-{tag}",
                    scenario="buffering",
                    headers={
                        **dict(request.shape.headers),
                        **headers,
                        **({"accept-encoding": "gzip"} if p.client_gzip else {}),
                    },
                    timeout_s=timeout_s,
                )
                for p in paths
            )
        )
    finally:
        await lag.stop()
    return list(records), lag.summary_ms()


async def _measure_control(
    result: ScenarioResult,
    mock_url: str,
    *,
    events: int,
    itl_ms: float,
    ttft_ms: float,
    timeout_s: float,
) -> None:
    control = await control_stream(
        mock_url,
        events=events,
        itl_ms=itl_ms,
        ttft_ms=ttft_ms,
        tag=uuid.uuid4().hex[:8],
        timeout_s=timeout_s,
    )
    result.numbers["control_direct_to_mock"] = control
    result.evidence.append(
        f"control (direct to mock): {control['events']} events in "
        f"{control['arrivals_with_events']} reads -> {control['verdict']}"
    )
    if control["verdict"] != "streams":
        result.invalidate(
            f"the harness's own direct-to-mock stream reads {control['verdict']}: the client "
            "or the machine merges events, so nothing behind the service can be judged"
        )


def _paths_with_services(
    paths: Sequence[ProxyPath], service_urls: Mapping[str, str], result: ScenarioResult
) -> list[ProxyPath]:
    """The paths whose service is running; none (the scenario skipped, said why) if none."""
    kept = [p for p in paths if p.variant in service_urls]
    if not kept:
        wanted = sorted({p.variant for p in paths})
        _skipped(result, f"needs services {wanted}, got {sorted(service_urls)}")
        return []
    result.evidence.extend(
        f"{p.name}: skipped, no {p.variant} service" for p in paths if p not in kept
    )
    return kept


async def run_buffering(
    service_urls: Mapping[str, str],
    *,
    events: int = 50,
    itl_ms: float = 20.0,
    ttft_ms: float = 20.0,
    shape_upstream: bool = True,
    nginx_path: str | None = None,
    log_dir: Path | None = None,
    timeout_s: float = 30.0,
    paths: Sequence[ProxyPath] = PATHS,
    request_shape: RequestShape | None = None,
    response_shape: ResponseShape = SERVICE_SSE,
    stream_path: str = _STREAM_PATH,
    control_mock_url: str | None = None,
) -> ScenarioResult:
    """Measure every path of ``paths`` (default :data:`PATHS`) whose variant is in ``service_urls``.

    ``service_urls`` maps a variant (``reference``, ``no_accel_header``) to a service
    base URL. ``shape_upstream`` sends ``X-Mock-*`` headers so the mock streams
    ``events`` x ``itl_ms`` (the embedded services forward them). ``log_dir`` keeps
    each nginx's generated config and logs under ``log_dir/nginx-<path>/``.
    ``request_shape`` / ``response_shape``: how the streams are sent and read (default:
    our service's contract), at ``stream_path``. ``control_mock_url``: a team's service
    mode: a stream straight from that mock is the control (:mod:`.buffering_control`),
    and the service's own path arriving in bursts is then a finding, not a bad run.
    """
    settings: dict[str, Any] = {
        "events": events,
        "itl_ms": itl_ms,
        "ttft_ms": ttft_ms,
        "shape_upstream": shape_upstream,
        "timeout_s": timeout_s,
        # A client late by a whole event gap merges reads itself: no proof of buffering.
        "max_client_lag_p99_ms": itl_ms,
        "paths": {p.name: p.label for p in paths},
    }
    result = ScenarioResult(name="buffering", settings=settings, numbers={}, verdicts={})
    binary = nginx_path or find_nginx()
    if binary is None:
        return _skipped(
            result,
            "nginx not found (PATH, /usr/sbin); install it (Debian: apt-get install nginx) "
            "or leave the scenario out (--scenarios ttft,blocking,disconnect)",
        )
    settings["nginx"] = binary
    paths = _paths_with_services(paths, service_urls, result)
    if not paths:
        return result
    headers = mock_headers(ttft_ms, itl_ms, events) if shape_upstream else {}
    urls = {p.variant: service_urls[p.variant].rstrip("/") for p in paths}
    short = mock_headers(ttft_ms, itl_ms, 1) if shape_upstream else {}
    shape = request_shape or RequestShape()
    shaping = Shaping(ttft_ms=ttft_ms, itl_ms=itl_ms, tokens=events) if shape_upstream else None
    streams = _Request(shape, response_shape, shaping, events)
    probe_shaping = Shaping(ttft_ms=ttft_ms, itl_ms=itl_ms, tokens=1) if shape_upstream else None
    if control_mock_url is not None:
        await _measure_control(
            result,
            control_mock_url,
            events=events,
            itl_ms=itl_ms,
            ttft_ms=ttft_ms,
            timeout_s=timeout_s,
        )
    heads = await _probe_heads(
        urls, short, result, _Request(shape, response_shape, probe_shaping, 1), stream_path
    )
    with contextlib.ExitStack() as nginxes:
        targets = _start_proxies(
            nginxes, paths, urls, binary=binary, log_dir=log_dir, result=result
        )
        measured = [p for p in paths if p.name in targets]
        records, lag_ms = await _stream_all(
            measured, targets, headers, timeout_s, streams, stream_path=stream_path
        )

    result.numbers["client_loop_lag_ms"] = lag_ms
    if (reason := lag_verdict(lag_ms, settings["max_client_lag_p99_ms"])) is not None:
        result.invalidate(reason)
    result.records.extend(records)
    for path, record in zip(measured, records, strict=True):
        _judge(
            path,
            record,
            heads,
            result,
            events if shape_upstream else None,
            response=response_shape,
            controlled=control_mock_url is not None,
        )
    _compare_to_direct(result)
    return result


def _judge(
    path: ProxyPath,
    record: RequestRecord,
    heads: Mapping[str, UpstreamHead],
    result: ScenarioResult,
    events: int | None,
    *,
    response: ResponseShape = SERVICE_SSE,
    controlled: bool = False,
) -> None:
    numbers, evidence, error = measure_path(record, response)
    numbers.update(config=path.template or "direct", variant=path.variant, error=error)
    verdict = "error" if error is not None else evidence.verdict
    head = heads.get(path.variant)
    exp = expected_verdict(path, head) if head is not None else "unknown"
    result.numbers[path.name] = numbers
    result.verdicts[path.name] = verdict
    if head is not None:
        result.expected[path.name] = exp
    result.evidence.append(_evidence_line(path, numbers, verdict, exp))
    if error is not None:
        result.invalidate(f"{path.name}: request failed: {error}")
    elif verdict == "inconclusive":
        result.invalidate(f"{path.name}: {evidence.n_events} content events, too few to judge")
    if path.template is None and verdict not in ("streams", "error") and not controlled:
        result.invalidate(
            f"direct path reads {verdict}: the source or the client merges events, "
            "so merging behind nginx proves nothing"
        )
    if path.client_gzip and error is None and not numbers["compressed"]:
        result.invalidate(f"{path.name}: nginx did not compress, the gzip path measured nothing")
    if events is not None and error is None and evidence.n_events != events:
        result.evidence.append(
            f"{path.name}: {evidence.n_events} content events, not {events}: "
            "the service may not forward X-Mock-* headers"
        )


def _compare_to_direct(result: ScenarioResult) -> None:
    """Add ``ttft_added_ms``: each path's TTFT minus the direct path's."""
    direct = result.numbers.get("direct", {}).get("ttft_ms")
    if direct is None:
        return
    for name in result.verdicts:
        numbers = result.numbers.get(name)
        if name != "direct" and numbers is not None and numbers.get("ttft_ms") is not None:
            numbers["ttft_added_ms"] = round(numbers["ttft_ms"] - direct, 2)
