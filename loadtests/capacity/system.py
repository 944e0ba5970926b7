"""What ``streamgauge capacity`` loads, and how the Locust users call and read it.

The embedded default (mock_llm + one service variant), ``--app`` (started here in front
of a mock of its own) or ``--target``; ``--nginx`` or ``--proxy`` in front. The Locust
processes are told the endpoint's path, shapes and model as the suite's own flags
(:mod:`loadtests.locust_suite.options`), so they send and read what the target speaks.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..client.endpoints import Endpoint, service_endpoint
from ..commands.target_options import Say, aimed, target_endpoint, target_environment
from ..systems.environment import Environment, embedded
from ..systems.nginx import running_nginx
from .options import CapacityOptions

__all__ = ["System", "running_system", "suite_shape_args"]


@dataclass(frozen=True)
class System:
    """``host``: the base URL Locust loads (a proxy's, if any); ``endpoint``: its stream."""

    host: str
    endpoint: Endpoint
    env: Environment
    described_as: str


@contextlib.contextmanager
def running_system(opts: CapacityOptions, log_dir: Path, say: Say) -> Iterator[System]:
    """Start (or describe) the service under test, with nginx in front if asked; stop all."""
    args = opts.args
    with contextlib.ExitStack() as stack:
        if opts.variant is None:
            env = stack.enter_context(target_environment(args, log_dir, say))
            endpoint = aimed(target_endpoint(args), env, args, say)
            described = env.described_as
        else:
            say(f"[bold]starting[/] mock_llm + service variant {opts.variant} ...")
            env = stack.enter_context(embedded([opts.variant], log_dir, opts.mock_flags))
            endpoint = service_endpoint("target", env.services[opts.variant])
            described = f"embedded {opts.variant}"
        host = endpoint.base_url
        if args.nginx is not None:
            proxy = stack.enter_context(
                running_nginx(args.nginx, host, prefix=log_dir / f"nginx-{args.nginx}")
            )
            say(f"[bold]nginx[/] ({args.nginx}) {proxy.url} -> {host}")
            host = proxy.url
            described = f"{described} behind nginx {args.nginx}"
        yield System(host, endpoint, env, described)


def suite_shape_args(endpoint: Endpoint) -> list[str]:
    """The Locust suite's flags for ``endpoint``'s path, request and response shapes, model."""
    request, response = endpoint.request, endpoint.response
    flags = ["--stream-path", endpoint.url.removeprefix(endpoint.base_url) or "/"]
    if request.template is not None:
        flags += ["--body", request.template]
    else:
        flags += ["--request-shape", request.preset]
    for name, value in request.headers:
        flags += ["--header", f"{name}: {value}"]
    flags += ["--response-shape", response.name]
    if response.token_field is not None:
        flags += ["--token-field", response.token_field]
    if request.preset.startswith("openai") and endpoint.model is not None:
        flags += ["--model", endpoint.model]
    return flags
