"""The HTTP side of the mock: HTTP/1.1 connections, OpenAI request bodies, the wire format.

Nothing here knows how tokens are generated or scheduled; the engine writes
through a connection's transport with this package's encoders.
"""
