"""The MJX Fetch tasks: spaces, physics sanity, sampling, experts, overrides, rendering.

MJX compiles are slow on CPU (tens of seconds), so each task compiles one
jitted, vmapped 50-step rollout whose environments follow different action
modes (random, all +1, all -1, NaN, oversized, scripted expert); the whole
trajectory is kept and checked by many tests.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from her_jax.envs import make
from her_jax.envs.fetch.env import MAX_MOVE, PRESS_MARGIN
from her_jax.envs.fetch.experts import expert_action

TASKS = ("fetch_reach", "fetch_push", "fetch_slide", "fetch_pick_and_place")
OBJECT_TASKS = TASKS[1:]
# action modes of the rollout batch
RANDOM, PLUS, MINUS, NAN, BIG, EXPERT = range(6)
MODES = np.array([RANDOM] * 3 + [PLUS, MINUS, NAN, BIG] + [EXPERT] * 17)
EXPERT_MIN_SUCCESS = {"fetch_reach": 0.9, "fetch_push": 0.85, "fetch_pick_and_place": 0.9}


@functools.cache
def trajectory(task: str) -> dict:
    """One episode per entry of MODES: initial state, per-step states and actions (numpy)."""
    env = make(task)

    def one(key, mode):
        state = env.reset(key)

        def body(s, k):
            rand = jax.random.uniform(k, (4,), minval=-1.0, maxval=1.0)
            options = jnp.stack(
                [
                    rand,
                    jnp.ones(4),
                    -jnp.ones(4),
                    jnp.full(4, jnp.nan),
                    3.0 * jnp.sign(rand),
                    expert_action(env, s),
                ]
            )
            action = options[mode]
            s = env.step(s, action)
            out = {
                "obs": s.obs,
                "reward": s.reward,
                "info": s.info,
                "t": s.t,
                "action": action,
                "qpos": s.pipeline_state.qpos,
                "qvel": s.pipeline_state.qvel,
                "mocap": s.pipeline_state.mocap_pos[0],
            }
            return s, out

        _, steps = jax.lax.scan(body, state, jax.random.split(key, env.episode_length))
        return state, steps

    keys = jax.random.split(jax.random.PRNGKey(7), len(MODES))
    first, steps = jax.jit(jax.vmap(one))(keys, jnp.asarray(MODES))
    return {"env": env, "first": first, "steps": jax.tree_util.tree_map(np.asarray, steps)}


@functools.cache
def resets(task: str, n: int = 4000):
    """Observations of `n` fresh episodes (numpy)."""
    env = make(task)
    states = jax.jit(jax.vmap(env.reset))(jax.random.split(jax.random.PRNGKey(3), n))
    return env, jax.tree_util.tree_map(np.asarray, states.obs)


def quat_to_pitch(quat_wxyz: np.ndarray) -> np.ndarray:
    """Pitch (about y) of wxyz quaternions [N, 4], with scipy's fixed-axes convention."""
    xyzw = quat_wxyz[:, [1, 2, 3, 0]]
    # the pitch is well defined even at the lock; scipy warns only about roll and yaw there
    matrix = Rotation.from_quat(xyzw).as_matrix()
    return np.arcsin(np.clip(-matrix[:, 2, 0], -1.0, 1.0))


# ----------------------------------------------------------------- spaces


@pytest.mark.parametrize("task", TASKS)
def test_spaces(task):
    env = make(task)
    has_object = task != "fetch_reach"
    assert env.episode_length == 50
    assert env.observation_size == (25 if has_object else 10)
    assert (env.goal_size, env.action_size) == (3, 4)
    assert env.discrete is False and env.success_at == "final"
    layout = env.observation_layout
    names = (
        [
            "grip_pos",
            "object_pos",
            "object_rel_pos",
            "fingers",
            "object_rot",
            "object_velp",
            "object_velr",
            "grip_velp",
            "finger_vel",
        ]
        if has_object
        else ["grip_pos", "fingers", "grip_velp", "finger_vel"]
    )
    assert list(layout) == names
    ends = [s.stop for s in layout.values()]
    starts = [s.start for s in layout.values()]
    assert starts == [0, *ends[:-1]] and ends[-1] == env.observation_size


