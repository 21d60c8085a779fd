"""Draw the paper's figures from the CSVs in `results/` (so anyone can remake them).

python experiments/plot.py            # every figure whose CSV exists
"""

from __future__ import annotations

import csv
import json
import textwrap
from collections import Counter, defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import EngFormatter  # noqa: E402

from her_jax.errors import exit_in_one_line  # noqa: E402
from her_jax.meta import legs, short_commit  # noqa: E402
from her_jax.run_folder import AS_BEFORE, load_config  # noqa: E402

RESULTS = Path(__file__).resolve().parent.parent / "results"


def read_csv(path: Path) -> list[dict]:
    with path.open() as f:
        return list(csv.DictReader(f))


def _device_note(*run_dirs: Path) -> str:
    """'device, jax V, commit C' of the runs in `run_dirs` that have a meta.json; runs on the
    same device and jax share one entry listing their commits."""
    commits = defaultdict(list)
    for run_dir in run_dirs:
        if (run_dir / "meta.json").exists():
            for leg in legs(json.loads((run_dir / "meta.json").read_text())):
                commits[f"{leg['device']}, jax {leg['jax']}"].append(short_commit(leg["commit"]))
    return "; ".join(
        f"{where}, commit{'s' if len(set(c)) > 1 else ''} {', '.join(dict.fromkeys(c))}"
        for where, c in commits.items()
    )


def _layout_with_note(fig, note: str) -> None:
    """Lay `fig` out with `note` (device, jax, commits) in small grey text along its bottom,
    wrapped to the figure's width so that no commit runs off the edge."""
    if not note:
        fig.tight_layout()
        return
    width_chars = int(fig.get_figwidth() * 22)  # 6 pt: about 22 characters an inch, with a margin
    lines = textwrap.wrap(note, width_chars)
    fig.text(0.01, 0.005, "\n".join(lines), fontsize=6, color="gray", va="bottom")
    line_height = 8 / 72 / fig.get_figheight()  # 6 pt text, 8 pt apart: a figure fraction
    fig.tight_layout(rect=(0, len(lines) * line_height, 1, 1))


def plot_fig1(summary_csv: Path, out_png: Path) -> None:
    """Final any-step success against n: median over seeds, interquartile range shaded."""
    rows = read_csv(summary_csv)
    by_variant = defaultdict(lambda: defaultdict(list))
    for r in rows:
        by_variant[r["variant"]][int(r["n_bits"])].append(float(r["success_rate"]))
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for variant, per_n in sorted(by_variant.items()):
        ns = sorted(per_n)
        q = np.array([np.percentile(per_n[n], [25, 50, 75]) for n in ns])
        ax.plot(ns, q[:, 1], marker="o", label=variant)
        ax.fill_between(ns, q[:, 0], q[:, 2], alpha=0.25)
    note = _device_note(*(summary_csv.parent / f"n{n}" for n in _bits(rows)))
    ax.set(xlabel="number of bits n", ylabel="success rate (any step)", ylim=(-0.02, 1.02))
    ax.set_title(f"Bit-flipping, {_steps_text(rows)} env steps per run", fontsize=10)
    ax.legend()
    _layout_with_note(fig, note)
    fig.savefig(out_png, dpi=120)
    plt.close(fig)


def _bits(rows: list[dict]) -> list[int]:
    """Every n of a Fig. 1 summary's rows: its runs are the folders `n<N>` beside it."""
    return sorted({int(r["n_bits"]) for r in rows})


def _steps_text(rows: list[dict]) -> str:
    """The env steps the rows' runs trained, '200,000' or, where they differ (epochs round
    the budget up; a time limit stops early), '198,400 to 204,800'."""
    low, high = (f(int(r["env_steps"]) for r in rows) for f in (min, max))
    return f"{high:,}" if low == high else f"{low:,} to {high:,}"


