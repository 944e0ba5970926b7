"""The shared shape flags: parsed into shapes, bad input refused with a readable reason."""

from __future__ import annotations

import argparse

import pytest

from loadtests.client.request_shapes import RequestShape
from loadtests.client.response_shapes import ResponseShape
from loadtests.client.shape_options import add_shape_arguments, shapes_from_args, shapes_given


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_shape_arguments(parser.add_argument_group("shapes"))
    return parser.parse_args(list(argv))


def test_defaults_are_prompt_and_auto() -> None:
    args = parse()
    assert not shapes_given(args)
    assert shapes_from_args(args) == (RequestShape("prompt"), ResponseShape("auto"))


def test_every_flag() -> None:
    args = parse(
        "--request-shape", "messages",
        "--header", "Authorization: Bearer k",
        "--header", "X-Team: a",
        "--response-shape", "ndjson",
        "--token-field", "message.content",
    )  # fmt: skip
    request, response = shapes_from_args(args)
    assert shapes_given(args)
    assert request == RequestShape(
        "messages", headers=(("Authorization", "Bearer k"), ("X-Team", "a"))
    )
    assert response == ResponseShape("ndjson", "message.content")


def test_body_template() -> None:
    request, _ = shapes_from_args(parse("--body", '{"q": "{prompt}"}'))
    assert request.body("hi") == b'{"q": "hi"}'


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--body", '{"q": 1}'], "no {prompt} placeholder"),
        (["--body", "{prompt}"], "not valid JSON"),
        (["--request-shape", "messages", "--body", '{"q": "{prompt}"}'], "--body replaces"),
        (["--header", "nocolon"], "expected 'Name: value'"),
        (["--response-shape", "text", "--token-field", "x"], "--token-field applies to"),
        (["--token-field", "a..b"], "expected a dotted path"),
    ],
)
def test_bad_input_is_a_value_error(argv: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("{", r"\{").replace("}", r"\}")):
        shapes_from_args(parse(*argv))


def test_unknown_choice_is_argparse_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse("--response-shape", "xml")
    assert "invalid choice: 'xml'" in capsys.readouterr().err


def test_help_has_readable_metavars(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    add_shape_arguments(parser)
    parser.print_help()
    out = capsys.readouterr().out
    for text in (
        "--request-shape SHAPE",
        "--body JSON",
        "--header 'NAME: VALUE'",
        "--token-field PATH",
    ):
        assert text in out
