"""The metrics package exports its contract version and only what it lists."""

import loadtests.metrics as metrics


def test_contract_version() -> None:
    """Version "2" of docs/metrics.md (2: response shapes; a complete body is done)."""
    assert metrics.METRICS_CONTRACT_VERSION == "2"


def test_all_names_exist() -> None:
    """Every name in __all__ is importable from the package."""
    for name in metrics.__all__:
        assert hasattr(metrics, name), name
