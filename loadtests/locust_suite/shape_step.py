"""Locustfile adding the step shape: ``-f locustfile.py,shape_step.py`` (see locustfile.py)."""

import importlib
import os

StepRampShape = importlib.import_module(
    os.environ.get("STREAMGAUGE_LOCUST_SUITE", "loadtests.locust_suite") + ".shapes"
).StepRampShape

__all__ = ["StepRampShape"]
