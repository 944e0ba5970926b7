"""The four scenarios: ttft, blocking, disconnect, buffering. Each returns a ScenarioResult."""
