"""The correlation marker: exactly what is appended to a prompt, and what is refused."""

from __future__ import annotations

import re

import pytest

from loadtests.client.marker import Shaping, format_marker, marked_prompt, validate_request_id

# The grammar of loadtests/client/marker.py as one regex, to check produced markers.
_MARKER = re.compile(
    r"\[sg:[A-Za-z0-9._:-]{1,128}"
    r"( ttft-ms=\d+(\.\d+)?)?( itl-ms=\d+(\.\d+)?)?( tokens=[1-9]\d*)?"
    r"( text-mode=[a-z][a-z_]*)?( seed=-?\d+)?"
    r"( fault=[a-z][a-z_]*( fault-at=[1-9]\d*)?( fault-status=[45]\d\d)?"
    r"( fault-retry-after=\d+)?( fault-seconds=\d+(\.\d+)?)?( fault-times=[1-9]\d*)?)?\]\Z"
)


def test_bare_marker_is_the_id_in_brackets() -> None:
    """No shaping: ``[sg:<id>]``."""
    assert format_marker("ttft-a1b2c3d4-0") == "[sg:ttft-a1b2c3d4-0]"


def test_prompt_is_base_space_marker() -> None:
    """The marker goes last, after one space."""
    assert marked_prompt("Say something.", "r1") == "Say something. [sg:r1]"


def test_shaping_keys_in_grammar_order_with_short_numbers() -> None:
    """50.0 is written 50, 12.5 stays 12.5; keys keep the documented order."""
    shaping = Shaping(tokens=60, itl_ms=12.5, ttft_ms=50.0)
    assert format_marker("dc-x-1", shaping) == "[sg:dc-x-1 ttft-ms=50 itl-ms=12.5 tokens=60]"


def test_every_key() -> None:
    """All keys at once, as the mock's parser must read them."""
    shaping = Shaping(
        ttft_ms=0,
        itl_ms=1e-7,
        tokens=1,
        text_mode="long",
        seed=-3,
        fault="status",
        fault_at=2,
        fault_status=429,
        fault_retry_after=0,
        fault_seconds=1.5,
        fault_times=1,
    )
    marker = format_marker("a.b:c_d-e", shaping)
    assert marker == (
        "[sg:a.b:c_d-e ttft-ms=0 itl-ms=0.0000001 tokens=1 text-mode=long seed=-3 "
        "fault=status fault-at=2 fault-status=429 fault-retry-after=0 fault-seconds=1.5 "
        "fault-times=1]"
    )
    assert _MARKER.match(marker)


def test_empty_shaping_is_the_bare_marker() -> None:
    assert format_marker("r", Shaping()) == "[sg:r]"


def test_large_number_has_no_exponent() -> None:
    assert format_marker("r", Shaping(ttft_ms=1e20)) == "[sg:r ttft-ms=100000000000000000000]"


def test_longest_id_is_accepted() -> None:
    request_id = "x" * 128
    assert validate_request_id(request_id) == request_id
    assert _MARKER.match(format_marker(request_id))


@pytest.mark.parametrize(
    "request_id",
    ["", "x" * 129, "has space", "brack]et", "new\nline", "é", "a=b", "[sg:x]", "semi;colon"],
)
def test_bad_ids_are_refused(request_id: str) -> None:
    """Only 1-128 of A-Z a-z 0-9 . _ : - ."""
    with pytest.raises(ValueError, match="cannot go in a marker"):
        format_marker(request_id)


@pytest.mark.parametrize(
    ("shaping", "message"),
    [
        (Shaping(ttft_ms=-1.0), "ttft_ms must be a finite number >= 0"),
        (Shaping(itl_ms=float("nan")), "itl_ms must be a finite number >= 0"),
        (Shaping(itl_ms=float("inf")), "itl_ms must be a finite number >= 0"),
        (Shaping(tokens=0), "tokens must be >= 1"),
        (Shaping(tokens=2.5), "tokens must be an integer"),  # type: ignore[arg-type]
        (Shaping(tokens=True), "tokens must be a number"),  # type: ignore[arg-type]
        (Shaping(seed=1.0), "seed must be an integer"),  # type: ignore[arg-type]
        (Shaping(text_mode="Long"), "text_mode must be a lower-case name"),
        (Shaping(text_mode="a b"), "text_mode must be a lower-case name"),
        (Shaping(fault="drop]"), "fault must be a lower-case name"),
        (Shaping(fault_at=3), "fault-at needs fault=<kind>"),
        (Shaping(fault="status", fault_status=200), "fault_status must be 400-599"),
        (Shaping(fault="status", fault_status=600), "fault_status must be 400-599"),
        (Shaping(fault="status", fault_retry_after=-1), "fault_retry_after must be >= 0"),
        (Shaping(fault="drop", fault_at=0), "fault_at must be >= 1"),
        (Shaping(fault="drop", fault_times=0), "fault_times must be >= 1"),
        (Shaping(fault="stall", fault_seconds=-0.5), "fault_seconds must be a finite number"),
    ],
)
def test_bad_values_are_refused(shaping: Shaping, message: str) -> None:
    """A value the grammar cannot carry fails before anything is sent."""
    with pytest.raises(ValueError, match=re.escape(message)):
        format_marker("r1", shaping)
