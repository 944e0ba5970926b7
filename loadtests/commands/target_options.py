"""The service under test, as every command that sends streams takes it.

``--app MODULE:ATTR`` (started here, in front of a mock of its own), ``--target URL``
(already running; ``--mock URL`` is the mock it streams from), or neither (the embedded
service variants); ``--proxy KIND:TEMPLATE`` in front; how it is called and what it
returns (:mod:`loadtests.client.shape_options`); ``--model`` for the openai-* shapes.
One set of flags and checks for ``run``, ``baseline``, ``gate`` and ``capacity``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from ..client.endpoints import Endpoint
from ..client.models import first_model_id
from ..client.shape_options import add_shape_arguments, shapes_from_args, shapes_given
from ..systems.environment import Environment, app, external
from ..systems.front_proxy import ProxySpec, find_binary, parse_proxy, running_front_proxy

_APP_SPEC = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*")

Say = Callable[[str], None]


class TargetError(Exception):
    """The target cannot be measured as described: exit 2."""


def _key_value(value: str) -> tuple[str, str]:
    key, sep, val = value.partition("=")
    if not sep or not key.strip() or key != key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {value!r}")
    return key, val


def _proxy(value: str) -> ProxySpec:
    try:
        return parse_proxy(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    """The service-under-test flags and the shape flags, in two groups."""
    group = parser.add_argument_group(
        "your service (default: the embedded mock_llm + service variants)"
    )
    group.add_argument(
        "--app",
        metavar="MODULE:ATTR",
        default=None,
        help="your ASGI app, as uvicorn takes it (main:app): started under uvicorn with "
        "OPENAI_BASE_URL pointing at a mock_llm of its own, measured, stopped",
    )
    group.add_argument(
        "--app-dir",
        metavar="DIR",
        type=Path,
        default=Path(),
        help="where --app's module is imported from (default: the current directory)",
    )
    group.add_argument(
        "--env",
        metavar="KEY=VALUE",
        type=_key_value,
        action="append",
        default=[],
        help="an environment variable for --app (repeatable)",
    )
    group.add_argument(
        "--proxy",
        metavar="KIND:TEMPLATE",
        type=_proxy,
        default=None,
        help="put a private proxy in front of --app or --target, as you deploy it: "
        "haproxy:defaults, haproxy:no_delay, nginx:defaults, ... (deploy/)",
    )
    group.add_argument(
        "--target",
        metavar="URL",
        default=None,
        help="base URL of your running streaming service (instead of the embedded variants)",
    )
    group.add_argument(
        "--path",
        "--target-path",
        dest="target_path",
        metavar="PATH",
        default="/chat/stream",
        help="the streaming POST path of --app or --target (default: %(default)s)",
    )
    group.add_argument(
        "--model",
        metavar="MODEL",
        default=None,
        help="model id for the openai-* request shapes (default: the first id the target "
        "lists at GET /v1/models, said so)",
    )
    group.add_argument(
        "--mock",
        metavar="URL",
        default=None,
        help="the mock_llm your --target uses upstream (enables disconnect savings)",
    )

    add_shape_arguments(
        parser.add_argument_group(
            "how --app or --target is called and what it returns "
            "(default: {'prompt'} in, the reply's shape decided from its first bytes)"
        )
    )


def validate_target_arguments(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """``parser.error`` (exit 2, one line) for flags that do not go together."""
    for name in ("target", "mock"):
        url = getattr(args, name)
        if url is not None and not url.startswith("http://"):
            parser.error(f"--{name} must be an http:// URL, got {url!r}")
    if args.mock and not args.target:
        parser.error(
            "--mock goes with --target (the embedded default and --app start their own mock)"
        )
    if args.app and args.target:
        parser.error("--app starts your service; --target measures one already running: not both")
    if args.env and not args.app:
        parser.error("--env sets the environment of --app")
    if args.app is not None and not _APP_SPEC.fullmatch(args.app):
        parser.error(f"--app takes MODULE:ATTR (like uvicorn), got {args.app!r}")
    if args.proxy and not (args.app or args.target):
        parser.error("--proxy goes in front of --app or --target")
    if args.proxy and find_binary(args.proxy.kind) is None:
        parser.error(
            f"--proxy {args.proxy.kind} needs the {args.proxy.kind} binary "
            f"(apt-get install {args.proxy.kind})"
        )
    if shapes_given(args) and not (args.app or args.target):
        parser.error("the shape flags describe --app or --target; the embedded service is known")
    try:
        shapes_from_args(args)
    except ValueError as exc:
        parser.error(str(exc))
    if not args.app_dir.is_dir():
        parser.error(f"--app-dir {args.app_dir} is not a directory")


def is_target(args: argparse.Namespace) -> bool:
    """A team's own service (``--app`` or ``--target``), not the embedded variants."""
    return bool(args.app or args.target)


def target_endpoint(args: argparse.Namespace) -> Endpoint:
    """The target's endpoint, URL and model still unknown (see :func:`aimed`)."""
    request, response = shapes_from_args(args)
    return Endpoint(name="target", url="", request=request, response=response)


def aimed(target: Endpoint, env: Environment, args: argparse.Namespace, say: Say) -> Endpoint:
    """``target`` with its URL, and its model when an openai-* shape needs one."""
    base = env.services["target"]
    target = dataclasses.replace(target, url=base + args.target_path)
    if not target.request.preset.startswith("openai"):
        return target
    model = args.model or first_model_id(base)
    if model is None:
        raise TargetError(f"{base}/v1/models lists no model: pass --model")
    if args.model is None:
        say(f"model: {model} (the first id of GET {base}/v1/models; --model to choose)")
    return dataclasses.replace(target, model=model)


@contextlib.contextmanager
def target_environment(args: argparse.Namespace, log_dir: Path, say: Say) -> Iterator[Environment]:
    """Start (``--app``) or describe (``--target``) the service, with ``--proxy`` in front."""
    with _service(args, log_dir, say) as env:
        if args.proxy is None:
            yield env
            return
        with running_front_proxy(args.proxy, env.services["target"], log_dir / "proxy") as url:
            yield dataclasses.replace(
                env,
                services={"target": url},
                described_as=f"{env.described_as} behind {args.proxy.label}",
            )


@contextlib.contextmanager
def _service(args: argparse.Namespace, log_dir: Path, say: Say) -> Iterator[Environment]:
    if args.app:
        say(f"[bold]starting[/] mock_llm + your app {args.app} ...")
        with app(args.app, log_dir, app_dir=args.app_dir, extra_env=dict(args.env)) as env:
            yield env
        return
    yield external(args.target, args.mock)
