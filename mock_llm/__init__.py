"""mock_llm: a fake OpenAI-compatible token server that records the ground truth."""

from mock_llm.server import MockServer, create_app
from mock_llm.settings import MockSettings

__all__ = ["MockServer", "MockSettings", "create_app"]
