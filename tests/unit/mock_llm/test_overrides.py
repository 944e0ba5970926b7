"""Per-request overrides: the body's ``mock`` object and ``X-Mock-*`` headers."""

from __future__ import annotations

import pytest

from mock_llm.http.wire import ApiError
from mock_llm.overrides import parse_overrides


def test_headers_and_body_merge_body_wins() -> None:
    ov = parse_overrides({"itl_ms": 5}, {"x-mock-itl-ms": "9", "x-mock-ttft-ms": "50"})
    assert ov.itl_ms == 5
    assert ov.ttft_ms == 50


def test_fault_from_header_json_or_bare_kind() -> None:
    ov = parse_overrides(None, {"x-mock-fault": '{"kind": "drop", "at": 3, "mode": "reset"}'})
    assert ov.fault is not None
    assert (ov.fault.kind, ov.fault.at, ov.fault.mode) == ("drop", 3, "reset")
    bare = parse_overrides(None, {"x-mock-fault": "no_done"}).fault
    assert bare is not None
    assert bare.kind == "no_done"


@pytest.mark.parametrize(
    ("body", "headers"),
    [({"nope": 1}, {}), ({"tokens": 0}, {}), (None, {"x-mock-fault": "{bad"}), ("x", {})],
)
def test_invalid_overrides_are_400(body: object, headers: dict[str, str]) -> None:
    with pytest.raises(ApiError) as info:
        parse_overrides(body, headers)
    assert info.value.status == 400
    assert info.value.param == "mock"
