#!/usr/bin/python3
"""Detection quality of a pattern set on labelled posts (format: tests/data/labelled/README.md).

    tests/tools/measure_quality.py build/wachtpost FILE.ndjson... [--patterns DIR] [--protected FILE] [-v]

Runs `wachtpost scan` on the files and prints recall, false-alert rate on
negatives, named-target attribution and category agreement; with -v also every
miss and false alert. Operators use it to see what a rule change does before it
goes live; the figures match tests/rules/detection_quality_test.cpp.
"""
import argparse
import json
import subprocess
import sys


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("files", nargs="+")
    ap.add_argument("--patterns")
    ap.add_argument("--protected", default="patterns/protected.example.yaml")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()

    posts = []
    for path in args.files:
        with open(path, encoding="utf-8") as f:
            posts += [json.loads(line) for line in f if line.strip()]
    command = [args.binary, "scan", "--protected", args.protected]
    if args.patterns:
        command += ["--patterns", args.patterns]
    stdin = "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in posts)
    result = subprocess.run(command + ["-"], input=stdin.encode(), capture_output=True, check=False)
    if result.returncode not in (0, 1):
        sys.stderr.write(result.stderr.decode())
        return 2
    alerts = {}
    for line in result.stdout.decode().splitlines():
        alert = json.loads(line)
        alerts.setdefault(alert["post_id"], []).append(alert)

    pos = det = neg = fa = named = attributed = cat = 0
    for post in posts:
        expect = post["expect"]
        got = alerts.get(post["id"], [])
        summary = f'{post["id"]}: {post["text"][:110]!r}'
        if expect["alert"]:
            pos += 1
            if not got:
                if args.verbose:
                    print(f"MISS  [{expect['category']}] {summary}")
                continue
            det += 1
            cat += any(a["category"] == expect["category"] for a in got)
            ids = {t.get("id") for a in got for t in a["targets"]}
            if expect["targets"]:
                named += 1
                ok = all(t in ids for t in expect["targets"])
                attributed += ok
                if not ok and args.verbose:
                    print(f"ATTR  want {expect['targets']} got {sorted(i for i in ids if i)} {summary}")
        else:
            neg += 1
            if got:
                fa += 1
                if args.verbose:
                    rules = ",".join(a["rule"] for a in got)
                    print(f"FALSE [{expect.get('note', '')}] {rules} {summary}")

    def ratio(a: int, b: int) -> str:
        return f"{a / b:.3f} ({a}/{b})" if b else "n/a"

    print(f"recall {ratio(det, pos)}, false-alert rate {ratio(fa, neg)}, "
          f"named-target attribution {ratio(attributed, named)}, category agreement {ratio(cat, det)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
