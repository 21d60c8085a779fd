"""DDPG+HER, TD3+HER and SAC+HER learn fetch_reach.

Every test session runs each learner's short run (about 75 s each on 2 CPU cores, mostly
compiling); the CLI defaults with 3 seeds are slow (`--runslow`).
results/learners_reach_cpu has a run of those defaults; tests/test_agents.py checks every
learner against analytic answers in every session.
"""

import dataclasses

import numpy as np
import pytest

from her_jax.config import TrainConfig
from her_jax.run import reaches, run


def final_success(tmp_path, config):
    rows = run(dataclasses.replace(config, out_dir=tmp_path), progress=False)
    last_epoch = max(r["epoch"] for r in rows)
    return [r["success_rate"] for r in rows if r["epoch"] == last_epoch]


@pytest.mark.parametrize("algo", ["ddpg", "td3", "sac"])
def test_her_reaches_90_percent_on_fetch_reach_short(tmp_path, algo):
    # Up to 10 epochs of the default, stopping at the first that reaches 0.9: the median of 3 CPU
    # seeds first passes 0.9 at 8,000 to 10,000 env steps with each learner
    # (results/learners_reach_cpu), so a single seed gets some slack
    config = TrainConfig(algo=algo, total_env_steps=20_000, eval_envs=64, stop_at_success=0.9)
    success = final_success(tmp_path, config)
    assert reaches(success[0], 0.9), success


@pytest.mark.slow
@pytest.mark.parametrize("algo", ["ddpg", "td3", "sac"])
def test_her_reaches_90_percent_on_fetch_reach_default_cli_settings(tmp_path, algo):
    """The settings `python experiments/train.py --algo ALGO` uses, 3 seeds, 200 evaluation
    episodes each."""
    success = final_success(tmp_path, TrainConfig(algo=algo, seeds=3, eval_envs=200))
    assert reaches(np.median(success), 0.9) and reaches(min(success), 0.8), success
