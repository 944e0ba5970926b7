"""The gate's measurements, one per module; :mod:`loadtests.gate.measure` wires them.

Each module holds the pure arithmetic of its numbers (hand-computed tests in
``tests/unit/gate/measure/``) and the one coroutine that sends its streams.
"""
