"""The token engine: plans each generation and writes its chunks on schedule.

Planning (latency model, text, faults) is decided at arrival; one timer wheel
then drives every stream, and the write path (C where built) stamps each write
for the ledger. It writes through :mod:`mock_llm.http` connections.
"""
