"""The one compiled module: mock_llm's token write path (mock_llm/chunk_writer.py).

``optional=True``: where it cannot be built (no C compiler), the install goes
on and the mock uses the same code in Python, only slower per token.
Everything else about the project is in pyproject.toml.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "mock_llm._chunk_writer",
            ["mock_llm/_chunk_writer.c"],
            optional=True,
            extra_compile_args=["-O2", "-Wall", "-Wextra", "-Wno-missing-field-initializers"],
        )
    ]
)
