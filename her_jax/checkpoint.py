"""Orbax checkpoints of the whole training state (buffer included), so resuming is exact."""

from __future__ import annotations

import json
from pathlib import Path

import jax
import orbax.checkpoint as ocp


def _is_key(x) -> bool:
    return hasattr(x, "dtype") and jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key)


def to_saveable(tree):
    """Typed PRNG keys become their raw uint32 data, which orbax can write."""
    return jax.tree.map(lambda x: jax.random.key_data(x) if _is_key(x) else x, tree)


def restore_target(leaf):
    """What orbax restores a leaf of a template as: its shape, dtype and placement, a typed
    key as its raw uint32 data."""
    saved = jax.eval_shape(jax.random.key_data, leaf) if _is_key(leaf) else leaf
    return jax.ShapeDtypeStruct(saved.shape, saved.dtype, sharding=leaf.sharding)


def from_saved(saved, template):
    def leaf(s, t):
        if not _is_key(t):
            return s
        # an abstract template leaf carries no key implementation: keys are made with the
        # default one (jax.random.key), which must give back the template's key type
        impl = jax.random.key_impl(t) if isinstance(t, jax.Array) else None
        key = jax.random.wrap_key_data(s, impl=impl)
        if key.dtype != t.dtype:
            raise ValueError(f"a restored key is {key.dtype}, its template {t.dtype}")
        return key

    return jax.tree.map(leaf, saved, template)


class Checkpoints:
    """Numbered checkpoints (by epoch) under `directory`: the state and a small dict of
    host-side values, written as two items of one orbax checkpoint, so that an epoch's
    checkpoint is there whole or not at all and orbax's `max_to_keep` drops both."""

    def __init__(self, directory: Path, max_to_keep: int = 2):
        self.directory = Path(directory).resolve()
        self.options = ocp.CheckpointManagerOptions(max_to_keep=max_to_keep)
        self.manager = ocp.CheckpointManager(self.directory, options=self.options)

    def latest_epoch(self) -> int | None:
        return self.manager.latest_step()

    def save(self, epoch: int, state, host: dict) -> None:
        items = ocp.args.Composite(
            state=ocp.args.StandardSave(to_saveable(state)), host=ocp.args.JsonSave(host)
        )
        self.manager.save(epoch, args=items, force=True)
        self.manager.wait_until_finished()

    def restore(self, epoch: int, template):
        """The state saved at `epoch`, shaped and placed like `template`: a freshly initialised
        state, or its `jax.ShapeDtypeStruct`s with their shardings (`run.state_shapes`), which
        spares allocating a second state to restore into."""
        abstract = jax.tree.map(restore_target, template)
        sidecar = self.directory / f"host_{epoch}.json"
        if sidecar.exists():
            saved, host = self._restore_with_sidecar(epoch, abstract, sidecar)
        else:
            items = ocp.args.Composite(
                state=ocp.args.StandardRestore(abstract), host=ocp.args.JsonRestore()
            )
            restored = self.manager.restore(epoch, args=items)
            saved, host = restored.state, restored.host
        return from_saved(saved, template), host

    def _restore_with_sidecar(self, epoch: int, abstract, sidecar: Path):
        """A checkpoint from before the host values moved into it: the state as orbax's one
        unnamed item, the host values in `host_<epoch>.json` beside it. A manager that has read
        an unnamed item refuses to write named ones, so a second one reads it."""
        legacy = ocp.CheckpointManager(self.directory, options=self.options)
        try:
            saved = legacy.restore(epoch, args=ocp.args.StandardRestore(abstract))
        finally:
            legacy.close()
        return saved, json.loads(sidecar.read_text())

    def close(self) -> None:
        self.manager.close()
