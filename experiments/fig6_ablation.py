"""The paper's Fig. 6: goal-selection strategies and k, best and mean test success.

For each task, every strategy in (final, future, episode, random) with every
k, plus no HER, trains `--seeds` seeds as ONE vmapped program (strategy and k
are data, so one compile per task). Like the paper, each (strategy, k, seed)
is summarised by its best and its mean intended-goal test success over
training; the figure shows the median over seeds against k.

Writes `results/fig6_ablation/<task>/` (config, meta, metrics of every
member), `results/fig6_ablation/summary.csv` (a row per member, naming the
run folder that trained it), `fig6_ablation.png`, `fig6_curves.png` (the
learning curves, a panel per strategy with a curve per k), `fig6_batches.png`
(the same panels for the share of each training batch whose goal is met, the
success signal the critic learns from) and `summary.md`: Fig. 6's numbers as a
table per task, also printed at the end.

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

Runs trained elsewhere join the summary with `--extra-runs`, under the same
check: e.g. k values trained one by one with `train.py` at sizes this script
does not offer, summarised without training anything:

    python experiments/fig6_ablation.py --summary-only --out-dir results/fig6_ablation_push_cpu \
        --extra-runs results/train_push_cpu_reference_defaults

Best and mean over training depend on how long a member trained: where runs were
stopped at different points, `--up-to-env-steps N` summarises each over its first
N env steps (refusing one that stopped short of N).

Memory: every member keeps its own buffer, so the run holds
`members x buffer_capacity` transitions; size `--buffer-capacity` to the card.
"""

from __future__ import annotations

import dataclasses
import os
from collections import defaultdict
from pathlib import Path

import numpy as np
import tyro
from fetch_figures import RESULTS, SMOKE, SMOKE_TASK, FigureArgs
from plot import (
    LEARNER_FIELDS,
    k_text,
    medians_by_strategy,
    ordered_strategies,
    plot_fig6,
    plot_fig6_curves,
    read_csv,
    relabelled_ks,
)
from train import enable_compilation_cache, is_plain_name

from her_jax import meta
from her_jax.config import TrainConfig
from her_jax.errors import ConfigError, exit_in_one_line
from her_jax.run import run, run_members
from her_jax.run_folder import load_config, stored_k


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
    extra_runs: tuple[Path, ...] = ()
    """Run folders outside --out-dir to summarise with its parts (e.g. one k trained by
    train.py), each under the task its config names, with the settings of that task's parts."""
    summary_only: bool = False
    """Train nothing: summarise and draw the runs under --out-dir and --extra-runs."""
    up_to_env_steps: int = 0
    """Summarise every member over its epochs up to this many env steps (0: all of them), so
    that runs stopped at different points compare over one budget; a member that stopped short
    of it is refused."""
    smoke: bool = False
    """A tiny version on fetch_reach (2 seeds, a few hundred env steps) that checks the
    pipeline."""


def run_dir(args: Args, task: str) -> Path:
    return args.out_dir / task / args.part if args.part else args.out_dir / task


def sweep_runs(args: Args) -> dict[str, list[Path]]:
    """Every run folder of the sweep by task: each part under `<out-dir>/<task>/`, then each of
    --extra-runs under the task its config names (a folder listed twice counts once)."""
    runs: dict[str, list[Path]] = {}
    if args.out_dir.is_dir():
        for task_dir in sorted(p for p in args.out_dir.iterdir() if p.is_dir()):
            if found := sorted(c.parent for c in task_dir.rglob("config.json")):
                runs[task_dir.name] = found
    for extra in args.extra_runs:
        task = load_config(extra)[0].env
        if extra.resolve() not in {r.resolve() for r in runs.get(task, [])}:
            runs.setdefault(task, []).append(extra)
    return runs


