"""The map from ``measure()``'s numbers to check names, and the harness's own evidence."""

from __future__ import annotations

from loadtests.gate.readings import details, harness_evidence, readings
from tests.unit.gate.numbers import CHECK_NAMES, healthy


def test_every_contract_name_is_read() -> None:
    assert list(readings(healthy())) == CHECK_NAMES


def test_an_absent_section_yields_no_names_and_a_none_key_yields_none() -> None:
    """Absent = not measured (no names); present with None = the name, None."""
    numbers = healthy()
    del numbers["load"]
    numbers["leaks"]["rss_growth_mb"] = None
    values = readings(numbers)
    assert not any(name.startswith("load.") for name in values)
    assert values["leaks.rss_growth_mb"] is None


def test_a_fault_outcome_later_than_the_bound_is_a_hang() -> None:
    numbers = healthy()
    numbers["faults"]["stall_past_timeout"]["seconds"] = 9.5
    assert readings(numbers)["faults.stall_past_timeout"] == "hang"
    assert readings(numbers, fault_bound_s=10.0)["faults.stall_past_timeout"] == "error_event"


def test_details_carry_the_evidence() -> None:
    numbers = healthy()
    numbers["integrity"].update(mismatched_streams=5, lost_tokens=12, first_mismatch="#3 at 40")
    why = details(numbers)
    assert why["integrity.mismatched_streams"] == (
        "of 50 streams; lost 12, duplicated 0 tokens; first mismatch: #3 at 40"
    )
    assert why["faults.status_500"] == "status, status 502, 0.10 s, 1 upstream call(s)"
    assert why["per_token.concurrent.itl_p95_ratio"] == "service ITL p95 7.2 ms, direct 6.0 ms"


def test_only_the_harness_control_makes_a_measurement_invalid() -> None:
    """A service that fails is numbers; the harness's lag or direct streams are evidence."""
    assert harness_evidence(healthy()) == []
    numbers = healthy()
    numbers["harness"] = {"client_loop_lag_p99_ms": 40.0, "direct_ok": True}
    numbers["invalid"] = ["load generator event-loop lag p99 40.0 ms > 10 ms"]
    assert harness_evidence(numbers) == [
        "load generator event-loop lag p99 40.0 ms > 10 ms",
        "harness: client_loop_lag_p99_ms=40.0, direct_ok=True",
    ]
    numbers = healthy()
    numbers["harness"]["direct_ok"] = False
    assert harness_evidence(numbers)[0].startswith("streams straight from the mock failed")
