"""The paper's Fig. 6: goal-selection strategies and k, best and mean test success.

For each task, every strategy in (final, future, episode, random) with every
k, plus no HER, trains `--seeds` seeds as ONE vmapped program (strategy and k
are data, so one compile per task). Like the paper, each (strategy, k, seed)
is summarised by its best and its mean intended-goal test success over
training; the figure shows the median over seeds against k.

Writes `results/fig6_ablation/<task>/` (config, meta, metrics of every
member), `results/fig6_ablation/summary.csv`, `fig6_ablation.png`, and
`summary.md`: Fig. 6's numbers as a table per task, also printed at the end.

    python experiments/fig6_ablation.py                    # GPU: push, slide, pick-and-place
    python experiments/fig6_ablation.py --smoke            # seconds on a CPU, for tests

A sweep longer than one job runs as parts, each its own program: `--part` puts a
part's runs in `<task>/<part>/`, and the summary and plot combine every part
found under `--out-dir` (no HER needs training in one part only):

    python experiments/fig6_ablation.py --tasks fetch_push --ks 1 --part k1
    python experiments/fig6_ablation.py --tasks fetch_push --ks 2 --part k2 --no-baseline

Every part of a sweep must train with the same settings (sizes, success radius,
grasped starts, ...), or their members could not be compared: a part that
differs from one already under `--out-dir` is refused before it compiles.

Memory: every member keeps its own buffer, so the run holds
`members x buffer_capacity` transitions; size `--buffer-capacity` to the card.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import tyro
from fetch_figures import RESULTS, SMOKE, SMOKE_TASK, FigureArgs, paper_setup
from plot import (
    LEARNER_FIELDS,
    k_text,
    medians_by_strategy,
    plot_fig6,
    read_csv,
    relabelled_ks,
)
from train import enable_compilation_cache, is_plain_name

from her_jax import meta
from her_jax.config import TrainConfig
from her_jax.errors import ConfigError, exit_in_one_line
from her_jax.run import run, run_members
from her_jax.run_folder import has_run, load_config


@dataclasses.dataclass(frozen=True)
class StrategySweep:
    """What an ablation varies, here and on bit-flipping: every strategy with every k."""

    strategies: tuple[str, ...] = ("final", "future", "episode", "random")
    """Relabelling strategies to compare (no HER is always added)."""
    ks: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 16.0, float("inf"))
    """Values of k for every strategy; inf relabels every goal (the paper's "all")."""
    seeds: int = 5
    """Seeds per (strategy, k)."""

    def variants(self, baseline: bool = True) -> list[tuple[str, float]]:
        """Every (strategy, k), then no HER unless `baseline` is False."""
        her = [(s, k) for s in self.strategies for k in self.ks]
        return her + [("none", 0.0)] if baseline else her


@dataclasses.dataclass(frozen=True)
class Args(FigureArgs, StrategySweep):
    tasks: tuple[str, ...] = ("fetch_push", "fetch_slide", "fetch_pick_and_place")
    """Tasks, one compiled program each."""
    env_steps: int = 2_000_000
    """Env steps per member."""
    num_envs: int = 256
    """Environments per member (the program steps members x num_envs)."""
    cycles_per_epoch: int = 10
    """Cycles between evaluations (an epoch); with few environments raise it, so that the
    evaluation's episodes stay a small share of the epoch."""
    updates_per_cycle: int = 1250
    """Gradient steps per cycle, a multiple of 50 (targets move every 50): 1,250 of batch 1,024
    sample 100 transitions per collected one at 256 environments, the reference's replay
    ratio."""
    batch_size: int = 1024
    """Transitions per gradient step."""
    eval_envs: int = 100
    """Evaluation episodes per member per epoch, on intended goals."""
    buffer_capacity: int = 1_000_000
    """Transitions per member's buffer."""
    out_dir: Path = RESULTS / "fig6_ablation"
    """Where the runs, the summary and the plot go."""
    part: str = ""
    """Name of this part of a sweep run in parts (e.g. k1 with --ks 1): its runs go to
    <out-dir>/<task>/<part>/; members trained by another part are refused before training."""
    baseline: bool = True
    """Also train no HER; when the sweep runs in parts, one part is enough (--no-baseline)."""
    smoke: bool = False
    """A tiny version on fetch_reach (2 seeds, a few hundred env steps) that checks the
    pipeline."""


def run_dir(args: Args, task: str) -> Path:
    return args.out_dir / task / args.part if args.part else args.out_dir / task


def trained_members(task_dir: Path, skip: Path) -> dict[tuple[str, float, int], Path]:
    """(strategy, k, seed) -> the run folder under `task_dir` (but `skip`) that trained it."""
    found = {}
    for metrics in sorted(task_dir.rglob("metrics.csv")):
        if metrics.parent != skip:
            for r in read_metrics(metrics):
                found[(r["strategy"], r["k"], r["seed"])] = metrics.parent
    return found


#: What every part of one task's sweep must share for its members to be compared: the
#: learner and how it is fed, the task's setup, and the budget (best and mean over training).
PART_FIELDS = (*LEARNER_FIELDS, "total_env_steps", "reward_type", "fixed_goal")


def check_parts(args: Args) -> None:
    """Refuse a part whose members another part under --out-dir has trained already (their
    curves would mix in the summary), or whose settings differ from another part's (their
    members could not be compared), before anything is compiled."""
    if args.part and not is_plain_name(args.part):
        raise ConfigError(f"--part needs a name of letters, digits, '-' and '_', got {args.part!r}")
    for task in args.tasks:
        mine = config_for(args, task)
        for saved in sorted((args.out_dir / task).rglob("config.json")):
            if saved.parent == run_dir(args, task):
                continue  # this part's own earlier run: a resume checks it against its config
            theirs, _ = load_config(saved.parent)
            if differ := [f for f in PART_FIELDS if getattr(theirs, f) != getattr(mine, f)]:
                f = differ[0]
                raise ConfigError(
                    f"{task}: the part in {saved.parent} trained with {f} "
                    f"{getattr(theirs, f)!r}, this one would with {getattr(mine, f)!r}; "
                    "every part of a sweep needs the same settings (or another --out-dir)"
                )
        done = trained_members(args.out_dir / task, skip=run_dir(args, task))
        if clash := [m for m in run_members(mine, args.variants(args.baseline)) if m in done]:
            (s, k, seed), where = clash[0], done[clash[0]]
            raise ConfigError(
                f"{task}: {len(clash)} members of this part were trained in {where} already, "
                f"e.g. strategy {s}, k {k:g}, seed {seed}"
                + ("; pass --no-baseline" if s == "none" else "; choose other --ks or --part")
            )


def config_for(args: Args, task: str) -> TrainConfig:
    config = TrainConfig(
        env=task, seeds=args.seeds, total_env_steps=args.env_steps, num_envs=args.num_envs,
        buffer_capacity=args.buffer_capacity, cycles_per_epoch=args.cycles_per_epoch,
        updates_per_cycle=args.updates_per_cycle,
        target_update_interval=50, batch_size=args.batch_size, eval_envs=args.eval_envs,
        checkpoint_every=args.checkpoint_every, time_limit_s=args.time_limit_s,
        resume=args.resume and has_run(run_dir(args, task)), overwrite=args.overwrite,
        out_dir=run_dir(args, task),
        **paper_setup(task, args.paper_thresholds, args.paper_grasped_starts),
    )  # fmt: skip
    return dataclasses.replace(config, **SMOKE) if args.smoke else config


def read_metrics(path: Path) -> list[dict]:
    """Every epoch's row of a run (a resumed run's earlier epochs too), numbers as numbers."""
    return [
        {**r, "k": float(r["k"]), "seed": int(r["seed"]), "env_steps": int(r["env_steps"]),
         "success_rate": float(r["success_rate"])}
        for r in read_csv(path)
    ]  # fmt: skip


def summarise(task: str, rows: list[dict]) -> list[dict]:
    """Best and mean test success over training of every (strategy, k, seed)."""
    out = []
    for key in sorted({(r["strategy"], r["k"], r["seed"]) for r in rows}):
        mine = [r for r in rows if (r["strategy"], r["k"], r["seed"]) == key]
        curve = [r["success_rate"] for r in mine]
        strategy, k, seed = key
        out.append({
            "task": task, "strategy": strategy, "k": k, "seed": seed,
            "best_success": round(float(np.max(curve)), 4),
            "mean_success": round(float(np.mean(curve)), 4),
            "final_success": round(float(curve[-1]), 4),
            "env_steps": max(r["env_steps"] for r in mine),
        })  # fmt: skip
    return out


def summarise_all(out_dir: Path) -> list[dict]:
    """Every task folder under `out_dir`, each with all its parts: one row per member."""
    summary = []
    for task_dir in sorted(p for p in out_dir.iterdir() if p.is_dir()):
        rows = [r for m in sorted(task_dir.rglob("metrics.csv")) for r in read_metrics(m)]
        if rows:
            summary += summarise(task_dir.name, rows)
    return summary


def main(args: Args) -> Path:
    if args.smoke:
        args = dataclasses.replace(args, tasks=(SMOKE_TASK,), seeds=2)
    check_parts(args)
    meta.git_commit()  # the commit of the code this process starts with
    for task in args.tasks:
        run(config_for(args, task), variants=args.variants(args.baseline), progress=not args.smoke)
    return write_summary(summarise_all(args.out_dir), args.out_dir)


STRATEGY_ORDER = ("future", "final", "episode", "random")  # the table's rows, then any other


def fig6_table(rows: list[dict]) -> str:
    """Fig. 6's numbers in Markdown, a table per task: 'best / mean' test success over
    training, each the median over seeds, strategies down and k across, no HER last."""
    tables = []
    for task in dict.fromkeys(r["task"] for r in rows):
        best = medians_by_strategy(rows, task, "best_success")
        mean = medians_by_strategy(rows, task, "mean_success")
        ks = relabelled_ks(best)
        found = set(best) - {"none"}
        strategies = [s for s in STRATEGY_ORDER if s in found] + sorted(found - {*STRATEGY_ORDER})
        head = [task] + [f"k = {k_text(k)}" if i == 0 else k_text(k) for i, k in enumerate(ks)]
        lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
        for strategy in strategies:
            cells = [_best_and_mean(best[strategy], mean[strategy], k) for k in ks]
            lines.append(f"| {strategy} | " + " | ".join(cells) + " |")
        if "none" in best:
            baseline = _best_and_mean(best["none"], mean["none"], 0.0)
            lines.append(f"| no HER | {baseline} |" + " |" * (len(ks) - 1))
        tables.append("\n".join(lines) + "\n")
    return "\n".join(tables)


def _best_and_mean(best: dict[float, float], mean: dict[float, float], k: float) -> str:
    """'best / mean' at k, or empty where the strategy was not trained with k."""
    return f"{best[k]:.2f} / {mean[k]:.2f}" if k in best else ""


def write_table(rows: list[dict], out_dir: Path) -> str:
    """`out_dir/summary.md`: the tables of `fig6_table`, which it returns."""
    table = fig6_table(rows)
    (out_dir / "summary.md").write_text(
        "Best / mean intended-goal test success over training, median over seeds "
        f"(`summary.csv` has every member).\n\n{table}"
    )
    return table


def write_summary(rows: list[dict], out_dir: Path) -> Path:
    """`out_dir/summary.csv` of every member's row; beside it Fig. 6 drawn from it, and its
    numbers as tables in `summary.md` (printed too)."""
    path = out_dir / "summary.csv"
    meta.write_csv(path, rows)
    plot_fig6(path, out_dir / "fig6_ablation.png")
    print(write_table(rows, out_dir))
    print(f"wrote {path}, summary.md and {out_dir / 'fig6_ablation.png'}")
    return path


if __name__ == "__main__":
    with exit_in_one_line():
        enable_compilation_cache()
        main(tyro.cli(Args))