@pytest.mark.parametrize("task", TASKS)
def test_shapes_and_info_keys(task):
    tr = trajectory(task)
    env, first, steps = tr["env"], tr["first"], tr["steps"]
    n, t = len(MODES), env.episode_length
    assert first.obs.observation.shape == (n, env.observation_size)
    assert steps["obs"].observation.shape == (n, t, env.observation_size)
    assert steps["obs"].achieved_goal.shape == (n, t, 3)
    assert steps["obs"].desired_goal.shape == (n, t, 3)
    assert steps["reward"].shape == (n, t)
    assert set(first.info) == set(steps["info"])
    assert {
        "is_success",
        "invalid_action",
        "action_clipped",
        "object_fell",
        "gripper_press",
    } <= set(first.info)
    np.testing.assert_array_equal(steps["t"][0], np.arange(1, t + 1))


@pytest.mark.parametrize("task", TASKS)
def test_finite_under_all_actions(task):
    steps = trajectory(task)["steps"]
    for key in ("qpos", "qvel", "mocap", "reward"):
        assert np.isfinite(steps[key]).all(), key
    assert np.isfinite(steps["obs"].observation).all()
    # with a floor under the table, nothing ends up far away
    assert np.abs(steps["obs"].observation).max() < 4.0


@pytest.mark.parametrize("task", TASKS)
def test_reward_and_success_match_goals(task):
    tr = trajectory(task)
    env, obs = tr["env"], tr["steps"]["obs"]
    np.testing.assert_allclose(
        tr["steps"]["reward"], env.compute_reward(obs.achieved_goal, obs.desired_goal)
    )
    np.testing.assert_allclose(
        tr["steps"]["info"]["is_success"], env.is_success(obs.achieved_goal, obs.desired_goal)
    )
    # the desired goal never changes within an episode
    np.testing.assert_array_equal(obs.desired_goal, obs.desired_goal[:, :1].repeat(50, axis=1))


@pytest.mark.parametrize("task", TASKS)
def test_observation_layout_matches_state(task):
    tr = trajectory(task)
    env, steps = tr["env"], tr["steps"]
    layout, o = env.observation_layout, steps["obs"].observation
    sc = env.scene
    np.testing.assert_allclose(
        o[..., layout["grip_pos"]], steps["qpos"][..., sc.gripper_qpos : sc.gripper_qpos + 3]
    )
    np.testing.assert_allclose(o[..., layout["fingers"]], steps["qpos"][..., list(sc.finger_qpos)])
    np.testing.assert_allclose(
        o[..., layout["grip_velp"]],
        steps["qvel"][..., sc.gripper_qvel : sc.gripper_qvel + 3] * 0.04,
        rtol=1e-5,
        atol=1e-7,
    )
    if task == "fetch_reach":
        np.testing.assert_allclose(steps["obs"].achieved_goal, o[..., layout["grip_pos"]])
        return
    obj, grip = o[..., layout["object_pos"]], o[..., layout["grip_pos"]]
    np.testing.assert_allclose(steps["obs"].achieved_goal, obj)
    np.testing.assert_allclose(o[..., layout["object_rel_pos"]], obj - grip, atol=1e-6)
    # at rest on the table the object is upright: zero Euler angles
    np.testing.assert_allclose(tr["first"].obs.observation[:, layout["object_rot"]], 0.0, atol=1e-6)
    # pose and velocities from the free joint, with an independent rotation (scipy's): Euler
    # angles about the fixed x, y, z axes, linear velocity relative to the gripper's, angular
    # velocity turned from the body frame into the world's, both per control step (dt 0.04)
    qpos, qvel = steps["qpos"], steps["qvel"]
    quat_wxyz = qpos[..., sc.object_qpos + 3 : sc.object_qpos + 7].reshape(-1, 4)
    rotation = Rotation.from_quat(quat_wxyz[:, [1, 2, 3, 0]])
    # (away from pitch +/-90 degrees, where roll and yaw are not defined, e.g. a fallen cube)
    regular = np.abs(quat_to_pitch(quat_wxyz)) < 1.2
    euler = rotation[regular].as_euler("xyz")
    rot = o[..., layout["object_rot"]].reshape(-1, 3)[regular]
    np.testing.assert_allclose(rot, euler, atol=2e-4)
    assert np.abs(euler).max() > 0.05  # the pushes and grasps do turn the object
    lin = qvel[..., sc.object_qvel : sc.object_qvel + 3]
    grip_lin = qvel[..., sc.gripper_qvel : sc.gripper_qvel + 3]
    np.testing.assert_allclose(o[..., layout["object_velp"]], (lin - grip_lin) * 0.04, atol=1e-6)
    body_ang = qvel[..., sc.object_qvel + 3 : sc.object_qvel + 6].reshape(-1, 3)
    world_ang = rotation.apply(body_ang).reshape(o.shape[:-1] + (3,))
    np.testing.assert_allclose(o[..., layout["object_velr"]], world_ang * 0.04, atol=1e-5)


