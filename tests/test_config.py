"""The numbers a TrainConfig derives: epochs, buffer capacity, discount and replay ratio."""

import pytest

from her_jax import replay
from her_jax.config import TrainConfig


def test_epochs_round_the_budget_up():
    config = TrainConfig(num_envs=8, cycles_per_epoch=5, total_env_steps=20_000)
    assert config.steps_per_epoch(50) == 2_000 and config.num_epochs(50) == 10
    assert TrainConfig(num_envs=8, cycles_per_epoch=5, total_env_steps=20_001).num_epochs(50) == 11


def test_default_capacity_is_the_whole_run_capped():
    # the buffer never wraps by default: every transition of the run fits, up to the cap
    assert TrainConfig(num_envs=8, cycles_per_epoch=5, total_env_steps=20_001).capacity_for(50) == (
        22_000
    )
    assert TrainConfig(total_env_steps=10**8).capacity_for(50) == replay.DEFAULT_CAPACITY
    assert TrainConfig(buffer_capacity=1234).capacity_for(50) == 1234


def test_default_discount_is_one_minus_one_over_the_episode_length():
    assert TrainConfig().gamma_for(50) == pytest.approx(0.98)
    assert TrainConfig().gamma_for(16) == pytest.approx(1 - 1 / 16)
    assert TrainConfig(gamma=0.9).gamma_for(50) == 0.9


def test_replay_ratio_is_sampled_per_collected_transition():
    # the push preset's: 1,200 steps of 4,096 per 1,024 episodes of 50 steps
    config = TrainConfig(num_envs=1024, updates_per_cycle=1200, batch_size=4096)
    assert config.replay_ratio(50) == pytest.approx(96.0)
