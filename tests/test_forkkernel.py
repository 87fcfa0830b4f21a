"""kzutils.forkkernel: kernels forked from a server that imported the libraries give the outputs a freshly
started kernel gives, and never outlive the process Jupyter started for them."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from kzutils import forkkernel

CELLS = [
    # pandas chooses how many columns to print when it is imported: as in a kernel, not as in a terminal
    "import pandas as pd\npd.DataFrame({f'column {i}': [i] for i in range(30)})",
    "import pandas as pd\npd.get_option('display.max_columns')",
    # the inline backend shows figures as PNG, configured when the kernel (not the server) loads it
    "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.plot([1, 2])\nplt.show()",
    "from myst_nb import glue\nglue('answer', 42)",
    "import os, sys\nprint(os.getcwd(), sys.path, sys.argv[0], os.environ.get('KZ_TEST_SETTING'))",
    "import kzutils as kz\nsorted(kz.load('votes').columns)[:3]",
]


def run(cells: list[str], folder: Path, manager: type | None) -> list[str]:
    """Execute the cells in `folder`; return each cell's outputs as JSON, memory addresses masked."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    options = {"kernel_manager_class": manager} if manager else {}
    NotebookClient(notebook, resources={"metadata": {"path": str(folder)}}, timeout=120, **options).execute()
    return [re.sub(r"0x[0-9a-f]+", "0x", json.dumps(cell.outputs, sort_keys=True)) for cell in notebook.cells]


@pytest.mark.build
def test_forked_kernels_give_the_outputs_of_fresh_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KZ_TEST_SETTING", "passed through")
    fresh = run(CELLS, tmp_path, None)
    with forkkernel.Server(tmp_path) as server:
        forked = run(CELLS, tmp_path, forkkernel.manager_class(server.socket()))
    assert forked == fresh
    assert '"20"' in fresh[1] and "image/png" in fresh[2] and "passed through" in fresh[4]


@pytest.mark.build
def test_a_killed_client_takes_its_kernel_with_it(tmp_path: Path) -> None:
    with forkkernel.Server(tmp_path) as server:
        manager = forkkernel.manager_class(server.socket())()
        manager.start_kernel()
        client = manager.client()
        client.start_channels()
        client.wait_for_ready(timeout=60)
        client.execute("import os; print(os.getpid())")
        pid = None
        while pid is None:
            message = client.get_iopub_msg(timeout=30)
            if message["msg_type"] == "stream":
                pid = int(message["content"]["text"])
        client.stop_channels()
        manager.shutdown_kernel(now=True)  # SIGKILL to the client Jupyter started
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)
        pytest.fail("the forked kernel outlived its client")


def test_the_server_stops_when_it_never_became_ready() -> None:
    with tempfile.TemporaryDirectory() as folder:
        server = forkkernel.Server(Path(folder) / "missing-folder")  # cannot bind its socket
        with pytest.raises(RuntimeError, match="did not start"):
            server.socket()
        server.close()
        assert server.process.poll() is not None


@pytest.mark.build
def test_a_notebook_whose_forked_kernel_fails_runs_in_a_fresh_one(tmp_path: Path) -> None:
    # In a process of its own, as in a build's worker: nbclient leaves an exit hook behind for the kernel it
    # could not start, which complains when that process ends.
    code = """
import sys, nbformat
from kzutils.prefill import execute
notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
_, ran, _, error, _ = execute((sys.argv[1], notebook, 60, sys.argv[2]))
print("error:", error)
print("output:", ran.cells[0].outputs[0]["text"].strip())
"""
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "page.md"), str(tmp_path / "no-server.sock")],
                          capture_output=True, text=True, timeout=300, check=False)
    assert "page: no forked kernel" in done.stdout, done.stdout + done.stderr
    assert "error: None" in done.stdout and "output: 42" in done.stdout, done.stdout + done.stderr
