"""The installed distribution: one ``streamgauge`` namespace beside a user's own packages.

A team's project often has its own ``service`` package; installing streamgauge must not
shadow it. The wheel is built from this checkout (no network: the build backend comes
from the dev environment) and installed into a folder of its own.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import httpx
import pytest

from loadtests.systems.processes import running_server

ROOT = Path(__file__).resolve().parents[3]
_NOT_SOURCES = (
    ".git",
    ".venv",
    "results",
    "build",
    "*.egg-info",
    "__pycache__",
    "*.so",
    ".*_cache",
)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, installed (``--no-deps``) into its own folder."""
    tmp = tmp_path_factory.mktemp("install")
    # A copy: an in-place build leaves build/ and *.egg-info in the checkout.
    source = tmp / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*_NOT_SOURCES))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp / "wheel"), str(source)],
        check=True,
        timeout=300,
        cwd=tmp,
    )
    (wheel,) = (tmp / "wheel").glob("streamgauge-*.whl")
    target = tmp / "site"
    subprocess.run([*pip, "install", "--no-deps", "--target", str(target), str(wheel)], check=True)
    return target


def _run_beside_user_project(installed: Path, user: Path, code: str) -> str:
    """Run ``code`` with the user's project and the installed wheel on the path, no checkout.

    ``-S`` skips site-packages' ``.pth`` files, among them the editable install that maps
    ``streamgauge.*`` to this checkout; the dependencies come from site-packages itself.
    """
    paths = [str(user), str(installed), sysconfig.get_paths()["purelib"]]
    prelude = f"import sys; sys.path[:0] = {paths!r}\n"
    done = subprocess.run(
        [sys.executable, "-S", "-c", prelude + code],
        capture_output=True,
        text=True,
        cwd=user,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_users_service_package_and_streamgauge_import_side_by_side(
    installed: Path, tmp_path: Path
) -> None:
    (tmp_path / "service").mkdir()
    (tmp_path / "service" / "__init__.py").write_text('NAME = "the team\'s own service"\n')
    out = _run_beside_user_project(
        installed,
        tmp_path,
        "import service, streamgauge.service, streamgauge.mock_llm, streamgauge.loadtests.cli\n"
        "print(service.NAME)\n"
        "print(streamgauge.service.__file__)\n"
        "from streamgauge.loadtests.systems import nginx, processes\n"
        "print(processes.project_module('mock_llm'))\n"
        "print(','.join(nginx.template_names()))\n",
    )
    name, service_file, mock_module, templates = out.splitlines()
    assert name == "the team's own service"
    assert service_file.startswith(str(installed))
    assert mock_module == "streamgauge.mock_llm"
    assert templates == "buffering_off,defaults,gzip,http11"


def test_the_installed_mock_serves_from_the_wheel(installed: Path, tmp_path: Path) -> None:
    """``python -m streamgauge.mock_llm`` from the wheel: its modules and C extension are in it."""
    paths = [str(tmp_path), str(installed), sysconfig.get_paths()["purelib"]]
    code = (
        f"import runpy, sys; sys.path[:0] = {paths!r}; sys.argv = ['mock_llm', '--port', '0']\n"
        "runpy.run_module('streamgauge.mock_llm', run_name='__main__', alter_sys=True)\n"
    )
    with running_server([sys.executable, "-S", "-c", code]) as mock:
        stats = httpx.get(f"{mock.url}/mock/stats", timeout=10).json()
    assert stats["write_path"] in {"c", "python"}
    engine = installed / "streamgauge" / "mock_llm" / "engine"
    built = [p.name for p in engine.glob("_chunk_writer*.so")]
    assert (stats["write_path"] == "c") == bool(built), built
