"""Packaging that pyproject.toml cannot say: the install layout and the one C extension.

The repository's top-level folders install under one ``streamgauge`` namespace, so a
user's own ``service`` (or ``loadtests``) package never collides with ours::

    mock_llm/   -> streamgauge.mock_llm     python -m streamgauge.mock_llm
    service/    -> streamgauge.service      python -m streamgauge.service
    loadtests/  -> streamgauge.loadtests    the ``streamgauge`` command
    deploy/     -> streamgauge/deploy       the nginx templates (data)

Inside each package imports are relative, so the same files run as top-level packages
in a checkout (``python -m mock_llm``) and under the namespace when installed. The
harness starts the servers by module name under its own namespace
(loadtests/systems/processes.py: ``project_module``).

The extension is ``optional``: without a C compiler the install goes on and the mock
uses the same code in Python (mock_llm/engine/chunk_writer.py), only slower per token.
"""

from setuptools import Extension, find_packages, setup

NAMESPACE = "streamgauge"
TOP_LEVEL = ("mock_llm", "service", "loadtests")

packages = [
    f"{NAMESPACE}.{name}" for name in find_packages(include=[f"{top}*" for top in TOP_LEVEL])
]

setup(
    packages=[*packages, f"{NAMESPACE}.deploy", f"{NAMESPACE}.deploy.nginx"],
    package_dir={
        **{f"{NAMESPACE}.{top}": top for top in TOP_LEVEL},
        f"{NAMESPACE}.deploy": "deploy",
    },
    package_data={
        f"{NAMESPACE}.deploy.nginx": ["*.conf"],
        f"{NAMESPACE}.mock_llm.engine": ["*.pyi"],
    },
    ext_modules=[
        Extension(
            f"{NAMESPACE}.mock_llm.engine._chunk_writer",
            ["mock_llm/engine/_chunk_writer.c"],
            optional=True,
            extra_compile_args=["-O2", "-Wall", "-Wextra", "-Wno-missing-field-initializers"],
        )
    ],
)
