"""her_jax: Hindsight Experience Replay in JAX."""

__version__ = "0.1.0"


def _import_mjx_quietly() -> None:
    """Import mujoco.mjx (which brax imports too) without its notice about warp.

    mujoco-mjx prints "Failed to import warp" (and mujoco_warp) when its optional warp backend
    is not installed. her_jax runs MJX's JAX backend only, so those lines would only alarm;
    anything else the import prints still reaches stdout.
    """
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()) as printed:
        import mujoco.mjx  # noqa: F401
    for line in printed.getvalue().splitlines():
        if not line.startswith(("Failed to import warp:", "Failed to import mujoco_warp:")):
            print(line)


_import_mjx_quietly()
