"""Start the book's notebook kernels by forking one process that has imported the libraries already.

A fresh kernel spends most of a second starting Python and ipykernel, and more than a second importing
pandas, matplotlib and kzutils, before a page's first line runs: on this book about half the execution
time. `serve` imports them once, then forks a kernel for each request: every notebook still runs in a
process of its own, with a fresh namespace, its own working folder and environment, and the real ipykernel
(so outputs are those a normally started kernel gives). Only imports are done ahead: no data is loaded, no
figure is made, no setting is changed.

Kernels are requested through a kernel spec (`kernel_spec`) whose command is `forkclient.py`, a stdlib-only
script that hands the server its connection file, folder, environment and standard streams, stands in for
the kernel's process towards Jupyter (signals are passed on), and exits with the kernel. If the client is
killed, the kernel notices (a pipe closes) and exits too.

Used by kzutils.prefill (through `Server`).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

HEADER = 8  # bytes giving the length of the request that follows
INLINE = "module://matplotlib_inline.backend_inline"  # what ipykernel sets when MPLBACKEND is unset
# What every page imports, less the modules that look at the running IPython when they are imported: the
# inline backend configures the kernel's display of figures on import, so it is left to the kernel.
PRELOAD = ("ipykernel.kernelapp", "ipykernel.ipkernel", "matplotlib.pyplot", "myst_nb", "kzutils",
           "kzutils.facts", "kzutils.style", "kzutils.tables", "kzutils.maps")
CLIENT = Path(__file__).with_name("forkclient.py")
# sys.argv[0] of a kernel started as `python -m ipykernel_launcher`.
LAUNCHER = "ipykernel_launcher.py"


class _KernelShell:
    """Stands for a kernel's shell while pandas is imported: pandas chooses its default number of printed
    columns on import (20 in a kernel, "fit the terminal" elsewhere), and must choose as in a kernel."""

    kernel = True


def preload() -> None:
    """Import what every kernel imports, as a kernel would: with its backend, and pandas' kernel defaults."""
    import builtins

    os.environ.setdefault("MPLBACKEND", INLINE)
    builtins.get_ipython = _KernelShell  # type: ignore[attr-defined]
    try:
        importlib.import_module("pandas")
    finally:
        del builtins.get_ipython  # type: ignore[attr-defined]
    for name in PRELOAD:
        importlib.import_module(name)
    global LAUNCHER
    LAUNCHER = importlib.util.find_spec("ipykernel_launcher").origin or LAUNCHER


def serve(path: Path) -> None:
    """Accept kernel requests on the Unix socket `path` until a stop request; fork a kernel for each."""
    preload()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(16)
    print("ready", flush=True)
    while True:
        connection, _ = listener.accept()
        try:
            request, fds = receive(connection)
        except (OSError, ValueError):  # a client that died while asking: serve the next one
            connection.close()
            continue
        if request.get("stop"):
            connection.close()
            break
        if not {"argv", "cwd", "env"} <= set(request) or len(fds) != 4:
            for fd in fds:
                os.close(fd)
            connection.close()
            continue
        pid = os.fork()
        if pid == 0:
            listener.close()
            connection.close()
            run_kernel(request, fds)  # never returns
        for fd in fds:
            os.close(fd)
        connection.sendall(f"{pid}\n".encode())
        threading.Thread(target=report_exit, args=(pid, connection), daemon=True).start()
    listener.close()


def receive(connection: socket.socket) -> tuple[dict[str, Any], list[int]]:
    """One request: its JSON and the file descriptors sent with it."""
    head, fds, _, _ = socket.recv_fds(connection, HEADER, 8)
    size = int.from_bytes(head, "big")
    body = b""
    while len(body) < size:
        chunk = connection.recv(size - len(body))
        if not chunk:
            break
        body += chunk
    return json.loads(body or b"{}"), list(fds)


def report_exit(pid: int, connection: socket.socket) -> None:
    """Wait for a kernel to end and tell its client the exit code."""
    _, status = os.waitpid(pid, 0)
    with contextlib.suppress(OSError):
        connection.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())
    connection.close()


