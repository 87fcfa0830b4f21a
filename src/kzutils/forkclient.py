"""Stand in for a kernel that kzutils.forkkernel forks: `python -I -S forkclient.py SOCKET -f CONNECTION_FILE`.

Jupyter starts this script as if it were the kernel. It sends the fork server its arguments, working folder,
environment and standard streams, passes on the signals Jupyter sends (interrupt, terminate), and exits
with the kernel's exit code. It imports only the standard library, so it starts in milliseconds. If it is
killed, the kernel's end of a pipe closes and the kernel exits as well.
"""

import json
import os
import signal
import socket
import sys

HEADER = 8


def main() -> int:
    """Request a kernel, relay signals to it, and return its exit code."""
    path, argv = sys.argv[1], sys.argv[2:]
    watch_read, watch_write = os.pipe()  # the kernel reads EOF here once this process is gone
    body = json.dumps({"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ)}).encode()
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.connect(path)
    socket.send_fds(connection, [len(body).to_bytes(HEADER, "big")], [0, 1, 2, watch_read])
    connection.sendall(body)
    os.close(watch_read)
    replies = connection.makefile("r")
    pid = int(replies.readline())
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(number, lambda received, _frame: os.kill(pid, received))
    line = replies.readline()
    return int(line) if line.strip() else 1


if __name__ == "__main__":
    sys.exit(main())
