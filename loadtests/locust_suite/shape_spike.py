"""Locustfile adding the spike shape: ``-f locustfile.py,shape_spike.py`` (see locustfile.py)."""

import importlib
import os

SpikeShape = importlib.import_module(
    os.environ.get("STREAMGAUGE_LOCUST_SUITE", "loadtests.locust_suite") + ".shapes"
).SpikeShape

__all__ = ["SpikeShape"]
