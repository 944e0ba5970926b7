"""Locustfile adding the spike shape: ``-f locustfile.py,shape_spike.py``."""

from loadtests.locust_suite.shapes import SpikeShape

__all__ = ["SpikeShape"]
