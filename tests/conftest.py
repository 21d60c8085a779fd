"""Shared test setup: a persistent compilation cache and the `slow` marker."""

import os

os.environ.setdefault("MUJOCO_GL", "osmesa")
os.environ.setdefault("PYOPENGL_PLATFORM", "osmesa")
# Compiling, not running, is most of the suite on a CPU (tens of seconds per MJX program). XLA's
# CPU compiler without its fusion emitters, at the lowest backend optimisation, compiles those
# programs about three times as fast; they run about three times slower, but for seconds (the
# suite: 862 -> 459 s). Flags already in XLA_FLAGS come later, so they win; subprocesses
# inherit these (one that loads this file again does not add them twice).
FAST_COMPILE_FLAGS = "--xla_cpu_use_fusion_emitters=false --xla_backend_optimization_level=0"
if FAST_COMPILE_FLAGS not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = f"{FAST_COMPILE_FLAGS} {os.environ.get('XLA_FLAGS', '')}".strip()

import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "experiments"))

from train import enable_compilation_cache  # noqa: E402

# the repository's .jax_cache, or HER_JAX_CACHE as the scripts read it (off: no cache)
enable_compilation_cache(default=ROOT / ".jax_cache")


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", help="also run tests marked slow")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow learning run: pass --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
