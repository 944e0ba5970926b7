from array import array
from collections.abc import Callable

class ChunkWriter:
    _next: int
    _written: int
    _fast_end: int
    def _bind_writer(
        self,
        write: Callable[[bytes], object],
        call_at: Callable[[int, Callable[[int], None]], None],
        chunks: tuple[bytes, ...],
        prefix: bytes,
        suffix: bytes,
        deadlines: array[int],
        stamps: array[int],
    ) -> None: ...
    def _unbind_writer(self) -> None: ...
    def __call__(self, now_ns: int) -> None: ...
