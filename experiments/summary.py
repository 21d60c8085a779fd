"""One table of every run in `results/`: final intended-goal success with its spread, the
env-step budget, wall-clock and device, beside what the 2017 paper reports.

A run is a folder holding `config.json` and `metrics.csv` (and `meta.json`, which names the
device and commit). Each (strategy, k) variant of a run is one row of summary.csv: the median
over seeds of the success at the last epoch, with the lowest and highest seed. The README's
table gives an ablation's strategy one row for all its k, so that a sweep of 125 variants
stays readable.

    python experiments/summary.py   # writes results/summary.csv, the table into results/README.md
    python experiments/summary.py --results other/results

The table goes between the markers `<!-- summary:start -->` and `<!-- summary:end -->`
of the results folder's README.md (appended, with the markers, where they are missing).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import tyro
from plot import exploration_text, k_text, read_csv

from her_jax.envs.bitflip import BitFlip
from her_jax.errors import ConfigError, exit_in_one_line
from her_jax.meta import legs, short_commit, write_csv
from her_jax.run_folder import load_config

RESULTS = Path(__file__).resolve().parent.parent / "results"

COLUMNS = (
    "run", "task", "variant", "algo", "strategy", "k", "seeds", "env_steps_per_seed",
    "budget_per_seed", "final_success_median", "final_success_min", "final_success_max",
    "wall_time_s", "device", "commit", "paper",
)  # fmt: skip


def run_folders(results: Path) -> list[Path]:
    """Every folder under `results` that holds a run (config.json beside metrics.csv)."""
    runs = [p.parent for p in results.rglob("metrics.csv") if (p.parent / "config.json").exists()]

    def natural(path: Path) -> list:  # n5 before n10
        parts = re.split(r"(\d+)", path.relative_to(results).as_posix())
        return [int(t) if t.isdigit() else t for t in parts]

    return sorted(runs, key=natural)


def variant_name(algo: str, strategy: str, k: float, exploration: str = "") -> str:
    """'DDPG+HER (future, k = 4)', or 'DDPG' without relabelling; a learner's exploration
    other than its default follows: 'SAC+HER (future, k = 4), target entropy 0'."""
    name = algo.upper()
    if strategy != "none":
        name = f"{name}+HER ({strategy}, k = {k_text(k)})"
    return f"{name}, {exploration}" if exploration else name


def task_name(config) -> str:
    """The environment and what sets this run apart from the default task."""
    if config.env == "bitflip":
        return f"bitflip, n = {config.n_bits or BitFlip().n_bits}"  # 0: the default
    parts = [config.env]
    if config.reward_type == "dense":
        parts.append(f"shaped reward, p = {config.dense_exponent or 1:g}")
    if config.fixed_goal is not None:
        parts.append("one fixed goal")
    if config.distance_threshold:  # 0: the task's 5 cm
        parts.append(f"success within {100 * config.distance_threshold:g} cm")
    if config.grasped_start_prob:
        parts.append(f"{config.grasped_start_prob:.0%} of training starts grasped")
    return ", ".join(parts)


FIG6 = "future with k = 4 to 8 best, random worst"


def paper_finding(config, strategy: str, k: float) -> str:
    """What the 2017 paper (Andrychowicz et al.) reports for this kind of run, for comparison
    only: its setup differs from ours."""
    her = strategy != "none"
    if config.env == "bitflip":
        if not her:
            return "DQN fails for n > 13"
        if (strategy, k) == ("future", 4.0):  # Fig. 1's DQN+HER
            return "DQN+HER solves n up to 50"
        return f"Fig. 6 (Fetch only): {FIG6}"
    if config.env == "fetch_reach":
        if not her or (strategy, k) == ("future", 4.0):
            return "not in the paper"
        return f"Fig. 6 (push, slide, pick-and-place only): {FIG6}"
    if config.reward_type == "dense":
        return "Fig. 5: shaped rewards solve nothing, with or without HER"
    if config.fixed_goal is not None:
        return "Fig. 4: with one goal HER still helps" if her else "Fig. 4: DDPG below DDPG+HER"
    if not her:
        return "Fig. 3: DDPG fails"
    if strategy == "random":
        return "Fig. 6: random is the worst strategy"
    return "Fig. 3 and 6: solved (slide: nearly); future with k = 4 to 8 best"


def summarise_run(run_dir: Path, results: Path) -> list[dict]:
    """One row per (strategy, k) variant of the run in `run_dir`."""
    config, _ = load_config(run_dir)
    rows = read_csv(run_dir / "metrics.csv")
    meta_path = run_dir / "meta.json"
    info = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    run_legs = legs(info)  # a resumed run's every leg: each may have run elsewhere
    commits = ", ".join(dict.fromkeys(short_commit(leg.get("commit", "")) for leg in run_legs))
    by_variant: dict[tuple[str, float], list[dict]] = {}
    for r in rows:
        by_variant.setdefault((r["strategy"], float(r["k"])), []).append(r)
    out = []
    for (strategy, k), group in by_variant.items():
        last = max(int(r["epoch"]) for r in group)
        final = [r for r in group if int(r["epoch"]) == last]
        success = np.array([float(r["success_rate"]) for r in final])
        out.append({
            "run": run_dir.relative_to(results).as_posix(), "task": task_name(config),
            "variant": variant_name(config.algo, strategy, k, exploration_text(config)),
            "algo": config.algo,
            "strategy": strategy, "k": k,
            "seeds": len(final),
            "env_steps_per_seed": int(final[0]["env_steps"]),
            "budget_per_seed": config.total_env_steps,
            "final_success_median": round(float(np.median(success)), 3),
            "final_success_min": round(float(success.min()), 3),
            "final_success_max": round(float(success.max()), 3),
            "wall_time_s": round(max(float(r["wall_time_s"]) for r in final)),
            "device": ", ".join(dict.fromkeys(leg.get("device", "") for leg in run_legs)),
            "commit": commits,
            "paper": paper_finding(config, strategy, k),
        })  # fmt: skip
    return out


def table_rows(rows: list[dict]) -> list[dict]:
    """The README's rows: a strategy that a run trained with several k becomes one row, its
    success the median for each k in turn (the spread over every seed of every k); the rest
    as they are."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in rows:  # no HER is one row of its run: it has no k
        groups.setdefault((r["run"], r["strategy"]), []).append(r)
    out = []
    for group in groups.values():
        first = group[0]
        if len(group) == 1:
            out.append(first | {"success": _median_and_spread(first)})
            continue
        ks = ", ".join(k_text(float(r["k"])) for r in group)
        medians = ", ".join(f"{r['final_success_median']:.3f}" for r in group)
        low = min(r["final_success_min"] for r in group)
        high = max(r["final_success_max"] for r in group)
        out.append(first | {
            "variant": f"{first['algo'].upper()}+HER ({first['strategy']}), k = {ks}",
            "success": f"{medians} ({low:.3f}-{high:.3f})",
            "wall_time_s": max(r["wall_time_s"] for r in group),
            "paper": _findings_by_k(group),
        })  # fmt: skip
    return out


