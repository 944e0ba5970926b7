"""The streaming endpoint under test: the reference and its teaching variants."""

from __future__ import annotations

from .app import create_app
from .settings import VARIANT_NAMES, ServiceSettings, VariantName

__all__ = ["VARIANT_NAMES", "ServiceSettings", "VariantName", "create_app"]