@pytest.mark.parametrize("task", TASKS)
def test_invalid_and_clipped_actions_are_flagged(task):
    steps = trajectory(task)["steps"]
    info = steps["info"]
    nan_rows, big_rows = MODES == NAN, MODES == BIG
    assert (info["invalid_action"][nan_rows] == 1).all()
    assert (info["invalid_action"][~nan_rows] == 0).all()
    assert (info["action_clipped"][big_rows] == 1).all()
    assert (info["action_clipped"][(MODES == PLUS) | (MODES == MINUS) | nan_rows] == 0).all()
    # a NaN action acts as zero: the gripper stays where it started
    grip = steps["obs"].observation[nan_rows][..., :3]
    assert np.abs(grip - grip[:, :1]).max() < 0.01


@pytest.mark.parametrize("task", TASKS)
def test_pressing_into_the_table_is_flagged(task):
    # gripper_press: a step asked for a gripper target more than PRESS_MARGIN below the
    # workspace floor (which the clip then stops), judged from where the gripper was
    tr = trajectory(task)
    env, steps = tr["env"], tr["steps"]
    z = env.scene.gripper_qpos + 2
    before = np.concatenate(
        [np.asarray(tr["first"].pipeline_state.qpos)[:, None, z], steps["qpos"][:, :-1, z]], axis=1
    )
    action_z = np.clip(np.nan_to_num(steps["action"][..., 2], nan=0.0), -1.0, 1.0)
    wanted = before + MAX_MOVE * action_z
    floor = env.spec.workspace_lo[2] - PRESS_MARGIN
    clear = np.abs(wanted - floor) > 1e-4  # float32 rounding decides at the threshold itself
    press = steps["info"]["gripper_press"]
    np.testing.assert_array_equal(press[clear], (wanted < floor)[clear])
    # full speed down reaches the floor and presses; full speed up never does
    assert press[MODES == MINUS].any(axis=1).all()
    assert not press[MODES == PLUS].any()


@pytest.mark.parametrize("task", TASKS)
def test_gripper_moves_at_most_5cm_and_stays_in_workspace(task):
    tr = trajectory(task)
    env, steps = tr["env"], tr["steps"]
    grip0 = tr["first"].obs.observation[:, None, :3]
    grip = np.concatenate([grip0, steps["obs"].observation[..., :3]], axis=1)  # [N, T+1, 3]
    assert np.abs(np.diff(grip, axis=1)).max() <= MAX_MOVE + 0.002
    lo, hi = np.array(env.spec.workspace_lo), np.array(env.spec.workspace_hi)
    assert (steps["mocap"] >= lo - 1e-6).all() and (steps["mocap"] <= hi + 1e-6).all()
    assert (grip >= lo - 0.005).all() and (grip <= hi + 0.005).all()
    # full speed on every axis really does move the gripper along each one, more than half
    # the command within the first 3 steps
    moved = np.abs(np.diff(grip[MODES == PLUS], axis=1))[:, :3]  # [episodes, 3 steps, xyz]
    assert np.all(moved.max(axis=(0, 1)) > MAX_MOVE / 2), moved.max(axis=(0, 1))


@pytest.mark.parametrize("task", TASKS)
def test_fingers(task):
    tr = trajectory(task)
    env, steps = tr["env"], tr["steps"]
    fingers = steps["obs"].observation[..., env.observation_layout["fingers"]]
    if env.spec.block_gripper:
        # held at 0 by a 30 kN/m position actuator: ramming the object yields a few mm at most
        assert np.abs(fingers).max() < 0.006
        assert np.median(np.abs(fingers)) < 1e-4
    else:
        assert fingers[MODES == PLUS][:, 5:].min() > 0.045  # opened to the joint range
        assert fingers[MODES == MINUS].max() < 1e-3  # closed
    assert fingers.min() > -0.003 and fingers.max() < 0.065


