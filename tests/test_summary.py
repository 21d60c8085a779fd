"""experiments/summary.py: the table of every run's final success, budget, wall-clock and
device, checked on a made-up run against hand-computed numbers and on every committed run."""

import csv
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from her_jax.config import TrainConfig
from her_jax.errors import ConfigError
from her_jax.meta import write_csv
from her_jax.run_folder import config_to_json

EXPERIMENTS = Path(__file__).resolve().parent.parent / "experiments"
sys.path.insert(0, str(EXPERIMENTS))

import summary  # noqa: E402


def _write_run(run_dir: Path, config: TrainConfig, variants, rows, meta=None) -> None:
    run_dir.mkdir(parents=True)
    saved = config_to_json(config) | {"variants": [list(v) for v in variants]}
    (run_dir / "config.json").write_text(json.dumps(saved))
    if meta is not None:
        (run_dir / "meta.json").write_text(json.dumps(meta))
    write_csv(run_dir / "metrics.csv", rows)


def test_summary_takes_the_last_epoch_of_every_variant(tmp_path):
    config = TrainConfig(env="fetch_push", seeds=3, total_env_steps=2000)
    # epoch 2 is the last; its successes per seed: future 0.9, 0.5, 0.7; none 0.0, 0.1, 0.05
    finals = {"future": (0.9, 0.5, 0.7), "none": (0.0, 0.1, 0.05)}
    rows = []
    for epoch, steps, wall in ((1, 1000, 30.0), (2, 2000, 41.6)):
        for strategy, k in (("future", 4.0), ("none", 0.0)):
            for seed in range(3):
                success = finals[strategy][seed] if epoch == 2 else 0.99  # epoch 1 must not count
                rows.append({"seed": seed, "epoch": epoch, "env_steps": steps,
                             "wall_time_s": wall + seed * 0.1, "success_rate": success,
                             "strategy": strategy, "k": k})  # fmt: skip
    meta = {"device": "NVIDIA H100 80GB HBM3", "commit": "0123456789abcdef+dirty"}
    _write_run(tmp_path / "fig3_fetch" / "fetch_push", config, [("future", 4.0), ("none", 0.0)],
               rows, meta)  # fmt: skip
    bits = TrainConfig(env="bitflip", algo="dqn", n_bits=12, total_env_steps=960)
    bit_rows = [{"seed": 0, "epoch": 1, "env_steps": 960, "wall_time_s": 5.0, "success_rate": 1.0,
                 "strategy": "future", "k": 4.0}]  # fmt: skip
    _write_run(tmp_path / "fig1" / "n12", bits, [("future", 4.0)], bit_rows)  # no meta.json

    (tmp_path / "README.md").write_text(
        f"# Results\n\n{summary.START}\nold table\n{summary.END}\n\nmore\n"
    )
    table = summary.main(tmp_path)

    assert [r["run"] for r in table] == [
        "fig1/n12",
        "fig3_fetch/fetch_push",
        "fig3_fetch/fetch_push",
    ]
    her, ddpg = table[1], table[2]
    assert her["variant"] == "DDPG+HER (future, k = 4)" and ddpg["variant"] == "DDPG"
    assert (her["final_success_median"], her["final_success_min"], her["final_success_max"]) == (
        0.7, 0.5, 0.9,
    )  # fmt: skip
    assert (ddpg["final_success_median"], ddpg["final_success_min"]) == (0.05, 0.0)
    assert (
        her["seeds"] == 3 and her["env_steps_per_seed"] == 2000 and her["budget_per_seed"] == 2000
    )
    assert her["wall_time_s"] == 42 and her["device"].startswith("NVIDIA H100")
    assert her["commit"] == "01234567+dirty"
    assert ddpg["paper"] == "Fig. 3: DDPG fails"
    assert (
        table[0]["task"] == "bitflip, n = 12" and table[0]["variant"] == "DQN+HER (future, k = 4)"
    )
    assert table[0]["device"] == "" and "n up to 50" in table[0]["paper"]
    saved = list(csv.DictReader((tmp_path / "summary.csv").open()))
    assert tuple(saved[0]) == summary.COLUMNS and len(saved) == 3
    md = (tmp_path / "README.md").read_text()
    assert (
        "| `fig3_fetch/fetch_push` | fetch_push | DDPG | 3 | 2,000 (2,000) | 0.050 (0.000-0.100) |"
        in md
    )


