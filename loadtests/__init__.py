"""streamgauge's measuring side.

Kept free of locust imports on purpose: importing locust monkey-patches the
standard library with gevent, which must never leak into pytest or the CLI.
"""
