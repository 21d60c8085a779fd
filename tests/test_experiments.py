"""Every paper-figure script runs end to end at its --smoke size and draws its plot."""

import csv
import sys
from pathlib import Path

EXPERIMENTS = Path(__file__).resolve().parent.parent / "experiments"
sys.path.insert(0, str(EXPERIMENTS))

import fig1_bitflip  # noqa: E402


def test_fig1_bitflip_smoke(tmp_path):
    summary = fig1_bitflip.main(fig1_bitflip.Args(smoke=True, out_dir=tmp_path))
    with summary.open() as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == [
        "n_bits", "variant", "seed", "env_steps", "success_rate", "best_success_rate",
        "wall_time_s",
    ]  # fmt: skip
    assert {r["variant"] for r in rows} == {"DQN", "DQN+HER"} and len(rows) == 4
    assert all(0.0 <= float(r["success_rate"]) <= 1.0 for r in rows)
    assert (tmp_path / "fig1_bitflip.png").stat().st_size > 10_000
    assert (tmp_path / "n4" / "meta.json").exists()
    assert not (tmp_path / "n4" / "checkpoints").exists()  # figures keep no checkpoints
