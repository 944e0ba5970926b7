"""Locustfile adding the step ramp shape: ``-f locustfile.py,shape_step.py``."""

from loadtests.locust_suite.shapes import StepRampShape

__all__ = ["StepRampShape"]
