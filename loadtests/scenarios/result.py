"""What every scenario returns: settings, numbers, a verdict, validity, evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..client.records import RequestRecord

SCHEMA_VERSION = "1"


@dataclass
class ScenarioResult:
    """One scenario's outcome.

    ``verdicts`` maps a subject (a variant, a proxy path, a disconnect mode) to
    its verdict word (``ok``, ``blocks``, ``leaks``, ``buffered``, ...).
    ``expected`` maps the same subjects to what the suite expects; ``passed``
    is whether they agree. ``valid`` is False when the measurement itself
    cannot be trusted (client saturated, component missing), with reasons.
    """

    name: str
    settings: dict[str, Any]
    numbers: dict[str, Any]
    verdicts: dict[str, str]
    expected: dict[str, str] = field(default_factory=dict)
    valid: bool = True
    invalid_reasons: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    records: list[RequestRecord] = field(default_factory=list)
    skipped: str | None = None
    # CPU and RSS of the service's process during the scenario (known with ``--app``).
    service_process: dict[str, Any] | None = None

    @property
    def passed(self) -> bool:
        return all(self.verdicts.get(k) == v for k, v in self.expected.items())

    def invalidate(self, reason: str) -> None:
        self.valid = False
        self.invalid_reasons.append(reason)

    def to_dict(self) -> dict[str, Any]:
        return {
            "settings": self.settings,
            "numbers": self.numbers,
            "verdicts": self.verdicts,
            "expected": self.expected,
            "passed": self.passed,
            "valid": self.valid,
            "invalid_reasons": self.invalid_reasons,
            "evidence": self.evidence,
            "skipped": self.skipped,
            "service_process": self.service_process,
        }
