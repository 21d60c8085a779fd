"""The host side of a run: compile once, call the jitted epoch, log, checkpoint, resume.

`run(config)` trains `config.seeds` seeds as one vmapped program; with
`variants=[(strategy, k), ...]` it trains every variant for every seed, still
one program (strategy and k are data), its members split across the devices
(`her_jax.sharding`). It writes into `config.out_dir` (`her_jax.run_folder`
reads the files back):

  config.json   the whole configuration
  meta.json     device, versions, commit, start time, seconds spent setting up, tracing and
                compiling
  metrics.csv   one row per seed and epoch (intended-goal success, losses, rates, speed)
  checkpoints/  orbax checkpoints of the full state, buffer included (also when Ctrl-C or
                SIGTERM stops the run: after the epoch in progress, `her_jax.interrupt`)
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import signal
import time
import warnings
from collections import defaultdict
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from tqdm import tqdm

from her_jax import her, meta
from her_jax.checkpoint import Checkpoints
from her_jax.config import TrainConfig
from her_jax.errors import ConfigError
from her_jax.interrupt import Stopped, StopRequest
from her_jax.memory import check_state_fits
from her_jax.run_folder import (
    AS_BEFORE,
    MetricsLog,
    Variant,
    load_config,
    save_config,
    stored_k,
)
from her_jax.sharding import member_sharding
from her_jax.train import Trainer, make_train


class NonFiniteError(RuntimeError):
    """A loss became NaN or infinite inside the compiled epoch."""


def check_variants(variants: list[Variant]) -> None:
    if not variants:
        raise ConfigError("variants must hold at least one (strategy, k) pair")
    for strategy, k in variants:
        her.strategy_index(strategy)
        her.relabel_probability(k)


def canonical_variants(variants: list[Variant]) -> list[Variant]:
    """The variants as stored (`stored_k`)."""
    return [(s, stored_k(s, k)) for s, k in variants]


def run_members(config: TrainConfig, variants: list[Variant]) -> list[tuple[str, float, int]]:
    """(strategy, k, seed) of each member of the vmapped batch, variant-major."""
    return [(s, k, config.seed + i) for s, k in variants for i in range(config.seeds)]


def member_inputs(config: TrainConfig, variants: list[Variant]):
    """(keys, strategy indices, relabel probabilities) of every member, for `Trainer.init`;
    a seed shares its key across variants."""
    members = run_members(config, variants)
    keys = jnp.stack([jax.random.key(seed) for _, _, seed in members])
    strategy = jnp.array([her.STRATEGIES.index(s) for s, _, _ in members], jnp.int32)
    prob = jnp.array([her.relabel_probability(k) for _, k, _ in members], jnp.float32)
    return keys, strategy, prob


def _checked_init(trainer: Trainer, variants: list[Variant], sharding):
    """The vmapped `Trainer.init`, its inputs and its output's shapes, once the state is known
    to fit the devices."""
    inputs = member_inputs(trainer.config, variants)
    init = jax.vmap(trainer.init)
    shapes = jax.eval_shape(init, *inputs)
    check_state_fits(
        shapes, shapes.buffer, len(sharding.device_set) if sharding else 1, len(inputs[0]),
        trainer.capacity_episodes * trainer.env.episode_length,
    )  # fmt: skip
    return init, inputs, shapes


def init_states(trainer: Trainer, variants: list[Variant], sharding=None):
    """The vmapped initial state of every (variant, seed), made where `sharding` puts it (each
    device makes only its own members' buffers). A state too large for the devices is
    refused before anything is allocated."""
    init, inputs, _ = _checked_init(trainer, variants, sharding)
    return jax.jit(init, out_shardings=sharding)(*inputs)


def state_shapes(trainer: Trainer, variants: list[Variant], sharding=None):
    """What `init_states` would make, as `jax.ShapeDtypeStruct`s placed by `sharding` (default:
    the first device), allocating nothing: the template a checkpoint is restored into, so a
    resumed run holds one copy of its buffers, not two."""
    _, _, shapes = _checked_init(trainer, variants, sharding)
    sharding = sharding or jax.sharding.SingleDeviceSharding(jax.devices()[0])
    return jax.tree.map(
        lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=sharding, weak_type=x.weak_type),
        shapes,
    )


def compile_epoch(trainer: Trainer, state, sharding) -> tuple[Any, dict[str, float]]:
    """The epoch of every member as one program, compiled for `state`: `state -> (state,
    metrics)`, with the state's buffers donated (reused for the result).

    Also returns the seconds spent in each half of compiling: `trace_s` (tracing and
    lowering, Python) and `xla_compile_s` (XLA's compiler, autotuning included).
    """
    # every leaf of the state and of the metrics leads with the member axis
    epoch = jax.jit(trainer.epoch, in_shardings=sharding, out_shardings=sharding, donate_argnums=0)
    t0 = time.perf_counter()
    lowered = epoch.lower(state)
    t1 = time.perf_counter()
    compiled = lowered.compile()
    seconds = {"trace_s": t1 - t0, "xla_compile_s": time.perf_counter() - t1}
    return compiled, {k: round(v, 2) for k, v in seconds.items()}


def reaches(success: float, level: float) -> bool:
    """Whether a success rate is at least `level`.

    A rate is a float32 fraction of episodes: 190 of 200 reads 0.94999999, which is 0.95. The
    slack is above float32's rounding of a rate (about 6e-8) and below the step between two
    rates of up to 100,000 evaluation episodes (1e-5).
    """
    return success >= level - 1e-6


def success_reached(rows: list[dict], level: float) -> bool:
    """Whether every variant's median success over its seeds is at least `level` (> 0)."""
    if level <= 0:
        return False
    by_variant = defaultdict(list)
    for r in rows:
        by_variant[(r["strategy"], r["k"])].append(r["success_rate"])
    return all(reaches(np.median(v), level) for v in by_variant.values())


def check_finite(metrics: dict, epoch: int, members: list[tuple[str, float, int]]) -> None:
    """Stop on any on-device non-finite flag, naming every quantity and member it hit
    (a non-finite observation first: it makes the losses non-finite too)."""
    flags = {n: np.asarray(c) for n, c in metrics.items() if n.startswith("nonfinite_")}
    hit = sorted(
        (n for n, c in flags.items() if np.any(c > 0)), key=lambda n: "observation" not in n
    )
    if not hit:
        return
    bad = [members[i] for i in np.flatnonzero(sum(flags[n] > 0 for n in hit))]
    what = ", ".join(n.removeprefix("nonfinite_") for n in hit)
    raise NonFiniteError(
        f"non-finite {what} in epoch {epoch} for (strategy, k, seed) {bad}: stopping; "
        "the last checkpoint before it is intact"
    )


def warn_invalid_actions(metrics: dict, epoch: int, members: list) -> None:
    """The environments zero invalid (NaN, out-of-range) actions on device; say so here."""
    for name in ("rate_invalid_action", "eval_rate_invalid_action"):
        rates = np.asarray(metrics.get(name, 0.0))
        if np.any(rates > 0):
            bad = [members[i] for i in np.flatnonzero(rates > 0)]
            warnings.warn(
                f"epoch {epoch}: invalid actions ({name} up to {rates.max():.3g}) for "
                f"(strategy, k, seed) {bad}; the environment replaced them",
                RuntimeWarning,
                stacklevel=2,
            )


def check_resumable(
    config: TrainConfig, trainer: Trainer, out: Path, variants: list[Variant]
) -> TrainConfig:
    """A resumed run must keep the shapes of the saved one (the buffer's above all), its seeds
    and what an epoch is (checkpoints are numbered by epoch); the saved config."""
    old, old_variants = load_config(out)
    if canonical_variants(old_variants) != canonical_variants(variants):
        raise ConfigError(f"--resume: variants {variants} differ from the saved {old_variants}")
    for name in (
        "env", "algo", "n_bits", "reward_type", "dense_exponent", "fixed_goal",
        "distance_threshold", "grasped_start_prob", "num_envs", "seeds", "seed",
        "cycles_per_epoch", "hidden", "batch_size",
    ):  # fmt: skip
        value, before = getattr(config, name), getattr(old, name)
        if value != before:
            raise ConfigError(f"--resume: {name} is {value!r} but the saved run used {before!r}")
    T = trainer.env.episode_length
    if old.capacity_for(T) != config.capacity_for(T):
        raise ConfigError(
            f"--resume: the buffer would hold {config.capacity_for(T)} transitions but the saved "
            f"run's holds {old.capacity_for(T)}; pass --buffer-capacity {old.capacity_for(T)}"
        )
    return old


def check_fresh(config: TrainConfig, out: Path) -> None:
    """A fresh run must not mix with an earlier run's checkpoints in its folder: refused unless
    --overwrite, which deletes them (and the earlier TensorBoard events)."""
    saved = out / "checkpoints"
    if not (saved.is_dir() and any(saved.iterdir())):
        return
    if not config.overwrite:
        raise ConfigError(
            f"{out} holds checkpoints of an earlier run: pass --resume to continue it, "
            "--overwrite to start afresh (deleting them), or another --out-dir"
        )
    shutil.rmtree(saved)
    shutil.rmtree(out / "tensorboard", ignore_errors=True)


def earlier_legs(out: Path) -> list[dict]:
    """The meta.json of every earlier leg of a resumed run, oldest first."""
    path = out / "meta.json"
    return meta.legs(json.loads(path.read_text())) if path.exists() else []


def run(
    config: TrainConfig, variants: list[Variant] | None = None, progress: bool = True
) -> list[dict]:
    """Train, log and checkpoint; returns the metric rows written in this call.

    `variants` defaults to the config's own `[(strategy, k)]`.
    """
    start = time.perf_counter()
    own_variant = variants is None
    variants = [(config.strategy, config.k)] if own_variant else list(variants)
    trainer = make_train(config)  # validates before anything compiles
    check_variants(variants)
    variants = canonical_variants(variants)
    if own_variant:  # config.json's k as its variant's (0 for no HER)
        config = dataclasses.replace(config, k=variants[0][1])
    members = run_members(config, variants)
    out = Path(config.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if config.resume:  # checked before the initial state is compiled
        saved = check_resumable(config, trainer, out, variants)
        if config.checkpoint_every < 0:  # keep checkpointing as the saved run did
            config = dataclasses.replace(config, checkpoint_every=saved.checkpoint_every)
        learning_as_saved = {name: getattr(saved, name) for name in AS_BEFORE}
        if learning_as_saved != {name: getattr(config, name) for name in AS_BEFORE}:
            config = dataclasses.replace(config, **learning_as_saved)  # and learning as it did
            trainer = make_train(config)
    else:
        check_fresh(config, out)
    keep = config.checkpoint_every >= 0
    checkpoints = Checkpoints(out / "checkpoints") if keep or config.resume else None
    latest = None
    last_epoch = trainer.num_epochs  # where the epoch loop ends
    if config.resume:
        latest = checkpoints.latest_epoch()
        if latest is None:
            raise ConfigError(f"--resume: no checkpoint under {out / 'checkpoints'}")
        if 0 < config.stop_at_env_steps <= latest * trainer.steps_per_epoch:
            # done, as a run resumed at its budget's end: a figure script's --resume goes on
            # to its next run
            last_epoch = latest
            print(
                f"--resume: {out} is at {latest * trainer.steps_per_epoch:,} env steps, already "
                f"at stop_at_env_steps {config.stop_at_env_steps:,}: nothing to train (raise "
                "it, or pass 0 to train to the budget)"
            )
        elif latest >= last_epoch:
            print(f"--resume: {out} is at epoch {latest}, its budget's end: nothing to train")
        if latest >= last_epoch:
            # a finished run stays as it was: its state is not restored (the buffer is most
            # of a device's memory and of the time to read it) and its config.json and
            # meta.json record no leg that trained nothing
            checkpoints.close()
            return []
    sharding = member_sharding(len(members), config.devices)
    first_epoch, wall_offset = 0, 0.0
    if config.resume:
        state, host = checkpoints.restore(latest, state_shapes(trainer, variants, sharding))
        first_epoch, wall_offset = latest, host["wall_time_s"]
    else:
        state = init_states(trainer, variants, sharding)
    save_config(out, config, variants, trainer.env.episode_length)
    legs = earlier_legs(out) if config.resume else []
    info = meta.run_metadata() | {
        "resumed_from_epoch": first_epoch,
        "devices_used": len(sharding.device_set),
    }

    # compiled ahead of the first epoch, so the compile is timed on its own (a large share
    # of a short run's wall time) and the first epoch's rates are the program's own
    compile_start = time.perf_counter()
    epoch_fn, compile_parts = compile_epoch(trainer, state, sharding)
    info |= compile_parts
    info["compile_s"] = round(time.perf_counter() - compile_start, 2)
    # all before compiling: the environment, the state (restored when resuming), config.json
    info["setup_s"] = round(compile_start - start, 2)
    if legs:  # a resumed run's device, commit and timings of every leg, not only this one's
        info["earlier_legs"] = legs
    (out / "meta.json").write_text(json.dumps(info, indent=2))
    logger = MetricsLog(
        out,
        config.tensorboard,
        resumed_from=first_epoch if config.resume else None,
        resumed_step=first_epoch * trainer.steps_per_epoch if config.resume else None,
    )
    bar = tqdm(
        total=trainer.num_epochs * trainer.steps_per_epoch,
        initial=first_epoch * trainer.steps_per_epoch,
        unit="step",
        unit_scale=True,
        disable=not progress,
        desc=f"{config.algo} {config.env} x{len(members)}",
    )
    written = []
    # with checkpoints kept, Ctrl-C or SIGTERM stops after the epoch in progress, saved
    stop_request = StopRequest(active=keep).install()
    # how a stop message ends: whether --resume can continue from it
    kept = "checkpointed, --resume continues" if keep else "no checkpoint kept"
    try:
        for epoch in range(first_epoch, last_epoch):
            t0 = time.perf_counter()
            state, metrics = epoch_fn(state)
            metrics = jax.device_get(metrics)
            epoch_s = time.perf_counter() - t0
            check_finite(metrics, epoch + 1, members)
            warn_invalid_actions(metrics, epoch + 1, members)
            wall = wall_offset + time.perf_counter() - start
            rows = []
            for i, (strategy, k, seed) in enumerate(members):
                row = {
                    name: np.asarray(v)[i].item()
                    for name, v in metrics.items()
                    if not name.startswith("nonfinite_")
                }
                row |= {
                    "seed": seed,
                    "wall_time_s": round(wall, 3),
                    "env_steps_per_s": round(trainer.steps_per_epoch / epoch_s, 1),
                    "updates_per_s": round(trainer.updates_per_epoch / epoch_s, 1),
                    "strategy": strategy,
                    "k": k,
                }
                rows.append(row)
            logger.write(rows)
            written += rows
            success = float(np.median([r["success_rate"] for r in rows]))
            bar.set_postfix(success=f"{success:.2f}", steps_s=f"{rows[0]['env_steps_per_s']:.0f}")
            bar.update(trainer.steps_per_epoch)
            done = epoch + 1
            steps = done * trainer.steps_per_epoch
            every = config.checkpoint_every
            reached = success_reached(rows, config.stop_at_success)
            out_of_time = 0 < config.time_limit_s <= time.perf_counter() - start
            at_steps = 0 < config.stop_at_env_steps <= steps
            interrupted = stop_request.signal is not None
            stop = reached or out_of_time or at_steps or interrupted
            if keep and (done == trainer.num_epochs or stop or (every and done % every == 0)):
                checkpoints.save(done, state, {"wall_time_s": wall})
            if reached:
                bar.write(f"success reached {config.stop_at_success} at epoch {done}: stopping")
            elif interrupted and done < trainer.num_epochs:
                bar.write(f"stopped at epoch {done} (checkpointed, --resume continues)")
            elif at_steps and done < trainer.num_epochs:
                bar.write(f"stopped at {steps:,} env steps, epoch {done} ({kept})")
            elif out_of_time and done < trainer.num_epochs:
                bar.write(f"time limit {config.time_limit_s} s reached at epoch {done} ({kept})")
            if stop:
                break
    finally:
        stop_request.restore()
        bar.close()
        logger.close()
        if checkpoints is not None:
            checkpoints.close()
    finished = not written or written[-1]["epoch"] == trainer.num_epochs
    if stop_request.signal is not None and not finished:  # a figure script's loop stops too
        raise Stopped(f"stopped by {signal.Signals(stop_request.signal).name}")
    return written
