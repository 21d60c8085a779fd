"""Whether a run's training state fits its devices, checked before anything is allocated.

Every member keeps its own replay buffer, so a vmapped run's state grows with
members x buffer capacity: Fig. 6's 105 push members hold about 14 GB at its
default 1e6 transitions each (a push transition is about 130 bytes). A state
that cannot fit would fail on its first allocation with the runtime's
out-of-memory message; this check says which sizes to change instead.
"""

from __future__ import annotations

import os

import jax

from her_jax.errors import ConfigError


def tree_bytes(tree) -> int:
    """Bytes of every array (or `jax.ShapeDtypeStruct`) leaf of `tree`."""
    return sum(leaf.size * leaf.dtype.itemsize for leaf in jax.tree.leaves(tree))


def device_memory_bytes(device: jax.Device) -> int | None:
    """What one device can hold: an accelerator's allocator limit, or a CPU's physical memory
    (None where neither is known)."""
    stats = device.memory_stats()
    if stats and "bytes_limit" in stats:
        return int(stats["bytes_limit"])
    if device.platform == "cpu" and hasattr(os, "sysconf"):
        try:
            return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError):
            return None
    return None


def check_state_fits(state, buffer, num_devices: int, num_members: int, capacity: int) -> None:
    """Raise ValueError if one device's share of the training state exceeds its memory.

    `state` and `buffer` are the (abstract) state of all members and its replay buffer;
    the members are split evenly over `num_devices`; `capacity` is each member's buffer
    size in transitions, for the message.
    """
    device = jax.devices()[0]
    limit = device_memory_bytes(device)
    need = tree_bytes(state) / num_devices
    if limit is None or need <= limit:
        return
    gib = 2**30
    raise ConfigError(
        f"the training state needs {need / gib:.1f} GiB per device, more than the "
        f"{limit / gib:.1f} GiB of {device.device_kind}: its replay buffers hold "
        f"{tree_bytes(buffer) / gib:.1f} GiB ({num_members} members x {capacity:,} transitions"
        f" over {num_devices} device(s)); lower --buffer-capacity, or train fewer members "
        "(seeds, variants) at once"
    )
