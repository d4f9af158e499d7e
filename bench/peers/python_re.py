#!/usr/bin/python3
"""The peer a Python shop would write: json.loads and the `re` module.

    python_re.py --corpus FILE --expressions FILE [--seconds S] [--repeat R]

Reads the corpus into memory, then for each line: json.loads, skip posts that
are not public, and try the text against every expression (re.search), as
wachtpost_engine_bench's pcre2_jit peer does: the question is which
expressions match, so no expression is skipped once one has matched.
The expressions come from `wachtpost_engine_bench --export-expressions FILE`
with Hyperscan's flags spelled out; they get the same meaning here: ASCII \\w
and \\b unless `ucp` (re.ASCII), re.IGNORECASE for `caseless`, and so on.
Expressions `re` refuses are skipped and counted.

The first pass runs until --seconds have gone; the further passes run over
the same posts and the best pass counts. When that is a prefix of the file,
the rate stands for the whole (the benchmark corpus is uniform) and the
output says so. Prints one JSON object on stdout. Standard library only.
"""

import argparse
import json
import platform
import re
import sys
import time


def compile_expressions(path):
    with open(path, encoding="utf-8") as f:
        entries = json.load(f)
    compiled, refused = [], []
    for entry in entries:
        flags = 0
        if not entry.get("ucp", False):
            flags |= re.ASCII  # Hyperscan without HS_FLAG_UCP: \w, \b, \s are ASCII
        if entry.get("caseless", False):
            flags |= re.IGNORECASE
        if entry.get("dotall", False):
            flags |= re.DOTALL
        if entry.get("multiline", False):
            flags |= re.MULTILINE
        try:
            compiled.append(re.compile(entry["expression"], flags))
        except (re.error, OverflowError, RecursionError) as e:
            refused.append(f"{entry['expression']}: {e}")
    return compiled, len(entries), refused


def one_pass(lines, expressions, limit, budget):
    """Posts with a match, and how many lines were done (all of `limit`, or
    fewer when `budget` seconds ran out first)."""
    matched = 0
    started = time.perf_counter()
    for done, line in enumerate(lines[:limit], start=1):
        post = json.loads(line)
        if post.get("visibility") != "public":
            continue
        text = post["text"]
        hit = False
        for expression in expressions:
            if expression.search(text) is not None:
                hit = True
        matched += hit
        if budget is not None and done % 16 == 0 and time.perf_counter() - started > budget:
            return matched, done, time.perf_counter() - started
    return matched, min(limit, len(lines)), time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", required=True, help="newline-delimited posts (bench/tools/make_corpus.py)")
    parser.add_argument("--expressions", required=True, help="from wachtpost_engine_bench --export-expressions")
    parser.add_argument("--seconds", type=float, default=5.0, help="time for the first pass (default 5)")
    parser.add_argument("--repeat", type=int, default=3, help="passes; the best counts (default 3)")
    args = parser.parse_args()
    if args.repeat < 1 or args.seconds <= 0:
        parser.error("--repeat must be at least 1 and --seconds positive")

    started = time.perf_counter()
    expressions, total, refused = compile_expressions(args.expressions)
    compile_seconds = time.perf_counter() - started
    with open(args.corpus, "rb") as f:
        lines = [line for line in f.read().split(b"\n") if line.strip()]

    matched, measured, best = one_pass(lines, expressions, len(lines), args.seconds)
    for _ in range(args.repeat - 1):
        again, _, took = one_pass(lines, expressions, measured, None)
        if again != matched:
            sys.exit(f"python_re.py: passes disagree ({again} vs {matched} posts matched)")
        best = min(best, took)
    line_bytes = sum(len(line) + 1 for line in lines[:measured])
    result = {
        "engine": "python_re",
        "python": platform.python_version(),
        "what": "json.loads + public filter + re.search of every expression, one thread",
        "posts_per_s": round(measured / best, 1),
        "mb_per_s": round(line_bytes / best / 1e6, 3),
        "best_seconds": round(best, 6),
        "passes": args.repeat,
        "posts_measured": measured,
        "posts_total": len(lines),
        "posts_matched": matched,
        "extrapolated": measured < len(lines),
        "expressions_used": len(expressions),
        "expressions_skipped": len(refused),
        "first_refusal": refused[0] if refused else "",
        "compile_seconds": round(compile_seconds, 3),
    }
    if measured < len(lines):
        result["extrapolation"] = (f"measured on the first {measured} of {len(lines)} posts; the rate stands for "
                                   "the whole corpus, which is uniform")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
