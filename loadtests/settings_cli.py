"""Settings model -> command line, shared by every server entry point.

Env (the model's prefix) first, CLI flags on top, kebab-case flags generated
from the model (defaults live once); a bad value exits 2 with one line per field.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import TypeVar

from pydantic import ValidationError
from pydantic_settings import BaseSettings, CliApp, CliSettingsSource

SettingsT = TypeVar("SettingsT", bound=BaseSettings)


def parse_settings_cli(
    model: type[SettingsT],
    argv: Sequence[str],
    prog: str,
    shortcuts: Mapping[str, str] | None = None,
) -> SettingsT:
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
