"""What the Fetch figure scripts share: env-step budgets, the learner, the smoke size.

Fig. 3, 4 and 5 are compared curve against curve, so they train with one
learner setting (`curve_config`); Fig. 6 sizes its many members itself but
shares the smoke size.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from her_jax.config import TrainConfig
from her_jax.run import run
from her_jax.run_folder import has_run

RESULTS = Path(__file__).resolve().parent.parent / "results"

#: Env steps per seed per task: at least where future k = 4 has plateaued in the reference runs.
BUDGETS = {
    "fetch_reach": 200_000,
    "fetch_push": 3_000_000,
    "fetch_pick_and_place": 5_000_000,
    "fetch_slide": 5_000_000,
}

#: The success radius, in metres, of the paper's Fig. 3 (`--paper-thresholds`); every task's
#: own is 0.05, as in the reference. Reach is not in the paper.
PAPER_THRESHOLDS = {"fetch_push": 0.07, "fetch_pick_and_place": 0.07, "fetch_slide": 0.2}

#: The share of training episodes the paper started with the cube grasped
#: (`--paper-grasped-starts`); the reference starts none so.
PAPER_GRASPED_STARTS = {"fetch_pick_and_place": 0.5}

#: The two curves of every learning-curve figure: DDPG+HER (future, k = 4) and DDPG.
CURVE_VARIANTS = [("future", 4.0), ("none", 0.0)]

#: The task of every `--smoke` run: the cheapest to compile on a CPU.
SMOKE_TASK = "fetch_reach"

#: A run that exercises the whole pipeline (rollout, buffer, HER, updates, evaluation) in
#: seconds once compiled; it measures nothing.
SMOKE = dict(
    num_envs=2, cycles_per_epoch=2, updates_per_cycle=4, target_update_interval=2, batch_size=32,
    hidden=(32, 32), eval_envs=2, buffer_capacity=0, total_env_steps=400,
)  # fmt: skip


@dataclasses.dataclass(frozen=True)
class FigureArgs:
    """The command-line fields every Fetch figure script (Fig. 3 to 6) has: how its runs are
    kept, stopped and resumed, and which of the paper's own settings they take."""

    checkpoint_every: int = -1
    """Save a checkpoint every N epochs (-1: never), so an interrupted run can --resume."""
    time_limit_s: float = 0.0
    """Stop each task's run after the first epoch past this many seconds (0: no limit); with
    --checkpoint-every it is saved there, and --resume continues it."""
    stop_at_env_steps: int = 0
    """Stop each task's run after the first epoch that brings each seed to this many env steps
    (0: the budget), on the budget's schedule, so that runs of one budget stopped at one step
    compare; with --checkpoint-every it is saved there, and --resume continues it."""
    resume: bool = False
    """Continue each task's run from its newest checkpoint (tasks already done train no more;
    tasks not yet started start)."""
    overwrite: bool = False
    """Start afresh in run folders that hold an earlier run's checkpoints, deleting them."""
    paper_thresholds: bool = False
    """Count success, and reward, within the paper's Fig. 3 radius (7 cm on push and
    pick-and-place, 20 cm on slide) instead of every task's 5 cm."""
    paper_grasped_starts: bool = False
    """Start half of pick-and-place's training episodes with the cube held in the gripper, as
    the paper did (evaluation episodes never; the other tasks are unchanged)."""

    def run_fields(self, task: str, out_dir: Path) -> dict:
        """The TrainConfig fields these arguments set for `task`'s run in `out_dir`: how it is
        kept, stopped and resumed (--resume starts a run not yet started), and the paper's
        setup asked for."""
        return dict(
            checkpoint_every=self.checkpoint_every, time_limit_s=self.time_limit_s,
            stop_at_env_steps=self.stop_at_env_steps, overwrite=self.overwrite,
            resume=self.resume and has_run(out_dir), out_dir=out_dir,
            **paper_setup(task, self.paper_thresholds, self.paper_grasped_starts),
        )  # fmt: skip


@dataclasses.dataclass(frozen=True)
class CurveArgs(FigureArgs):
    """The command-line fields every learning-curve script (Fig. 3 to 5) has.

    The defaults size the learner for one H100. On a CPU the reference's replay
    ratio costs about an hour per 300,000 env steps and seed: e.g. `--seeds 2
    --num-envs 2 --cycles-per-epoch 50 --batch-size 256 --updates-per-cycle 40 --eval-envs 50
    --buffer-capacity 300000`, the `push_cpu` preset of `train.py`.
    """

    seeds: int = 5
    """Seeds per variant."""
    num_envs: int = 1024
    """Environments per member."""
    cycles_per_epoch: int = 5
    """Cycles between evaluations (an epoch); with few environments raise it, so that the
    evaluation's episodes stay a small share of the epoch."""
    buffer_capacity: int = 2_000_000
    """Transitions per member's buffer (size to the card: 2 variants x seeds buffers)."""
    batch_size: int = 4096
    """Transitions per gradient step."""
    updates_per_cycle: int = 1200
    """Gradient steps after each cycle's rollout, a multiple of 40 (targets move every 40);
    1,200 of batch 4,096 sample 96 transitions per collected one at 1,024 environments, near
    the reference's replay ratio of about 100 (push stalls far below it, results/README.md)."""
    env_steps: int = 0
    """Env steps per seed (0: the task's full-size budget, see BUDGETS)."""
    eval_envs: int = 200
    """Evaluation episodes per member per epoch, on intended goals."""
    smoke: bool = False
    """A tiny version on fetch_reach (2 seeds, 2 epochs) that checks the pipeline."""


def paper_setup(task: str, thresholds: bool, grasped_starts: bool) -> dict:
    """The TrainConfig fields of the paper's setup for `task` that a figure script was asked
    for: its success radius (`--paper-thresholds`), its grasped starts
    (`--paper-grasped-starts`); empty where neither was."""
    fields = {}
    if thresholds:
        fields["distance_threshold"] = PAPER_THRESHOLDS.get(task, 0.0)
    if grasped_starts:
        fields["grasped_start_prob"] = PAPER_GRASPED_STARTS.get(task, 0.0)
    return fields


def curve_config(task: str, args: CurveArgs, out_dir: Path, **fields) -> TrainConfig:
    """The learning-curve run of Fig. 3 to 5 on `task`, sized by `args` (GPU-sized by default).

    `fields` are further TrainConfig fields, e.g. `fixed_goal` or `reward_type`.
    """
    config = TrainConfig(
        env=task, seeds=args.seeds, total_env_steps=args.env_steps or BUDGETS[task],
        num_envs=args.num_envs, buffer_capacity=args.buffer_capacity,
        cycles_per_epoch=args.cycles_per_epoch,
        updates_per_cycle=args.updates_per_cycle, target_update_interval=40,
        batch_size=args.batch_size, eval_envs=args.eval_envs,
        **(args.run_fields(task, out_dir) | fields),
    )  # fmt: skip
    return dataclasses.replace(config, **SMOKE) if args.smoke else config


def train_curves(config: TrainConfig, smoke: bool) -> Path:
    """Train both curve variants of `config` as one program; the path of their metrics.csv."""
    run(config, variants=CURVE_VARIANTS, progress=not smoke)
    return Path(config.out_dir) / "metrics.csv"