def _findings_by_k(group: list[dict]) -> str:
    """The paper's findings for a strategy's rows, each named with its k where it is not
    every row's."""
    ks_of: dict[str, list[str]] = {}
    for r in group:
        ks_of.setdefault(r["paper"], []).append(k_text(float(r["k"])))
    return "; ".join(
        text if len(ks) == len(group) else f"{text} (k = {', '.join(ks)})"
        for text, ks in ks_of.items()
    )


def _median_and_spread(row: dict) -> str:
    low, high = row["final_success_min"], row["final_success_max"]
    return f"{row['final_success_median']:.3f} ({low:.3f}-{high:.3f})"


def markdown(rows: list[dict]) -> str:
    """The rows as a Markdown table: success as 'median (min-max)', sizes with separators, a
    strategy swept over k in one row."""
    head = ["run", "task", "variant", "seeds", "env steps per seed (budget)",
            "final success, median (min-max)", "wall-clock (s)", "device", "paper"]  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for r in table_rows(rows):
        steps = f"{r['env_steps_per_seed']:,} ({r['budget_per_seed']:,})"
        cells = [f"`{r['run']}`", r["task"], r["variant"], str(r["seeds"]), steps, r["success"],
                 f"{r['wall_time_s']:,}", r["device"], r["paper"]]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


START, END = "<!-- summary:start -->", "<!-- summary:end -->"

INTRO = (
    "Made by `python experiments/summary.py` from every run folder here: the median over "
    "seeds of the intended-goal success at each run's last epoch (bit-flipping: success at "
    "any step), with the lowest and highest seed; the env steps per seed reached, and the "
    "run's budget; wall-clock from the start of the run, compiling included. A strategy "
    "that an ablation trained with several k is one row: the median for each k in the order "
    "listed, then the lowest and highest seed of them all (`summary.csv` has a row for each "
    "k). The last column is what the 2017 paper reports for that kind of run; its setup "
    "differs, so compare qualitatively.\n\n"
)


def write_table(readme: Path, table: str) -> None:
    """Put `table` between the markers of `readme`, replacing what was there."""
    text = readme.read_text() if readme.exists() else ""
    block = f"{START}\n{INTRO}{table}{END}"
    if START in text and END in text:
        before, rest = text.split(START, 1)
        text = before + block + rest.split(END, 1)[1]
    else:
        text = text + ("\n" if text else "") + block + "\n"
    readme.write_text(text)


def main(results: Path = RESULTS) -> list[dict]:
    """Summarise every run under `results` into its summary.csv and README.md.

    Args:
      results: the folder of run folders (default: the repository's results/).
    """
    rows = [row for run_dir in run_folders(results) for row in summarise_run(run_dir, results)]
    if not rows:
        where = "config.json beside a metrics.csv with a finished epoch"
        raise ConfigError(f"no run ({where}) under {results}")
    write_csv(results / "summary.csv", rows)
    write_table(results / "README.md", markdown(rows))
    print(f"wrote {results / 'summary.csv'} and the table in README.md ({len(rows)} rows)")
    return rows


if __name__ == "__main__":
    with exit_in_one_line():
        tyro.cli(main)
