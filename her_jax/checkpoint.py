"""Orbax checkpoints of the whole training state (buffer included), so resuming is exact."""

from __future__ import annotations

import json
from pathlib import Path

import jax
import orbax.checkpoint as ocp


def _is_key(x) -> bool:
    return hasattr(x, "dtype") and jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key)


def _to_saveable(tree):
    """Typed PRNG keys become their raw uint32 data, which orbax can write."""
    return jax.tree.map(lambda x: jax.random.key_data(x) if _is_key(x) else x, tree)


def _from_saved(saved, template):
    return jax.tree.map(
        lambda s, t: jax.random.wrap_key_data(s, impl=jax.random.key_impl(t)) if _is_key(t) else s,
        saved,
        template,
    )


class Checkpoints:
    """Numbered checkpoints (by epoch) under `directory`, with a small JSON of host-side values."""

    def __init__(self, directory: Path, max_to_keep: int = 2):
        self.directory = Path(directory).resolve()
        self.manager = ocp.CheckpointManager(
            self.directory, options=ocp.CheckpointManagerOptions(max_to_keep=max_to_keep)
        )

    def latest_epoch(self) -> int | None:
        return self.manager.latest_step()

    def save(self, epoch: int, state, host: dict) -> None:
        self.manager.save(epoch, args=ocp.args.StandardSave(_to_saveable(state)), force=True)
        self.manager.wait_until_finished()
        (self.directory / f"host_{epoch}.json").write_text(json.dumps(host))

    def restore(self, epoch: int, template):
        """The state saved at `epoch`, shaped like `template` (a freshly initialised state)."""
        abstract = jax.tree.map(ocp.utils.to_shape_dtype_struct, _to_saveable(template))
        saved = self.manager.restore(epoch, args=ocp.args.StandardRestore(abstract))
        host = json.loads((self.directory / f"host_{epoch}.json").read_text())
        return _from_saved(saved, template), host

    def close(self) -> None:
        self.manager.close()
