"""A training state too large for the devices is refused before anything is allocated."""

import dataclasses

import jax
import jax.numpy as jnp
import pytest
from test_train import SMALL

from her_jax import memory
from her_jax.run import run


def test_tree_bytes_counts_arrays_and_abstract_leaves():
    tree = {"a": jnp.zeros((3, 4), jnp.float32), "b": jax.ShapeDtypeStruct((5,), jnp.int8)}
    assert memory.tree_bytes(tree) == 3 * 4 * 4 + 5
    assert memory.device_memory_bytes(jax.devices()[0]) > 2**20  # this machine's memory


def test_a_state_larger_than_the_device_is_refused_before_compiling(tmp_path, monkeypatch):
    config = dataclasses.replace(SMALL, out_dir=tmp_path)
    monkeypatch.setattr(memory, "device_memory_bytes", lambda device: 10_000)
    with pytest.raises(ValueError, match=r"2 members x 288 transitions over 1 device.*"
                                         r"lower --buffer-capacity"):  # fmt: skip
        run(config, progress=False)
    assert not (tmp_path / "config.json").exists()  # refused before the run began
    # what fits trains
    monkeypatch.setattr(memory, "device_memory_bytes", lambda device: 2**40)
    assert run(dataclasses.replace(config, total_env_steps=1), progress=False)
