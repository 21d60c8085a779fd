"""The environment registry: names and overrides are checked before anything is built."""

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