@pytest.mark.parametrize("task", TASKS)
def test_experts_solve_tasks(task):
    info = trajectory(task)["steps"]["info"]
    final = info["is_success"][MODES == EXPERT, -1].mean()
    if task in EXPERT_MIN_SUCCESS:
        assert final >= EXPERT_MIN_SUCCESS[task]
    else:
        assert final >= 0.3  # slide: the push-and-coast expert solves part of the episodes
    assert info["object_fell"][MODES == EXPERT].max() == 0


def test_object_falls_off_table_is_flagged():
    # the flag is the object's height below the table top
    info = trajectory("fetch_push")["steps"]["info"]
    obs = trajectory("fetch_push")["steps"]["obs"]
    fell = info["object_fell"].astype(bool)
    np.testing.assert_array_equal(fell, obs.achieved_goal[..., 2] < 0.38)


# --------------------------------------------------------------- sampling


@pytest.mark.parametrize("task", OBJECT_TASKS)
def test_object_sampling(task):
    env, obs = resets(task)
    spec = env.spec
    grip0 = np.array(spec.initial_gripper)
    layout = env.observation_layout
    np.testing.assert_allclose(
        obs.observation[:, layout["grip_pos"]], np.broadcast_to(grip0, (4000, 3)), atol=1e-6
    )
    offset = obs.achieved_goal[:, :2] - grip0[:2]
    r = spec.obj_range
    assert (np.abs(offset) <= r + 1e-6).all()
    assert (np.linalg.norm(offset, axis=-1) >= 0.1 - 1e-6).all()
    assert np.allclose(obs.achieved_goal[:, 2], spec.object_z)
    # the accepted offsets cover the square up to its edges, symmetrically
    assert np.abs(offset.mean(0)).max() < 0.01
    assert (np.abs(offset).max(0) > 0.97 * r).all()


@pytest.mark.parametrize("task", TASKS)
def test_goal_sampling(task):
    env, obs = resets(task)
    spec = env.spec
    goal = obs.desired_goal
    centre = np.array(spec.initial_gripper) + np.array(spec.target_offset)
    r = spec.target_range
    dxy = goal[:, :2] - centre[:2]
    assert (np.abs(dxy) <= r + 1e-6).all()
    # uniform on [-r, r]: mean 0 and std r / sqrt(3), within a few standard errors
    assert np.abs(dxy.mean(0)).max() < 4 * r / np.sqrt(3 * len(goal))
    np.testing.assert_allclose(dxy.std(0), r / np.sqrt(3), rtol=0.05)
    z = goal[:, 2]
    if task == "fetch_reach":
        dz = z - centre[2]
        assert (np.abs(dz) <= r + 1e-6).all() and np.abs(dz.mean()) < 0.01
    elif spec.target_in_air:
        lift = z - spec.object_z
        in_air = lift > 1e-6
        assert (lift >= -1e-6).all() and (lift <= 0.45 + 1e-6).all()
        assert abs(in_air.mean() - 0.5) < 0.04  # p = 0.5, 4000 draws: std 0.008
        assert abs(lift[in_air].mean() - 0.225) < 0.015
    else:
        np.testing.assert_allclose(z, spec.object_z)
    assert not np.isclose(goal[0], goal[1]).all()


# -------------------------------------------------------------- overrides


@pytest.mark.parametrize(
    "task, overrides",
    [
        ("fetch_push", {"reward_type": "shaped"}),
        ("fetch_push", {"dense_exponent": 0.0}),
        ("fetch_push", {"dense_exponent": "2"}),
        ("fetch_reach", {"distance_threshold": -0.1}),
        ("fetch_reach", {"fixed_goal": (1.0, 2.0)}),
        ("fetch_reach", {"fixed_goal": "abc"}),
        ("fetch_slide", {"fixed_goal": (1.0, float("nan"), 0.4)}),
        ("fetch_slide", {"obs_noise": -1.0}),
        ("fetch_pick_and_place", {"mass_scale": (2.0, 1.0)}),
        ("fetch_pick_and_place", {"friction_scale": (0.0, 1.0)}),
        ("fetch_pick_and_place", {"grasped_start_prob": 1.5}),
        ("fetch_push", {"grasped_start_prob": 0.5}),  # its fingers are blocked
        ("fetch_reach", {"mass_scale": (0.5, 2.0)}),  # reach has no object
        ("fetch_push", {"n_bits": 3}),
    ],
)
def test_bad_overrides_raise(task, overrides):
    with pytest.raises(ValueError, match=r"valid|must"):
        make(task, **overrides)