def plot_fig1_budgets(summary_csvs: list[Path], out_png: Path) -> None:
    """Fig. 1 at several env-step budgets in one plot: median final success against n."""
    every = {path: read_csv(path) for path in summary_csvs}
    runs = sorted(every.values(), key=lambda rows: max(int(r["env_steps"]) for r in rows))
    # seeds per (variant, n) of each run, so the title can name their number
    per_variant_and_n = (Counter((r["variant"], r["n_bits"]) for r in rows) for rows in runs)
    seeds = {count for counts in per_variant_and_n for count in counts.values()}
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for i, rows in enumerate(runs):
        steps = _steps_text(rows)
        for variant, style in (("DQN+HER", "-"), ("DQN", ":")):
            per_n = defaultdict(list)
            for r in rows:
                if r["variant"] == variant:
                    per_n[int(r["n_bits"])].append(float(r["success_rate"]))
            ns = sorted(per_n)
            medians = [np.median(per_n[n]) for n in ns]
            label = f"{variant}, {steps} steps"
            ax.plot(ns, medians, linestyle=style, marker="o", color=f"C{i}", label=label)
    ax.set(xlabel="number of bits n", ylabel="success rate (any step)", ylim=(-0.02, 1.02))
    seeds_text = f"{seeds.pop()} seeds" if len(seeds) == 1 else "seeds"
    ax.set_title(f"Bit-flipping: median of {seeds_text} per env-step budget", fontsize=10)
    ax.legend(fontsize=7)
    run_dirs = (path.parent / f"n{n}" for path, rows in every.items() for n in _bits(rows))
    _layout_with_note(fig, _device_note(*run_dirs))
    out_png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_png, dpi=120)
    plt.close(fig)


LABELS = {"future": "DDPG+HER (future, k=4)", "none": "DDPG"}
COLORS = {"future": "C0", "none": "C1"}

#: One curve: (legend label, its metrics.csv or several (`_csvs`), what is drawn, colour, line
#: style); what is drawn is a strategy, or a (strategy, k) pair where the run trained that
#: strategy at several k.
Curve = tuple[str, Path | tuple[Path, ...], str | tuple[str, float], str, str]


def _csvs(paths: Path | tuple[Path, ...]) -> tuple[Path, ...]:
    """A curve's metrics.csv files: one, or several whose members it pools (the seeds of one
    variant trained in separate runs, e.g. more seeds added later with --seed)."""
    return paths if isinstance(paths, tuple) else (paths,)


#: What a curve panel can draw from metrics.csv, and its axis label.
CURVE_COLUMNS = {
    "success_rate": "success rate",
    # the share of a training batch's transitions whose (possibly relabelled) goal is met:
    # what the critic learns success from, and, by its complement, failure
    "batch_reward0_share": "batch share with reward 0",
}


def _draw_curve(ax, curve: Curve, column: str = "success_rate", up_to: int = 0) -> None:
    """`column` (intended-goal success unless told) against env steps of one strategy (at one
    k): median over seeds, interquartile range shaded; up to `up_to` env steps if > 0."""
    label, paths, drawn, color, style = curve
    strategy, k = drawn if isinstance(drawn, tuple) else (drawn, None)
    per_step = defaultdict(list)
    for r in (r for path in _csvs(paths) for r in read_csv(path)):
        if up_to and int(r["env_steps"]) > up_to:
            continue
        if r["strategy"] == strategy and (k is None or float(r["k"]) == k):
            per_step[int(r["env_steps"])].append(float(r[column]))
    steps = sorted(per_step)
    q = np.array([np.percentile(per_step[s], [25, 50, 75]) for s in steps])
    ax.plot(steps, q[:, 1], color=color, linestyle=style, label=label)
    ax.fill_between(steps, q[:, 0], q[:, 2], color=color, alpha=0.2)


def plot_curve_panels(
    panels: dict[str, list[Curve]],
    out_png: Path,
    columns: int = 0,
    column: str = "success_rate",
    up_to: int = 0,
) -> None:
    """One panel per title, `column` of metrics.csv (intended-goal success unless told) against
    env steps (up to `up_to` if > 0), the run's device noted; `columns` panels to a row (0: all
    in one row)."""
    columns = columns or len(panels)
    rows = -(-len(panels) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4 * columns, 3.2 * rows), squeeze=False)
    for ax in axes.flat[len(panels) :]:
        ax.set_visible(False)
    for ax, (title, curves) in zip(axes.flat, panels.items(), strict=False):
        for curve in curves:
            _draw_curve(ax, curve, column, up_to)
        ax.set(xlabel="env steps", ylabel=CURVE_COLUMNS[column], ylim=(-0.02, 1.02))
        # 100k, 1.5M: plain integers up to a million run into each other
        ax.xaxis.set_major_formatter(EngFormatter(sep=""))
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=7)
    runs = (path.parent for curves in panels.values() for c in curves for path in _csvs(c[1]))
    note = _device_note(*runs)
    _layout_with_note(fig, note)
    fig.savefig(out_png, dpi=120)
    plt.close(fig)


