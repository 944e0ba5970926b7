"""The systems under test: the embedded default (mock_llm + every service variant)
or a user's endpoint, described the same way to every scenario.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..scenarios.expectations import EMBEDDED_VARIANTS
from .processes import (
    ServerProcess,
    ServerStartError,
    python_module,
    running_server,
    start_server,
    start_servers,
)

# The harness starts the embedded service as a process and imports none of it;
# tests/unit/systems/test_environment.py keeps this list equal to the service's own.
ALL_VARIANTS: tuple[str, ...] = EMBEDDED_VARIANTS


@dataclass
class Environment:
    """URLs of what is running. ``services`` maps a variant (or ``target``) to its base URL.

    ``mock_url`` is the mock_llm the services use as upstream: with it the
    ledger-based scenarios (disconnect savings) apply. ``forwards_mock_headers``
    says whether the services pass ``X-Mock-*`` headers upstream, so a scenario
    can shape the upstream per request; a user's service usually does not.
    """

    mock_url: str | None
    services: dict[str, str]
    forwards_mock_headers: bool
    external_target: bool = False
    processes: list[ServerProcess] = field(default_factory=list)
    # The service's process when the harness started it (``--app``): CPU and RSS.
    service_pid: int | None = None
    # What is in the path between the clients and the service, for headlines.
    described_as: str = "embedded service variants"


# Variants whose leak needs an await of the send path's own to show: bare
# uvicorn wakes a blocked send() in the same callback that reports the
# disconnect, so the cancel lands in the next upstream read instead (see
# docs/pitfalls/seed_recipe.md). Real apps have such awaits (a middleware doing
# async work per chunk); --send-delay-ms stands in for one.
SEND_PATH_AWAITS: dict[str, tuple[str, ...]] = {
    "seed_recipe": ("--send-delay-ms", "5"),
    "break_without_close": ("--send-delay-ms", "5"),
}


def service_argv(variant: str, upstream: str, *flags: str) -> list[str]:
    return python_module(
        "service",
        "--variant",
        variant,
        "--port",
        "0",
        "--upstream",
        upstream,
        "--forward-mock-headers",
        "true",
        *SEND_PATH_AWAITS.get(variant, ()),
        *flags,
    )


@contextlib.contextmanager
def embedded(
    variants: Sequence[str],
    log_dir: Path,
    mock_flags: Sequence[str] = (),
) -> Iterator[Environment]:
    """Start mock_llm and one service process per variant; always stop them all."""
    log_dir.mkdir(parents=True, exist_ok=True)
    mock = start_server(
        python_module("mock_llm", "--port", "0", "--on-disconnect", "abort", *mock_flags),
        log_path=str(log_dir / "mock_llm.log"),
    )
    started = [mock]
    try:
        services = start_servers(
            [service_argv(v, mock.url) for v in variants],
            log_paths=[str(log_dir / f"service-{v}.log") for v in variants],
        )
        started.extend(services)
        yield Environment(
            mock_url=mock.url,
            services={v: s.url for v, s in zip(variants, services, strict=True)},
            forwards_mock_headers=True,
            processes=started,
        )
    finally:
        for server in reversed(started):
            server.stop()


def external(target: str, mock_url: str | None) -> Environment:
    """A user's streaming endpoint base URL (and the mock_llm it uses, if any)."""
    return Environment(
        mock_url=mock_url,
        services={"target": target.rstrip("/")},
        forwards_mock_headers=False,
        external_target=True,
        described_as=f"your service at {target}",
    )


def app_env(mock_url: str, extra: Mapping[str, str]) -> dict[str, str]:
    """The app's environment: ours, the SDKs' upstream pointed at the mock, then ``extra``.

    The OpenAI and Anthropic SDKs read these themselves; a key is set only so that a
    client constructed without one does not refuse to start (the mock ignores it).
    """
    env = dict(os.environ)
    env.update(
        {
            "OPENAI_BASE_URL": f"{mock_url}/v1",
            "OPENAI_API_KEY": "sk-streamgauge-mock",
            "ANTHROPIC_BASE_URL": mock_url,
            "ANTHROPIC_API_KEY": "sk-ant-streamgauge-mock",
        }
    )
    env.update(extra)
    return env


@contextlib.contextmanager
def app(
    app_spec: str,
    log_dir: Path,
    *,
    app_dir: Path = Path(),
    extra_env: Mapping[str, str] | None = None,
    mock_flags: Sequence[str] = (),
) -> Iterator[Environment]:
    """Start mock_llm, then the team's ASGI app (``module:attr``) in front of it; stop both.

    The app runs unmodified under uvicorn on 127.0.0.1 port 0 in a child process, with
    ``OPENAI_BASE_URL`` (and ``ANTHROPIC_BASE_URL``) pointing at the mock.
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    with running_server(
        python_module("mock_llm", "--port", "0", "--on-disconnect", "abort", *mock_flags),
        log_path=str(log_dir / "mock_llm.log"),
    ) as mock:
        argv = python_module(
            "loadtests.systems.app_runner", app_spec, "--app-dir", str(app_dir.resolve())
        )
        env = app_env(mock.url, extra_env or {})
        log = log_dir / "app.log"
        try:
            service = start_server(argv, env=env, log_path=str(log))
        except ServerStartError:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
            raise ServerStartError(
                f"--app {app_spec} did not start; its log ends:\n{tail}"
            ) from None
        try:
            yield Environment(
                mock_url=mock.url,
                services={"target": service.url},
                forwards_mock_headers=False,
                external_target=True,
                processes=[mock, service],
                service_pid=service.pid,
                described_as=f"your app {app_spec}",
            )
        finally:
            service.stop()
