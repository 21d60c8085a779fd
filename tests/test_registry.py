"""The environment registry: names and overrides are checked before anything is built."""

import subprocess
import sys

import pytest

from her_jax import envs


def test_unknown_env_names_valid_choices():
    with pytest.raises(ValueError, match="unknown environment 'fetch_pushh'.*fetch_push"):
        envs.make("fetch_pushh")


def test_unknown_override_names_valid_ones():
    with pytest.raises(ValueError, match="unknown override.*n_bit.*valid: n_bits"):
        envs.make("bitflip", n_bit=3)


def test_registered_names():
    assert envs.ENV_NAMES == (
        "bitflip",
        "fetch_reach",
        "fetch_push",
        "fetch_slide",
        "fetch_pick_and_place",
    )
    assert isinstance(envs.make("bitflip"), envs.GoalEnv)


def test_importing_prints_nothing():
    # mujoco-mjx's notice that its optional warp backend is missing is kept off stdout
    code = "import her_jax.normalizer, her_jax.envs.fetch"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == ""
