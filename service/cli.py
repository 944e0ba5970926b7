"""Command line of a server process: settings from env then flags, and the readiness line.

One flag per field of the settings model (``--ttft-ms`` for ``ttft_ms``), generated
here, so defaults live once, in the model. The help shows what a value looks like
(``MS``, ``N``, ``{abort,continue}``, ``MODEL[,MODEL...]``): from the field's
``json_schema_extra={"metavar": ...}`` if it has one, else from its unit suffix
(``_ms``, ``_s``, ...) or its type. List fields take comma-separated values or a
repeated flag. Flags only collect strings; the model validates them, with the
env (the model's ``env_prefix``) underneath, so a bad value gets the same message
from either. Each problem exits 2 with one line.

A harness that starts this server reads stdout for one line,
``LISTENING_PREFIX + url``, printed once the socket listens.

Nothing here names a field: the module works for any ``BaseSettings`` model.
"""

from __future__ import annotations

import argparse
import inspect
import sys
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import PurePath
from typing import Any, Literal, NoReturn, TypeVar, Union, get_args, get_origin

from pydantic import SecretBytes, SecretStr, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

LISTENING_PREFIX = "streamgauge: listening on "

SettingsT = TypeVar("SettingsT", bound=BaseSettings)

UNIT_METAVARS: tuple[tuple[str, str], ...] = (
    ("_ms", "MS"),
    ("_us", "US"),
    ("_ns", "NS"),
    ("_s", "SECONDS"),
    ("_bytes", "BYTES"),
    ("_url", "URL"),
)
"""Field-name suffix -> metavar (the project names fields with their units)."""

TYPE_METAVARS: tuple[tuple[type, str], ...] = (
    (PurePath, "PATH"),
    (SecretStr, "SECRET"),
    (SecretBytes, "SECRET"),
    (int, "N"),
    (float, "NUMBER"),
)
"""Field type -> metavar, where the name has no unit (a ``str`` shows its name: ``HOST``)."""


def announce_listening(url: str) -> None:
    """Print the one line a harness waits for before it sends traffic."""
    print(f"{LISTENING_PREFIX}{url}", flush=True)


@dataclass(frozen=True)
class Flag:
    """One command-line flag derived from one settings field."""

    field: str
    names: tuple[str, ...]  # "--ttft-ms" first, then any shortcuts
    metavar: str
    help: str
    is_list: bool


