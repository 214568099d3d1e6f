#!/usr/bin/env python3
"""The house's floors (docs/ARCHITECTURE.md), checked on every include.

Floors, lowest first: common < proto < store < node, hub.  A file may
include a header of its own floor or of a floor below; node and hub are
peers and include neither the other's headers.  The store's internal
header store/store_int.h is for the store's own files only.

Arrows the tree has today that the target removes are listed in
tests/floors/known.txt ("file -> header"): each must still be there (a
fixed one is taken off the list, so the list only shrinks), and any arrow
not on it fails.  Prints "ok -" / "not ok -" lines for tests/run.sh.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RANK = {"common": 0, "proto": 1, "store": 2, "node": 3, "hub": 3}
INC = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def floor(path):
    top = path.split("/", 1)[0]
    return top if top in RANK else None


def resolve(src, inc):
    for base in (os.path.dirname(src), "", "common", "store", "node", "hub"):
        p = os.path.normpath(os.path.join(base, inc))
        if os.path.exists(os.path.join(ROOT, p)):
            return p
    return None


def arrows():
    for top in ("common", "proto", "store", "node", "hub"):
        for name in sorted(os.listdir(os.path.join(ROOT, top))):
            if not name.endswith((".c", ".h", ".cc")):
                continue
            src = top + "/" + name
            with open(os.path.join(ROOT, src), encoding="utf-8") as f:
                for inc in INC.findall(f.read()):
                    dst = resolve(src, inc)
                    if dst is not None and floor(dst) is not None:
                        yield src, dst


def wrong(src, dst):
    a, b = floor(src), floor(dst)
    if os.path.basename(dst) == "store_int.h" and a != "store":
        return "the store's internal header, outside the store"
    if RANK[b] > RANK[a]:
        return "a floor above (%s includes %s)" % (a, b)
    if RANK[b] == RANK[a] and a != b:
        return "a peer's header (%s includes %s)" % (a, b)
    return None


def main():
    with open(os.path.join(ROOT, "tests/floors/known.txt"), encoding="utf-8") as f:
        known = {l.strip() for l in f if l.strip() and not l.startswith("#")}
    seen, bad = set(), 0
    for src, dst in arrows():
        why = wrong(src, dst)
        if why is None:
            continue
        arrow = "%s -> %s" % (src, dst)
        seen.add(arrow)
        if arrow not in known:
            print("not ok - %s: %s; include from a floor below, or see docs/ARCHITECTURE.md" % (arrow, why))
            bad += 1
    for arrow in sorted(known - seen):
        print("not ok - %s is fixed: take it off tests/floors/known.txt" % arrow)
        bad += 1
    if bad == 0:
        print("ok - every include keeps to the floors (%d known arrows left to remove)" % len(known))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