def test_reward_types_and_fixed_goal():
    ag = jnp.array([[0.0, 0.0, 0.0], [0.06, 0.08, 0.0]])  # distances 0 and 0.1
    g = jnp.zeros((2, 3))
    sparse = make("fetch_push")
    np.testing.assert_allclose(sparse.compute_reward(ag, g), [0.0, -1.0])
    dense = make("fetch_push", reward_type="dense")
    np.testing.assert_allclose(dense.compute_reward(ag, g), [0.0, -0.1], rtol=1e-6)
    squared = make("fetch_push", reward_type="dense", dense_exponent=2.0)
    np.testing.assert_allclose(squared.compute_reward(ag, g), [0.0, -0.01], rtol=1e-5)
    # broadcasting over leading axes
    assert sparse.compute_reward(ag[None].repeat(4, 0), g).shape == (4, 2)
    wide = make("fetch_push", distance_threshold=0.12)
    np.testing.assert_allclose(wide.is_success(ag, g), [1.0, 1.0])

    env = make("fetch_reach", fixed_goal=(1.3, 0.8, 0.6))
    states = jax.vmap(env.reset)(jax.random.split(jax.random.PRNGKey(0), 3))
    np.testing.assert_allclose(states.obs.desired_goal, np.tile([1.3, 0.8, 0.6], (3, 1)), rtol=1e-6)


# ----------------------------------------------------------- grasped starts


def test_grasped_training_starts_hold_the_cube_while_the_fingers_close():
    """pick-and-place's training starts: with grasped_start_prob 1 every one holds the cube at
    the initial grip point; it stays in the hand while the fingers keep closing, wherever the
    gripper goes, and falls when they open. `reset` of the same key is the plain start."""
    env = make("fetch_pick_and_place", grasped_start_prob=1.0)
    plain = make("fetch_pick_and_place")
    layout = env.observation_layout
    keys = jax.random.split(jax.random.PRNGKey(3), 4)
    # (move x, y, z, fingers) held for 10 steps: up and away, down and back, still, open
    actions = jnp.array([[0.5, 0.3, 0.5, -1.0], [-0.4, -0.4, -0.2, -1.0], [0, 0, 0, -1.0],
                         [0, 0, 0, 1.0]])  # fmt: skip

    def one(key, action):
        start = env.reset_training(key)
        return start, jax.lax.scan(lambda s, _: (env.step(s, action), None), start, None, 10)[0]

    start, end = jax.jit(jax.vmap(one))(keys, actions)
    grip0 = np.asarray(env.spec.initial_gripper)
    np.testing.assert_allclose(start.obs.achieved_goal, np.tile(grip0, (4, 1)), atol=1e-6)
    assert np.allclose(start.obs.observation[:, layout["fingers"]], 0.0241, atol=1e-6)
    jax.tree.map(
        np.testing.assert_array_equal, jax.vmap(env.reset)(keys), jax.vmap(plain.reset)(keys)
    )
    rel = np.asarray(end.obs.observation[:, layout["object_rel_pos"]])
    held = np.linalg.norm(rel, axis=-1)
    assert (held[:3] < 0.01).all(), held  # in the hand, within 1 cm of the grip point
    grip = np.asarray(end.obs.observation[:, layout["grip_pos"]])
    assert grip[0, 2] > grip0[2] + 0.1 and grip[1, 0] < grip0[0] - 0.1  # it did travel
    # opened: the cube fell onto the table
    assert abs(float(end.obs.achieved_goal[3, 2]) - env.spec.object_z) < 0.005, held


def test_a_share_of_training_starts_is_grasped_and_the_rest_are_reset_s():
    env = make("fetch_pick_and_place", grasped_start_prob=0.3)
    keys = jax.random.split(jax.random.PRNGKey(0), 4000)
    trained, plain = jax.jit(jax.vmap(lambda k: (env.reset_training(k), env.reset(k))))(keys)
    held = np.all(np.isclose(trained.obs.achieved_goal, env.spec.initial_gripper), axis=-1)
    # binomial(4000, 0.3): standard deviation 0.0072
    assert abs(held.mean() - 0.3) < 4 * 0.0072, held.mean()
    # the others are exactly the plain start of their key, goal included
    jax.tree.map(lambda a, b: np.testing.assert_array_equal(a[~held], b[~held]), trained, plain)
    np.testing.assert_array_equal(trained.obs.desired_goal, plain.obs.desired_goal)


