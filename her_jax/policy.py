"""One trained member's policy on its own: its agent and normaliser, without the replay buffer.

A run's checkpoint holds every member's buffer (hundreds of MB to GB on a GPU
run); what acts is a few MB. `export_policy` writes one member of a run's
newest checkpoint to a single msgpack file, with the run's configuration and
which member it is; `load_policy` gives back its deterministic policy as
`act(obs) -> action` on the task it was trained on, with no run folder needed.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, NamedTuple

import jax
from flax import serialization

from her_jax.checkpoint import Checkpoints, from_saved, restore_target, to_saveable
from her_jax.envs.base import GoalEnv, GoalObs
from her_jax.errors import ConfigError
from her_jax.run import run_members, state_shapes
from her_jax.run_folder import config_from_json, config_to_json, load_config
from her_jax.train import Trainer, TrainState, make_train

FORMAT = "her_jax policy 1"


class Policy(NamedTuple):
    env: GoalEnv
    act: Any  # GoalObs of one step (any leading axes) -> action
    member: tuple[str, float, int]  # (strategy, k, seed)
    env_steps: int  # per member, when the checkpoint was taken
    config: Any  # the run's TrainConfig


def restore_newest(run_dir: Path, trainer: Trainer, variants: list):
    """(every member's train state, the epoch) from the newest checkpoint of the run in
    `run_dir`, made by `trainer` with `variants`, in host memory, never the accelerator's,
    which a training run may hold."""
    checkpoints = Checkpoints(Path(run_dir) / "checkpoints")
    try:
        epoch = checkpoints.latest_epoch()
        if epoch is None:
            raise ConfigError(f"no checkpoint under {Path(run_dir) / 'checkpoints'}")
        host = jax.sharding.SingleDeviceSharding(jax.devices("cpu")[0])
        state, _ = checkpoints.restore(epoch, state_shapes(trainer, variants, sharding=host))
    finally:
        checkpoints.close()
    return state, epoch


def restore_member(run_dir: Path, trainer: Trainer, variants: list, member: int):
    """(member `member`'s train state, its (strategy, k, seed)) from the newest checkpoint of
    the run in `run_dir`, made by `trainer` with `variants`; the member in metrics.csv's order.
    The whole checkpoint passes through host memory, the one member to the default device."""
    members = run_members(trainer.config, variants)
    if not 0 <= member < len(members):
        raise ConfigError(f"member must lie in [0, {len(members)}) for this run, got {member}")
    state, _ = restore_newest(run_dir, trainer, variants)
    one = jax.tree.map(lambda x: x[member], state)
    return jax.device_put(one, jax.devices()[0]), members[member]


def export_policy(run_dir: Path, member: int, out: Path) -> Path:
    """Write member `member` (metrics.csv's order) of the newest checkpoint in `run_dir` to
    `out`."""
    config, variants = load_config(run_dir)
    one, which = restore_member(run_dir, make_train(config), variants, member)
    contents = {
        "format": FORMAT,
        "config": json.dumps(config_to_json(config) | {"variants": [list(v) for v in variants]}),
        "member": json.dumps(list(which)),
        "env_steps": int(one.env_steps),
        "agent": serialization.to_state_dict(to_saveable(one.agent)),
        "norm": serialization.to_state_dict(one.norm),
    }
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(serialization.msgpack_serialize(jax.device_get(contents)))
    return out


def load_policy(path: Path) -> Policy:
    """The deterministic policy saved by `export_policy`."""
    try:
        contents = serialization.msgpack_restore(Path(path).read_bytes())
    except ValueError:  # not msgpack at all
        contents = None
    if not isinstance(contents, dict) or contents.get("format") != FORMAT:
        raise ConfigError(f"{path} is not a policy file written by export_policy")
    config, _ = config_from_json(json.loads(contents["config"]))
    trainer = make_train(config)
    # the shapes of one member's state, allocating nothing, to restore the saved leaves into
    shapes = jax.eval_shape(trainer.init, jax.random.key(0), 0, 0.0)
    saved_agent = jax.tree.map(restore_target, shapes.agent)  # typed keys as their raw data
    agent = from_saved(serialization.from_state_dict(saved_agent, contents["agent"]), shapes.agent)
    norm = serialization.from_state_dict(shapes.norm, contents["norm"])
    # the policy reads only the agent and the normaliser
    blank = {field.name: None for field in dataclasses.fields(TrainState)}
    state = TrainState(**blank | {"agent": agent, "norm": norm})
    act = trainer.policy(state, explore=False)

    def act_deterministic(obs: GoalObs):
        return act(obs, jax.random.key(0))  # the key is unused without exploration

    member = tuple(json.loads(contents["member"]))
    return Policy(trainer.env, act_deterministic, member, contents["env_steps"], config)
