"""The buffering scenario's paths: the proxies between the client and a service, and
what nginx is expected to do on each. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass

from .proxy_framing import UpstreamHead
from .result import ScenarioResult


@dataclass(frozen=True)
class ProxyPath:
    """One way from the client to a service: ``template`` ``None`` means no proxy."""

    name: str
    template: str | None
    variant: str
    client_gzip: bool = False

    @property
    def label(self) -> str:
        config = f"{self.template}.conf" if self.template else "no proxy"
        return f"{config} -> {self.variant}" + (
            " (client accepts gzip)" if self.client_gzip else ""
        )


PATHS: tuple[ProxyPath, ...] = (
    ProxyPath("direct", None, "no_accel_header"),
    ProxyPath("nginx_defaults", "defaults", "no_accel_header"),
    ProxyPath("nginx_defaults_accel_header", "defaults", "reference"),
    ProxyPath("nginx_buffering_off", "buffering_off", "no_accel_header"),
    ProxyPath("nginx_gzip", "gzip", "no_accel_header", client_gzip=True),
    ProxyPath("nginx_gzip_accel_header", "gzip", "reference", client_gzip=True),
)


def paths_for(variant: str) -> tuple[ProxyPath, ...]:
    """Every proxy configuration in front of one service (a user's ``--target``)."""
    return (
        ProxyPath("direct", None, variant),
        ProxyPath("nginx_defaults", "defaults", variant),
        ProxyPath("nginx_buffering_off", "buffering_off", variant),
        ProxyPath("nginx_gzip", "gzip", variant, client_gzip=True),
    )


def expected_verdict(path: ProxyPath, head: UpstreamHead) -> str:
    """What nginx 1.22 does with this upstream response, as measured on this machine.

    - No proxy, ``proxy_buffering off``, or ``X-Accel-Buffering: no``: streams.
    - gzip on ``text/event-stream`` for a client accepting gzip: buffered (the gzip
      filter holds output until its buffers fill or the response ends).
    - Defaults (buffering on, HTTP/1.0 upstream): buffered when the upstream answers
      close-delimited, as HTTP/1.0 calls for; streams when it answers chunked anyway
      (uvicorn's httptools protocol does): nginx relays a chunked body per chunk.
    - HTTP/1.1 upstream (``gzip``/``http11`` configs otherwise): streams.
    """
    if path.template in (None, "buffering_off") or head.accel_buffering_off:
        return "streams"
    if path.template == "gzip" and path.client_gzip:
        return "buffered"
    if path.template == "defaults" and head.framing != "chunked":
        return "buffered"
    return "streams"


def headline(result: ScenarioResult) -> list[str]:
    """Sentences for a run summary: each buffered path's TTFT against direct, and the fix."""
    direct = result.numbers.get("direct", {}).get("ttft_ms")
    by_name = {p.name: p for p in PATHS}
    lines: list[str] = []
    for name, verdict in result.verdicts.items():
        numbers = result.numbers.get(name)
        if verdict != "buffered" or numbers is None or name not in by_name:
            continue
        lines.append(
            f"Behind nginx ({by_name[name].label}): first token after {numbers['ttft_ms']:.0f} ms"
            + (f" (direct {direct:.0f} ms)" if direct is not None else "")
            + f", {numbers['events']} events in {numbers['arrivals_with_events']} read(s)."
        )
    fixed = [
        f"{name} {result.numbers[name]['ttft_ms']:.0f} ms"
        for name in (
            "nginx_gzip_accel_header",
            "nginx_defaults_accel_header",
            "nginx_buffering_off",
        )
        if result.verdicts.get(name) == "streams"
    ]
    if lines and fixed:
        lines.append(
            "X-Accel-Buffering: no or proxy_buffering off streams it: TTFT "
            + ", ".join(fixed)
            + "."
        )
    return lines