def _without_none(annotation: Any) -> Any:
    """``X | None`` -> ``X``; anything else as it is."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _list_item(annotation: Any) -> Any | None:
    """The item type of ``list[X]`` / ``tuple[X, ...]`` / ``set[X]``, else None."""
    if get_origin(annotation) in (list, set, frozenset):
        return get_args(annotation)[0]
    if get_origin(annotation) is tuple and get_args(annotation)[1:] == (Ellipsis,):
        return get_args(annotation)[0]
    return None


def _choices(annotation: Any) -> list[str] | None:
    if get_origin(annotation) is Literal:
        return [str(a) for a in get_args(annotation)]
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return [str(m.value) for m in annotation]
    if annotation is bool:
        return ["true", "false"]
    return None


def _is_secret(field: FieldInfo) -> bool:
    annotation = _without_none(field.annotation)
    return isinstance(annotation, type) and issubclass(annotation, SecretStr | SecretBytes)


def _value_metavar(name: str, annotation: Any, override: str | None) -> str:
    """What one value looks like: ``{a,b}``, ``MS``, ``N``, ``PATH``, ``HOST``."""
    choices = _choices(annotation)
    if override:
        return override
    if choices is not None:
        return "{" + ",".join(choices) + "}"
    by_unit = next((metavar for suffix, metavar in UNIT_METAVARS if name.endswith(suffix)), None)
    if by_unit is not None:
        return by_unit
    if isinstance(annotation, type):
        for kind, metavar in TYPE_METAVARS:
            if issubclass(annotation, kind):
                return metavar
        if issubclass(annotation, str):
            return name.upper()
    return "VALUE"


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, list | tuple | set | frozenset):
        return ",".join(_shown(v) for v in value) or "none"
    return str(value)


def _default_text(field: FieldInfo) -> str | None:
    """``default: 50`` as help shows it; None when unset, required or secret."""
    if field.is_required() or _is_secret(field):
        return None
    default = field.get_default(call_default_factory=True)
    return None if default is None else _shown(default)


def _plain(text: str) -> str:
    """Docstring markup as plain help text, ``%`` escaped for argparse."""
    return text.replace("``", "'").replace("%", "%%")


def _flag(name: str, field: FieldInfo, aliases: Sequence[str]) -> Flag:
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    override = extra.get("metavar")
    override = override if isinstance(override, str) else None
    annotation = _without_none(field.annotation)
    item = _list_item(annotation)
    if item is None:
        metavar = _value_metavar(name, annotation, override)
        help_parts = [_plain(field.description or "")]
    else:
        one = _value_metavar(name, item, override)
        metavar = f"{one}[,{one}...]"
        choices = _choices(item)
        help_parts = [_plain(field.description or "")]
        if override and choices:
            help_parts.append(f"{one}: one of {', '.join(choices)}")
    default = _default_text(field)
    text = "; ".join(p for p in help_parts if p)
    if default is not None:
        text = f"{text} (default: {_plain(default)})" if text else f"default: {_plain(default)}"
    return Flag(
        field=name,
        names=("--" + name.replace("_", "-"), *aliases),
        metavar=metavar,
        help=text,
        is_list=item is not None,
    )


def settings_flags(
    model: type[BaseSettings], shortcuts: Mapping[str, str] | None = None
) -> list[Flag]:
    """Every field as a flag; ``shortcuts`` adds ``--alias`` for a field (``{"ttft-ms": "t"}``)."""
    aliases: dict[str, list[str]] = {}
    for target, alias in (shortcuts or {}).items():
        field = target.replace("-", "_")
        if field not in model.model_fields:
            raise ValueError(f"shortcut {alias!r} names no field: {target!r}")
        aliases.setdefault(field, []).append("--" + alias.lstrip("-"))
    return [_flag(name, field, aliases.get(name, ())) for name, field in model.model_fields.items()]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """One line, no usage block: ``prog: error: unrecognized arguments: --nope``."""
        self.exit(2, f"{self.prog}: error: {message}\n")


def _env_name(model: type[BaseSettings], field: str) -> str:
    return f"{model.model_config.get('env_prefix', '')}{field}".upper()


def _epilog(model: type[BaseSettings], flags: Sequence[Flag]) -> str:
    first = flags[0]
    text = (
        f"Every flag can also be set in the environment: {_env_name(model, first.field)} "
        f"for {first.names[0]}, and so on; a flag wins over its variable."
    )
    lists = [f for f in flags if f.is_list]
    if lists:
        text += f' Lists there are JSON: {_env_name(model, lists[0].field)}=\'["a","b"]\'.'
    return _plain(text)


def build_parser(
    model: type[BaseSettings], prog: str, shortcuts: Mapping[str, str] | None = None
) -> argparse.ArgumentParser:
    """An argparse parser whose flags collect strings (validation is the model's)."""
    flags = settings_flags(model, shortcuts)
    doc = model.__dict__.get("__doc__")
    parser = _Parser(
        prog=prog,
        usage="%(prog)s [-h] [--FLAG VALUE ...]",
        description=_plain(inspect.cleandoc(doc)) if doc else None,
        epilog=_epilog(model, flags) if flags else None,
        allow_abbrev=False,
    )
    for flag in flags:
        parser.add_argument(
            *flag.names,
            dest=flag.field,
            metavar=flag.metavar,
            help=flag.help,
            action="append" if flag.is_list else "store",
            default=argparse.SUPPRESS,
        )
    return parser


def _list_value(given: Sequence[str]) -> list[str]:
    """``["a,b", "c"]`` (``--x a,b --x c``) -> ``["a", "b", "c"]``; ``--x ""`` is empty."""
    return [item.strip() for value in given for item in value.split(",") if item.strip()]


def _error_line(
    model: type[BaseSettings], prog: str, given: Mapping[str, object], err: Mapping[str, Any]
) -> str:
    loc = err.get("loc") or ()
    field = str(loc[0]) if loc else ""
    if field in given:
        where = "--" + field.replace("_", "-")
    elif field in model.model_fields:
        where = _env_name(model, field)
    else:
        where = "settings"
    line = f"{prog}: error: {where}: {err['msg']}"
    value = err.get("input")
    info = model.model_fields.get(field)
    secret = info is not None and _is_secret(info)
    if err.get("type") != "missing" and not secret and isinstance(value, str | int | float):
        line += f" (got {value!r})"
    return line


def parse_settings_cli(
    model: type[SettingsT],
    argv: Sequence[str],
    prog: str,
    shortcuts: Mapping[str, str] | None = None,
) -> SettingsT:
    """Env (the model's prefix) first, CLI flags on top; exit 2 with one line per problem."""
    parser = build_parser(model, prog, shortcuts)
    namespace = vars(parser.parse_args(list(argv)))
    list_fields = {f.field for f in settings_flags(model, shortcuts) if f.is_list}
    given: dict[str, Any] = {
        name: _list_value(value) if name in list_fields else value
        for name, value in namespace.items()
    }
    try:
        return model(**given)
    except ValidationError as exc:
        for err in exc.errors():
            print(_error_line(model, prog, given, err), file=sys.stderr)
        raise SystemExit(2) from None
