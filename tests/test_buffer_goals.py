"""buffer_goals.py reads each member's stored episodes back from a checkpoint and measures where
their object positions lie; a checkpoint of hand-made episodes is written, nothing trained."""

import csv
import dataclasses
import json
import sys
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pytest

from her_jax.checkpoint import Checkpoints
from her_jax.config import TrainConfig
from her_jax.run import init_states
from her_jax.run_folder import config_to_json, save_config
from her_jax.train import make_train

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "experiments"))

import buffer_goals  # noqa: E402

REST = 0.4249  # pick-and-place's resting object centre height (REFERENCE.md)


def _episode(start_z: float, end_z: float, steps: int = 51, shift: float = 0.0) -> np.ndarray:
    """Object positions of one episode: height from start_z to end_z, moved by `shift` in x."""
    xyz = np.zeros((steps, 3), np.float32)
    xyz[:, 0] = 1.3 + np.linspace(0.0, shift, steps)
    xyz[:, 1] = 0.75
    xyz[:, 2] = np.linspace(start_z, end_z, steps)
    return xyz


def test_goal_shares_by_hand():
    achieved = np.stack([
        _episode(REST, REST),  # rests throughout
        _episode(REST + 0.11, REST),  # a grasped start, dropped: lifted for its first half
        _episode(REST, REST + 0.2, shift=0.1),  # lifted and carried 0.22 m
    ])  # fmt: skip
    desired = np.array([[1.3, 0.75, REST], [1.3, 0.75, REST + 0.3], [1.3, 0.75, REST + 0.01]])
    shares = buffer_goals.goal_shares(achieved, desired, REST, lift=0.02, moved=0.05)
    height = achieved[..., 2] - REST
    assert shares == pytest.approx({
        "started_lifted": 1 / 3,
        "positions_lifted": np.mean(height > 0.02),  # the two lifted stretches of 51 steps
        "final_lifted": 1 / 3,
        "desired_lifted": 1 / 3,  # 1 cm up is not lifted
        "object_moved": 2 / 3,  # the dropped cube fell 11 cm
    })  # fmt: skip
    assert 0.3 < shares["positions_lifted"] < 2 / 3


def test_buffer_goals_reads_every_member_of_a_checkpoint(tmp_path):
    config = TrainConfig(
        env="fetch_pick_and_place", seeds=2, num_envs=2, buffer_capacity=5 * 50, out_dir=tmp_path
    )
    variants = [("future", 4.0), ("none", 0.0)]
    trainer = make_train(config)
    save_config(tmp_path, config, variants, trainer.env.episode_length)
    state = init_states(trainer, variants)
    members, capacity = 4, 5
    achieved = np.full((members, capacity, 51, 3), [1.3, 0.75, REST], np.float32)
    desired = np.full((members, capacity, 3), [1.3, 0.75, REST], np.float32)
    achieved[1, 0] = _episode(REST + 0.11, REST + 0.11)  # member 1: one episode held throughout
    achieved[2, :] = _episode(REST, REST, shift=0.1)  # member 2: every episode pushed 10 cm
    achieved[3, 3] = _episode(REST + 0.2, REST + 0.2)  # member 3: in a slot not yet filled
    desired[0, :2, 2] = REST + 0.3
    data = state.buffer.data.replace(
        achieved_goal=jnp.asarray(achieved), desired_goal=jnp.asarray(desired)
    )
    count = jnp.array([5, 2, 5, 3], jnp.int32)  # member 1 and 3 filled 2 and 3 slots so far
    state = state.replace(buffer=state.buffer.replace(data=data, count=count))
    checkpoints = Checkpoints(tmp_path / "checkpoints")
    checkpoints.save(7, state, {})
    checkpoints.close()

    rows = buffer_goals.main(buffer_goals.Args(run_dir=tmp_path))
    assert [(r["strategy"], r["seed"], r["episodes"]) for r in rows] == [
        ("future", 0, 5), ("future", 1, 2), ("none", 0, 5), ("none", 1, 3),
    ]  # fmt: skip
    assert {r["epoch"] for r in rows} == {7}
    shares = [{c: r[c] for c in buffer_goals.COLUMNS[5:]} for r in rows]
    assert shares[0] == {**dict.fromkeys(shares[0], 0.0), "desired_lifted": 0.4}
    assert shares[1] == {  # one of its two stored episodes held aloft
        "started_lifted": 0.5, "positions_lifted": 0.5, "final_lifted": 0.5,
        "desired_lifted": 0.0, "object_moved": 0.0,
    }  # fmt: skip
    assert shares[2] == {**dict.fromkeys(shares[2], 0.0), "object_moved": 1.0}
    assert shares[3] == dict.fromkeys(shares[3], 0.0)  # the lifted episode lies past count
    with (tmp_path / "buffer_goals.csv").open() as f:
        written = list(csv.DictReader(f))
    assert list(written[0]) == buffer_goals.COLUMNS
    assert [float(w["final_lifted"]) for w in written] == [0.0, 0.5, 0.0, 0.0]


def test_buffer_goals_refuses_what_it_cannot_measure(tmp_path):
    with pytest.raises(ValueError, match="need lift >= 0 and moved > 0"):
        buffer_goals.main(buffer_goals.Args(run_dir=tmp_path, moved=0.0))
    with pytest.raises(ValueError, match="need lift >= 0 and moved > 0"):
        buffer_goals.main(buffer_goals.Args(run_dir=tmp_path, lift=float("nan")))
    for env, algo in (("fetch_reach", "ddpg"), ("bitflip", "dqn")):
        config = dataclasses.replace(TrainConfig(env=env, algo=algo), out_dir=tmp_path)
        saved = config_to_json(config) | {"variants": [["future", 4.0]]}
        (tmp_path / "config.json").write_text(json.dumps(saved))
        with pytest.raises(ValueError, match=f"{env} has no object"):
            buffer_goals.main(buffer_goals.Args(run_dir=tmp_path))
    with pytest.raises(ValueError, match="no config.json"):
        buffer_goals.main(buffer_goals.Args(run_dir=tmp_path / "missing"))
