"""Step ramp and spike schedules: users as a pure function of elapsed seconds."""

from __future__ import annotations

import pytest

from loadtests.load.shapes import Spike, Step, StepRamp


def test_levels_end_at_max_even_off_the_increment() -> None:
    """1 + 20k up to 50 -> 1, 21, 41, then 50 itself."""
    assert StepRamp(start_users=1, step_users=20, max_users=50, step_s=10).levels == (1, 21, 41, 50)
    assert StepRamp(start_users=1, step_users=20, max_users=41, step_s=10).levels == (1, 21, 41)
    assert StepRamp(start_users=5, step_users=1, max_users=5, step_s=10).levels == (5,)


def test_users_at_follows_the_steps_and_ends() -> None:
    """Steps of 10 s: [0, 10) -> 1, [10, 20) -> 21, [20, 30) -> 41, then None (test over)."""
    ramp = StepRamp(start_users=1, step_users=20, max_users=41, step_s=10)
    assert [ramp.users_at(t) for t in (0, 9.99, 10, 19.9, 20, 29.9)] == [1, 1, 21, 21, 41, 41]
    assert ramp.users_at(30) is None
    assert ramp.duration_s == 30
    assert ramp.steps()[1] == Step(index=1, users=21, start_s=10, end_s=20)


def test_spawn_rate_reaches_a_step_within_a_second() -> None:
    assert StepRamp(start_users=1, step_users=20, max_users=41, step_s=10).spawn_rate == 20
    assert StepRamp(start_users=50, step_users=10, max_users=70, step_s=10).spawn_rate == 50


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"step_s": 9.9}, "step_s must be >= 10"),
        ({"start_users": 0}, "must be >= 1"),
        ({"step_users": 0}, "must be >= 1"),
        ({"start_users": 10, "max_users": 5}, "max_users"),
    ],
)
def test_bad_ramps_are_rejected(kwargs: dict[str, float], message: str) -> None:
    """Steps shorter than Locust's 10 s percentile window would mix levels."""
    with pytest.raises(ValueError, match=message):
        StepRamp(**kwargs)  # type: ignore[arg-type]


def test_spike_is_base_peak_base_then_over() -> None:
    """base 2, peak 10 in [5, 8), total 12 s."""
    spike = Spike(base_users=2, peak_users=10, spike_at_s=5, spike_s=3, total_s=12)
    assert [spike.users_at(t) for t in (0, 4.9, 5, 7.9, 8, 11.9)] == [2, 2, 10, 10, 2, 2]
    assert spike.users_at(12) is None
    assert spike.spawn_rate == 8


def test_spike_must_fit_in_the_test() -> None:
    with pytest.raises(ValueError, match="cover the spike"):
        Spike(base_users=1, peak_users=5, spike_at_s=10, spike_s=5, total_s=12)
