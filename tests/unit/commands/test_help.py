"""Every flag of every ``streamgauge`` command reads well in ``--help``."""

from __future__ import annotations

import argparse
from collections.abc import Callable

import pytest

from loadtests.capacity.options import build_parser as capacity_parser
from loadtests.commands.gate import baseline_parser, gate_parser
from loadtests.commands.run import build_parser as run_parser

PARSERS: dict[str, Callable[[str], argparse.ArgumentParser]] = {
    "run": run_parser,
    "baseline": baseline_parser,
    "gate": gate_parser,
    "capacity": capacity_parser,
}


@pytest.mark.parametrize("command", PARSERS)
def test_every_valued_flag_names_its_value(command: str) -> None:
    """A metavar (``URL``, ``N``, ``NAME[,NAME...]``) or choices, never the dest in capitals."""
    parser = PARSERS[command](f"streamgauge {command}")
    unnamed = [
        action.option_strings[0]
        for action in parser._actions
        if action.option_strings and action.nargs != 0 and not action.metavar and not action.choices
    ]
    assert unnamed == []


@pytest.mark.parametrize("command", PARSERS)
def test_every_flag_has_help(command: str) -> None:
    parser = PARSERS[command](f"streamgauge {command}")
    assert [a.option_strings[0] for a in parser._actions if a.option_strings and not a.help] == []
