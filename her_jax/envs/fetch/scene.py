"""The MuJoCo scenes of the Fetch tasks: loading the MJCF and indexing into it.

Three scenes ship under `assets/`: `reach.xml` (gripper and table),
`push.xml` (adds the 5 cm cube; also used by pick-and-place) and `slide.xml`
(long low-friction table and the puck). All share `gripper.xml`.

Physics settings (the XML `<option>`), chosen for MJX speed while keeping
grasps and pushes stable: 4 ms timesteps, 10 per 40 ms control step; Newton
solver with 2 iterations and 4 line-search iterations; pyramidal friction
cones; Euler integration with implicit damping off (the only damped joints are
the fingers, whose damping / armature ratio times the step is 0.04, far from
the explicit limit). The weld keeps Gymnasium's softness (solref 0.02, so the
gripper covers about two thirds of a commanded move within one step);
finger-object contacts are stiff (solref 0.01, solimp 0.99) so a squeezed cube
sinks into the fingers by under a millimetre.

How they were checked (2 versus 4 Newton iterations, on CPU): every expert
succeeds as often with 2 iterations (pick-and-place 1.0, push 0.99; slide's
open-loop coasting varies between 0.45 and 0.75 from one solver setting to
the next); a puck launched at 0.5 and 1 m/s stops within 1 % of v^2 / (2 mu g)
with both; pressing the gripper down onto the cube with full force for 38
steps sinks the cube 4 mm into the table and nothing else; constant extreme,
random and NaN actions run 50 steps without a non-finite value (the tests
repeat these checks). Two iterations ran 1.3 to 1.9 times faster than four on
CPU. These checks hold for the scenes' own masses and frictions only: with
domain randomisation scaling both up, two iterations can stop a sliding puck
dead, so a randomised env runs four (`FetchEnv._model`).
"""

from __future__ import annotations

import dataclasses
import functools
import pathlib

import mujoco
import numpy as np
from mujoco import mjx

from her_jax.errors import ConfigError

ASSETS = pathlib.Path(__file__).parent / "assets"
SCENES = ("reach", "push", "slide")
CONTROL_DT = 0.04  # s per control step (25 Hz)


@dataclasses.dataclass(frozen=True)
class Scene:
    """A compiled scene and the addresses the tasks read and write.

    `*_qpos` / `*_qvel` are start addresses into `qpos` / `qvel`; the gripper
    and the object each own a free joint (7 qpos: position, wxyz quaternion;
    6 qvel: world linear velocity, body-frame angular velocity).
    """

    name: str
    mj_model: mujoco.MjModel
    mjx_model: mjx.Model
    n_substeps: int
    gripper_qpos: int
    gripper_qvel: int
    finger_qpos: tuple[int, int]  # (right, left)
    finger_qvel: tuple[int, int]
    object_qpos: int | None
    object_qvel: int | None
    object_body: int | None
    object_pairs: tuple[int, ...]  # contact pair ids that touch the object
    target_site: int


def _joint_addr(m: mujoco.MjModel, name: str) -> tuple[int, int]:
    j = m.joint(name)
    return int(j.qposadr[0]), int(j.dofadr[0])


@functools.cache
def load_scene(name: str) -> Scene:
    """Compile `assets/<name>.xml` and put it on the default device (cached per process)."""
    if name not in SCENES:
        raise ConfigError(f"unknown Fetch scene {name!r}; valid: {', '.join(SCENES)}")
    m = mujoco.MjModel.from_xml_path(str(ASSETS / f"{name}.xml"))
    n_substeps = round(CONTROL_DT / m.opt.timestep)
    if not np.isclose(n_substeps * m.opt.timestep, CONTROL_DT):
        raise ConfigError(f"timestep {m.opt.timestep} does not divide the control period")
    g_qpos, g_qvel = _joint_addr(m, "gripper_free")
    r_qpos, r_qvel = _joint_addr(m, "finger_r")
    l_qpos, l_qvel = _joint_addr(m, "finger_l")
    has_object = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_BODY, "object") >= 0
    o_qpos = o_qvel = o_body = None
    pairs: tuple[int, ...] = ()
    if has_object:
        o_qpos, o_qvel = _joint_addr(m, "object_free")
        o_body = m.body("object").id
        object_geoms = {g for g in range(m.ngeom) if m.geom_bodyid[g] == o_body}
        pairs = tuple(
            p
            for p in range(m.npair)
            if m.pair_geom1[p] in object_geoms or m.pair_geom2[p] in object_geoms
        )
    return Scene(
        name=name,
        mj_model=m,
        mjx_model=mjx.put_model(m),
        n_substeps=n_substeps,
        gripper_qpos=g_qpos,
        gripper_qvel=g_qvel,
        finger_qpos=(r_qpos, l_qpos),
        finger_qvel=(r_qvel, l_qvel),
        object_qpos=o_qpos,
        object_qvel=o_qvel,
        object_body=o_body,
        object_pairs=pairs,
        target_site=m.site("target").id,
    )
