"""Shared test setup: a persistent compilation cache and the `slow` marker."""

import os

os.environ.setdefault("MUJOCO_GL", "osmesa")
os.environ.setdefault("PYOPENGL_PLATFORM", "osmesa")

import jax  # noqa: E402
import pytest  # noqa: E402

# the repository's .jax_cache, or HER_JAX_CACHE as the scripts read it (off: no cache)
_CACHE = os.environ.get(
    "HER_JAX_CACHE", os.path.join(os.path.dirname(os.path.dirname(__file__)), ".jax_cache")
)
if _CACHE != "off":
    jax.config.update("jax_compilation_cache_dir", _CACHE)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 1.0)


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", help="also run tests marked slow")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow learning run: pass --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
