"""A request's whole generation, decided at arrival: text, chunks, deadlines, fault.

:func:`plan_stream` is a pure function of the settings, the request, its
overrides and its seeded random draws: the same seed plans the same stream.
Per-request overrides win over the settings.
"""

from __future__ import annotations

from ..http.completion_request import CompletionRequest
from ..overrides import FaultSpec, MockOverrides
from ..settings import MockSettings
from .latency import draw_gaps_ns, draw_output_tokens, estimate_prompt_tokens, ttft_ns
from .request_random import Draws, LazyRandom
from .streams import StreamPlan
from .vocabulary import Vocabulary


def random_fault(settings: MockSettings, rng: Draws) -> FaultSpec | None:
    """With probability ``fault_rate``: one of ``fault_kinds``, at a random content chunk."""
    s = settings
    if s.fault_rate > 0 and s.fault_kinds and rng.random() < s.fault_rate:
        kind = rng.choice(s.fault_kinds)
        return FaultSpec(kind=kind, at=rng.randint(1, max(1, s.tokens // s.tokens_per_chunk)))
    return None


def length_rule(settings: MockSettings) -> str:
    """How :func:`plan_stream` picks a stream's length under ``settings``, in one line.

    Printed at startup and reported by ``/mock/stats`` (``length_rule``).
    """
    s = settings
    spread = s.tokens_spread
    if s.length_mode == "max_tokens":
        base = f"exactly max_tokens when the request sends it, else {s.tokens} tokens"
    elif s.length_mode == "uniform" and spread > 0:
        base = f"uniform {max(1, s.tokens - spread)}..{s.tokens + spread} tokens"
    elif s.length_mode == "normal" and spread > 0:
        base = f"normal(mean {s.tokens}, sd {spread}) tokens, at least 1"
    else:
        base = f"{s.tokens} tokens"
    return (
        f"{base} (length_mode {s.length_mode}); a request's mock tokens replaces that with "
        "exactly its count; max_tokens caps either (finish_reason length); ignore_eos with "
        "max_tokens: exactly max_tokens, over every other rule"
    )


def _chunked(
    vocabulary: Vocabulary, words: list[str], encoded: list[bytes], per_chunk: int
) -> tuple[tuple[bytes, ...], tuple[int, ...]]:
    """Each chunk's JSON string literal, and how many tokens it carries."""
    # Tuples, not lists: a tuple of bytes or ints drops out of the cyclic GC
    # after its first pass; a list of 100 would be scanned on every gen1 pass
    # for each of a thousand streams in flight (ms-long pauses).
    if per_chunk == 1:
        return tuple(encoded), (1,) * len(words)
    groups = ["".join(words[i : i + per_chunk]) for i in range(0, len(words), per_chunk)]
    chunk_tokens = tuple(min(per_chunk, len(words) - i) for i in range(0, len(words), per_chunk))
    return tuple(vocabulary.encode_all(groups)), chunk_tokens


def plan_stream(  # noqa: PLR0917 - one call site; every argument is a distinct input
    settings: MockSettings,
    vocabulary: Vocabulary,
    req: CompletionRequest,
    ov: MockOverrides,
    fault: FaultSpec | None,
    rng: LazyRandom,
    headers: list[tuple[str, str]],
) -> StreamPlan:
    """The plan of one completion: length, text, chunking, first-token time and gaps."""
    s = settings
    tokens = ov.tokens if ov.tokens is not None else s.tokens
    mode = s.length_mode if ov.tokens is None else "fixed"
    if req.ignore_eos and req.max_tokens is not None:
        mode = "max_tokens"  # whatever else asked for a length (length_rule says so)
    n_tokens, finish = draw_output_tokens(
        rng, mode=mode, tokens=tokens, spread=s.tokens_spread, max_tokens=req.max_tokens
    )
    text_mode = ov.text_mode or s.text_mode
    words, encoded = vocabulary.tokens(text_mode, n_tokens, rng, rng.seed, req.prompt_text)
    per_chunk = ov.tokens_per_chunk or s.tokens_per_chunk
    chunks, chunk_tokens = _chunked(vocabulary, words, encoded, per_chunk)
    prompt_tokens = estimate_prompt_tokens(req.prompt_text)
    gaps = draw_gaps_ns(
        rng,
        len(chunks) - 1,
        mean_ms=(ov.itl_ms if ov.itl_ms is not None else s.itl_ms) * per_chunk,
        distribution=ov.itl_distribution or s.itl_distribution,
        jitter_ms=ov.itl_jitter_ms if ov.itl_jitter_ms is not None else s.itl_jitter_ms,
    )
    first = ttft_ns(
        ov.ttft_ms if ov.ttft_ms is not None else s.ttft_ms,
        s.prefill_ms_per_token,
        prompt_tokens,
    )
    if fault is not None and fault.at > len(chunks):
        fault = fault.model_copy(update={"at": len(chunks)})
    return StreamPlan(
        chunks=chunks,
        chunk_tokens=chunk_tokens,
        text="".join(words),
        first_ns=first,
        gaps_ns=tuple(gaps),
        finish_reason=finish,
        prompt_tokens=prompt_tokens,
        stream=req.stream,
        fault=fault,
        abort_on_disconnect=s.on_disconnect == "abort",
        headers=headers,
    )
