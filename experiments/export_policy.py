"""Export one member's trained policy from a run's newest checkpoint, without its replay buffer.

The file holds the member's agent and normaliser, the run's configuration and
which member it is: a few MB where the checkpoint holds every member's buffer.
Load it anywhere with `her_jax.policy.load_policy`:

    python experiments/export_policy.py runs/reach --member 1   # runs/reach/policy_1.msgpack

    from her_jax.policy import load_policy
    policy = load_policy("runs/reach/policy_1.msgpack")
    state = policy.env.reset(jax.random.key(0))
    action = policy.act(state.obs)        # deterministic; any leading axes
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import tyro

from her_jax.errors import exit_in_one_line
from her_jax.policy import export_policy, load_policy


@dataclasses.dataclass(frozen=True)
class Args:
    run_dir: tyro.conf.Positional[Path]
    """The run's folder (its --out-dir), holding config.json and checkpoints/."""
    member: int = 0
    """Which member to export, in metrics.csv's order (variant-major, then seed)."""
    out: Path | None = None
    """The file to write (default: policy_<member>.msgpack in the run folder)."""


def main(args: Args) -> Path:
    out = args.out or Path(args.run_dir) / f"policy_{args.member}.msgpack"
    export_policy(args.run_dir, args.member, out)
    policy = load_policy(out)  # read back: what a user would load
    strategy, k, seed = policy.member
    print(
        f"{policy.config.algo} on {policy.config.env}, {strategy} k={k:g}, seed {seed}, "
        f"{policy.env_steps:,} env steps: {out.stat().st_size / 1024:,.0f} KiB -> {out}"
    )
    return out


if __name__ == "__main__":
    with exit_in_one_line():
        main(tyro.cli(Args))
