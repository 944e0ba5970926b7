"""Locust users, shapes and listeners: the modules Locust loads with ``-f``.

Importing locust monkey-patches the standard library with gevent, so nothing outside
a Locust process imports this package's modules (``loadtests/__init__.py`` explains
why). Run it through ``streamgauge capacity`` or Locust itself::

    python -m locust -f loadtests/locust_suite/locustfile.py --host http://127.0.0.1:8000

Pure helpers it shares with the CLI live outside: :mod:`loadtests.load.stream_samples`,
:mod:`loadtests.load.shapes`, :mod:`loadtests.load.slo`.
"""
