"""The run folder's configuration and metrics files, and reading the configuration back.

  config.json   the whole TrainConfig, with the run's variants and its replay ratio
  metrics.csv   one row per member and epoch, FIRST_COLUMNS first
  tensorboard/  the same numbers as TensorBoard events, when asked for

`her_jax.run` writes them, beside `meta.json` (`her_jax.meta`) and
`checkpoints/` (`her_jax.checkpoint`); `experiments/` (plots, summaries,
watch.py) and `--resume` read the configuration back with `load_config`.
"""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path

from her_jax.config import TrainConfig
from her_jax.errors import ConfigError

FIRST_COLUMNS = [
    "seed", "epoch", "env_steps", "updates", "wall_time_s", "success_rate", "success_final",
    "success_any", "steps_to_success",
]  # fmt: skip
TIMING_COLUMNS = ("wall_time_s", "env_steps_per_s", "updates_per_s")
# which member a row is of, and when: a TensorBoard tag and step rather than a chart
MEMBER_COLUMNS = ("seed", "k", "epoch", "env_steps")

Variant = tuple[str, float]  # (goal strategy, k)


def stored_k(strategy: str, k: float) -> float:
    """A variant's k as runs store and read it: no HER relabels nothing whatever its k, so 0."""
    return 0.0 if strategy == "none" else float(k)


#: Fields that change how a run learns, with the value runs saved before the field existed
#: used. A config.json without one loads with this value, and a resumed run keeps its saved
#: run's value of each, so it goes on learning as it began.
AS_BEFORE = {"goal_statistics": "achieved", "ddpg_actor_critic": "after_update"}


def config_to_json(config: TrainConfig) -> dict:
    """The config as JSON-ready values (paths as strings)."""
    return {
        k: (str(v) if isinstance(v, Path) else v) for k, v in dataclasses.asdict(config).items()
    }


def save_config(out_dir: Path, config: TrainConfig, variants: list[Variant], episode_length: int):
    """Write `out_dir/config.json`: the config, the variants and, for readers, the replay ratio
    it implies (which `load_config` drops again, being derived)."""
    saved = config_to_json(config) | {
        "variants": [list(v) for v in variants],
        "replay_ratio": config.replay_ratio(episode_length),
    }
    (Path(out_dir) / "config.json").write_text(json.dumps(saved, indent=2))


def has_run(out_dir: Path) -> bool:
    """Whether a run has started in `out_dir` (its config.json is written before it compiles);
    a figure script's --resume starts the tasks that have not."""
    return (Path(out_dir) / "config.json").exists()


def load_config(out_dir: Path) -> tuple[TrainConfig, list[Variant]]:
    """The config and variants a run saved in `out_dir/config.json`."""
    path = Path(out_dir) / "config.json"
    if not path.exists():
        raise ConfigError(f"no config.json in {out_dir}: not a run folder")
    return config_from_json(json.loads(path.read_text()))


def config_from_json(saved: dict) -> tuple[TrainConfig, list[Variant]]:
    """The config and variants of a config.json's contents (`load_config`); fields the run
    predates take their defaults, except those that change learning (`AS_BEFORE`), which
    take what such runs did."""
    saved = AS_BEFORE | dict(saved)
    variants = [tuple(v) for v in saved.pop("variants")]
    saved.pop("replay_ratio", None)  # derived from the fields
    saved |= {"out_dir": Path(saved["out_dir"]), "hidden": tuple(saved["hidden"])}
    if saved.get("fixed_goal") is not None:
        saved["fixed_goal"] = tuple(saved["fixed_goal"])
    return TrainConfig(**saved), variants


class MetricsLog:
    """metrics.csv (and optional TensorBoard events) in the run folder: the first row's
    columns, FIRST_COLUMNS then the rest sorted, hold for the whole run (a resumed one too).

    A resumed run (`resumed_from`: the epoch of the checkpoint it continues, reached at
    `resumed_step` env steps per member) keeps the rows up to that epoch and drops later ones:
    a run that crashed after writing an epoch's rows but before checkpointing it trains that
    epoch again, which would list it twice. Its TensorBoard events start with a purge of the
    earlier legs' events after `resumed_step`, for the same reason.

    TensorBoard tags are `metric/strategy-k/seed`: one chart per metric and member, grouped by
    metric, so a run's variants sit side by side.
    """

    def __init__(
        self,
        out_dir: Path,
        tensorboard: bool,
        resumed_from: int | None = None,
        resumed_step: int | None = None,
    ):
        self.path = out_dir / "metrics.csv"
        self.columns: list[str] | None = None
        if resumed_from is not None and self.path.exists():
            self.columns = self._keep_through(resumed_from) or None  # None: write a header
        self.writer = None
        if tensorboard:
            from tensorboardX import SummaryWriter

            # a leg's own file, named apart from the earlier legs' even within one second
            resumed = resumed_step is not None
            self.writer = SummaryWriter(
                str(out_dir / "tensorboard"),
                purge_step=resumed_step + 1 if resumed else None,
                filename_suffix=f".resumed_at_{resumed_step}" if resumed else "",
            )

    def _keep_through(self, epoch: int) -> list[str]:
        """Rewrite metrics.csv with its rows up to `epoch`; its columns. A row cut short by
        the crash is dropped too."""
        with self.path.open(newline="") as f:
            reader = csv.DictReader(f)
            columns = list(reader.fieldnames or [])
            kept = [
                r for r in reader
                if None not in r.values() and r["epoch"].isdigit() and int(r["epoch"]) <= epoch
            ]  # fmt: skip
        with self.path.open("w", newline="") as f:
            writer = csv.DictWriter(f, columns)
            writer.writeheader()
            writer.writerows(kept)
        return columns

    def write(self, rows: list[dict]) -> None:
        if self.columns is None:
            rest = sorted(set(rows[0]) - set(FIRST_COLUMNS))
            self.columns = FIRST_COLUMNS + rest
            with self.path.open("w", newline="") as f:
                csv.writer(f).writerow(self.columns)
        with self.path.open("a", newline="") as f:
            writer = csv.DictWriter(f, self.columns, extrasaction="ignore")
            writer.writerows(rows)
        if self.writer is not None:
            for row in rows:
                member = f"{row['strategy']}-k{row['k']:g}/seed{row['seed']}"
                for name, value in row.items():
                    if isinstance(value, float | int) and name not in MEMBER_COLUMNS:
                        self.writer.add_scalar(f"{name}/{member}", value, row["env_steps"])

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