def test_the_readme_gives_a_strategy_swept_over_k_one_row(tmp_path):
    config = TrainConfig(env="fetch_push", seeds=2, total_env_steps=1000)
    # final success per seed: future k = 1 (0.2, 0.4), k = all (0.6, 1.0); random k = 1 alone
    finals = {("future", 1.0): (0.2, 0.4), ("future", np.inf): (0.6, 1.0),
              ("random", 1.0): (0.0, 0.1), ("none", 0.0): (0.0, 0.0)}  # fmt: skip
    rows = [{"seed": seed, "epoch": 1, "env_steps": 1000, "wall_time_s": 9.0 + seed,
             "success_rate": success[seed], "strategy": strategy, "k": k}
            for (strategy, k), success in finals.items() for seed in range(2)]  # fmt: skip
    _write_run(tmp_path / "fig6" / "fetch_push", config, list(finals), rows)
    table = summary.main(tmp_path)

    # summary.csv keeps a row per (strategy, k), with both named in their own columns
    assert [(r["strategy"], r["k"]) for r in table] == list(finals)
    saved = list(csv.DictReader((tmp_path / "summary.csv").open()))
    assert [(r["strategy"], r["k"]) for r in saved][1] == ("future", "inf")
    assert {r["algo"] for r in saved} == {"ddpg"}
    md = (tmp_path / "README.md").read_text()
    # future: medians 0.3 and 0.8 in k's order, then the spread over all four seeds
    future = "| DDPG+HER (future), k = 1, all | 2 | 1,000 (1,000) | 0.300, 0.800 (0.200-1.000) |"
    assert future in md
    assert "| DDPG+HER (random, k = 1) | 2 | 1,000 (1,000) | 0.050 (0.000-0.100) |" in md
    assert "| DDPG | 2 |" in md and md.count("`fig6/fetch_push`") == 3


def test_a_swept_row_names_its_learner_from_the_algo_column():
    row = {"run": "fig6/fetch_push", "variant": "TD3+HER (future, k = 1)", "algo": "td3",
           "strategy": "future", "k": 1.0, "final_success_median": 0.5,
           "final_success_min": 0.4, "final_success_max": 0.6, "wall_time_s": 9,
           "paper": "p"}  # fmt: skip
    (table,) = summary.table_rows([row, row | {"k": 2.0, "variant": "TD3+HER (future, k = 2)"}])
    assert table["variant"] == "TD3+HER (future), k = 1, 2"


def test_a_sac_row_names_its_exploration_where_not_the_default(tmp_path):
    rows = [{"seed": 0, "epoch": 1, "env_steps": 100, "wall_time_s": 1.0, "success_rate": 0.5,
             "strategy": "future", "k": 4.0}]  # fmt: skip
    for name, fields in {
        "sac": {}, "td3": {"algo": "td3", "sac_target_entropy": 0.0},
        "sac_explore": {"sac_target_entropy": -1.5, "sac_random_eps": 0.3},
    }.items():  # fmt: skip
        config = TrainConfig(**{"env": "fetch_push", "algo": "sac"} | fields)
        _write_run(tmp_path / "learners" / name, config, [("future", 4.0)], rows)
    variants = {r["run"]: r["variant"] for r in summary.main(tmp_path)}
    assert variants == {
        "learners/sac": "SAC+HER (future, k = 4)",
        "learners/sac_explore": "SAC+HER (future, k = 4), target entropy -1.5, 30 % random actions",
        "learners/td3": "TD3+HER (future, k = 4)",  # SAC's options do not touch TD3
    }


def test_the_task_names_what_sets_a_run_apart():
    assert summary.task_name(TrainConfig(env="fetch_slide")) == "fetch_slide"
    config = TrainConfig(env="fetch_slide", distance_threshold=0.2, fixed_goal=(1.3, 0.7, 0.4))
    assert summary.task_name(config) == "fetch_slide, one fixed goal, success within 20 cm"
    grasped = TrainConfig(env="fetch_pick_and_place", grasped_start_prob=0.5)
    assert summary.task_name(grasped) == "fetch_pick_and_place, 50% of training starts grasped"


def test_bitflip_and_reach_rows_name_the_papers_figure_they_compare_with():
    bits = TrainConfig(env="bitflip", algo="dqn", n_bits=20)
    assert summary.paper_finding(bits, "none", 0.0) == "DQN fails for n > 13"
    assert summary.paper_finding(bits, "future", 4.0) == "DQN+HER solves n up to 50"  # Fig. 1
    for strategy, k in (("future", 8.0), ("random", 4.0), ("final", float("inf"))):
        assert summary.paper_finding(bits, strategy, k).startswith("Fig. 6 (Fetch only)")
    reach = TrainConfig(env="fetch_reach")  # in the paper's code, not in its figures
    assert summary.paper_finding(reach, "future", 4.0) == "not in the paper"
    assert summary.paper_finding(reach, "none", 0.0) == "not in the paper"
    assert summary.paper_finding(reach, "random", 8.0).startswith("Fig. 6 (push, slide, pick")


def test_summary_reads_every_committed_run():
    results = EXPERIMENTS.parent / "results"
    runs = summary.run_folders(results)
    assert runs, "results/ holds committed runs"
    for run_dir in runs:
        for row in summary.summarise_run(run_dir, results):
            assert 0.0 <= row["final_success_min"] <= row["final_success_median"] <= 1.0
            assert row["env_steps_per_seed"] > 0 and row["device"], row["run"]


def test_a_folder_without_runs_is_a_configuration_error(tmp_path):
    (tmp_path / "empty_run").mkdir()
    with pytest.raises(ConfigError, match="no run .* under"):
        summary.main(tmp_path)
