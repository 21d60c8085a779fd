"""her_jax: Hindsight Experience Replay in JAX."""

__version__ = "0.1.0"
