"""buffer_goals.py reads each member's stored episodes back from a checkpoint and measures where
their object positions lie, met_goals.py which relabelled goals they meet; a checkpoint of
hand-made episodes is written, nothing trained."""

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
import met_goals  # noqa: E402

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

    met = met_goals.main(met_goals.Args(run_dir=tmp_path, samples=20_000))
    assert [{c: r[c] for c in met_goals.COLUMNS[:5]} for r in met] == [
        {c: r[c] for c in buffer_goals.COLUMNS[:5]} for r in rows
    ]
    for s in met_goals.STRATEGIES:  # member 0's object rests at one point in every episode
        assert (met[0][f"{s}_met"], met[0][f"{s}_met_moved"]) == (1.0, 0.0)
    # member 1: one episode held 11 cm up, one resting below it: a goal from the other is missed
    assert met[1]["random_met"] == pytest.approx(0.5, abs=0.02)
    assert met[1]["future_met"] == met[1]["final_met"] == 1.0
    with (tmp_path / "met_goals.csv").open() as f:
        assert list(next(csv.DictReader(f))) == met_goals.COLUMNS

    # a newer checkpoint in which one member has stored nothing: no share can be measured
    empty = state.replace(buffer=state.buffer.replace(count=count.at[1].set(0)))
    checkpoints = Checkpoints(tmp_path / "checkpoints")
    checkpoints.save(8, empty, {})
    checkpoints.close()
    for script in (buffer_goals, met_goals):
        with pytest.raises(ValueError, match="seed 1 has no stored episode"):
            script.main(script.Args(run_dir=tmp_path))


def exact_met_shares(achieved: np.ndarray, threshold: float, moved: float) -> dict[str, float]:
    """met_goals.met_shares by enumerating every transition and every goal a strategy can give
    it, with its probability (her.py's rules), instead of drawing them."""
    n, T = achieved.shape[0], achieved.shape[1] - 1
    shares = {f"{s}_{x}": 0.0 for s in met_goals.STRATEGIES for x in ("met", "met_moved")}
    everywhere = [(j, u, 1 / (n * T)) for j in range(n) for u in range(1, T + 1)]
    for i in range(n):
        for t in range(T):
            after = achieved[i, t + 1]
            displaced = np.linalg.norm(after - achieved[i, 0]) > moved
            goals = {
                "final": [(i, T, 1.0)],
                "future": [(i, u, 1 / (T - t)) for u in range(t + 1, T + 1)],
                "episode": [(i, u, 1 / T) for u in range(1, T + 1)],
                "random": everywhere,
            }
            for s, choices in goals.items():
                near = [
                    w for j, u, w in choices if np.linalg.norm(after - achieved[j, u]) <= threshold
                ]
                p = sum(near)
                shares[f"{s}_met"] += p / (n * T)
                shares[f"{s}_met_moved"] += p * displaced / (n * T)
    return shares


def test_met_shares_match_an_exact_enumeration():
    # 4 episodes of 5 steps in a 12 cm cube: goals 5 cm away are met for some pairs, not others
    rng = np.random.default_rng(1)
    achieved = 0.03 * np.cumsum(rng.normal(size=(4, 6, 3)), axis=1)
    achieved[0] = achieved[0, :1]  # one object that never moves
    exact = exact_met_shares(achieved, 0.05, 0.04)
    assert 0.05 < exact["random_met"] < exact["future_met"] < 1  # neither all nor nothing
    assert 0 < exact["future_met_moved"] < exact["future_met"]
    drawn = met_goals.met_shares(achieved, 0.05, 0.04, samples=400_000, seed=0)
    assert drawn == pytest.approx(exact, abs=0.005)  # 6 standard errors at most


def test_buffer_goals_refuses_what_it_cannot_measure(tmp_path):
    with pytest.raises(ValueError, match="need lift >= 0 and moved > 0"):
        buffer_goals.main(buffer_goals.Args(run_dir=tmp_path, moved=0.0))
    with pytest.raises(ValueError, match="need lift >= 0 and moved > 0"):
        buffer_goals.main(buffer_goals.Args(run_dir=tmp_path, lift=float("nan")))
    for bad in ({"moved": float("nan")}, {"samples": 0}):
        with pytest.raises(ValueError, match="need moved > 0 and samples >= 1"):
            met_goals.main(met_goals.Args(run_dir=tmp_path, **bad))
    for env, algo in (("fetch_reach", "ddpg"), ("bitflip", "dqn")):
        config = dataclasses.replace(TrainConfig(env=env, algo=algo), out_dir=tmp_path)
        saved = config_to_json(config) | {"variants": [["future", 4.0]]}
        (tmp_path / "config.json").write_text(json.dumps(saved))
        with pytest.raises(ValueError, match=f"{env} has no object"):
            buffer_goals.main(buffer_goals.Args(run_dir=tmp_path))
    with pytest.raises(ValueError, match="no config.json"):
        buffer_goals.main(buffer_goals.Args(run_dir=tmp_path / "missing"))
