"""The ``streamgauge`` command: one subcommand per job.

Server subcommands hand their remaining arguments to the server's own entry
point, whose flags are generated from its settings model (defaults live once).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _mock(args: list[str]) -> int:
    from mock_llm.__main__ import main as mock_main

    mock_main(args, prog="streamgauge mock")
    return 0


def _serve(args: list[str]) -> int:
    from service.__main__ import main as service_main

    service_main(args, prog="streamgauge serve")
    return 0


def _run(args: list[str]) -> int:
    from loadtests.run_command import main as run_main

    return run_main(args)


def _capacity(args: list[str]) -> int:
    from loadtests.capacity_command import main as capacity_main

    return capacity_main(args)


def _baseline(args: list[str]) -> int:
    from loadtests.gate_command import run_baseline

    return run_baseline(args)


def _gate(args: list[str]) -> int:
    from loadtests.gate_command import run_gate

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
