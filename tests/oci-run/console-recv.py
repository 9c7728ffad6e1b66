#!/usr/bin/python3
"""console-recv.py SOCKET OUTFILE: listens on the unix socket SOCKET, accepts
one connection, receives a pty master over SCM_RIGHTS (as containerd and
conmon do), writes "fd-received NAME" and then everything read from the
master to OUTFILE until the other side closes (or 10 s pass)."""
import os
import select
import socket
import sys
import time

path, out = sys.argv[1], sys.argv[2]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
print("ready", flush=True)
conn, _ = srv.accept()
msg, fds, _, _ = socket.recv_fds(conn, 1024, 1)
with open(out, "w") as f:
    f.write("fd-received %s %d\n" % (msg.decode(), len(fds)))
    f.flush()
    if not fds:
        sys.exit(1)
    master = fds[0]
    os.write(master, b"typed-in\n")
    end = time.time() + 10
    while time.time() < end:
        r, _, _ = select.select([master], [], [], 0.5)
        if not r:
            continue
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        f.write(data.decode(errors="replace"))
        f.flush()
