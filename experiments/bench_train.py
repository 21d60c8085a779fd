"""Wall-clock to a success level: the end-to-end training benchmark.

Trains a preset (default `push`: DDPG+HER, future, k = 4) with `--seeds`
seeds as one program from a cold start (no persistent compilation cache, so
compile time counts), and reports when the median seed's intended-goal
success first reaches each level, with env steps/s and updates/s. Writes
`results/bench_train_<env>_<cpu|gpu>.csv` (one row per epoch: the median and
spread over seeds) and a `.json` summary beside it.

    python experiments/bench_train.py                          # push on a GPU
    python experiments/bench_train.py --preset bitflip --total-env-steps 40000
    python experiments/bench_train.py --cycles-per-epoch 1 --label eval_every_cycle
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
from train import disable_compilation_cache, is_plain_name, parse, pop_option

from her_jax import meta
from her_jax.config import TrainConfig
from her_jax.errors import ConfigError, exit_in_one_line
from her_jax.run import reaches, run

RESULTS = Path(__file__).resolve().parent.parent / "results"
LEVELS = (0.9, 0.95)


def per_epoch(rows: list[dict]) -> list[dict]:
    """Median, quartiles and timing over seeds, one row per epoch."""
    out = []
    for epoch in sorted({r["epoch"] for r in rows}):
        group = [r for r in rows if r["epoch"] == epoch]
        success = np.array([r["success_rate"] for r in group])
        q25, median, q75 = np.percentile(success, [25, 50, 75])
        out.append({
            "epoch": epoch, "env_steps": group[0]["env_steps"], "updates": group[0]["updates"],
            "wall_time_s": group[0]["wall_time_s"], "success_median": round(float(median), 4),
            "success_q25": round(float(q25), 4), "success_q75": round(float(q75), 4),
            "env_steps_per_s": group[0]["env_steps_per_s"],
            "updates_per_s": group[0]["updates_per_s"], "seeds": len(group),
        })  # fmt: skip
    return out


def crossing(epochs: list[dict], level: float) -> dict | None:
    """The first epoch whose median success reaches `level`."""
    return next((e for e in epochs if reaches(e["success_median"], level)), None)


def pop_label(argv: list[str]) -> tuple[str, list[str]]:
    """`--label NAME` (not a training flag) and the other arguments."""
    label, argv = pop_option(argv, "--label")
    if label is not None and not is_plain_name(label):
        raise ConfigError("--label needs a name of letters, digits, '-' and '_'")
    return label or "", argv


def file_tag(config: TrainConfig, label: str) -> str:
    """`<env>_<cpu|gpu>[_label]`, which names the benchmark's files and run folder."""
    return f"{config.env}_{meta.device_tag()}" + (f"_{label}" if label else "")


def benchmark_config(argv: list[str], label: str = "") -> TrainConfig:
    """The configuration `argv` describes (flags of `experiments/train.py`), with the
    benchmark's defaults: the `push` preset, 5 seeds, no checkpoints, and the run folder
    `runs/bench_train_<tag>` rather than the preset's training run's."""
    argv = argv if "--preset" in argv else ["--preset", "push", *argv]
    config = dataclasses.replace(parse(argv), checkpoint_every=-1)
    if not any(a.startswith("--seeds") for a in argv):
        config = dataclasses.replace(config, seeds=5)
    if not any(a.startswith("--out-dir") for a in argv):
        config = dataclasses.replace(
            config, out_dir=Path("runs") / f"bench_train_{file_tag(config, label)}"
        )
    return config


def main(argv: list[str], results_dir: Path = RESULTS) -> dict:
    """Train as `experiments/train.py` would with `argv`; the summary goes to `results_dir`.

    `--label NAME` adds `_NAME` to the file names, so that several configurations timed on
    one machine sit side by side.
    """
    label, argv = pop_label(argv)
    config = benchmark_config(argv, label)
    if not any(a.startswith("--stop-at-success") for a in argv):
        config = dataclasses.replace(config, stop_at_success=max(LEVELS))  # no time past the goal
    tag = file_tag(config, label)
    info = meta.run_metadata()  # before training: the commit this process runs
    rows = run(config)
    epochs = per_epoch(rows)
    run_meta = json.loads((Path(config.out_dir) / "meta.json").read_text())
    out_dir = results_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    meta.write_csv(out_dir / f"bench_train_{tag}.csv", epochs)
    summary = {
        "label": label, "env": config.env, "algo": config.algo, "strategy": config.strategy,
        "k": config.k,
        "seeds": config.seeds, "num_envs": config.num_envs, "batch_size": config.batch_size,
        "updates_per_cycle": config.updates_per_cycle,
        "target_update_interval": config.target_update_interval,
        "eval_episodes_per_seed": config.eval_envs, "time_limit_s": config.time_limit_s,
        "final_success_median": epochs[-1]["success_median"],
        "env_steps_per_s_last_epoch": epochs[-1]["env_steps_per_s"],
        "updates_per_s_last_epoch": epochs[-1]["updates_per_s"],
        "total_wall_time_s": epochs[-1]["wall_time_s"],
        "setup_s": run_meta["setup_s"], "compile_s": run_meta["compile_s"],
        "trace_s": run_meta.get("trace_s"), "xla_compile_s": run_meta.get("xla_compile_s"),
        "compilation_cache": "off (cold start)",
    } | info  # fmt: skip
    for level in LEVELS:
        hit = crossing(epochs, level)
        summary[f"wall_time_s_to_{level}"] = hit["wall_time_s"] if hit else None
        summary[f"env_steps_to_{level}"] = hit["env_steps"] if hit else None
    (out_dir / f"bench_train_{tag}.json").write_text(json.dumps(summary, indent=2))
    for level in LEVELS:
        t = summary[f"wall_time_s_to_{level}"]
        print(f"median seed reaches {level:.0%}: " + (f"{t:.1f} s" if t else "not reached"))
    print(f"wrote {out_dir / f'bench_train_{tag}.csv'} and .json")
    return summary


if __name__ == "__main__":
    with exit_in_one_line():
        disable_compilation_cache()
        main(sys.argv[1:])
