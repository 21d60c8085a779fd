"""Off-policy learners, built by name with `make_agent`."""

from __future__ import annotations

import importlib

from her_jax.agents.base import Agent, Batch
from her_jax.config import ALGOS
from her_jax.errors import ConfigError


def make_agent(algo: str, config, input_size: int, action_size: int, gamma: float) -> Agent:
    if algo not in ALGOS:
        raise ConfigError(f"unknown algorithm {algo!r}; valid: {', '.join(ALGOS)}")
    module = importlib.import_module(f"her_jax.agents.{algo}")
    return module.make(config, input_size, action_size, gamma)


__all__ = ["Agent", "Batch", "make_agent"]
