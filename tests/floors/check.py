#!/usr/bin/env python3
"""The house's floors (docs/ARCHITECTURE.md), checked on every include.

Floors, lowest first: common < proto < store < node, hub.  A file may
include a header of its own floor or of a floor below; node and hub are
peers and include neither the other's headers.  The store's internal
header store/store_int.h is for the store's own files only.

Arrows the tree has today that the target removes are listed in
tests/floors/known.txt ("file -> header"): each must still be there (a
fixed one is taken off the list, so the list only shrinks), and any arrow
not on it fails.  Then, from the built objects' symbols (nm, under
$KT_BUILD), no files of one floor may call each other in a circle.  Last,
the walls inside files: every commit through kt_txn_commit, no LMDB table
call above the store (but the hub's own codec), no field number written as
a literal outside proto/, and no source file over 1,000 lines.  Prints "ok -" / "not ok -" lines for tests/run.sh.
"""
import collections
import glob
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RANK = {"common": 0, "proto": 1, "store": 2, "node": 3, "hub": 3}
INC = re.compile(r'^\s*#\s*include\s+["<]([^">]+)[">]', re.M)


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


def calls(build):
    """File -> the files of its own floor it calls, from the objects' nm."""
    defined, wants = {}, collections.defaultdict(set)
    for obj in glob.glob(os.path.join(build, "*", "*.o")):
        src = os.path.relpath(obj, build)[:-2]
        if floor(src + ".c") is None:
            continue
        out = subprocess.run(["nm", obj], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            f = line.split()
            if len(f) == 3 and f[1] in "TDBRC":
                defined[f[2]] = src
            elif len(f) == 2 and f[0] == "U":
                wants[src].add(f[1])
    graph = collections.defaultdict(set)
    for src, names in wants.items():
        for name in names:
            dst = defined.get(name)
            if dst is not None and dst != src and floor(dst + ".c") == floor(src + ".c"):
                graph[src].add(dst)
    return graph


def circles(graph):
    """The strongly connected sets of two or more files (Tarjan's algorithm)."""
    index, low, stack, on, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def no_circles():
    """No two files of one floor call each other, however far round."""
    build = os.path.join(ROOT, os.environ.get("KT_BUILD", "build"))
    graph = calls(build)
    if not graph:
        print("not ok - no objects in %s to read the calls from (build first)" % build)
        return 1
    bad = circles(graph)
    for comp in bad:
        print("not ok - the files %s call each other in a circle; move what they share "
              "to a file below them (docs/ARCHITECTURE.md)" % ", ".join(comp))
    if not bad:
        print("ok - no circle of calls among the files of one floor (%d files)" % len(graph))
    return 1 if bad else 0


def sources(tops, exts=(".c", ".h", ".cc")):
    for top in tops:
        for dirpath, _, names in os.walk(os.path.join(ROOT, top)):
            for name in sorted(names):
                if name.endswith(exts):
                    path = os.path.join(dirpath, name)
                    yield os.path.relpath(path, ROOT), open(path, encoding="utf-8").read()


# The walls issue 14 raised inside files, each as a pattern, where it may
# stand, and what to do instead.
RULES = [
    (re.compile(r"\bmdb_txn_commit\s*\("), {"store/base.c"},
     "a commit outside kt_txn_commit (store/base.c), the one place a fault test hooks"),
    (re.compile(r"\bmdb_(get|put|del|drop|stat|cursor_open)\s*\("), None,
     "an LMDB table call above the store: add a store call (store.h)"),
    (re.compile(r"\bfield\s*[!=]=\s*[0-9]+\b|\bkt_reckey\([^;]*?,\s*[0-9]+\s*,"), None,
     "a field number written as a literal: name it in proto/schema.h"),
]
# Where the LMDB rule allows a table call above the store: the hub's own codec.
LMDB_ABOVE = {"hub/hub_store.c"}


def walls():
    """The walls above, and no source file over ~1,000 lines (STYLE.md)."""
    bad = 0
    for path, text in sources(("common", "proto", "store", "node", "hub", "tests/unit",
                               "tests/bench", "tests/fuzz")):
        top = path.split("/", 1)[0]
        if top in ("common", "proto", "store", "node", "hub"):
            for i, (pat, allowed, what) in enumerate(RULES):
                if allowed is not None and path in allowed:
                    continue
                if i == 1 and (top in ("common", "proto", "store") or path in LMDB_ABOVE):
                    continue
                if i == 2 and top == "proto":
                    continue
                for m in pat.finditer(text):
                    line = text.count("\n", 0, m.start()) + 1
                    print("not ok - %s:%d: %s" % (path, line, what))
                    bad += 1
        n = text.count("\n")
        if n > 1000 and not path.endswith("han_table.h"):
            print("not ok - %s has %d lines: split it along its seams (no file over ~1,000)"
                  % (path, n))
            bad += 1
    if bad == 0:
        print("ok - one commit helper, no LMDB table call above the store but the hub's "
              "codec, no field-number literal outside proto/, no file over 1,000 lines")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main() | no_circles() | walls())
