"""Command line of ``python -m service``: settings from env then flags, and the readiness line.

Flags are generated from the settings model (kebab-case field names), so defaults live
once; a bad value exits 2 with one line per field. A harness that starts this server
reads stdout for one line, ``LISTENING_PREFIX + url``, printed once the socket listens.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import TypeVar

from pydantic import ValidationError
from pydantic_settings import BaseSettings, CliApp, CliSettingsSource

LISTENING_PREFIX = "streamgauge: listening on "

SettingsT = TypeVar("SettingsT", bound=BaseSettings)


def announce_listening(url: str) -> None:
    """Print the one line a harness waits for before it sends traffic."""
    print(f"{LISTENING_PREFIX}{url}", flush=True)


def parse_settings_cli(
    model: type[SettingsT],
    argv: Sequence[str],
    prog: str,
    shortcuts: Mapping[str, str] | None = None,
) -> SettingsT:
    """Env (the model's prefix) first, CLI flags on top."""
    source: CliSettingsSource[SettingsT] = CliSettingsSource(
        model,
        cli_prog_name=prog,
        cli_kebab_case=True,
        cli_implicit_flags=False,
        cli_exit_on_error=True,
        cli_avoid_json=True,
        cli_shortcuts=dict(shortcuts) if shortcuts else None,
    )
    try:
        return CliApp.run(model, cli_args=list(argv), cli_settings_source=source)
    except ValidationError as exc:
        for err in exc.errors():
            flag = "--" + "-".join(str(p) for p in err["loc"]).replace("_", "-")
            print(f"{prog}: error: {flag}: {err['msg']}", file=sys.stderr)
        raise SystemExit(2) from None
