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


#: The paper's loop with one worker process: each cycle collects 2 episodes, then makes 40
#: updates of batch 256 (about 100 sampled transitions per collected one). Sized for a CPU.
ONE_WORKER = dict(
    num_envs=2, cycles_per_epoch=50, updates_per_cycle=40, target_update_interval=40,
    batch_size=256, eval_envs=100,
)  # fmt: skip


@dataclasses.dataclass(frozen=True)
class CurveArgs:
    """The command-line fields every learning-curve script (Fig. 3 to 5) has."""

    seeds: int = 5
    """Seeds per variant."""
    num_envs: int = 1024
    """Environments per member."""
    buffer_capacity: int = 2_000_000
    """Transitions per member's buffer (size to the card: 2 variants x seeds buffers)."""
    env_steps: int = 0
    """Env steps per seed (0: the task's full-size budget, see BUDGETS)."""
    one_worker: bool = False
    """CPU size: the paper's one-worker loop, 2 episodes + 40 updates of 256 per cycle."""
    smoke: bool = False
    """A tiny version on fetch_reach (2 seeds, 2 epochs) that checks the pipeline."""


def curve_config(task: str, args: CurveArgs, out_dir: Path, **fields) -> TrainConfig:
    """The learning-curve run of Fig. 3 to 5 on `task` (GPU-sized unless `args` says otherwise).

    `fields` are further TrainConfig fields, e.g. `fixed_goal` or `reward_type`.
    """
    config = TrainConfig(
        env=task, seeds=args.seeds, total_env_steps=args.env_steps or BUDGETS[task],
        num_envs=args.num_envs, buffer_capacity=args.buffer_capacity, cycles_per_epoch=5,
        updates_per_cycle=400, target_update_interval=40, batch_size=4096, eval_envs=200,
        checkpoint_every=-1, out_dir=out_dir, **fields,
    )  # fmt: skip
    if args.one_worker:
        config = dataclasses.replace(config, **ONE_WORKER)
    return dataclasses.replace(config, **SMOKE) if args.smoke else config
