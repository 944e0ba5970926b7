"""A private proxy in front of the service under test: ``--proxy haproxy:defaults``.

What a team's service does behind the proxy it deploys with (``deploy/nginx/*.conf``,
``deploy/haproxy/*.cfg``): the scenarios then stream through it, and the judgements
name it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from . import haproxy, nginx

ProxyKind = Literal["nginx", "haproxy"]
KINDS: tuple[ProxyKind, ...] = ("nginx", "haproxy")


@dataclass(frozen=True)
class ProxySpec:
    kind: ProxyKind
    template: str

    @property
    def label(self) -> str:
        name = "nginx" if self.kind == "nginx" else "HAProxy"
        suffix = "conf" if self.kind == "nginx" else "cfg"
        return f"{name} ({self.template}.{suffix})"


def templates(kind: ProxyKind) -> list[str]:
    return nginx.template_names() if kind == "nginx" else haproxy.template_names()


def parse_proxy(value: str) -> ProxySpec:
    """``KIND:TEMPLATE`` (``haproxy:defaults``); a ``ValueError`` says what exists."""
    name, _, template = value.partition(":")
    if name not in KINDS:
        raise ValueError(f"expected KIND:TEMPLATE, KIND one of {', '.join(KINDS)}; got {value!r}")
    kind: ProxyKind = "nginx" if name == "nginx" else "haproxy"
    known = templates(kind)
    if template not in known:
        raise ValueError(f"no {kind} template {template!r} (known: {', '.join(known)})")
    return ProxySpec(kind, template)


def find_binary(kind: ProxyKind) -> str | None:
    return nginx.find_nginx() if kind == "nginx" else haproxy.find_haproxy()


@contextlib.contextmanager
def running_front_proxy(spec: ProxySpec, upstream_url: str, prefix: Path) -> Iterator[str]:
    """Start the proxy in front of ``upstream_url``; yield its URL; always stop it."""
    prefix.mkdir(parents=True, exist_ok=True)
    if spec.kind == "nginx":
        with nginx.running_nginx(spec.template, upstream_url, prefix=prefix) as instance:
            yield instance.url
    else:
        with haproxy.running_haproxy(spec.template, upstream_url, prefix=prefix) as instance:
            yield instance.url
