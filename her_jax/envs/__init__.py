"""Goal-conditioned environments, built by name.

    env = her_jax.envs.make("bitflip", n_bits=16)

Tasks are imported on first use, so bit-flipping never builds a MuJoCo model.
"""

from __future__ import annotations

import importlib
import inspect

from her_jax.envs.base import GoalEnv, GoalObs, State
from her_jax.errors import ConfigError

# name -> (module, class); the class's __init__ keywords are the valid overrides.
_REGISTRY: dict[str, tuple[str, str]] = {
    "bitflip": ("her_jax.envs.bitflip", "BitFlip"),
    "fetch_reach": ("her_jax.envs.fetch", "FetchReach"),
    "fetch_push": ("her_jax.envs.fetch", "FetchPush"),
    "fetch_slide": ("her_jax.envs.fetch", "FetchSlide"),
    "fetch_pick_and_place": ("her_jax.envs.fetch", "FetchPickAndPlace"),
}

ENV_NAMES = tuple(_REGISTRY)


def env_class(name: str) -> type[GoalEnv]:
    """The class registered under `name`; ValueError naming the valid names otherwise."""
    if name not in _REGISTRY:
        raise ConfigError(f"unknown environment {name!r}; valid: {', '.join(ENV_NAMES)}")
    module, cls = _REGISTRY[name]
    return getattr(importlib.import_module(module), cls)


def valid_overrides(name: str) -> tuple[str, ...]:
    """The keyword overrides that `make(name, ...)` accepts."""
    params = inspect.signature(env_class(name).__init__).parameters
    return tuple(p for p in params if p != "self")


def make(name: str, **overrides) -> GoalEnv:
    """Build the environment registered as `name`, with keyword overrides of its defaults."""
    valid = valid_overrides(name)
    unknown = sorted(set(overrides) - set(valid))
    if unknown:
        raise ConfigError(
            f"unknown override(s) {unknown} for environment {name!r}; valid: {', '.join(valid)}"
        )
    return env_class(name)(**overrides)


__all__ = ["ENV_NAMES", "GoalEnv", "GoalObs", "State", "env_class", "make", "valid_overrides"]