#: What makes two runs' curves comparable: the same learner, fed the same way, and the same
#: choice for each field whose default has changed (a run that predates one did as before).
LEARNER_FIELDS = (
    "env", "algo", "num_envs", "cycles_per_epoch", "updates_per_cycle", "batch_size",
    "target_update_interval", "hidden", "distance_threshold", "grasped_start_prob", *AS_BEFORE,
)  # fmt: skip


def _matching_run(runs: list[Path], like: Path, **fields) -> Path | None:
    """The first of `runs` (metrics.csv paths) that trained the task and learner of `like`, with
    `fields` set as given, sparse rewards and sampled goals; None where none did."""
    mine, _ = load_config(like.parent)
    wanted = {f: getattr(mine, f) for f in LEARNER_FIELDS} | fields
    for path in runs:
        if not path.exists():
            continue
        theirs, _ = load_config(path.parent)
        if theirs.reward_type not in ("", "sparse") or theirs.fixed_goal is not None:
            continue
        if all(getattr(theirs, f) == value for f, value in wanted.items()):
            return path
    return None


def _reference(runs: list[Path], like: Path, suffix: str) -> list[Curve]:
    """Dashed curves of the first of `runs` (metrics.csv paths) that trained the task and
    learner of `like` with sparse rewards and sampled goals: the Fig. 3 run to set beside a
    Fig. 4 or 5 run. None where no run matches, so no curve of another setting stands in."""
    path = _matching_run(runs, like)
    if path is None:
        return []
    drawn = {r["strategy"] for r in read_csv(path)}
    strategies = [s for s in ("future", "none") if s in drawn]
    return [(LABELS[s] + suffix, path, s, COLORS[s], "--") for s in strategies]


def plot_learners(metrics_csvs: list[Path], out_png: Path, ddpg_runs: list[Path]) -> None:
    """The learners with HER on one task, one solid curve per run folder, labelled with its
    learner and its exploration where not the default (else the folder's name where that is not
    the learner's). Where the folder has no DDPG run, the first of `ddpg_runs` (metrics.csv
    paths) that trained DDPG on the same task at the same sizes and settings is drawn dashed
    beside them."""
    curves: list[Curve] = []
    algos = set()
    for i, path in enumerate(metrics_csvs):
        config, variants = load_config(path.parent)
        algos.add(config.algo)
        name = config.algo.upper() + "+HER"
        setting = exploration_text(config) or (
            "" if path.parent.name == config.algo else path.parent.name
        )
        label = f"{name}, {setting}" if setting else name
        curves.append((label, path, variants[0][0], f"C{i}", "-"))
    first, variants = load_config(metrics_csvs[0].parent)
    if "ddpg" not in algos:
        # DDPG with the same relabelling: a run of DDPG without HER is no reference here
        ddpg = _matching_run(ddpg_runs, metrics_csvs[0], algo="ddpg", strategy=first.strategy)
        if ddpg is not None:
            label = f"DDPG+HER, {ddpg.parent.name}"
            curves.append((label, ddpg, variants[0][0], f"C{len(curves)}", "--"))
    strategy, k = variants[0]
    title = f"{first.env}, learners with HER ({strategy}, k = {k_text(k)})"
    plot_curve_panels({f"{title}\n{_learner_sizes(metrics_csvs[0])}": curves}, out_png)


def plot_fig3(metrics_csvs: list[Path], out_png: Path) -> None:
    """Fig. 3: DDPG vs DDPG+HER per task (median over seeds, interquartile range shaded)."""
    plot_curve_panels(
        {f"{p.parent.name}\n{_learner_sizes(p)}": [
            (LABELS[s], p, s, COLORS[s], "-") for s in ("future", "none")
        ] for p in metrics_csvs},
        out_png,
    )  # fmt: skip


