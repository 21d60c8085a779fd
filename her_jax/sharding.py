"""Spreading a run's members (variants x seeds) over the available devices.

Every member of a vmapped run trains on its own: its environments, buffer and
networks never meet another member's. So the member axis, the leading axis of
every leaf of the train state and of the epoch's metrics, can be split across
devices with no communication at all: an 8-GPU box trains the 105 members of
Fig. 6's ablation as one program, 15 on each of 7 cards, from the same code
that runs one seed on a laptop.
"""

from __future__ import annotations

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from her_jax.errors import ConfigError

AXIS = "members"


def devices_for(num_members: int, max_devices: int = 0) -> int:
    """How many devices to use: the most, up to `max_devices` (0: all), that divide the members.

    Equal shares keep one compiled program for every device; 10 members on 8
    devices therefore use 5 of them.
    """
    if num_members < 1:
        raise ConfigError(f"a run needs at least one member, got {num_members}")
    if max_devices < 0:
        raise ConfigError(f"devices must be >= 0 (0: all), got {max_devices}")
    available = jax.device_count()
    if max_devices > available:
        raise ConfigError(f"devices is {max_devices} but only {available} are available")
    limit = max_devices or available
    return max(d for d in range(1, limit + 1) if num_members % d == 0)


def member_sharding(num_members: int, max_devices: int = 0) -> NamedSharding:
    """The sharding that splits a leading axis of `num_members` into equal per-device shares."""
    devices = np.array(jax.devices()[: devices_for(num_members, max_devices)])
    return NamedSharding(Mesh(devices, (AXIS,)), PartitionSpec(AXIS))
