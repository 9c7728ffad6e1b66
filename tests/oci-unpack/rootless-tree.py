#!/usr/bin/python3
"""rootless-tree.py --owner UID:GID ROOT

Lists a tree that oci-unpack (or umoci) extracted rootless, in the format of
tests/fixtures/tree-list.py, with the owner each entry has in the image: the
user.rootlesscontainers xattr (protobuf Resource {uid = 1; gid = 2},
4294967295 = the file's own, i.e. 0 in the container) decoded into the
UID:GID column and left out of the xattrs. Every entry must be owned by
UID:GID on disk (the caller, as this process sees it): one that is not is
listed with "WRONG-HOST-OWNER a:b" in its owner column, so that the
comparison with the expected listing fails."""
import os
import subprocess
import sys

NOOP = 4294967295
KEY = "user.rootlesscontainers"


def varint(b, i):
    x = shift = 0
    while True:
        c = b[i]
        i += 1
        x |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return x, i


def decode(b):
    v = {1: 0, 2: 0}
    i = 0
    while i < len(b):
        tag = b[i]
        i += 1
        x, i = varint(b, i)
        v[tag >> 3] = x
    return [0 if v[k] == NOOP else v[k] for k in (1, 2)]


def main():
    args = sys.argv[1:]
    if len(args) != 3 or args[0] != "--owner":
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    want = args[1]
    root = args[2]
    here = os.path.dirname(os.path.abspath(__file__))
    lister = os.path.join(here, "..", "fixtures", "tree-list.py")
    out = subprocess.run([sys.executable, lister, root], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    for line in out.splitlines():
        f = line.split("\t")
        full = os.path.join(root, f[0].lstrip("/"))
        if f[3] != want:
            f[3] = "WRONG-HOST-OWNER " + f[3]
        else:
            owner = [0, 0]
            try:
                owner = decode(os.getxattr(full, KEY, follow_symlinks=False))
            except OSError:
                pass
            f[3] = "%d:%d" % tuple(owner)
        if f[5] != "-":
            xa = [x for x in f[5].split(",") if not x.startswith(KEY + "=")]
            f[5] = ",".join(xa) or "-"
        print("\t".join(f))


main()