def exploration_text(config) -> str:
    """SAC's exploration where it is not the default, e.g. 'target entropy 0, 30 % random
    actions'; empty for the default and for the other learners."""
    if config.algo != "sac":
        return ""
    parts = []
    if config.sac_target_entropy is not None:
        parts.append(f"target entropy {config.sac_target_entropy:g}")
    if config.sac_random_eps:
        parts.append(f"{100 * config.sac_random_eps:g} % random actions")
    return ", ".join(parts)


def _learner_sizes(metrics_csv: Path) -> str:
    """'ratio R (N envs, U x B)' of the run beside `metrics_csv`, from its config.json."""
    config, _ = load_config(metrics_csv.parent)
    ratio = config.replay_ratio(50)  # every Fetch episode is 50 steps
    return (
        f"ratio {ratio:.3g} ({config.num_envs} envs, {config.updates_per_cycle} x "
        f"{config.batch_size})"
    )


def plot_push_replay_ratio(
    push_cpu: Path, fig3_cpu: Path, out_png: Path, ddpg_cpu: Path | None = None
) -> None:
    """Push on a CPU at two replay ratios: the `push_cpu` run (solid) and, where it exists, DDPG
    without HER at its settings (`ddpg_cpu`, dash-dotted), against Fig. 3's CPU run, whose
    DDPG+HER and DDPG curves come dashed and dotted; the labels come from the runs' configs."""
    curves = [
        (f"DDPG+HER, {_learner_sizes(push_cpu)}", push_cpu, "future", COLORS["future"], "-"),
        (f"DDPG+HER, {_learner_sizes(fig3_cpu)}", fig3_cpu, "future", "tab:purple", "--"),
        (f"DDPG, {_learner_sizes(fig3_cpu)}", fig3_cpu, "none", COLORS["none"], ":"),
    ]
    if ddpg_cpu is not None:
        curves.insert(1, (f"DDPG, {_learner_sizes(ddpg_cpu)}", ddpg_cpu, "none", "tab:red", "-."))
    plot_curve_panels(
        {"fetch_push on a CPU\nDDPG+HER and DDPG at two replay ratios": curves}, out_png
    )


def plot_push_defaults(before: Path, now: Path, out_png: Path) -> None:
    """The `push_cpu` preset twice: its first run (dashed), which predates the reference's goal
    statistics and DDPG order, and its run with them (solid); the labels come from the configs."""

    def label(metrics_csv: Path) -> str:
        config, _ = load_config(metrics_csv.parent)
        return f"goal statistics {config.goal_statistics}, DDPG {config.ddpg_actor_critic}"

    curves = [
        (label(before), before, "future", "tab:purple", "--"),
        (label(now), now, "future", COLORS["future"], "-"),
    ]
    title = f"fetch_push on a CPU, DDPG+HER\n{_learner_sizes(now)}"
    plot_curve_panels({title: curves}, out_png)


def plot_beside_push(
    task_csv: Path,
    push_csv: Path,
    out_png: Path,
    ddpg_csv: Path | None = None,
    grasped_csv: Path | None = None,
    grasped_ddpg_csv: Path | None = None,
) -> None:
    """DDPG+HER on another Fetch task (solid) beside the same learner on push (dashed) and,
    where it exists, DDPG without HER on the task (`ddpg_csv`, dotted). Runs with a share of
    their training episodes starting grasped (`grasped_csv` with HER, `grasped_ddpg_csv`
    without) get a second panel, drawn the same way."""
    task, _ = load_config(task_csv.parent)
    push = ("DDPG+HER on fetch_push", push_csv, "future", "tab:purple", "--")

    def panel(her_csv: Path, no_her_csv: Path | None) -> list[Curve]:
        curves = [("DDPG+HER", her_csv, "future", COLORS["future"], "-"), push]
        if no_her_csv is not None:
            curves.append(("DDPG", no_her_csv, "none", COLORS["none"], ":"))
        return curves

    panels = {f"{task.env} on a CPU\n{_learner_sizes(task_csv)}": panel(task_csv, ddpg_csv)}
    if grasped_csv is not None:
        share = load_config(grasped_csv.parent)[0].grasped_start_prob
        title = f"{task.env}, {share:.0%} of training\nstarts grasped"
        panels[title] = panel(grasped_csv, grasped_ddpg_csv)
    plot_curve_panels(panels, out_png)