def trained_members(run_dirs: list[Path]) -> dict[tuple[str, float, int], Path]:
    """(strategy, k, seed) -> the folder of `run_dirs` that trained it; a member trained in two
    is refused (the summary would mix their curves)."""
    found = {}
    for run_dir in run_dirs:
        metrics = run_dir / "metrics.csv"
        for member in sorted({(r["strategy"], r["k"], r["seed"]) for r in read_metrics(metrics)}):
            if member in found:
                (s, k, seed), first = member, found[member]
                raise ConfigError(
                    f"strategy {s}, k {k:g}, seed {seed} was trained in both {first} and "
                    f"{run_dir}: leave one of them out of the sweep"
                )
            found[member] = run_dir
    return found


#: What every part of one task's sweep must share for its members to be compared: the
#: learner and how it is fed, the task's setup, and the budget (best and mean over training).
PART_FIELDS = (*LEARNER_FIELDS, "total_env_steps", "reward_type", "fixed_goal")


def first_difference(theirs: TrainConfig, mine: TrainConfig) -> str | None:
    """The first of PART_FIELDS in which two runs' settings differ; None where none does."""
    return next((f for f in PART_FIELDS if getattr(theirs, f) != getattr(mine, f)), None)


def check_runs(runs: dict[str, list[Path]]) -> None:
    """Refuse a sweep whose runs of one task could not be summarised together: other settings
    than the task's first run, or a member trained twice."""
    for task, run_dirs in runs.items():
        first, _ = load_config(run_dirs[0])
        for run_dir in run_dirs[1:]:
            theirs, _ = load_config(run_dir)
            if f := first_difference(theirs, first):
                raise ConfigError(
                    f"{task}: {run_dir} trained with {f} {getattr(theirs, f)!r}, {run_dirs[0]} "
                    f"with {getattr(first, f)!r}; a sweep's runs need the same settings"
                )
        trained_members(run_dirs)


def check_parts(args: Args, runs: dict[str, list[Path]]) -> None:
    """Refuse a part whose members another part under --out-dir (or one of --extra-runs) has
    trained already (their curves would mix in the summary), or whose settings differ from
    another part's (their members could not be compared), or whose members would stop short
    of --up-to-env-steps, before anything is compiled.
    `runs`: the sweep's runs so far (`sweep_runs`)."""
    if args.part and not is_plain_name(args.part):
        raise ConfigError(f"--part needs a name of letters, digits, '-' and '_', got {args.part!r}")
    for task in args.tasks:
        mine = config_for(args, task)
        if args.up_to_env_steps > mine.total_env_steps:
            raise ConfigError(
                f"{task}: --up-to-env-steps {args.up_to_env_steps:,} is beyond the "
                f"{mine.total_env_steps:,} env steps each member would train"
            )
        # this part's own earlier run is not among them: a resume checks it against its config
        others = [r for r in runs.get(task, []) if r != run_dir(args, task)]
        for saved in others:
            theirs, _ = load_config(saved)
            if f := first_difference(theirs, mine):
                raise ConfigError(
                    f"{task}: the part in {saved} trained with {f} "
                    f"{getattr(theirs, f)!r}, this one would with {getattr(mine, f)!r}; "
                    "every part of a sweep needs the same settings (or another --out-dir)"
                )
        done = trained_members(others)
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
        **args.run_fields(task, run_dir(args, task)),
    )  # fmt: skip
    return dataclasses.replace(config, **SMOKE) if args.smoke else config


def read_metrics(path: Path) -> list[dict]:
    """Every epoch's row of a run (a resumed run's earlier epochs too), numbers as numbers; none
    where the run has not finished an epoch. No HER relabels nothing: its k reads as 0, the
    sweep's own baseline, whatever k its run was given (runs saved before `run` stored it as 0
    kept train.py's default), so that one trained elsewhere is the same member as the sweep's."""
    if not path.exists():
        return []
    return [
        {**r, "k": stored_k(r["strategy"], r["k"]), "seed": int(r["seed"]),
         "env_steps": int(r["env_steps"]), "success_rate": float(r["success_rate"])}
        for r in read_csv(path)
    ]  # fmt: skip


