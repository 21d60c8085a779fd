"""Where a result came from: the code digest that names the code where git cannot."""

import shutil
from pathlib import Path

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
