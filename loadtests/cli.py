"""The ``streamgauge`` command: one subcommand per job.

Server subcommands hand their remaining arguments to the server's own entry
point, whose flags are generated from its settings model (defaults live once).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence


def _server_main(package: str, args: list[str], prog: str) -> int:
    # The servers stand alone and import nothing of the harness; the harness finds
    # them under its own namespace (``streamgauge.mock_llm`` when installed).
    from .systems.processes import project_module

    importlib.import_module(project_module(f"{package}.__main__")).main(args, prog=prog)
    return 0


def _mock(args: list[str]) -> int:
    return _server_main("mock_llm", args, "streamgauge mock")


def _serve(args: list[str]) -> int:
    return _server_main("service", args, "streamgauge serve")


def _run(args: list[str]) -> int:
    from .commands.run import main as run_main

    return run_main(args)


def _capacity(args: list[str]) -> int:
    from .commands.capacity import main as capacity_main

    return capacity_main(args)


def _baseline(args: list[str]) -> int:
    from .commands.gate import run_baseline

    return run_baseline(args)


def _gate(args: list[str]) -> int:
    from .commands.gate import run_gate

    return run_gate(args)


COMMANDS = {
    "run": (_run, "the main job: start mock + service variants (+ nginx), measure, report"),
    "mock": (_mock, "run mock_llm, the fake OpenAI-compatible upstream"),
    "baseline": (_baseline, "record a regression-gate baseline for a service"),
    "gate": (_gate, "compare a service against a baseline: exit 0 pass, 1 regression, 2 error"),
    "serve": (_serve, "run the streaming service (a variant) in front of an upstream"),
    "capacity": (_capacity, "Locust step ramp: the largest concurrency meeting the SLO"),
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="streamgauge",
        description="Testing and load-benchmark harness for LLM token-streaming endpoints.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    if not argv or argv[0] in {"-h", "--help"}:
        parser.print_help()
        return 0 if argv else 2
    if argv[0] not in COMMANDS:
        parser.error(f"unknown command {argv[0]!r} (choose from {', '.join(COMMANDS)})")
    handler, _ = COMMANDS[argv[0]]
    return handler(argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
