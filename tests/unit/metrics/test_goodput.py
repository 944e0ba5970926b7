"""Goodput: no error, TTFT <= SLO, mean ITL <= SLO."""

from dataclasses import dataclass

import pytest

from loadtests.metrics import SLO, Goodput, goodput, meets_slo

SLO_100_10 = SLO(ttft_ns=100, itl_ns=10)


@dataclass(frozen=True)
class Req:
    ttft_ns: int | None
    mean_itl_ns: float | None
    error: str | None = None


@pytest.mark.parametrize(
    ("req", "ok"),
    [
        (Req(100, 10.0), True),  # bounds are inclusive
        (Req(101, 5.0), False),  # TTFT too slow
        (Req(50, 10.5), False),  # ITL too slow
        (Req(50, None), True),  # one content event: no ITL, vacuously within
        (Req(None, None), False),  # no content: no TTFT
        (Req(50, 5.0, "http_500"), False),  # any error fails
    ],
)
def test_meets_slo(req: Req, ok: bool) -> None:
    """Each criterion can fail the request on its own."""
    assert meets_slo(req, SLO_100_10) is ok


def test_goodput_counts_and_fraction() -> None:
    """3 of 4 requests within the SLO -> 0.75; 3 per 1.5 s -> 2/s."""
    reqs = [Req(10, 1.0), Req(20, 2.0), Req(30, 3.0), Req(500, 1.0)]
    result = goodput(reqs, SLO_100_10)
    assert result == Goodput(met=3, total=4)
    assert result.fraction == 0.75
    assert result.per_s(1_500_000_000) == 2.0


def test_goodput_of_nothing() -> None:
    """No requests: fraction None, not 0 or 1."""
    result = goodput([], SLO_100_10)
    assert result == Goodput(met=0, total=0)
    assert result.fraction is None


def test_goodput_rate_needs_a_duration() -> None:
    """A non-positive run duration is an error."""
    with pytest.raises(ValueError, match="positive"):
        Goodput(met=1, total=1).per_s(0)
