"""mock_llm: a fake OpenAI-compatible token server that records the ground truth."""

from .server import MockServer, create_app
from .settings import MockSettings

__all__ = ["MockServer", "MockSettings", "create_app"]
