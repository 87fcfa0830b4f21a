"""Run the command line in this process: `python -m kzutils ARGS` through kzutils.__main__.main, output captured.

Fault tests call the command line often; starting a new Python for each call would cost most of the fast tier's
minute. A test about the process itself (its exit code as the shell sees it, its import time) uses
conftest.run_cli instead."""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass

from kzutils.__main__ import main


@dataclass
class Done:
    """What a finished command left: its exit code and what it printed (as subprocess.CompletedProcess)."""

    returncode: int
    stdout: str
    stderr: str


def run_here(*args: str, env: dict[str, str] | None = None) -> Done:
    """`python -m kzutils ARGS`, run in this process with `env` added to the environment for the call."""
    saved = {name: os.environ.get(name) for name in env or {}}
    out, err = io.StringIO(), io.StringIO()
    os.environ.update(env or {})
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as stop:  # argparse on a bad argument
                code = stop.code if isinstance(stop.code, int) else 1
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return Done(code, out.getvalue(), err.getvalue())
