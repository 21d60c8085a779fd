"""Which relabelled goals a run's stored episodes meet, and how many with the object moved.

A relabelled transition teaches the actor most where its reward depends on
what the arm did. On push the object lies still unless pushed, so a substitute
goal that happens to lie where the object rests stays met unless the arm
disturbs the object: it teaches little beyond leaving the object alone. For
every member of a Fetch object task's newest checkpoint this draws `--samples`
transitions uniformly from the stored episodes, gives each one a goal as each
strategy would (her.py's rules: `final`, `future`, `episode`, `random`), and
prints, and writes to `<run_dir>/met_goals.csv`, per strategy the share of
transitions whose goal is met after the step (within the task's success
radius; `<strategy>_met`) and the share met with the object more than
`--moved` from where its episode started (`<strategy>_met_moved`): met
because the object was moved, whether by the arm or by falling from a grasped
start.

    python experiments/met_goals.py results/train_pick_and_place_cpu_grasped
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import tyro
from buffer_goals import StoredEpisodes, measure_members

from her_jax.envs.fetch.env import FetchEnv
from her_jax.errors import ConfigError, exit_in_one_line

STRATEGIES = ("final", "future", "episode", "random")
COLUMNS = ["strategy", "k", "seed", "epoch", "episodes"] + [
    f"{s}_{share}" for s in STRATEGIES for share in ("met", "met_moved")
]


@dataclasses.dataclass(frozen=True)
class Args:
    run_dir: tyro.conf.Positional[Path]
    """The run's folder (its --out-dir), holding config.json and checkpoints/."""
    moved: float = 0.05
    """Distance (m) from where its episode started beyond which the object counts as moved."""
    samples: int = 200_000
    """Transitions drawn per member (the shares' standard error is at most 0.5 / sqrt of it)."""
    seed: int = 0
    """Key of the draws."""


def relabelled_goals(
    achieved_goal: np.ndarray, rng: np.random.Generator, samples: int
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """`samples` transitions drawn uniformly from the episodes (`achieved_goal [N, T + 1, 3]`):
    their episodes, steps t (0 .. T - 1), and the goal each strategy gives them, drawn by
    her.py's rules (future: t + 1 .. T; episode: 1 .. T; random: 1 .. T of any episode)."""
    n, T = achieved_goal.shape[0], achieved_goal.shape[1] - 1
    episode = rng.integers(0, n, samples)
    t = rng.integers(0, T, samples)
    future_t = np.minimum(t + 1 + np.floor(rng.random(samples) * (T - t)).astype(int), T)
    goals = {
        "final": achieved_goal[episode, T],
        "future": achieved_goal[episode, future_t],
        "episode": achieved_goal[episode, rng.integers(1, T + 1, samples)],
        "random": achieved_goal[rng.integers(0, n, samples), rng.integers(1, T + 1, samples)],
    }
    return episode, t, goals


def met_shares(
    achieved_goal: np.ndarray, threshold: float, moved: float, samples: int, seed: int
) -> dict[str, float]:
    """Per strategy, the share of drawn transitions whose goal is met after the step, and the
    share met with the object more than `moved` from its episode's start (module docstring)."""
    episode, t, goals = relabelled_goals(achieved_goal, np.random.default_rng(seed), samples)
    after = achieved_goal[episode, t + 1]
    displaced = np.linalg.norm(after - achieved_goal[episode, 0], axis=-1) > moved
    shares = {}
    for strategy, goal in goals.items():
        met = np.linalg.norm(after - goal, axis=-1) <= threshold  # the env's reward-0 rule
        shares[f"{strategy}_met"] = float(np.mean(met))
        shares[f"{strategy}_met_moved"] = float(np.mean(met & displaced))
    return shares


def main(args: Args) -> list[dict]:
    if not (args.moved > 0 and args.samples >= 1):  # NaN fails
        raise ConfigError(f"need moved > 0 and samples >= 1, got {args.moved} and {args.samples}")

    def shares(env: FetchEnv, member: StoredEpisodes) -> dict[str, float]:
        return met_shares(
            member.achieved_goal, env.distance_threshold, args.moved, args.samples, args.seed
        )

    return measure_members(args.run_dir, "met_goals.csv", shares)  # keys in COLUMNS' order


if __name__ == "__main__":
    with exit_in_one_line():
        main(tyro.cli(Args))