def plot_fig4(metrics_csvs: list[Path], out_png: Path, multi_goal_runs: list[Path]) -> None:
    """Fig. 4: single-goal curves, with the multi-goal ones of the same task and learner (the
    first match among `multi_goal_runs`, metrics.csv paths) dashed where one exists."""
    panels = {}
    for p in metrics_csvs:
        single = [(LABELS[s] + ", single goal", p, s, COLORS[s], "-") for s in ("future", "none")]
        panels[p.parent.name] = single + _reference(multi_goal_runs, p, ", multi-goal")
    plot_curve_panels(panels, out_png)


def plot_fig5(metrics_csvs: list[Path], out_png: Path, sparse_runs: list[Path]) -> None:
    """Fig. 5: shaped-reward curves (`<task>/p<p>/metrics.csv`), with the sparse ones of the same
    task and learner (the first match among `sparse_runs`) dashed where one exists."""
    styles = ["-", ":", "-."]
    tags = sorted({p.parent.name for p in metrics_csvs})  # p1, p2, ...
    panels, first_run = defaultdict(list), {}
    for p in sorted(metrics_csvs):
        task, tag = p.parent.parent.name, p.parent.name
        style, exponent = styles[tags.index(tag) % len(styles)], tag.removeprefix("p")
        for s in ("future", "none"):
            panels[task].append((f"{LABELS[s]}, -|g-ag|^{exponent}", p, s, COLORS[s], style))
        first_run.setdefault(task, p)
    for task in panels:
        panels[task] += _reference(sparse_runs, first_run[task], ", sparse")
    plot_curve_panels(dict(panels), out_png)


def k_text(k: float) -> str:
    """'4', or 'all' where every goal is relabelled (k = inf)."""
    return "all" if np.isinf(k) else f"{k:g}"


def medians_by_strategy(rows: list[dict], task: str, measure: str) -> dict[str, dict[float, float]]:
    """Fig. 6's points: for each strategy of `task` in a summary's rows, the median over seeds
    of `measure` at each k (no HER under its k of 0)."""
    groups = defaultdict(lambda: defaultdict(list))
    for r in rows:
        if r["task"] == task:
            groups[r["strategy"]][float(r["k"])].append(float(r[measure]))
    return {
        strategy: {k: float(np.median(values)) for k, values in sorted(per_k.items())}
        for strategy, per_k in groups.items()
    }


def relabelled_ks(medians: dict[str, dict[float, float]]) -> list[float]:
    """Every k that some strategy of `medians_by_strategy` was trained with, in order (no
    HER's k of 0 left out)."""
    return sorted({k for strategy, per_k in medians.items() if strategy != "none" for k in per_k})


#: Fig. 6's strategies in the order its tables and panels show them, then any other.
STRATEGY_ORDER = ("future", "final", "episode", "random")


def ordered_strategies(strategies: set[str]) -> list[str]:
    """The relabelling strategies among `strategies` (no HER left out) in STRATEGY_ORDER."""
    her = set(strategies) - {"none"}
    return [s for s in STRATEGY_ORDER if s in her] + sorted(her - {*STRATEGY_ORDER})


def fig6_runs(summary_csv: Path, rows: list[dict]) -> list[Path]:
    """The run folders behind a Fig. 6 summary's rows, in order: those its `run` column names,
    else (a summary written before it had one) every folder under it with a meta.json."""
    if named := [r["run"] for r in rows if r.get("run")]:
        return [summary_csv.parent / run for run in dict.fromkeys(named)]
    return sorted(m.parent for m in summary_csv.parent.rglob("meta.json"))