# --------------------------------------------------------------- rendering


def test_render_frame_is_not_blank():
    from her_jax.envs.fetch.render import FetchRenderer

    tr = trajectory("fetch_pick_and_place")
    renderer = FetchRenderer(tr["env"], width=160, height=120)
    image = renderer.frame(tr["first"], index=0)
    renderer.close()
    assert image.shape == (120, 160, 3) and image.dtype == np.uint8
    assert image.std() > 10 and len(np.unique(image.reshape(-1, 3), axis=0)) > 50


# ------------------------------------------------------ domain randomisation


def test_domain_randomisation_and_observation_noise():
    # slide: the object task that compiles fastest on a CPU
    env = make("fetch_slide", mass_scale=(0.5, 2.0), friction_scale=(0.5, 1.5), obs_noise=0.01)
    clean = make("fetch_slide")
    sc = env.scene
    kicked = np.array([False] * 4 + [True] * 8)
    pushed = np.array([False] * 8 + [True] * 4)
    push_newton = 2.0

    def one(key, kick, push):
        state = env.reset(key)
        # a kicked episode starts with the puck sliding at 0.5 m/s along x, away from the
        # gripper, which stands still: its deceleration is the table friction times g; a
        # pushed one also feels a constant force along its motion, which takes force / mass
        # off that deceleration, so the stepped physics shows the drawn mass too
        data = state.pipeline_state
        away = jnp.sign(data.qpos[sc.object_qpos] - data.qpos[sc.gripper_qpos])
        qvel = data.qvel.at[sc.object_qvel].set(0.5 * away * kick)  # at rest after a reset
        force = data.xfrc_applied.at[sc.object_body, 0].set(push_newton * away * push)
        state = state.replace(pipeline_state=data.replace(qvel=qvel, xfrc_applied=force))

        def body(s, k):
            a = jax.random.uniform(k, (4,), minval=-1.0, maxval=1.0) * (1 - kick)
            s = env.step(s, a)
            return s, (s.obs, s.info["is_success"], s.pipeline_state.qpos, s.pipeline_state.qvel)

        return jax.lax.scan(body, state, jax.random.split(key, 5))

    keys = jax.random.split(jax.random.PRNGKey(0), len(kicked))
    final, (obs, success, qpos, qvel) = jax.jit(jax.vmap(one))(
        keys, jnp.asarray(kicked), jnp.asarray(pushed)
    )
    assert np.isfinite(np.asarray(obs.observation)).all()
    true_obj = np.asarray(qpos[..., sc.object_qpos : sc.object_qpos + 3])
    # noise on the observation only: the achieved goal (and so the reward) stays exact
    np.testing.assert_allclose(obs.achieved_goal, true_obj)
    noise = np.asarray(obs.observation[..., 3:6]) - true_obj
    assert 0.005 < noise.std() < 0.02
    np.testing.assert_allclose(success, clean.is_success(obs.achieved_goal, obs.desired_goal))
    # one draw of mass and friction per episode, different across episodes
    models = jax.vmap(env._model)(final.rng)
    masses = np.asarray(models.body_mass[:, sc.object_body])
    assert np.unique(masses).size == len(kicked)
    mass_scale = masses / float(sc.mj_model.body_mass[sc.object_body])
    assert (mass_scale >= 0.5 - 1e-6).all() and (mass_scale <= 2.0 + 1e-6).all()
    table = sc.object_pairs[0]  # the puck-table pair
    friction = np.asarray(models.pair_friction[:, table, 0])
    scale = friction / sc.mj_model.pair_friction[table, 0]
    assert (scale >= 0.5 - 1e-6).all() and (scale <= 1.5 + 1e-6).all()
    # the stepped physics uses each episode's draw: 3 steps of 40 ms slow the kicked puck by
    # its friction times g
    decel = (0.5 - np.abs(np.asarray(qvel[:, 2, sc.object_qvel]))) / (3 * 0.04)
    slid = kicked & ~pushed
    np.testing.assert_allclose(decel[slid] / 9.81, friction[slid], rtol=0.05)
    # ... and each episode's drawn mass: the push takes 0.5 to 2 m/s^2 off (within 0.03 here),
    # where physics that kept the base 2 kg is off by 0.27 to 0.44 for 3 of these 4 draws
    expected = friction[pushed] * 9.81 - push_newton / masses[pushed]
    np.testing.assert_allclose(decel[pushed], expected, atol=0.05)
