"""Where a result came from: device, versions and commit, recorded beside every figure."""

from __future__ import annotations

import csv
import datetime
import functools
import hashlib
import importlib.metadata
import os
import platform
import subprocess
import sys
import warnings
from pathlib import Path

import jax


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


@functools.cache
def git_commit() -> str:
    """The checkout's commit, with `+dirty` when code has uncommitted changes.

    Read once per process, at its first call (scripts call it before running
    anything), so a long script keeps reporting the code it started with.
    Changes under `results/` do not count: scripts write their outputs there.
    """
    root = Path(__file__).resolve().parent.parent
    _warn_if_script_elsewhere(root)
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!results"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("+dirty" if dirty else "")


def _warn_if_script_elsewhere(root: Path) -> None:
    """An experiment script run from one checkout imports `her_jax` from wherever it is
    installed, which may be another checkout (an editable install made in a clone): the
    commit recorded would then be that one's, not the script's."""
    script = getattr(sys.modules.get("__main__"), "__file__", None)
    path = Path(script).resolve() if script else None
    if path is None or path.parent.name != "experiments":
        return
    if not path.is_relative_to(root):
        warnings.warn(
            f"{script} runs the her_jax package of another checkout ({root}), whose commit "
            "meta.json records; `pip install -e .` in the script's checkout makes them one",
            stacklevel=3,
        )


def short_commit(commit: str) -> str:
    """`git_commit()`'s value for tables: 8 hex digits, keeping a `+dirty` mark."""
    return commit[:8] + ("+dirty" if commit.endswith("+dirty") else "")


@functools.cache
def code_digest(root: Path | None = None) -> str:
    """A hash of the code that runs: every `.py` and `.xml` file under `her_jax/` and the
    scripts in `experiments/`, with their paths. It names the code where git cannot, e.g. in
    a copy of the checkout whose `.git` is missing or stale; the same checkout anywhere gives
    the same digest. Cached like `git_commit`: the code this process started with."""
    root = root or Path(__file__).resolve().parent.parent
    package = root / "her_jax"
    files = [*package.rglob("*.py"), *package.rglob("*.xml"), *(root / "experiments").glob("*.py")]
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def device_name() -> str:
    """The accelerator's name, e.g. 'NVIDIA H100 80GB HBM3', or the CPU's."""
    device = jax.devices()[0]
    if device.platform == "cpu":
        return f"cpu ({platform.processor() or platform.machine()}, {_cpu_count()} cores)"
    return device.device_kind


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def device_tag() -> str:
    """A short file-name tag for the platform: 'cpu' or 'gpu'."""
    return "cpu" if jax.default_backend() == "cpu" else "gpu"


def run_metadata() -> dict[str, str]:
    """Device, library versions, commit, XLA flags and start time of this process's run.

    `XLA_FLAGS` is recorded because compiler options (e.g. GPU autotuning) change both
    compile time and speed."""
    return {
        "device": device_name(),
        "backend": jax.default_backend(),
        "jax": jax.__version__,
        "jaxlib": _version("jaxlib"),
        "mujoco": _version("mujoco"),
        "mujoco_mjx": _version("mujoco-mjx"),
        "brax": _version("brax"),
        "python": platform.python_version(),
        "commit": git_commit(),
        "code_digest": code_digest(),
        "xla_flags": os.environ.get("XLA_FLAGS", ""),
        "start_time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def legs(info: dict) -> list[dict]:
    """Every leg of a run from its meta.json, oldest first: a resumed run's earlier legs, then
    the last (each with its own device, versions and commit)."""
    last = {k: v for k, v in info.items() if k != "earlier_legs"}
    return [*info.get("earlier_legs", []), last]


def write_csv(path: Path, rows: list[dict]) -> None:
    """Rows of equal keys as a CSV with a header line (the folder is created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
