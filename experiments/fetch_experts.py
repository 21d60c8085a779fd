"""Scripted experts on the Fetch tasks: does the physics let each task be solved?

Runs `her_jax.envs.fetch.experts.expert_action` on `--episodes` episodes per
task (one jitted, vmapped rollout each), writes `results/fetch_experts.csv`
(final-step and any-step success, constraint metrics, device, versions, git
commit) and draws one frame of the first episode per task into
`results/fetch_<task>.png`.

    MUJOCO_GL=osmesa PYOPENGL_PLATFORM=osmesa python experiments/fetch_experts.py
"""

from __future__ import annotations

import os

os.environ.setdefault("MUJOCO_GL", "osmesa")
os.environ.setdefault("PYOPENGL_PLATFORM", "osmesa")

import dataclasses  # noqa: E402
import pathlib  # noqa: E402
import time  # noqa: E402

import jax  # noqa: E402
import numpy as np  # noqa: E402
import tyro  # noqa: E402

from her_jax import meta
from her_jax.envs import make  # noqa: E402
from her_jax.envs.fetch.experts import expert_action  # noqa: E402
from her_jax.envs.fetch.render import FetchRenderer, save_png  # noqa: E402
from her_jax.errors import exit_in_one_line

TASKS = ("fetch_reach", "fetch_push", "fetch_slide", "fetch_pick_and_place")


@dataclasses.dataclass(frozen=True)
class Args:
    tasks: tuple[str, ...] = TASKS
    """Tasks to run."""
    episodes: int = 128
    """Episodes per task."""
    seed: int = 0
    frame_step: int = 12
    """Step of the first episode drawn into results/fetch_<task>.png."""
    out_dir: pathlib.Path = pathlib.Path(__file__).resolve().parent.parent / "results"


def make_rollout(env):
    """Jitted keys [N, 2] -> (first states, per-step info, per-step qpos / qvel / mocap).

    Only the positions are kept per step (not whole `mjx.Data`), enough to draw
    any frame.
    """

    def one(key):
        state = env.reset(key)

        def body(s, _):
            s = env.step(s, expert_action(env, s))
            d = s.pipeline_state
            return s, (s.info, d.qpos, d.qvel, d.mocap_pos)

        _, trajectory = jax.lax.scan(body, state, None, env.episode_length)
        return state, trajectory

    return jax.jit(jax.vmap(one))


def draw(env, first, qpos, qvel, mocap, step: int, path: pathlib.Path) -> None:
    """Save the frame of episode 0 after `step` + 1 steps."""
    state = jax.tree_util.tree_map(lambda x: x[0], first)
    data = state.pipeline_state.replace(
        qpos=qpos[0, step], qvel=qvel[0, step], mocap_pos=mocap[0, step]
    )
    renderer = FetchRenderer(env)
    save_png(renderer.frame(state.replace(pipeline_state=data)), path)
    renderer.close()


def main(args: Args) -> None:
    args.out_dir.mkdir(parents=True, exist_ok=True)
    run_info = meta.run_metadata()
    rows = []
    for i, task in enumerate(args.tasks):
        env = make(task)
        keys = jax.random.split(jax.random.fold_in(jax.random.PRNGKey(args.seed), i), args.episodes)
        t0 = time.perf_counter()
        first, (info, qpos, qvel, mocap) = make_rollout(env)(keys)
        success = np.asarray(info["is_success"])  # [episodes, T]
        wall = time.perf_counter() - t0
        row = {
            "task": task,
            "episodes": args.episodes,
            "success_final": round(float(success[:, -1].mean()), 4),
            "success_any": round(float(success.max(axis=1).mean()), 4),
            "object_fell": round(float(np.asarray(info["object_fell"]).max(axis=1).mean()), 4),
            "gripper_press_steps": round(float(np.asarray(info["gripper_press"]).mean()), 4),
            "wall_s": round(wall, 1),
            **run_info,
        }
        rows.append(row)
        print(", ".join(f"{k}={v}" for k, v in row.items() if k not in run_info))
        draw(env, first, qpos, qvel, mocap, args.frame_step, args.out_dir / f"{task}.png")
    path = args.out_dir / "fetch_experts.csv"
    meta.write_csv(path, rows)
    print(f"wrote {path}")


if __name__ == "__main__":
    with exit_in_one_line():
        main(tyro.cli(Args))