def summarise(task: str, run_dirs: list[Path], out_dir: Path, up_to: int = 0) -> list[dict]:
    """Best and mean test success over training of every (strategy, k, seed) trained in
    `run_dirs`, each row naming its run folder relative to `out_dir` (where the summary goes),
    so that plots can draw the curves behind the numbers. `up_to` > 0: over the epochs up to
    that many env steps only, refusing a member that stopped before reaching it."""
    per_member = defaultdict(list)  # (strategy, k, seed) -> (run folder, its epochs' rows)
    for run_dir in run_dirs:
        for r in read_metrics(run_dir / "metrics.csv"):
            per_member[(r["strategy"], r["k"], r["seed"])].append((run_dir, r))
    out = []
    for (strategy, k, seed), mine in sorted(per_member.items()):
        if up_to:
            if (reached := max(r["env_steps"] for _, r in mine)) < up_to:
                raise ConfigError(
                    f"{task}: strategy {strategy}, k {k:g}, seed {seed} in {mine[0][0]} stopped "
                    f"at {reached:,} env steps, short of --up-to-env-steps {up_to:,}"
                )
            mine = [(d, r) for d, r in mine if r["env_steps"] <= up_to]
        curve = [r["success_rate"] for _, r in mine]
        out.append({
            "task": task, "strategy": strategy, "k": k, "seed": seed,
            "best_success": round(float(np.max(curve)), 4),
            "mean_success": round(float(np.mean(curve)), 4),
            "final_success": round(float(curve[-1]), 4),
            "env_steps": max(r["env_steps"] for _, r in mine),
            "run": Path(os.path.relpath(mine[0][0], out_dir)).as_posix(),
        })  # fmt: skip
    return out


def summarise_all(runs: dict[str, list[Path]], out_dir: Path, up_to: int = 0) -> list[dict]:
    """Every task of `sweep_runs`, each with all its runs: one row per member (`summarise`)."""
    return [
        row for task, run_dirs in runs.items() for row in summarise(task, run_dirs, out_dir, up_to)
    ]  # fmt: skip


def main(args: Args) -> Path:
    if args.smoke:
        args = dataclasses.replace(args, tasks=(SMOKE_TASK,), seeds=2)
    if args.up_to_env_steps < 0:
        raise ConfigError(f"--up-to-env-steps needs a number >= 0, got {args.up_to_env_steps}")
    runs = sweep_runs(args)
    check_runs(runs)
    if not args.summary_only:
        check_parts(args, runs)
        meta.git_commit()  # the commit of the code this process starts with
        variants = args.variants(args.baseline)
        for task in args.tasks:
            run(config_for(args, task), variants=variants, progress=not args.smoke)
    if not (rows := summarise_all(sweep_runs(args), args.out_dir, args.up_to_env_steps)):
        raise ConfigError(f"no run with a finished epoch under {args.out_dir} or in --extra-runs")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    return write_summary(rows, args.out_dir)


def fig6_table(rows: list[dict]) -> str:
    """Fig. 6's numbers in Markdown, a table per task: 'best / mean' test success over
    training, each the median over seeds, strategies down and k across, no HER last."""
    tables = []
    for task in dict.fromkeys(r["task"] for r in rows):
        best = medians_by_strategy(rows, task, "best_success")
        mean = medians_by_strategy(rows, task, "mean_success")
        ks = relabelled_ks(best)
        head = [task] + [f"k = {k_text(k)}" if i == 0 else k_text(k) for i, k in enumerate(ks)]
        lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
        for strategy in ordered_strategies(set(best)):
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
    """`out_dir/summary.csv` of every member's row; beside it Fig. 6 drawn from it, the
    learning curves behind it, and its numbers as tables in `summary.md` (printed too)."""
    path = out_dir / "summary.csv"
    meta.write_csv(path, rows)
    plot_fig6(path, out_dir / "fig6_ablation.png")
    plot_fig6_curves(path, out_dir / "fig6_curves.png")
    plot_fig6_curves(path, out_dir / "fig6_batches.png", "batch_reward0_share")
    print(write_table(rows, out_dir))
    drawn = "fig6_ablation.png, fig6_curves.png and fig6_batches.png"
    print(f"wrote {path}, summary.md, {drawn} in {out_dir}")
    return path


if __name__ == "__main__":
    with exit_in_one_line():
        enable_compilation_cache()
        main(tyro.cli(Args))
