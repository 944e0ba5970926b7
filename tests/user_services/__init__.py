"""Services written the way users write them, to measure streamgauge against.

Kept apart from ``service/`` (our teaching variants, built on our own settings and
helpers): each module here is a plain FastAPI file with a module-level ``app``, as a
team would have it, runnable with ``uvicorn tests.user_services.<module>:app``. Each
reads its upstream from the OpenAI SDK's own environment (``OPENAI_BASE_URL``,
``OPENAI_API_KEY``) and forwards no headers upstream, so the harness can only correlate
through what the service does forward: the prompt. Our own code, following the
structure, calls and shapes of the seed documents in ``../shared/seeds/``:

- ``seed001_style``: seed 001 (a published "stream OpenAI with FastAPI" example). Sync
  ``OpenAI`` client inside an ``async def`` generator; ``{"messages": [...]}`` read with
  ``await request.json()``; raw tokens as ``text/plain``. Blocks the event loop.
- ``seed000_style``: seed 000 (a published SSE "recipe"). ``AsyncOpenAI``; pydantic body
  ``{"prompt": ...}``; ``data: {"token": ...}`` events then ``data: [DONE]``;
  ``await request.is_disconnected()`` in the loop; ``Cache-Control: no-cache`` and
  ``X-Accel-Buffering: no``.
- ``ndjson_service``: no seed; Ollama's native ``/api/chat`` wire format (NDJSON lines,
  ``application/x-ndjson``, a final ``"done": true`` object) in front of ``AsyncOpenAI``.

Every one serves ``GET /healthz`` (``async def``), so blocking can be measured. There
is no Anthropic-SDK service: mock_llm does not serve the Messages API (``/v1/messages``).
"""
