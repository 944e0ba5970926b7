"""``python -m tests.proxy.h11_service ARGS``: ``python -m service ARGS --http h11``.

Kept as a module because other suites start it by name
(tests/integration/load/test_locust_nginx.py). Why h11 matters behind nginx: see
``ServiceSettings.http`` and docs/pitfalls/no_accel_header.md.
"""

from __future__ import annotations

import sys

from service.__main__ import main

if __name__ == "__main__":
    main([*sys.argv[1:], "--http", "h11"], prog="h11_service")
