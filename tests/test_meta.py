"""Where a result came from: the code digest that names the code where git cannot."""

import shutil
import sys
import warnings
from pathlib import Path

import pytest

from her_jax import meta

ROOT = Path(meta.__file__).resolve().parent.parent


def test_code_digest_names_the_code_not_the_checkout(tmp_path):
    skip = shutil.ignore_patterns("__pycache__")
    for folder in ("her_jax", "experiments"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=skip)
    try:
        assert meta.code_digest(tmp_path) == meta.code_digest(ROOT)  # no .git needed
        (tmp_path / "her_jax" / "envs" / "fetch" / "assets" / "push.xml").write_text("<mujoco/>")
        meta.code_digest.cache_clear()
        assert meta.code_digest(tmp_path) != meta.code_digest(ROOT)  # a scene is code too
    finally:
        meta.code_digest.cache_clear()
    assert meta.run_metadata()["code_digest"] == meta.code_digest(ROOT)


def test_run_metadata_records_the_xla_flags(monkeypatch):
    monkeypatch.setenv("XLA_FLAGS", "--xla_gpu_autotune_level=0")
    assert meta.run_metadata()["xla_flags"] == "--xla_gpu_autotune_level=0"
    monkeypatch.delenv("XLA_FLAGS")
    assert meta.run_metadata()["xla_flags"] == ""


def test_a_script_of_another_checkout_is_warned_about(tmp_path, monkeypatch):
    # e.g. an experiment run from this checkout while `her_jax` is installed from a clone
    elsewhere = tmp_path / "experiments" / "train.py"
    monkeypatch.setattr(sys.modules["__main__"], "__file__", str(elsewhere), raising=False)
    with pytest.warns(UserWarning, match="runs the her_jax package of another checkout"):
        meta._warn_if_script_elsewhere(ROOT)
    here = ROOT / "experiments" / "train.py"
    monkeypatch.setattr(sys.modules["__main__"], "__file__", str(here))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        meta._warn_if_script_elsewhere(ROOT)  # the script's own checkout: silent
