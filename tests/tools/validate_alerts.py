#!/usr/bin/env python3
"""Runs `wachtpost scan` over the bundled streams and checks every alert against
topics/alerts.schema.json and every input post against topics/posts.schema.json,
then checks that each match's offsets point at its bytes in the original text."""
import json
import os
import subprocess
import sys

import jsonschema

binary, root = sys.argv[1], sys.argv[2]
schema_dir = os.path.join(root, "topics")
alert_schema = json.load(open(os.path.join(schema_dir, "alerts.schema.json")))
post_schema = json.load(open(os.path.join(schema_dir, "posts.schema.json")))
jsonschema.Draft202012Validator.check_schema(alert_schema)
jsonschema.Draft202012Validator.check_schema(post_schema)
alert_validator = jsonschema.Draft202012Validator(alert_schema)
post_validator = jsonschema.Draft202012Validator(post_schema)

runs = [
    ([], os.path.join(root, "patterns/examples/posts.ndjson"), "patterns/protected.example.yaml"),
    (["--patterns", os.path.join(root, "tests/data/scan/rules")],
     os.path.join(root, "tests/data/scan/posts.ndjson"), "tests/data/scan/registry.yaml"),
]
failures = 0
checked = 0
for extra, stream, registry in runs:
    posts = {}
    with open(stream, "rb") as f:
        for number, raw in enumerate(f, 1):
            post = json.loads(raw)
            for error in post_validator.iter_errors(post):
                print(f"{stream}:{number}: post does not match posts.schema.json: {error.message}")
                failures += 1
            posts[post["id"]] = post
    env = dict(os.environ, WACHTPOST_PSEUDONYM_KEY="test-key-0123456789abcdef")
    result = subprocess.run([binary, "scan", *extra, "--protected", os.path.join(root, registry), stream],
                            capture_output=True, env=env, check=False)
    if result.returncode != 0:
        print(f"scan of {stream} exited {result.returncode}: {result.stderr.decode()}")
        failures += 1
    lines = result.stdout.decode("utf-8").splitlines()
    if not lines:
        print(f"scan of {stream} produced no alerts")
        failures += 1
    for line in lines:
        alert = json.loads(line)
        checked += 1
        for error in alert_validator.iter_errors(alert):
            print(f"alert for {alert.get('post_id')}: {error.message}")
            failures += 1
        post = posts[alert["post_id"]]
        text = post["text"].encode("utf-8")
        for match in alert["matches"]:
            got = text[match["start"]:match["end"]].decode("utf-8")
            if got != match["text"]:
                print(f"alert for {alert['post_id']}: offsets {match['start']}..{match['end']} give {got!r}, "
                      f"match says {match['text']!r}")
                failures += 1
        start = alert["excerpt_start"]
        excerpt = alert["excerpt"].encode("utf-8")
        if text[start:start + len(excerpt)] != excerpt:
            print(f"alert for {alert['post_id']}: excerpt is not the original text at excerpt_start")
            failures += 1
        author = (post.get("author") or {})
        for secret in (author.get("id"), author.get("handle")):
            if secret and secret in line:
                print(f"alert for {alert['post_id']}: author identity in clear")
                failures += 1
        if author.get("id") and "author_ref" not in alert:
            print(f"alert for {alert['post_id']}: no author_ref although a key is configured")
            failures += 1

print(f"{checked} alerts checked against the schema: {checked - min(failures, checked)} passed, {failures} failed")
sys.exit(1 if failures else 0)
