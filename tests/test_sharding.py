"""A run's members spread over several devices train as they do on one.

The host CPU poses as two devices (`--xla_force_host_platform_device_count`),
which must be set before jax starts, so the run itself happens in a fresh
interpreter executing this file.
"""

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np
import pytest

from her_jax.run_folder import TIMING_COLUMNS
from her_jax.sharding import devices_for, member_sharding


def test_devices_for_takes_the_most_devices_that_divide_the_members():
    assert jax.device_count() == 1  # the test process itself sees one CPU
    assert devices_for(5) == 1
    assert len(member_sharding(4).device_set) == 1
    with pytest.raises(ValueError, match="only 1 are available"):
        devices_for(4, max_devices=2)
    with pytest.raises(ValueError, match="at least one member"):
        devices_for(0)


def test_members_split_over_two_devices_train_as_on_one(tmp_path):
    flags = f"{os.environ.get('XLA_FLAGS', '')} --xla_force_host_platform_device_count=2"
    env = os.environ | {"XLA_FLAGS": flags.strip()}
    subprocess.run([sys.executable, __file__, str(tmp_path)], env=env, check=True, timeout=600)


def _numbers(rows):
    return [
        {k: float(v) for k, v in r.items() if k not in TIMING_COLUMNS + ("strategy",)} for r in rows
    ]


def _assert_same_training(a, b):
    """Equal up to float rounding: each device compiles the epoch for its own share of members,
    which may change the order of float sums, never the algorithm."""
    assert [r["seed"] for r in a] == [r["seed"] for r in b]
    for ra, rb in zip(_numbers(a), _numbers(b), strict=True):
        assert ra.keys() == rb.keys()
        for name in ra:
            np.testing.assert_allclose(ra[name], rb[name], rtol=1e-4, atol=1e-6, err_msg=name)


def _two_devices(out: Path) -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    import conftest  # noqa: F401  (the suite's compilation cache: each resume reuses a program)
    from test_train import SMALL

    from her_jax.run import run

    assert jax.device_count() == 2
    assert devices_for(4) == 2 and devices_for(3) == 1 and devices_for(4, max_devices=1) == 1
    config = dataclasses.replace(
        SMALL, seeds=2, total_env_steps=3 * SMALL.steps_per_epoch(6), checkpoint_every=1
    )
    one = run(dataclasses.replace(config, devices=1, out_dir=out / "one"), progress=False)
    two = run(dataclasses.replace(config, out_dir=out / "two"), progress=False)
    assert json.loads((out / "one" / "meta.json").read_text())["devices_used"] == 1
    assert json.loads((out / "two" / "meta.json").read_text())["devices_used"] == 2
    _assert_same_training(one, two)
    # a checkpoint written from two devices resumes on one
    shutil.rmtree(out / "two" / "checkpoints" / "3")
    resumed = run(
        dataclasses.replace(config, devices=1, out_dir=out / "two", resume=True), progress=False
    )
    _assert_same_training(resumed, one[4:])
    # and on two, restored straight into each device's share
    shutil.rmtree(out / "two" / "checkpoints" / "3")
    resumed = run(dataclasses.replace(config, out_dir=out / "two", resume=True), progress=False)
    _assert_same_training(resumed, one[4:])


if __name__ == "__main__":
    _two_devices(Path(sys.argv[1]))
