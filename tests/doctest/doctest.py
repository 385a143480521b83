#!/usr/bin/env python3
"""tests/doctest/doctest.py B [--smoke] [FILE.md ...]: runs the commands the docs show.

Reads the fenced ```sh blocks of the given Markdown files (default: README.md,
docs/*.md, examples/lectures/README.md). In a block, a line starting with `$ `
is a command; the lines under it, up to the next command or the end of the
block, are its expected output (stdout and stderr together). Conventions, also
described in docs/tutorial.md ("How the commands on these pages are checked"):

- `netc` and `build/netc` mean the netc of the build directory B. A command
  line ending in `\` continues on the next line.
- Commands run with bash from a scratch copy of the repository root (every
  top-level entry symlinked, `build` pointing at B), one per Markdown file, so
  the files a page's commands write (xor.weights, out/) are there for its later
  commands and never land in the working tree.
- Output lines are compared after trailing blanks are dropped. A line `...`
  stands for any number of lines (none included); `...` inside a line stands
  for any text (timings, values that vary).
- A command with no output shown is only required to succeed. A command whose
  shown output has an `error:` line must fail (status 1); any other must exit 0,
  unless its output ends with a line `[exit N]`: then it must exit with N.
- A block with a command that reads `data/mnist` is skipped, with a message,
  when B/data/mnist is absent (`make mnist` fetches it). An HTML comment on the
  line before the fence marks a block: `<!-- doctest: slow -->` (skipped by
  --smoke, the subset `make test` runs, as are the MNIST blocks), `<!-- doctest:
  needs TOOL -->` (skipped with a message when TOOL is not on the PATH).

Prints `ok   doctest/FILE:LINE` or `FAIL doctest/FILE:LINE ...` per command."""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile


def blocks(path):
    """Yields (line number of the fence, marker text, [(line no, text)]) per ```sh block."""
    with open(path) as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^(\s*)```(\w*)\s*$", lines[i])
        if not m:
            i += 1
            continue
        indent, lang, start = m.group(1), m.group(2), i
        marker = lines[i - 1] if i > 0 and "doctest:" in lines[i - 1] else ""
        body = []
        i += 1
        while i < len(lines) and not re.match(r"^\s*```\s*$", lines[i]):
            body.append((i + 1, lines[i][len(indent):] if lines[i].startswith(indent) else lines[i]))
            i += 1
        i += 1
        if lang == "sh" and any(t.startswith("$ ") for _, t in body):
            yield start + 1, marker, body


def commands(body):
    """[(line no, command, [expected lines])] of one block."""
    out = []
    cont = False
    for no, text in body:
        if cont:
            out[-1] = (out[-1][0], out[-1][1] + "\n" + text, out[-1][2])
        elif text.startswith("$ "):
            out.append((no, text[2:], []))
        elif out:
            out[-1][2].append(text.rstrip())
        cont = bool(out) and text.endswith("\\") and not out[-1][2]
    for _, _, exp in out:
        while exp and exp[-1] == "":
            exp.pop()
    return out


def line_matches(pattern, line):
    if "..." not in pattern:
        return pattern == line
    rx = ".*".join(re.escape(p) for p in pattern.split("..."))
    return re.fullmatch(rx, line) is not None


def output_matches(expected, actual):
    """Expected lines (with `...` wildcards) against actual lines."""
    memo = {}

    def m(i, j):
        if (i, j) in memo:
            return memo[(i, j)]
        if i == len(expected):
            r = j == len(actual)
        elif expected[i] == "...":
            r = m(i + 1, j) or (j < len(actual) and m(i, j + 1))
        else:
            r = j < len(actual) and line_matches(expected[i], actual[j]) and m(i + 1, j + 1)
        memo[(i, j)] = r
        return r

    sys.setrecursionlimit(10000 + 4 * (len(expected) + len(actual)))
    return m(0, 0)


def scratch_root(repo, build):
    root = tempfile.mkdtemp(prefix="netc-doctest-")
    for entry in os.listdir(repo):
        if entry in (".git", "build"):
            continue
        os.symlink(os.path.join(repo, entry), os.path.join(root, entry))
    os.symlink(build, os.path.join(root, "build"))
    bindir = os.path.join(root, ".bin")
    os.mkdir(bindir)
    os.symlink(os.path.join(build, "netc"), os.path.join(bindir, "netc"))
    return root, bindir


def run_file(path, build, smoke, env):
    repo = os.getcwd()
    root, bindir = scratch_root(repo, build)
    env = dict(env, PATH=bindir + os.pathsep + env["PATH"])
    has_mnist = os.path.isdir(os.path.join(build, "data", "mnist"))
    failed = 0
    try:
        for fence, marker, body in blocks(path):
            cmds = commands(body)
            needs_mnist = any("data/mnist" in c for _, c, _ in cmds)
            if needs_mnist and not has_mnist:
                print("skip doctest/%s:%d: needs MNIST (run `make mnist`)" % (path, fence))
                continue
            tools = [t for t in re.findall(r"needs ([\w.+-]+)", marker) if not shutil.which(t)]
            if tools:
                print("skip doctest/%s:%d: needs %s" % (path, fence, ", ".join(tools)))
                continue
            if smoke and ("slow" in marker or needs_mnist):
                print("skip doctest/%s:%d: slow (make doctest runs it)" % (path, fence))
                continue
            for no, cmd, expected in cmds:
                failed += run_command(path, no, cmd, expected, root, env)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return failed


def run_command(path, no, cmd, expected, root, env):
    p = subprocess.run(["bash", "-c", cmd], cwd=root, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=600)
    text = p.stdout.decode("utf-8", "replace")
    actual = [line.rstrip() for line in text.split("\n")]
    while actual and actual[-1] == "":
        actual.pop()
    want = 1 if any("error:" in e for e in expected) else 0
    m = re.fullmatch(r"\[exit (\d+)\]", expected[-1]) if expected else None
    if m:
        want = int(m.group(1))
        expected = expected[:-1]
    status_ok = p.returncode == want
    out_ok = not expected or output_matches(expected, actual)
    name = "doctest/%s:%d" % (path, no)
    if status_ok and out_ok:
        print("ok   %s" % name)
        return 0
    print("--- %s: $ %s" % (name, cmd))
    if not status_ok:
        print("exit status %d, want %d" % (p.returncode, want))
    if not out_ok:
        print("expected:")
        print("\n".join("  | " + e for e in expected))
        print("got:")
        print("\n".join("  | " + a for a in actual[:40]))
    print("FAIL %s" % name)
    return 1


def main():
    args = sys.argv[1:]
    build = os.path.abspath(args.pop(0) if args else "build")
    smoke = "--smoke" in args
    files = [a for a in args if a != "--smoke"]
    if not files:
        files = ["README.md"] + sorted(glob.glob("docs/*.md")) + ["examples/lectures/README.md"]
    env = dict(os.environ)
    env["NETC_CACHE_DIR"] = env.get("NETC_CACHE_DIR") or tempfile.mkdtemp(prefix="netc-cache-")
    failed = sum(run_file(f, build, smoke, env) for f in files)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
