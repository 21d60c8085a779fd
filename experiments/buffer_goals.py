"""Where the goals in a run's replay buffer lie: how much of it is above the table.

HER's relabelled goals are object positions the buffer stored, so which goals
a strategy can learn from depends on where the object went. For every member
of a Fetch object task's newest checkpoint this prints, and writes to
`<run_dir>/buffer_goals.csv`, the share of stored episodes whose object
started lifted (a grasped start), of stored object positions (every step) and
of final ones lifted, of intended goals lifted, and of episodes whose object
ended more than `--moved` from where it started. Lifted means more than
`--lift` above the object's resting height.

    python experiments/buffer_goals.py results/train_pick_and_place_cpu_grasped
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np
import tyro

from her_jax.envs.fetch.env import FetchEnv
from her_jax.errors import ConfigError, exit_in_one_line
from her_jax.meta import write_csv
from her_jax.policy import restore_newest
from her_jax.run import run_members
from her_jax.run_folder import load_config
from her_jax.train import make_train

COLUMNS = [
    "strategy", "k", "seed", "epoch", "episodes", "started_lifted", "positions_lifted",
    "final_lifted", "desired_lifted", "object_moved",
]  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Args:
    run_dir: tyro.conf.Positional[Path]
    """The run's folder (its --out-dir), holding config.json and checkpoints/."""
    lift: float = 0.02
    """Height above the object's resting centre (m) from which a position counts as lifted."""
    moved: float = 0.05
    """Distance (m) from its start beyond which an episode's object counts as moved."""


def goal_shares(
    achieved_goal: np.ndarray, desired_goal: np.ndarray, rest_z: float, lift: float, moved: float
) -> dict[str, float]:
    """Shares of stored episodes (`achieved_goal [N, T + 1, 3]`, `desired_goal [N, 3]`) as in
    the module docstring."""
    height = achieved_goal[..., 2] - rest_z
    travel = np.linalg.norm(achieved_goal[:, -1] - achieved_goal[:, 0], axis=-1)
    return {
        "started_lifted": float(np.mean(height[:, 0] > lift)),
        "positions_lifted": float(np.mean(height > lift)),
        "final_lifted": float(np.mean(height[:, -1] > lift)),
        "desired_lifted": float(np.mean(desired_goal[:, 2] - rest_z > lift)),
        "object_moved": float(np.mean(travel > moved)),
    }


@dataclasses.dataclass(frozen=True)
class StoredEpisodes:
    """One member's stored episodes in a checkpoint: object positions and intended goals."""

    strategy: str
    k: float
    seed: int
    achieved_goal: np.ndarray  # [episodes, T + 1, 3]: the object after each step, reset first
    desired_goal: np.ndarray  # [episodes, 3]

    def row(self, epoch: int) -> dict:
        """The columns that name the member, in the order of COLUMNS."""
        episodes = len(self.desired_goal)
        return {"strategy": self.strategy, "k": self.k, "seed": self.seed, "epoch": epoch,
                "episodes": episodes}  # fmt: skip


def stored_episodes(run_dir: Path) -> tuple[FetchEnv, int, list[StoredEpisodes]]:
    """The environment of a Fetch object task's run, its newest checkpoint's epoch, and every
    member's stored episodes there."""
    config, variants = load_config(run_dir)
    trainer = make_train(config)
    if not (isinstance(trainer.env, FetchEnv) and trainer.env.spec.has_object):
        raise ConfigError(f"{config.env} has no object: its goals are not object positions")
    state, epoch = restore_newest(run_dir, trainer, variants)
    data, members = state.buffer.data, []
    for m, (strategy, k, seed) in enumerate(run_members(config, variants)):
        stored = int(state.buffer.count[m])  # filled slots are 0 .. count - 1
        achieved = np.asarray(data.achieved_goal[m, :stored])
        desired = np.asarray(data.desired_goal[m, :stored])
        members.append(StoredEpisodes(strategy, k, seed, achieved, desired))
    return trainer.env, epoch, members


def measure_members(
    run_dir: Path, name: str, shares: Callable[[FetchEnv, StoredEpisodes], dict[str, float]]
) -> list[dict]:
    """One row per member of the run's newest checkpoint: the member's names and its
    `shares(env, member)`, rounded; written to `<run_dir>/<name>` and printed as a table."""
    env, epoch, members = stored_episodes(run_dir)
    rows = []
    for member in members:
        if len(member.desired_goal) == 0:  # every share would be a mean of nothing
            raise ConfigError(f"{run_dir}: seed {member.seed} has no stored episode")
        values = shares(env, member)
        rows.append(member.row(epoch) | {key: round(value, 4) for key, value in values.items()})
    out = Path(run_dir) / name
    write_csv(out, rows)
    columns = list(rows[0])
    print(" | ".join(columns))
    for row in rows:
        print(" | ".join(str(row[c]) for c in columns))
    print(f"wrote {out}")
    return rows


def main(args: Args) -> list[dict]:
    if not (args.lift >= 0 and args.moved > 0):  # NaN fails both
        raise ConfigError(f"need lift >= 0 and moved > 0, got {args.lift} and {args.moved}")

    def shares(env: FetchEnv, member: StoredEpisodes) -> dict[str, float]:
        return goal_shares(
            member.achieved_goal, member.desired_goal, env.spec.object_z, args.lift, args.moved
        )

    return measure_members(args.run_dir, "buffer_goals.csv", shares)  # keys in COLUMNS' order


if __name__ == "__main__":
    with exit_in_one_line():
        main(tyro.cli(Args))
