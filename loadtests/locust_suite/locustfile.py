"""The streamgauge Locust suite: ``python -m locust -f loadtests/locust_suite/locustfile.py``.

Locust imports this file by path, outside any package, so it imports the suite by name:
``$STREAMGAUGE_LOCUST_SUITE`` (set by ``streamgauge capacity``; ``streamgauge.loadtests
.locust_suite`` when installed), else ``loadtests.locust_suite`` (run from a checkout).
Users and listeners are in :mod:`loadtests.locust_suite.suite`.
"""

import importlib
import os

_suite = importlib.import_module(
    os.environ.get("STREAMGAUGE_LOCUST_SUITE", "loadtests.locust_suite") + ".suite"
)
StreamingUser = _suite.StreamingUser
HealthProbeUser = _suite.HealthProbeUser
DisconnectingUser = _suite.DisconnectingUser

__all__ = ["DisconnectingUser", "HealthProbeUser", "StreamingUser"]
