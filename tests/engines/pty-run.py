#!/usr/bin/env python3
"""Runs a command on a new pseudo-terminal (its stdin, stdout, stderr and
controlling terminal), as a person at a terminal would, for `podman run -it`,
`ctr run -t` and `docker run -it`.

Usage: pty-run.py [--timeout SECONDS] [--wait TEXT --send TEXT]... -- COMMAND...

Each --wait TEXT waits until TEXT has appeared in the output (after the
previous one), then types the --send TEXT that follows it (\\r and \\n escapes
are understood). Everything the command printed goes to stdout, with CR LF
turned into LF. The exit status is the command's (128+N for signal N), or 124
when it did not finish in time (it is then killed).
"""
import os
import pty
import select
import signal
import sys
import time


def main():
    args = sys.argv[1:]
    timeout = 30.0
    steps = []
    while args and args[0] != "--":
        opt = args.pop(0)
        if not args:
            sys.exit("pty-run: error: %s needs a value" % opt)
        val = args.pop(0)
        if opt == "--timeout":
            timeout = float(val)
        elif opt == "--wait":
            steps.append([val, None])
        elif opt == "--send":
            if not steps or steps[-1][1] is not None:
                steps.append(["", None])
            steps[-1][1] = val.replace("\\r", "\r").replace("\\n", "\n")
        else:
            sys.exit("pty-run: error: unknown option '%s'" % opt)
    if not args or len(args) < 2:
        sys.exit("usage: pty-run.py [--timeout S] [--wait T --send T]... -- COMMAND...")
    cmd = args[1:]

    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)

    out = b""
    seen = 0
    deadline = time.monotonic() + timeout
    timed_out = False
    while True:
        while steps:
            want = steps[0][0].encode()
            at = out.find(want, seen)
            if at < 0:
                break
            seen = at + len(want)
            if steps[0][1]:
                os.write(fd, steps[0][1].encode())
            steps.pop(0)
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        r, _, _ = select.select([fd], [], [], min(left, 0.5))
        if fd in r:
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: every slave descriptor was closed
                break
            if not data:
                break
            out += data
    if timed_out:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(out.replace(b"\r\n", b"\n").decode(errors="replace"))
    sys.stdout.flush()
    if timed_out:
        sys.stderr.write("pty-run: timed out after %gs; still waiting for %r\n"
                         % (timeout, steps[0][0] if steps else "the end"))
        return 124
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


if __name__ == "__main__":
    sys.exit(main())