def plot_fig6_curves(summary_csv: Path, out_png: Path, column: str = "success_rate") -> None:
    """The learning curves behind a Fig. 6 summary (its `run` column names their folders): a
    panel per task and strategy with a curve per k, no HER dashed in each. `column` is what is
    drawn: intended-goal test success, or `batch_reward0_share` (`fig6_batches.png`), how
    much of each training batch was a success under its goals. Curves end at the last env
    steps the summary counts (one made with `--up-to-env-steps N` ends them at N)."""
    rows = read_csv(summary_csv)
    ks = sorted({float(r["k"]) for r in rows if r["strategy"] != "none"})
    color = {k: f"C{i}" for i, k in enumerate(ks)}  # one colour per k in every panel
    # task -> (strategy, k) -> the metrics.csv of every run that trained some of its seeds
    trained = defaultdict(lambda: defaultdict(dict))
    for r in rows:
        run = summary_csv.parent / r["run"] / "metrics.csv"
        trained[r["task"]][(r["strategy"], float(r["k"]))][run] = None  # a set, in order
    panels = {}
    for task, found in trained.items():
        found = {variant: tuple(runs) for variant, runs in found.items()}
        baseline = found.get(("none", 0.0))
        for strategy in ordered_strategies({s for s, _ in found}):
            curves = [
                (f"k = {k_text(k)}", paths, (s, k), color[k], "-")
                for (s, k), paths in sorted(found.items()) if s == strategy
            ]  # fmt: skip
            if baseline is not None:
                curves.append(("no HER", baseline, "none", "black", "--"))
            sizes = _learner_sizes(_csvs(curves[0][1])[0]) if task.startswith("fetch") else ""
            panels[f"{task}, {strategy}\n{sizes}".strip()] = curves
    up_to = max(int(r["env_steps"]) for r in rows)
    plot_curve_panels(panels, out_png, columns=min(4, len(panels)), column=column, up_to=up_to)


def plot_fig6(summary_csv: Path, out_png: Path) -> None:
    """Best and mean test success against k, one line per strategy (median over seeds).

    No HER has no k: it is drawn as a horizontal dashed line. k = inf is labelled "all".
    """
    rows = read_csv(summary_csv)
    tasks = sorted({r["task"] for r in rows})
    fig, axes = plt.subplots(2, len(tasks), figsize=(4 * len(tasks), 6), squeeze=False)
    for col, task in enumerate(tasks):
        for row, measure in enumerate(("best_success", "mean_success")):
            ax = axes[row, col]
            groups = medians_by_strategy(rows, task, measure)
            ks_drawn = relabelled_ks(groups)
            # k = inf (every goal relabelled, the paper's "all") one doubling right of the rest
            x_all = 2 * max([k for k in ks_drawn if np.isfinite(k)], default=16.0)
            x = {k: x_all if np.isinf(k) else k for k in ks_drawn}  # where each k is drawn
            for strategy, per_k in sorted(groups.items()):
                ks = list(per_k)  # sorted
                medians = [per_k[k] for k in ks]
                if strategy == "none":
                    ax.axhline(medians[0], color="black", linestyle="--", label="no HER")
                else:
                    ax.plot([x[k] for k in ks], medians, marker="o", label=strategy)
            ax.set_xscale("log", base=2)
            ax.set_xticks([x[k] for k in ks_drawn], [k_text(k) for k in ks_drawn])
            ax.minorticks_off()
            ax.set(xlabel="k", ylabel=measure.replace("_", " "), ylim=(-0.02, 1.02))
            # parts stopped by a time limit train fewer env steps than others: say so
            steps = _steps_text([r for r in rows if r["task"] == task])
            ax.set_title(f"{task}\n{steps} env steps per member", fontsize=10)
    axes[0, 0].legend(fontsize=8)
    note = _device_note(*fig6_runs(summary_csv, rows))
    _layout_with_note(fig, note)
    fig.savefig(out_png, dpi=120)
    plt.close(fig)


