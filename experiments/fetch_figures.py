"""What the Fetch figure scripts share: env-step budgets, the learner, the smoke size.

Fig. 3, 4 and 5 are compared curve against curve, so they train with one
learner setting (`curve_config`); Fig. 6 sizes its many members itself but
shares the smoke size.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from her_jax.config import TrainConfig

RESULTS = Path(__file__).resolve().parent.parent / "results"

#: Env steps per seed per task: at least where future k = 4 has plateaued in the reference runs.
BUDGETS = {
    "fetch_reach": 200_000,
    "fetch_push": 3_000_000,
    "fetch_pick_and_place": 5_000_000,
    "fetch_slide": 5_000_000,
}

#: The task of every `--smoke` run: the cheapest to compile on a CPU.
SMOKE_TASK = "fetch_reach"

#: A run that exercises the whole pipeline (rollout, buffer, HER, updates, evaluation) in
#: seconds once compiled; it measures nothing.
SMOKE = dict(
    num_envs=2, cycles_per_epoch=2, updates_per_cycle=4, target_update_interval=2, batch_size=32,
    hidden=(32, 32), eval_envs=4, buffer_capacity=0, total_env_steps=400,
)  # fmt: skip


def curve_config(
    task: str,
    *,
    seeds: int,
    num_envs: int,
    buffer_capacity: int,
    out_dir: Path,
    smoke: bool,
    **fields,
) -> TrainConfig:
    """The learning-curve run of Fig. 3 to 5 on `task` (GPU-sized; tiny when `smoke`).

    `fields` are further TrainConfig fields, e.g. `fixed_goal` or `reward_type`.
    """
    config = TrainConfig(
        env=task, seeds=seeds, total_env_steps=BUDGETS[task], num_envs=num_envs,
        buffer_capacity=buffer_capacity, cycles_per_epoch=5, updates_per_cycle=400,
        target_update_interval=40, batch_size=4096, eval_envs=200, checkpoint_every=-1,
        out_dir=out_dir, **fields,
    )  # fmt: skip
    return dataclasses.replace(config, **SMOKE) if smoke else config
