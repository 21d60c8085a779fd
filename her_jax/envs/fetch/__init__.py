"""MuJoCo MJX versions of the Fetch tasks (Gymnasium-Robotics v4): reach, push, slide,
pick-and-place. See `env.py` for the spaces and `scene.py` for the physics."""

from her_jax.envs.fetch.tasks import FetchPickAndPlace, FetchPush, FetchReach, FetchSlide

__all__ = ["FetchPickAndPlace", "FetchPush", "FetchReach", "FetchSlide"]
