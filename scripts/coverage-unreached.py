#!/usr/bin/env python3
"""The lines and branches of core/src an engine never reached, from an lcov export of its
coverage profile (scripts/coverage). Usage: coverage-unreached.py ROOT FILE.lcov ENGINE.

Prints, file by file, each unreached line with its source and each branch one of whose arms
never ran (which arm: `then`/`else` for the two arms of a condition), then one summary line.
"""
import collections
import os
import sys


def main():
    root, lcov, engine = sys.argv[1:4]
    lines = collections.defaultdict(dict)  # file -> line -> count (max over instantiations)
    branches = collections.defaultdict(dict)  # file -> (line, block, arm) -> taken
    functions = collections.defaultdict(dict)  # file -> name -> count
    current = None
    with open(lcov) as f:
        for raw in f:
            raw = raw.strip()
            if raw.startswith("SF:"):
                current = raw[3:]
            elif raw.startswith("DA:"):
                line, count = raw[3:].split(",")[:2]
                n = int(line)
                lines[current][n] = max(lines[current].get(n, 0), int(count))
            elif raw.startswith("BRDA:"):
                line, block, arm, taken = raw[5:].split(",")
                key = (int(line), block, arm)
                hit = 0 if taken == "-" else int(taken)
                branches[current][key] = max(branches[current].get(key, 0), hit)
            elif raw.startswith("FNDA:"):
                count, name = raw[5:].split(",", 1)
                functions[current][name] = max(functions[current].get(name, 0), int(count))

    totals = collections.Counter()
    for path in sorted(lines):
        rel = os.path.relpath(path, root)
        try:
            source = open(path).read().splitlines()
        except OSError:
            source = []
        text = lambda n: source[n - 1].strip() if 0 < n <= len(source) else ""
        missed_lines = sorted(n for n, c in lines[path].items() if c == 0)
        # Branch arms grouped by their condition (line, block): `then` is arm 0.
        by_condition = collections.defaultdict(dict)
        for (n, block, arm), hit in branches[path].items():
            by_condition[(n, block)][arm] = hit
        missed_arms = []
        for (n, block), arms in sorted(by_condition.items()):
            for arm, hit in sorted(arms.items()):
                if hit == 0:
                    name = {"0": "then", "1": "else"}.get(arm, f"arm {arm}") if len(arms) == 2 else f"arm {arm}"
                    missed_arms.append((n, name))
        totals["lines"] += len(lines[path])
        totals["lines hit"] += len(lines[path]) - len(missed_lines)
        totals["arms"] += len(branches[path])
        totals["arms hit"] += sum(1 for h in branches[path].values() if h > 0)
        if missed_lines or missed_arms:
            print(f"{rel}:")
            for n in missed_lines:
                print(f"  {n:5} line never ran      {text(n)}")
            for n, arm in missed_arms:
                print(f"  {n:5} branch {arm:4} never   {text(n)}")
    pct = lambda a, b: f"{100.0 * a / b:.1f} %" if b else "-"
    print(
        f"{engine}: lines {totals['lines hit']}/{totals['lines']} ({pct(totals['lines hit'], totals['lines'])}), "
        f"branch arms {totals['arms hit']}/{totals['arms']} ({pct(totals['arms hit'], totals['arms'])})"
    )


if __name__ == "__main__":
    main()