def main(results: Path = RESULTS) -> list[Path]:
    """Redraw every figure whose CSVs exist, in `fig<N>_<name>` folders and their variants.

    A folder with a suffix (e.g. `fig3_fetch_cpu`) is drawn too; Fig. 4 and 5 take
    their dashed references from the Fig. 3 folder with the same suffix, or from a `train_*`
    run, whichever trained the same task with the same learner.
    """
    drawn = []
    fig1 = sorted(results.glob("fig1_bitflip*/summary.csv"))
    for summary in fig1:
        plot_fig1(summary, summary.parent / "fig1_bitflip.png")
        drawn.append(summary.parent / "fig1_bitflip.png")
    if len(fig1) > 1:  # runs at several budgets: all in one plot beside the main one
        plot_fig1_budgets(fig1, results / "fig1_bitflip" / "fig1_bitflip_budgets.png")
        drawn.append(results / "fig1_bitflip" / "fig1_bitflip_budgets.png")
    for folder in sorted(results.glob("fig3_fetch*/")):
        if csvs := sorted(folder.glob("*/metrics.csv")):
            plot_fig3(csvs, folder / "fig3_fetch.png")
            drawn.append(folder / "fig3_fetch.png")
    # Fig. 4 and 5 draw beside them the sparse, many-goal run of the same task and learner:
    # Fig. 3's with the same suffix, else a single training run (e.g. train_push_cpu)
    single_runs = sorted(results.glob("train_*/metrics.csv"))
    for folder in sorted(results.glob("fig4_single_goal*/")):
        fig3 = results / ("fig3_fetch" + folder.name.removeprefix("fig4_single_goal"))
        if csvs := sorted(folder.glob("*/metrics.csv")):
            references = sorted(fig3.glob("*/metrics.csv")) + single_runs
            plot_fig4(csvs, folder / "fig4_single_goal.png", references)
            drawn.append(folder / "fig4_single_goal.png")
    for folder in sorted(results.glob("fig5_shaped*/")):
        fig3 = results / ("fig3_fetch" + folder.name.removeprefix("fig5_shaped"))
        if csvs := sorted(folder.glob("*/p*/metrics.csv")):
            references = sorted(fig3.glob("*/metrics.csv")) + single_runs
            plot_fig5(csvs, folder / "fig5_shaped.png", references)
            drawn.append(folder / "fig5_shaped.png")
    for folder in sorted(results.glob("fig6_ablation*/")):
        if (folder / "summary.csv").exists():
            plot_fig6(folder / "summary.csv", folder / "fig6_ablation.png")
            drawn.append(folder / "fig6_ablation.png")
            if "run" in read_csv(folder / "summary.csv")[0]:  # summaries that name their runs
                plot_fig6_curves(folder / "summary.csv", folder / "fig6_curves.png")
                batches = folder / "fig6_batches.png"
                plot_fig6_curves(folder / "summary.csv", batches, "batch_reward0_share")
                drawn += [folder / "fig6_curves.png", batches]
    for folder in sorted(results.glob("learners_*/")):  # a learner each: ddpg/, td3/, sac/
        if csvs := sorted(folder.glob("*/metrics.csv")):
            plot_learners(csvs, folder / "learners.png", single_runs)
            drawn.append(folder / "learners.png")
    push_cpu = results / "train_push_cpu" / "metrics.csv"
    fig3_push_cpu = results / "fig3_fetch_cpu" / "fetch_push" / "metrics.csv"
    if push_cpu.exists() and fig3_push_cpu.exists():
        # DDPG without HER beside it only where it trained the same learner (defaults included)
        ddpg_cpu = _matching_run([results / "train_push_cpu_ddpg" / "metrics.csv"], push_cpu)
        plot_push_replay_ratio(
            push_cpu, fig3_push_cpu, push_cpu.parent / "push_replay_ratio.png", ddpg_cpu
        )
        drawn.append(push_cpu.parent / "push_replay_ratio.png")
    push_defaults = results / "train_push_cpu_reference_defaults" / "metrics.csv"
    if push_cpu.exists() and push_defaults.exists():
        plot_push_defaults(push_cpu, push_defaults, push_defaults.parent / "push_defaults.png")
        drawn.append(push_defaults.parent / "push_defaults.png")
    for task in ("pick_and_place", "slide"):  # the other tasks with push's CPU learner
        run = results / f"train_{task}_cpu" / "metrics.csv"
        ddpg = results / f"train_{task}_cpu_ddpg" / "metrics.csv"
        grasped = results / f"train_{task}_cpu_grasped" / "metrics.csv"
        grasped_ddpg = results / f"train_{task}_cpu_grasped_ddpg" / "metrics.csv"
        if run.exists() and push_defaults.exists():
            out_png = run.parent / f"{task}.png"
            plot_beside_push(
                run, push_defaults, out_png, *(
                    path if path.exists() else None for path in (ddpg, grasped, grasped_ddpg)
                ),
            )  # fmt: skip
            drawn.append(out_png)
    for path in drawn:
        print(f"drew {path}")
    return drawn


if __name__ == "__main__":
    with exit_in_one_line():
        main()
