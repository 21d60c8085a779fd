"""Watch a trained policy: a run's newest checkpoint acting on fresh intended goals, as a GIF.

The deterministic online policy of one member (variant and seed) of a run
plays `--episodes` Fetch episodes side by side in time; the GIF shows them
one after another, the goal as a green sphere, and the script prints each
episode's final distance to its goal and whether it succeeded. Needs a run
with a checkpoint (`experiments/train.py` keeps one at the end by default).

    python experiments/train.py --out-dir runs/reach
    python experiments/watch.py runs/reach                 # writes runs/reach/policy.gif
    python experiments/watch.py runs/reach --member 1 --episodes 4 --out reach.gif
"""

from __future__ import annotations

import os

os.environ.setdefault("MUJOCO_GL", "osmesa")  # offscreen rendering without a display
os.environ.setdefault("PYOPENGL_PLATFORM", "osmesa")

import dataclasses  # noqa: E402
from pathlib import Path  # noqa: E402

import jax  # noqa: E402
import numpy as np  # noqa: E402
import tyro  # noqa: E402
from train import enable_compilation_cache

from her_jax.envs.fetch.env import FetchEnv  # noqa: E402
from her_jax.envs.fetch.render import FetchRenderer, save_gif  # noqa: E402
from her_jax.errors import ConfigError, exit_in_one_line  # noqa: E402
from her_jax.policy import restore_member  # noqa: E402
from her_jax.rollout import run_states  # noqa: E402
from her_jax.run_folder import load_config  # noqa: E402
from her_jax.train import make_train  # noqa: E402


@dataclasses.dataclass(frozen=True)
class Args:
    run_dir: tyro.conf.Positional[Path]
    """The run's folder (its --out-dir), holding config.json and checkpoints/."""
    member: int = 0
    """Which member to watch, in metrics.csv's order (variant-major, then seed)."""
    episodes: int = 2
    """Episodes to play, each with a freshly sampled intended goal."""
    seed: int = 0
    """Seed of the episodes' initial states and goals."""
    out: Path | None = None
    """GIF path (default: policy.gif in the run folder)."""
    width: int = 320
    """Frame width in pixels (at most 640)."""
    height: int = 240
    """Frame height in pixels (at most 480)."""


def load_member(run_dir: Path, member: int):
    """(trainer, the member's train state, its (strategy, k, seed)) from the newest checkpoint."""
    config, variants = load_config(run_dir)
    trainer = make_train(config)
    if not isinstance(trainer.env, FetchEnv):
        raise ConfigError(f"watch draws the Fetch tasks; {config.env!r} has no picture")
    state, which = restore_member(run_dir, trainer, variants, member)
    return trainer, state, which


def main(args: Args) -> list[dict]:
    """Play, print and draw the episodes; returns one dict per episode."""
    if args.episodes < 1:
        raise ConfigError(f"episodes must be >= 1, got {args.episodes}")
    trainer, state, (strategy, k, seed) = load_member(args.run_dir, args.member)
    env = trainer.env
    # the state is an argument, not a constant of the program: the compilation cache then
    # serves every checkpoint of a run
    play = jax.jit(
        lambda state, key: run_states(env, trainer.policy(state, explore=False), key, args.episodes)
    )
    states = play(state, jax.random.key(args.seed))  # leaves [T + 1, episodes, ...]
    final = jax.tree.map(lambda x: np.asarray(x[-1]), states.obs)
    distance = np.asarray(env.goal_distance(final.achieved_goal, final.desired_goal))
    success = np.asarray(states.info["is_success"][-1])
    renderer = FetchRenderer(env, width=args.width, height=args.height)
    try:
        frames = [f for e in range(args.episodes) for f in renderer.episode(states, index=e)]
    finally:
        renderer.close()
    out = args.out or Path(args.run_dir) / "policy.gif"
    save_gif(frames, out)
    print(f"{env.name}, {strategy} k={k:g}, seed {seed}: {len(frames)} frames -> {out}")
    rows = []
    for e in range(args.episodes):
        rows.append({"episode": e, "final_distance_m": float(distance[e]), "success": success[e]})
        print(f"  episode {e}: {distance[e] * 100:.1f} cm from the goal, success {success[e]:.0f}")
    return rows


if __name__ == "__main__":
    with exit_in_one_line():
        enable_compilation_cache()
        main(tyro.cli(Args))