def run_kernel(request: dict[str, Any], fds: list[int]) -> None:
    """In the forked child: become the requested kernel, as `python -m ipykernel_launcher ARGS` would."""
    code = 1
    try:
        os.setsid()  # like a kernel Jupyter starts: a session of its own, out of the build's Ctrl-C
        stdin, stdout, stderr, watch = fds
        for fd, target in ((stdin, 0), (stdout, 1), (stderr, 2)):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        threading.Thread(target=exit_with_client, args=(watch,), daemon=True).start()
        from ipykernel import kernelapp

        # ipykernel reads its parent's pid from the environment when it is imported, which here was in the
        # server: give it the one this kernel's client was started with.
        parent = [f"--IPKernelApp.parent_handle={os.environ['JPY_PARENT_PID']}"] if os.environ.get(
            "JPY_PARENT_PID", "").isdigit() else []
        sys.argv = [LAUNCHER, *request["argv"], *parent]
        kernelapp.launch_new_instance()
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 0
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def exit_with_client(watch: int) -> None:
    """End this kernel when its client's end of the pipe closes (the client was killed)."""
    while os.read(watch, 1):
        pass
    os._exit(1)


def kernel_spec(socket_path: Path) -> dict[str, Any]:
    """A Jupyter kernel spec (kernel.json content) whose kernels come from the server on `socket_path`."""
    return {"argv": [sys.executable, "-I", "-S", str(CLIENT), str(socket_path), "-f", "{connection_file}"],
            "display_name": "Python 3 (kzutils fork server)", "language": "python",
            "interrupt_mode": "signal", "metadata": {"debugger": False}}


class Server:
    """A fork server started in the background: it imports while its starter does other work; `socket()`
    waits until it is ready. Use it as a context manager: leaving stops it (or kills it if not ready yet)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "kernels.sock"
        self.ready: bool | None = None
        # Run this file as a script (`-m kzutils.forkkernel` would import kzutils, and so pandas, before
        # preload), with nothing put before the standard library on sys.path, as ipykernel_launcher leaves it,
        # and without -P, which would keep IPython from adding the working folder as it does in a kernel.
        boot = f"import runpy, sys; del sys.path[0]; runpy.run_path({str(Path(__file__))!r}, run_name='__main__')"
        self.process = subprocess.Popen([sys.executable, "-c", boot, str(self.path)], stdout=subprocess.PIPE,
                                        text=True)

    def socket(self) -> Path:
        """The server's socket, once it has imported everything; RuntimeError if it failed to start."""
        if self.ready is None:
            self.ready = bool(self.process.stdout) and self.process.stdout.readline().strip() == "ready"
        if not self.ready:
            raise RuntimeError(f"the kernel fork server did not start (exit {self.process.poll()})")
        return self.path

    def close(self) -> None:
        """Stop the server: ask it to, if it is serving; else end it."""
        if self.ready:
            with contextlib.suppress(OSError):
                stop(self.path)
            try:
                self.process.wait(timeout=10)
                return
            except subprocess.TimeoutExpired:
                pass
        self.process.kill()
        self.process.wait()

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def stop(path: Path) -> None:
    """Ask the server on `path` to stop accepting requests."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(str(path))
        body = json.dumps({"stop": True}).encode()
        socket.send_fds(connection, [len(body).to_bytes(HEADER, "big")], [])
        connection.sendall(body)


def main(argv: list[str] | None = None) -> int:
    """Command line: serve kernels on the given socket path."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: forkkernel.py SOCKET", file=sys.stderr)
        return 2
    serve(Path(args[0]))
    return 0


def manager_class(socket_path: Path) -> type:
    """A jupyter_client KernelManager whose kernels the server on `socket_path` forks (pass it to nbclient)."""
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import KernelManager

    spec = KernelSpec(resource_dir=str(CLIENT.parent), **kernel_spec(socket_path))

    class ForkedKernelManager(KernelManager):
        @property
        def kernel_spec(self) -> KernelSpec:
            return spec

    return ForkedKernelManager


if __name__ == "__main__":
    sys.exit(main())
