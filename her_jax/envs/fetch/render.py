"""Offscreen pictures of Fetch states, drawn on the host with MuJoCo's renderer.

States live on the device as `mjx.Data`; rendering copies one environment's
positions to a host `MjData`, recomputes its kinematics and draws it, with the
episode's goal shown as a green sphere. Without a display, select the
software renderer before anything imports mujoco:

    MUJOCO_GL=osmesa PYOPENGL_PLATFORM=osmesa python ...

(needs the system package libosmesa6; EGL fails on machines without a GPU).
"""

from __future__ import annotations

import copy
import pathlib

import jax
import mujoco
import numpy as np

from her_jax.envs.base import State
from her_jax.envs.fetch.env import FetchEnv


class FetchRenderer:
    """Draws single states of one Fetch env; reuse it for many frames.

    `width` x `height` pixels (at most 640 x 480, the scenes' offscreen
    buffer), from the scene's `front` camera.
    """

    def __init__(self, env: FetchEnv, width: int = 480, height: int = 360, camera: str = "front"):
        self.env = env
        # a private copy: the goal marker is drawn by moving a site of the model
        self.model = copy.copy(env.scene.mj_model)
        # a 1024-pixel shadow map looks the same at these sizes as MuJoCo's 4096 and draws
        # 2.5 times faster in software (osmesa): 40 instead of 100 ms a frame at 320 x 240
        self.model.vis.quality.shadowsize = min(self.model.vis.quality.shadowsize, 1024)
        self.data = mujoco.MjData(self.model)
        self.camera = camera
        self.renderer = mujoco.Renderer(self.model, height=height, width=width)

    def frame(self, state: State, index: int | None = None) -> np.ndarray:
        """RGB image [height, width, 3] uint8 of `state`.

        `index` picks one environment from a batched state (leading axis);
        leave it None for an unbatched one.
        """
        drawn = _drawn(state)
        if index is not None:
            drawn = {name: x[index] for name, x in drawn.items()}
        return self._draw(drawn)

    def episode(self, states: State, index: int | None = None) -> list[np.ndarray]:
        """Frames of a trajectory whose leaves carry time as the leading axis.

        A trajectory of a batch has time first and environments second:
        `index` then picks the environment.
        """
        # one copy to the host of just what is drawn: the full physics state has far more
        drawn = _drawn(states)
        if index is not None:
            drawn = {name: x[:, index] for name, x in drawn.items()}
        length = len(drawn["qpos"])
        return [self._draw({name: x[t] for name, x in drawn.items()}) for t in range(length)]

    def _draw(self, drawn: dict[str, np.ndarray]) -> np.ndarray:
        for name in ("qpos", "qvel", "mocap_pos", "ctrl"):
            getattr(self.data, name)[:] = drawn[name]
        self.model.site_pos[self.env.scene.target_site] = drawn["goal"]
        mujoco.mj_forward(self.model, self.data)
        self.renderer.update_scene(self.data, camera=self.camera)
        return self.renderer.render().copy()

    def close(self) -> None:
        self.renderer.close()


def _drawn(state: State) -> dict[str, np.ndarray]:
    """The parts of a (batched) state a frame shows, as host arrays."""
    data = state.pipeline_state
    return jax.device_get(
        {
            "qpos": data.qpos,
            "qvel": data.qvel,
            "mocap_pos": data.mocap_pos,
            "ctrl": data.ctrl,
            "goal": state.obs.desired_goal,
        }
    )


def save_png(frame: np.ndarray, path: str | pathlib.Path) -> None:
    """Write one RGB frame [H, W, 3] uint8 as a PNG."""
    import matplotlib.pyplot as plt

    plt.imsave(str(path), frame)


def save_gif(frames: list[np.ndarray], path: str | pathlib.Path, fps: int = 25) -> None:
    """Write frames as an animated GIF at `fps` frames per second (25: real time)."""
    from PIL import Image

    images = [Image.fromarray(f) for f in frames]
    images[0].save(
        str(path), save_all=True, append_images=images[1:], duration=int(1000 / fps), loop=0
    )
