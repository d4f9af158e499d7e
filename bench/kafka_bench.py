#!/usr/bin/python3
"""wachtpost end to end on Kafka, beside the transport limit and a Python peer.

    kafka_bench.py --wachtpost build/wachtpost [--corpus FILE] [--json OUT] [--quick]

Starts `wachtpost mock-cluster` (librdkafka's mock cluster, three brokers on
loopback), produces the corpus (NDJSON posts, bench/tools/make_corpus.py) into
wachtpost.posts and measures, each reading that whole topic from the beginning:

  kcat       kcat -C -o beginning -e > /dev/null: the transport limit
  wachtpost  wachtpost run --exit-at-eof, fresh group each time
  python     a confluent-kafka consumer that json.loads each post and matches
             its text with `re` against the engine bench's expressions

then the latency of alerts at 50% and 90% of wachtpost's rate: wachtpost run
on a fresh mock cluster, posts produced at a steady paced rate, and per alert
the time from the post's produce call to the alert (its Kafka timestamp, and
when a read_committed consumer of wachtpost.alerts got it).

Prints a table; --json OUT writes every figure as one JSON object.
bench/README.md ("kafka") says what each figure means and what it leaves out.
Runs on Debian's /usr/bin/python3 (python3-confluent-kafka); standard library
and confluent_kafka only. Every process it starts is stopped on exit, error or
Ctrl-C.
"""

import argparse
import json
import math
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

POSTS_TOPIC = "wachtpost.posts"
# kcat_wait10: kcat with fetch.wait.max.ms=10. The mock answers a fetch that
# finds no data only after the fetch's whole wait (500 ms by default; a real
# broker answers as soon as data arrives), and a consumer reading to the end
# ends on such fetches: this row shows the transport without that wait.
CONSUMERS = ("kcat", "kcat_wait10", "wachtpost", "python")
ALERTS_TOPIC = "wachtpost.alerts"

# librdkafka 2.0.2's mock cluster keeps about 5 MiB of record batches per
# partition and drops the oldest batches beyond that (the low watermark moves
# up). Measured here: 200,000 posts of 350 bytes over 12 partitions (5.8 MB a
# partition) kept 164,291; 150,000 (4.4 MB a partition) kept all. The corpus
# produced for the throughput runs is capped to this share of it, and the
# watermarks are checked after producing.
MOCK_PARTITION_BYTES = 5 * 1024 * 1024
MOCK_BUDGET_SHARE = 0.85
RECORD_OVERHEAD_BYTES = 40  # record header, key, batch header share (measured ~30)

# Stand-in expressions for the Python peer, used only when no expression file
# is given and bench/wachtpost_engine_bench (next to the wachtpost binary) is
# not there to export the shipped set's expressions.
# TODO(lead): once build/bench/wachtpost_engine_bench exists this list is no
# longer used (the script runs `wachtpost_engine_bench --export-expressions`
# itself); delete it then, or pass --expressions FILE.
STANDIN_EXPRESSIONS = [
    r"\b(kill|murder|shoot|stab|strangle|hang|behead|execute)\b",
    r"\b(dood|vermoord|neersteken|neerschieten|ophangen|afmaken|kapotmaken)\b",
    r"\b(bomb|blow up|explode|torch|burn down|set fire)\b",
    r"\b(opblazen|in brand|de lucht in|fik|bom)\b",
    r"\b(judge|judges|magistrate|prosecutor|mayor|minister|mp|mps|senator|councillor)\b",
    r"\b(rechter|officier van justitie|burgemeester|wethouder|minister|kamerlid|premier)\b",
    r"\b(journalist|reporter|columnist|verslaggever|journaliste|lawyer|advocaat|barrister)\b",
    r"\bi know where (you|he|she|they) (live|lives|sleep|sleeps)\b",
    r"\bik weet waar (je|jij|hij|zij) (woont|slaapt)\b",
    r"\b(your|je|jouw) (kids|children|family|wife|husband|kinderen|gezin|vrouw|man)\b",
    r"\b(watch your back|let maar op|pas maar op|you'?ve been warned|je bent gewaarschuwd)\b",
    r"\b(deserves? to die|moet dood|verdient de kogel|should be shot|moet hangen)\b",
    r"\bput (him|her|them) in the ground\b",
    r"\b(gun|knife|rifle|pistol|mes|pistool|geweer|kogel|bullet)s?\b",
    r"\b(molotov|petrol|benzine|brandbom|fireworks|vuurwerkbom)\b",
    r"\b(address|adres|huisadres|home address)\b",
    r"\b(countdown|days left|dagen nog|your days are numbered|je dagen zijn geteld)\b",
    r"\b(someone should|iemand moet|iemand zou)\b",
    r"\b(run (him|her) over|rij (hem|haar) (dood|omver)|over (hem|haar) heen)\b",
    r"\b(beat|batter|smash|slaan|in elkaar|aftuigen|tuigen)\b",
    r"\b(hunt|jagen|opjagen|track down|opsporen)\b",
    r"\b(acid|zuur|poison|vergif|vergiftigen)\b",
    r"\b(rape|verkracht|verkrachten)\b",
    r"\b(kidnap|ontvoer|ontvoeren)\b",
    r"\b(outside (your|his|her) (house|home|office)|voor (je|zijn|haar) deur)\b",
    r"\b(we'?re coming|we komen eraan|we come for you|we komen je halen)\b",
    r"\b(tonight|vanavond|tomorrow|morgen)\b.{0,40}\b(house|huis|car|auto)\b",
    r"\b(car|auto) .{0,20}(burn|brand|fik)",
    r"\b(noose|strop|galg|gallows|guillotine)\b",
    r"\b(traitor|verrader|landverrader)s?\b",
    r"\b(die|sterf|crepeer|crepeert)\b",
    r"\b(bloed|blood|bloody)\b",
    r"\b(school|schoolplein|playground|creche)\b",
    r"\b(plate|kenteken|number plate|license plate)\b",
    r"\b[a-z]{1,3}-\d{3}-[a-z]{1,2}\b",
    r"@[a-z0-9_]{3,20}\b",
    r"\b(share|delen|retweet|spread)!+",
    r"\b(wink|knipoog|;\))",
    r"\b(get what (you|he|she) deserves?|krijgt wat (je|hij|zij) verdient)\b",
    r"\b(make (you|him|her) pay|laat (je|hem|haar) boeten)\b",
    r"\b(finish (you|him|her) off|maak (je|hem|haar) af)\b",
    r"\b(bullet|kogel) .{0,30}(head|hoofd|kop)\b",
    r"\b(end|beëindig) (you|him|her|je|hem|haar)\b",
    r"\b(wipe out|uitroeien|afslachten|slaughter)\b",
    r"\b(machete|axe|bijl|hamer|hammer|baseball bat|honkbalknuppel)\b",
    r"\b(grenade|handgranaat|explosive|explosief|ied)\b",
    r"\b(snipe|sniper|scherpschutter)\b",
    r"\b(lynch|lynchen)\b",
    r"\b(string (him|her|them) up|knoop (hem|haar|ze) op)\b",
    r"\b(pay a visit|een bezoekje brengen|komen langs)\b",
    r"\b(wait and see|wacht maar af|just wait)\b",
    r"\b(k1ll|sh00t|d00d|m0ord)\b",
    r"\b(threat|dreig|bedreig)\w*",
    r"\b(courthouse|rechtbank|town hall|stadhuis|parliament|tweede kamer)\b",
    r"\b(newsroom|redactie|office|kantoor)\b",
    r"\b(verdict|uitspraak|ruling|vonnis)\b",
    r"\b(deport|uitzetten|eruit)\b",
    r"\b(scum|tuig|vuilnis|trash|ratten|rats)\b",
    r"\b(hope (you|he|she) (dies|die)|hoop dat (je|hij|zij) (sterft|doodgaat))\b",
    r"\b(free speech|vrijheid van meningsuiting)\b",
]

# ------------------------------------------------------------------ processes

_CHILDREN = []  # Popen objects this script started, in start order
_CHILDREN_LOCK = threading.Lock()


def start(argv, **kwargs):
    """Starts a child in its own session (so a terminal's Ctrl-C reaches only
    this script, which stops the children in order: wachtpost before the
    cluster it talks to) and registers it for cleanup."""
    proc = subprocess.Popen(argv, start_new_session=True, **kwargs)
    with _CHILDREN_LOCK:
        _CHILDREN.append(proc)
    return proc


def stop(proc, timeout=20.0):
    """SIGTERM, wait, then SIGKILL; returns the exit status."""
    if proc.poll() is None:
        try:
            proc.send_signal(signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    with _CHILDREN_LOCK:
        if proc in _CHILDREN:
            _CHILDREN.remove(proc)
    return proc.returncode


def stop_all():
    with _CHILDREN_LOCK:
        children = list(reversed(_CHILDREN))
    for proc in children:
        stop(proc)


def _on_signal(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def proc_cpu_seconds(pid):
    """user + system CPU seconds of a running process (from /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class LineReader:
    """Reads a child's text stream in a thread, stamping each line with
    time.perf_counter() when it arrived."""

    def __init__(self, stream, echo=None):
        self.lines = []  # (perf_counter, line)
        self._cond = threading.Condition()
        self._echo = echo
        self._thread = threading.Thread(target=self._run, args=(stream,), daemon=True)
        self._thread.start()

    def _run(self, stream):
        for line in stream:
            now = time.perf_counter()
            line = line.rstrip("\n")
            if self._echo:
                self._echo(line)
            with self._cond:
                self.lines.append((now, line))
                self._cond.notify_all()
        with self._cond:
            self.lines.append((time.perf_counter(), None))  # end of stream
            self._cond.notify_all()

    def wait_for(self, pattern, timeout):
        """First line matching the regex: (time, match), or None on timeout or
        end of stream."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = 0
        with self._cond:
            while True:
                while seen < len(self.lines):
                    stamp, line = self.lines[seen]
                    seen += 1
                    if line is None:
                        return None
                    m = rx.search(line)
                    if m:
                        return stamp, m
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)

    def first(self, pattern):
        rx = re.compile(pattern)
        with self._cond:
            for stamp, line in self.lines:
                if line is not None and rx.search(line):
                    return stamp, rx.search(line)
        return None

    def text(self):
        with self._cond:
            return "\n".join(line for _, line in self.lines if line is not None)

    def join(self, timeout=5):
        self._thread.join(timeout)


# ------------------------------------------------------------------ cluster


class MockCluster:
    def __init__(self, wachtpost):
        self.proc = start([wachtpost, "mock-cluster"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.err = LineReader(self.proc.stderr)
        self.out = LineReader(self.proc.stdout)
        got = self.out.wait_for(r"\S", 60)
        if got is None:
            stop(self.proc)
            raise RuntimeError("wachtpost mock-cluster printed no bootstrap servers:\n" + self.err.text())
        self.bootstrap = got[1].string.strip()
        self.cpu_start = proc_cpu_seconds(self.proc.pid)

    def cpu_seconds(self):
        return proc_cpu_seconds(self.proc.pid)

    def close(self):
        stop(self.proc)


def watermarks(bootstrap, topic):
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "kafka-bench-watermarks", "enable.auto.commit": False})
    try:
        meta = c.list_topics(topic, timeout=10)
        parts = sorted(meta.topics[topic].partitions)
        lows, highs = [], []
        for p in parts:
            lo, hi = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10, cached=False)
            lows.append(lo)
            highs.append(hi)
        return lows, highs
    finally:
        c.close()


def produce_corpus(bootstrap, lines, compression):
    """Produces every line (bytes) to the posts topic, keys spread; waits for
    every delivery. Returns (seconds, delivery errors)."""
    from confluent_kafka import Producer

    producer = Producer({
        "bootstrap.servers": bootstrap,
        "linger.ms": 20,
        "batch.num.messages": 10000,
        "queue.buffering.max.messages": 1000000,
        "queue.buffering.max.kbytes": 1048576,
        "compression.type": compression,
        "acks": "all",
    })
    errors = [0]

    def delivered(err, _msg):
        if err is not None:
            errors[0] += 1

    t0 = time.perf_counter()
    for i, line in enumerate(lines):
        while True:
            try:
                producer.produce(POSTS_TOPIC, line, key=b"%d" % i, on_delivery=delivered)
                break
            except BufferError:
                producer.poll(0.05)
        if i % 5000 == 0:
            producer.poll(0)
    left = producer.flush(120)
    seconds = time.perf_counter() - t0
    if left:
        raise RuntimeError(f"{left} posts not delivered after 120 s")
    return seconds, errors[0]


# ------------------------------------------------------------------ consumers


def run_kcat(kcat, bootstrap, expected, extra=()):
    argv = [kcat, "-C", "-b", bootstrap, "-t", POSTS_TOPIC, "-o", "beginning", "-e", *extra]
    cpu0 = children_cpu_seconds()
    t0 = time.perf_counter()
    proc = start(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, err = proc.communicate(timeout=600)
    wall = time.perf_counter() - t0
    stop(proc)
    cpu = children_cpu_seconds() - cpu0
    if proc.returncode != 0:
        raise RuntimeError(f"kcat exited {proc.returncode}:\n{err}")
    # "% Reached end of topic wachtpost.posts [3] at offset 12384" per partition
    ends = {int(p): int(o) for p, o in re.findall(r"Reached end of topic \S+ \[(\d+)\] at offset (\d+)", err)}
    messages = sum(ends.values())
    if messages != expected:
        raise RuntimeError(f"kcat read {messages} messages, expected {expected}:\n{err}")
    return {"seconds": wall, "timed": "wall clock", "messages": messages, "cpu_seconds": cpu,
            "command": " ".join(argv) + " > /dev/null"}


WP_ASSIGNED = r" assigned (\d+) partitions of "
WP_AT_END = r"every assigned partition is at its end"
WP_STOPPED = r"stopped: (\d+) messages, (\d+) alerts, (\d+) dead letters, (\d+) transactions"
WP_SET = r" pattern set sha256:"


WACHTPOST_CONFIG = None  # --wachtpost-config: passed to every `wachtpost run`


def wachtpost_run_argv(wachtpost, bootstrap, group, exit_at_eof, metrics_addr="", config=None):
    argv = [wachtpost, "run"]
    config = config or WACHTPOST_CONFIG
    if config:
        argv += ["--config", config]
    argv += ["--brokers", bootstrap, "--group", group, "--http-addr", "", "--metrics-addr", metrics_addr,
             "--reload-policy", "single-operator"]
    if exit_at_eof:
        argv.append("--exit-at-eof")
    return argv


def run_wachtpost_throughput(wachtpost, bootstrap, group, expected):
    argv = wachtpost_run_argv(wachtpost, bootstrap, group, exit_at_eof=True)
    cpu0 = children_cpu_seconds()
    t0 = time.perf_counter()
    proc = start(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    log = LineReader(proc.stderr)
    try:
        proc.wait(timeout=1800)
    except subprocess.TimeoutExpired:
        stop(proc)
        raise RuntimeError("wachtpost run did not finish within 30 minutes:\n" + log.text()[-3000:])
    t_exit = time.perf_counter()
    log.join()
    stop(proc)
    cpu = children_cpu_seconds() - cpu0
    if proc.returncode != 0:
        raise RuntimeError(f"wachtpost run exited {proc.returncode}:\n" + log.text()[-3000:])
    loaded = log.first(WP_SET)
    assigned = log.first(WP_ASSIGNED)
    at_end = log.first(WP_AT_END)
    stopped = log.first(WP_STOPPED)
    if not (assigned and at_end and stopped):
        raise RuntimeError("wachtpost run log lacks the assignment, end or stop line:\n" + log.text()[-3000:])
    messages, alerts, dead, transactions = (int(x) for x in stopped[1].groups())
    if messages != expected:
        raise RuntimeError(f"wachtpost run read {messages} messages, expected {expected}")
    return {
        "seconds": t_exit - assigned[0],
        "timed": "first assignment (log line) to exit",
        "messages": messages,
        "wall_seconds": t_exit - t0,
        "start_to_pattern_set_loaded_seconds": (loaded[0] - t0) if loaded else None,
        "start_to_assigned_seconds": assigned[0] - t0,
        "assigned_to_at_end_seconds": at_end[0] - assigned[0],
        "at_end_to_exit_seconds": t_exit - at_end[0],
        "cpu_seconds": cpu,
        "alerts": alerts,
        "dead_letters": dead,
        "transactions": transactions,
        "command": " ".join(a if a else "''" for a in argv),
    }


def run_python_peer(bootstrap, group, expected, expressions_file, max_seconds):
    argv = [sys.executable, os.path.abspath(__file__), "--peer-consumer", "--brokers", bootstrap, "--group", group,
            "--expressions", expressions_file, "--expected", str(expected), "--peer-seconds", str(max_seconds)]
    cpu0 = children_cpu_seconds()
    t0 = time.perf_counter()
    proc = start(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=max_seconds + 600)
    wall = time.perf_counter() - t0
    stop(proc)
    cpu = children_cpu_seconds() - cpu0
    if proc.returncode != 0:
        raise RuntimeError(f"python peer exited {proc.returncode}:\n{err[-3000:]}")
    result = json.loads(out)
    result["wall_seconds"] = wall
    result["cpu_seconds"] = cpu
    result["timed"] = "first assignment to end of every partition"
    return result


def peer_consumer_main(args):
    """The Python peer, as a user would write it: a consumer group member
    reading the topic from the beginning, json.loads of each message, and the
    post's text searched with every expression, exactly as the engine bench's
    Python peer (bench/peers/python_re.py) does: no expression is skipped once
    one has matched, the text is taken as it is."""
    t_start = time.perf_counter()
    from confluent_kafka import Consumer, KafkaError

    compiled, failed = compile_expressions(load_expressions(args.expressions))
    t_compiled = time.perf_counter()
    consumer = Consumer({
        "bootstrap.servers": args.brokers,
        "group.id": args.group,
        "auto.offset.reset": "earliest",
        "enable.partition.eof": True,
    })
    state = {"assigned_at": None, "partitions": set()}

    def on_assign(c, partitions):
        if state["assigned_at"] is None:
            state["assigned_at"] = time.perf_counter()
        state["partitions"].update(p.partition for p in partitions)

    consumer.subscribe([POSTS_TOPIC], on_assign=on_assign)
    at_eof = set()
    messages = posts = matched = hits = 0
    value_bytes = 0
    budget_hit = False
    try:
        while True:
            batch = consumer.consume(num_messages=500, timeout=1.0)
            for msg in batch:
                err = msg.error()
                if err is not None:
                    if err.code() == KafkaError._PARTITION_EOF:
                        at_eof.add(msg.partition())
                        continue
                    raise RuntimeError(str(err))
                value = msg.value()
                messages += 1
                value_bytes += len(value)
                post = json.loads(value)
                if post.get("visibility") != "public":
                    continue
                text = post.get("text", "")
                posts += 1
                n = 0
                for rx in compiled:
                    if rx.search(text):
                        n += 1
                if n:
                    matched += 1
                    hits += n
                if messages % 16 == 0 and time.perf_counter() - state["assigned_at"] > args.peer_seconds:
                    budget_hit = True
                    break
            if budget_hit or (state["partitions"] and at_eof >= state["partitions"]):
                break
            if state["assigned_at"] is None:
                if time.perf_counter() - t_compiled > 300:
                    raise RuntimeError("no partitions assigned within 300 s")
            elif time.perf_counter() - state["assigned_at"] > args.peer_seconds:
                budget_hit = True
                break
        t_end = time.perf_counter()
    finally:
        consumer.close()
    t_closed = time.perf_counter()
    if not budget_hit and messages != args.expected:
        raise RuntimeError(f"python peer read {messages} messages, expected {args.expected}")
    json.dump({
        "seconds": t_end - state["assigned_at"],
        "messages": messages,
        "bytes": value_bytes,
        "complete": not budget_hit,
        "posts_matched": matched,
        "expression_hits": hits,
        "expressions": len(compiled),
        "expressions_not_compiled": failed,
        "start_to_compiled_seconds": t_compiled - t_start,
        "start_to_assigned_seconds": state["assigned_at"] - t_start,
        "close_seconds": t_closed - t_end,
    }, sys.stdout)
    return 0


def load_expressions(path):
    """The engine bench's export (a JSON list of {expression, caseless, dotall,
    multiline, ...}), a JSON list of strings, or one expression a line."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        data = json.loads(text)
    except ValueError:
        return [{"expression": line} for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if isinstance(data, dict):
        data = data.get("expressions", [])
    return [{"expression": e} if isinstance(e, str) else e for e in data]


def compile_expressions(expressions):
    """Python `re` with the flags the engine bench gives its peers (as
    bench/peers/python_re.py): ASCII \\w and \\b unless `ucp`, case as exported."""
    compiled, failed = [], 0
    for e in expressions:
        flags = 0 if e.get("ucp") else re.ASCII
        if e.get("caseless"):
            flags |= re.IGNORECASE
        if e.get("dotall"):
            flags |= re.DOTALL
        if e.get("multiline"):
            flags |= re.MULTILINE
        try:
            compiled.append(re.compile(e["expression"], flags))
        except (re.error, KeyError, TypeError, OverflowError, RecursionError):
            failed += 1
    return compiled, failed


# ------------------------------------------------------------------ latency


def alert_reader_main(args):
    """Reads wachtpost.alerts (read_committed, every partition from the
    beginning) and, per alert, keeps the post id, the alert's Kafka timestamp,
    its source headers and when this process got it. Prints 'ready' once
    assigned; stops when its standard input closes and prints its records as
    JSON."""
    from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING

    consumer = Consumer({
        "bootstrap.servers": args.brokers,
        "group.id": "kafka-bench-alert-reader",
        "enable.auto.commit": False,
        "isolation.level": "read_committed",
        "fetch.wait.max.ms": 5,
        "fetch.error.backoff.ms": 5,
    })
    meta = consumer.list_topics(ALERTS_TOPIC, timeout=10)
    consumer.assign([TopicPartition(ALERTS_TOPIC, p, OFFSET_BEGINNING) for p in meta.topics[ALERTS_TOPIC].partitions])
    stop_flag = threading.Event()

    def wait_stdin():
        sys.stdin.read()
        stop_flag.set()

    threading.Thread(target=wait_stdin, daemon=True).start()
    consumer.consume(num_messages=1, timeout=0.5)  # connect before saying ready
    print("ready", flush=True)
    records = []
    while not stop_flag.is_set():
        # poll() returns as soon as an alert is there; consume() with a timeout
        # would wait for 1,000 or the whole timeout, and add that wait to every
        # latency. The rest of what is queued is taken at once.
        first = consumer.poll(0.05)
        received_ns = time.time_ns()
        if first is None:
            continue
        batch = [first] + consumer.consume(num_messages=1000, timeout=0)
        for msg in batch:
            if msg.error() is not None:
                continue
            headers = dict(msg.headers() or [])
            try:
                post_id = json.loads(msg.value()).get("post_id", "")
            except ValueError:
                post_id = ""
            records.append([post_id, msg.timestamp()[1], received_ns,
                            int(headers.get("wachtpost.source.partition", b"-1")),
                            int(headers.get("wachtpost.source.offset", b"-1"))])
    consumer.close()
    json.dump(records, sys.stdout)
    return 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(addr):
    with urllib.request.urlopen(f"http://{addr}/metrics", timeout=5) as r:
        return r.read().decode()


def metric_values(text, name):
    """{labels: value} of one metric family's samples."""
    values = {}
    for line in text.splitlines():
        if line.startswith(name):
            m = re.match(re.escape(name) + r"(\{[^}]*\})?\s+(\S+)", line)
            if m:
                values[m.group(1) or ""] = float(m.group(2))
    return values


def histogram_quantiles(text, name, quantiles):
    """Upper bucket bound of each quantile of a Prometheus histogram."""
    buckets = []
    for labels, value in metric_values(text, name + "_bucket").items():
        m = re.search(r'le="([^"]+)"', labels)
        if m:
            buckets.append((float(m.group(1)), value))
    buckets.sort()
    total = buckets[-1][1] if buckets else 0
    out = {}
    for q in quantiles:
        bound = None
        for le, count in buckets:
            if total and count >= q * total:
                bound = le
                break
        out[q] = bound
    return total, out


def percentile(sorted_values, q):
    if not sorted_values:
        return None
    k = max(0, math.ceil(q * len(sorted_values)) - 1)
    return sorted_values[min(k, len(sorted_values) - 1)]


def post_templates(lines, limit=50000):
    """(before id, after id) of each post, so a send can put its own id in."""
    templates = []
    for line in lines[:limit]:
        post = json.loads(line)
        post["id"] = "\x00"
        head, tail = json.dumps(post, ensure_ascii=False, separators=(",", ":")).encode().split(b'"\\u0000"')
        templates.append((head + b'"', b'"' + tail))
    return templates


def run_latency(wachtpost, templates, rate, seconds, warmup, label, config):
    """One latency run on a fresh mock cluster at a paced input rate."""
    from confluent_kafka import Producer

    cluster = MockCluster(wachtpost)
    metrics_addr = f"127.0.0.1:{free_port()}"
    wp = reader = None
    try:
        argv = wachtpost_run_argv(wachtpost, cluster.bootstrap, f"bench-lat-{label}-{os.getpid()}",
                                  exit_at_eof=False, metrics_addr=metrics_addr, config=config)
        wp = start(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        log = LineReader(wp.stderr)
        if log.wait_for(WP_ASSIGNED, 300) is None:
            raise RuntimeError("wachtpost run got no assignment:\n" + log.text()[-3000:])
        reader = start([sys.executable, os.path.abspath(__file__), "--alert-reader", "--brokers", cluster.bootstrap],
                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if reader.stdout.readline().strip() != "ready":
            raise RuntimeError("alert reader did not start: " + reader.stderr.read()[-2000:])
        time.sleep(2.0)  # first commits of the start offsets

        producer = Producer({
            "bootstrap.servers": cluster.bootstrap,
            "linger.ms": 5,
            "acks": "all",
            "queue.buffering.max.messages": 1000000,
        })
        n_templates = len(templates)
        sent = 0
        self0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        wall0_ns = time.time_ns()
        end = t0 + seconds
        while True:
            now = time.perf_counter()
            if now >= end:
                break
            due = int((now - t0) * rate)
            while sent < due:
                head, tail = templates[sent % n_templates]
                send_ns = time.time_ns()
                producer.produce(POSTS_TOPIC, head + b"lat-%d-%d" % (sent, send_ns) + tail, key=b"%d" % sent)
                sent += 1
            producer.poll(0)
            time.sleep(0.0005)
        t_sent = time.perf_counter()
        producer.flush(60)
        producer = None  # destroyed before the cluster goes
        self1 = resource.getrusage(resource.RUSAGE_SELF)
        producer_cpu = (self1.ru_utime - self0.ru_utime) + (self1.ru_stime - self0.ru_stime)
        achieved = sent / (t_sent - t0)

        # Drain: wait until wachtpost has consumed everything (its
        # posts_consumed_total), then a moment for the last alerts to arrive.
        # A consumer that fell more than the mock keeps (~5 MiB a partition)
        # behind never gets there: the mock dropped posts it had not read.
        # So also stop when the count has not moved for 10 s.
        drain_deadline = time.monotonic() + 120
        consumed, last_change, last_value, stalled = 0.0, time.monotonic(), -1.0, False
        while time.monotonic() < drain_deadline:
            try:
                consumed = sum(metric_values(scrape(metrics_addr), "wachtpost_posts_consumed_total").values())
            except OSError:
                pass
            if consumed >= sent:
                break
            if consumed != last_value:
                last_value, last_change = consumed, time.monotonic()
            elif time.monotonic() - last_change > 10:
                stalled = True
                break
            time.sleep(0.25)
        drained_after = time.perf_counter() - t_sent
        time.sleep(1.5)
        metrics = scrape(metrics_addr)
        committed_total, committed_q = histogram_quantiles(metrics, "wachtpost_alert_latency_seconds",
                                                           (0.5, 0.99, 0.999))
        out, _ = reader.communicate(input="", timeout=60)
        records = json.loads(out)
        stop(reader)
        reader = None
        status = stop(wp, timeout=30)
        log.join()
        stopped = log.first(WP_STOPPED)
        wp = None
        lows, _ = watermarks(cluster.bootstrap, ALERTS_TOPIC)
        post_lows, _ = watermarks(cluster.bootstrap, POSTS_TOPIC)
    finally:
        if reader is not None:
            stop(reader)
        if wp is not None:
            stop(wp)
        cluster.close()

    warm_ns = wall0_ns + int(warmup * 1e9)
    by_ts, by_recv = [], []
    per_second = {}  # second of the send -> latencies received (ms)
    for post_id, alert_ts_ms, received_ns, _part, _offset in records:
        m = re.fullmatch(r"lat-(\d+)-(\d+)", post_id)
        if not m:
            continue
        send_ns = int(m.group(2))
        if send_ns < warm_ns:
            continue
        by_ts.append((alert_ts_ms * 1_000_000 - send_ns) / 1e6)
        by_recv.append((received_ns - send_ns) / 1e6)
        per_second.setdefault((send_ns - wall0_ns) // 1_000_000_000, []).append(by_recv[-1])
    by_ts.sort()
    by_recv.sort()
    result = {
        "target_rate": rate,
        "achieved_rate": achieved,
        "seconds": seconds,
        "warmup_seconds_excluded": warmup,
        "posts_sent": sent,
        # this script's CPU while it sent (pacing loop and librdkafka's threads)
        "producer_cpu_seconds": producer_cpu,
        "posts_consumed": int(consumed),
        "kept_up": consumed >= sent,
        # posts the mock dropped before wachtpost read them (it fell behind
        # by more than the mock keeps)
        "posts_lost": max(0, sent - int(consumed)) if stalled else 0,
        "drained_after_seconds": drained_after,
        "alerts_received": len(records),
        "alerts_measured": len(by_recv),
        "received_ms": {k: percentile(by_recv, q) for k, q in (("p50", 0.5), ("p99", 0.99), ("p999", 0.999))},
        "alert_timestamp_ms": {k: percentile(by_ts, q) for k, q in (("p50", 0.5), ("p99", 0.99), ("p999", 0.999))},
        "committed_histogram": {
            "alerts": committed_total,
            "p50_le_s": committed_q[0.5],
            "p99_le_s": committed_q[0.99],
            "p999_le_s": committed_q[0.999],
        },
        "wachtpost_exit_status": status,
        "alerts_topic_trimmed": any(lows),
        # The posts of a long run outgrow what the mock keeps; it drops the
        # oldest, which wachtpost has read by then (posts_consumed says so).
        "posts_topic_trimmed": any(post_lows),
        # per second of sending: [second, alerts, p50 ms, max ms], to tell a
        # steady tail from a stall
        "received_ms_by_second": [[sec, len(v), round(statistics.median(v), 1), round(max(v), 1)]
                                  for sec, v in sorted(per_second.items())],
    }
    if stopped:
        result["wachtpost_messages"] = int(stopped[1].group(1))
        result["wachtpost_alerts"] = int(stopped[1].group(2))
    return result


# ------------------------------------------------------------------ main


def find_engine_bench(wachtpost):
    candidate = os.path.join(os.path.dirname(os.path.abspath(wachtpost)), "bench", "wachtpost_engine_bench")
    return candidate if os.access(candidate, os.X_OK) else None


def latency_corpus(args, tmp, posts):
    if args.latency_corpus:
        return args.latency_corpus, "given (--latency-corpus)"
    maker = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tools", "make_corpus.py")
    if os.path.exists(maker):
        out = os.path.join(tmp, "latency.ndjson")
        subprocess.run([sys.executable, maker, "--posts", str(posts), "--seed", "7", "--threat-share",
                        str(args.latency_threat_share), "--out", out], check=True, stderr=subprocess.DEVNULL)
        return out, f"make_corpus.py --posts {posts} --seed 7 --threat-share {args.latency_threat_share}"
    return args.corpus, "the throughput corpus (bench/tools/make_corpus.py not found: its own threat share)"


def median_run(runs):
    return sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]


def fmt(value, digits=1):
    if value is None:
        return "-"
    if isinstance(value, float) and math.isnan(value):
        return "-"
    return f"{value:,.{digits}f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wachtpost", help="the wachtpost binary (build/wachtpost)")
    parser.add_argument("--corpus", help="NDJSON posts (bench/tools/make_corpus.py); default: make_corpus.py "
                        "--posts 135000 --seed 1 (--quick: 30000)")
    parser.add_argument("--json", help="write every figure as one JSON object to this file")
    parser.add_argument("--quick", action="store_true", help="fewer posts, one run each, short latency runs")
    parser.add_argument("--max-posts", type=int, help="posts to produce at most (default: what the mock keeps; "
                        "--quick: 30000)")
    parser.add_argument("--repeat", type=int, help="runs per consumer; the median counts (default 3, --quick 1)")
    parser.add_argument("--expressions", help="expressions for the Python peer (default: exported by "
                        "bench/wachtpost_engine_bench next to --wachtpost, else a stand-in list)")
    parser.add_argument("--peer-seconds", type=float, help="time budget of one Python peer run; a slower peer is "
                        "measured on what it read (default 120, --quick 30)")
    parser.add_argument("--latency-corpus", help="posts for the latency runs (default: make_corpus.py with "
                        "--latency-threat-share)")
    parser.add_argument("--latency-threat-share", type=float, default=0.05)
    parser.add_argument("--latency-seconds", type=float, help="paced input per rate (default 25, --quick 8)")
    parser.add_argument("--compression", default="none", help="compression.type of the corpus producer")
    parser.add_argument("--wachtpost-config", help="config file for every `wachtpost run` (--config), e.g. "
                        "'consumer: {fetch.wait.max.ms: 10}'; flags still set brokers, group and addresses")
    parser.add_argument("--kcat", default=shutil.which("kcat") or shutil.which("kafkacat") or "kcat")
    # internal modes: the Python peer and the alert reader run as children
    parser.add_argument("--peer-consumer", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--alert-reader", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--brokers", help=argparse.SUPPRESS)
    parser.add_argument("--group", help=argparse.SUPPRESS)
    parser.add_argument("--expected", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.peer_consumer:
        return peer_consumer_main(args)
    if args.alert_reader:
        return alert_reader_main(args)
    if not args.wachtpost:
        parser.error("--wachtpost is required")

    global WACHTPOST_CONFIG
    WACHTPOST_CONFIG = os.path.abspath(args.wachtpost_config) if args.wachtpost_config else None
    quick = args.quick
    repeat = args.repeat or (1 if quick else 3)
    peer_seconds = args.peer_seconds or (30.0 if quick else 120.0)
    latency_seconds = args.latency_seconds or (8.0 if quick else 25.0)
    warmup = 1.0 if quick else 2.0

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    tmp = tempfile.mkdtemp(prefix="kafka-bench-")
    try:
        return bench(args, quick, repeat, peer_seconds, latency_seconds, warmup, tmp)
    except KeyboardInterrupt as e:
        print(f"kafka_bench: interrupted ({e}); stopping everything it started", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop_all()
        shutil.rmtree(tmp, ignore_errors=True)


def log(msg):
    print(f"kafka_bench: {msg}", file=sys.stderr, flush=True)


def bench(args, quick, repeat, peer_seconds, latency_seconds, warmup, tmp):
    import confluent_kafka

    wachtpost = os.path.abspath(args.wachtpost)
    result = {
        "host": {"cores": os.cpu_count(), "loadavg_at_start": os.getloadavg()},
        "versions": {"confluent_kafka": confluent_kafka.version()[0], "librdkafka": confluent_kafka.libversion()[0],
                     "python": sys.version.split()[0]},
        "quick": quick,
        "repeat": repeat,
    }

    # --- the corpus and how much of it the mock keeps
    corpus_source = args.corpus
    if not args.corpus:
        maker = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tools", "make_corpus.py")
        n = args.max_posts or (30000 if quick else 135000)
        args.corpus = os.path.join(tmp, "posts.ndjson")
        log(f"no --corpus: make_corpus.py --posts {n} --seed 1")
        subprocess.run([sys.executable, maker, "--posts", str(n), "--seed", "1", "--out", args.corpus], check=True,
                       stderr=subprocess.DEVNULL)
        corpus_source = f"make_corpus.py --posts {n} --seed 1"
    with open(args.corpus, "rb") as f:
        lines = [line.rstrip(b"\r\n") for line in f if line.strip()]
    if not lines:
        raise SystemExit(f"kafka_bench: {args.corpus}: no posts")
    in_file = len(lines)
    avg = sum(map(len, lines)) / in_file
    keep = int(12 * MOCK_PARTITION_BYTES * MOCK_BUDGET_SHARE / (avg + RECORD_OVERHEAD_BYTES))
    cap = min(keep, args.max_posts or keep, 30000 if quick and not args.max_posts else keep)
    if in_file > cap:
        lines = lines[:cap]
        log(f"{args.corpus}: {in_file} posts; producing the first {cap} (the mock cluster keeps about "
            f"{MOCK_PARTITION_BYTES >> 20} MiB a partition)")
    posts = len(lines)
    payload = sum(map(len, lines))
    result["corpus"] = {"file": corpus_source, "posts_in_file": in_file, "posts_produced": posts,
                        "payload_bytes": payload, "avg_post_bytes": round(payload / posts, 1)}

    # --- pattern-set warm-up: a cold Hyperscan cache would otherwise land in
    # the first run's start-up (wachtpost scan of no input loads the same set)
    t0 = time.perf_counter()
    subprocess.run([wachtpost, "scan", "-"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)
    result["pattern_set_warmup_seconds"] = time.perf_counter() - t0

    # --- expressions for the Python peer
    if args.expressions:
        expressions_file, expressions_source = args.expressions, args.expressions
    else:
        engine_bench = find_engine_bench(wachtpost)
        expressions_file = os.path.join(tmp, "expressions.json")
        if engine_bench:
            subprocess.run([engine_bench, "--export-expressions", expressions_file], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            expressions_source = f"{engine_bench} --export-expressions (the shipped set)"
        else:
            with open(expressions_file, "w") as f:
                json.dump([{"expression": e, "caseless": True} for e in STANDIN_EXPRESSIONS], f)
            expressions_source = (f"stand-in list of {len(STANDIN_EXPRESSIONS)} expressions (no "
                                  "bench/wachtpost_engine_bench next to --wachtpost)")
    log(f"python peer expressions: {expressions_source}")

    cluster = MockCluster(wachtpost)
    try:
        log(f"mock cluster at {cluster.bootstrap}; producing {posts} posts")
        produce_seconds, produce_errors = produce_corpus(cluster.bootstrap, lines, args.compression)
        lows, highs = watermarks(cluster.bootstrap, POSTS_TOPIC)
        kept = sum(highs) - sum(lows)
        result["mock_cluster"] = {
            "bootstrap": cluster.bootstrap,
            "partitions": len(highs),
            "low_watermarks": lows,
            "high_watermarks": highs,
            "messages_kept": kept,
            "max_partition_payload_bytes_estimate": round(max(highs) * (avg + RECORD_OVERHEAD_BYTES)),
            "kept_all": kept == posts and not any(lows),
        }
        result["produce"] = {"seconds": produce_seconds, "posts_per_s": posts / produce_seconds,
                             "delivery_errors": produce_errors, "compression": args.compression}
        if kept != posts or any(lows) or produce_errors:
            raise RuntimeError(f"the mock cluster kept {kept} of {posts} posts (low watermarks {lows}, "
                               f"{produce_errors} delivery errors); use --max-posts below that")
        log(f"produced in {produce_seconds:.1f} s; all {posts} kept (largest partition {max(highs)})")

        # --- throughput, runs interleaved so drift hits every consumer alike
        runs = {name: [] for name in CONSUMERS}
        python_runs = repeat
        for r in range(repeat):
            for name in CONSUMERS:
                if name == "python" and r >= python_runs:
                    continue
                log(f"run {r + 1}/{repeat}: {name}")
                b0 = cluster.cpu_seconds()
                group = f"bench-{name}-{r}-{os.getpid()}-{int(time.time())}"
                if name == "kcat":
                    run = run_kcat(args.kcat, cluster.bootstrap, posts)
                elif name == "kcat_wait10":
                    run = run_kcat(args.kcat, cluster.bootstrap, posts, ("-X", "fetch.wait.max.ms=10"))
                elif name == "wachtpost":
                    run = run_wachtpost_throughput(wachtpost, cluster.bootstrap, group, posts)
                else:
                    run = run_python_peer(cluster.bootstrap, group, posts, expressions_file, peer_seconds)
                    if not run["complete"]:
                        python_runs = 1  # a time-boxed peer is not repeated
                run["broker_cpu_seconds"] = cluster.cpu_seconds() - b0
                read_bytes = run.get("bytes", payload if run["messages"] == posts else None)
                run["msgs_per_s"] = run["messages"] / run["seconds"]
                run["mb_per_s"] = read_bytes / run["seconds"] / 1e6
                log(f"  {run['msgs_per_s']:,.0f} msg/s, {run['mb_per_s']:.1f} MB/s ({run['seconds']:.2f} s)")
                runs[name].append(run)
        result["mock_cluster"]["cpu_seconds_total"] = cluster.cpu_seconds() - cluster.cpu_start
    finally:
        cluster.close()

    throughput = {}
    for name, rs in runs.items():
        m = median_run(rs)
        m["messages_per_s"] = m["msgs_per_s"]  # the spelling bench/tools/report.py reads
        throughput[name] = dict(m, runs=[{k: v for k, v in x.items() if k != "command"} for x in rs],
                                msgs_per_s_all=[x["msgs_per_s"] for x in rs])
    wp = throughput["wachtpost"]
    wp["wall_msgs_per_s"] = wp["messages"] / wp["wall_seconds"]
    throughput["ratios"] = {
        "wachtpost_over_kcat": wp["msgs_per_s"] / throughput["kcat"]["msgs_per_s"],
        "wachtpost_over_kcat_wait10": wp["msgs_per_s"] / throughput["kcat_wait10"]["msgs_per_s"],
        "wachtpost_over_python": wp["msgs_per_s"] / throughput["python"]["msgs_per_s"],
        "basis": "messages/s (median run); wachtpost and python timed from their first partition assignment to "
                 "exit, kcat wall clock",
    }
    throughput["python"]["expressions_source"] = expressions_source
    result["throughput"] = throughput

    # --- latency at 50% and 90% of wachtpost's rate
    lat_file, lat_source = latency_corpus(args, tmp, 20000)
    with open(lat_file, "rb") as f:
        lat_lines = [line.rstrip(b"\r\n") for line in f if line.strip()]
    templates = post_templates(lat_lines)
    result["latency_corpus"] = {"source": lat_source, "posts": len(templates)}

    # The maximum rate the latency runs are a share of: wachtpost's throughput
    # on the latency corpus itself (more threats, so more alerts to write than
    # the throughput corpus), measured as above once. A share of the
    # throughput corpus's rate would overload it.
    n = min(15000 if quick else 50000, posts)
    cluster = MockCluster(wachtpost)
    try:
        lat_posts = [head + b"lat-%d-0" % i + tail for i, (head, tail) in
                     ((i, templates[i % len(templates)]) for i in range(n))]
        produce_corpus(cluster.bootstrap, lat_posts, args.compression)
        log(f"wachtpost on {n} posts of the latency corpus")
        run = run_wachtpost_throughput(wachtpost, cluster.bootstrap, f"bench-latcorpus-{os.getpid()}", n)
        run["msgs_per_s"] = run["messages"] / run["seconds"]
        run["mb_per_s"] = sum(map(len, lat_posts)) / run["seconds"] / 1e6
        result["latency_corpus"]["wachtpost_throughput"] = {k: v for k, v in run.items() if k != "command"}
        log(f"  {run['msgs_per_s']:,.0f} msg/s, {run['alerts']} alerts")
    finally:
        cluster.close()
    max_rate = result["latency_corpus"]["wachtpost_throughput"]["msgs_per_s"]
    # Two client settings for wachtpost's consumer: its defaults, and
    # fetch.wait.max.ms=10, since the mock answers a fetch that finds no data
    # only after the fetch's whole wait (500 ms by default), where a real
    # broker answers as soon as data arrives. With --wachtpost-config, that
    # file alone.
    variants = [("defaults" if not WACHTPOST_CONFIG else "config", None)]
    if not WACHTPOST_CONFIG:
        wait10 = os.path.join(tmp, "fetch-wait-10.yaml")
        with open(wait10, "w") as f:
            f.write("consumer: {fetch.wait.max.ms: 10}\n")
        variants.append(("fetch_wait_10ms", wait10))
    latency = []
    for (variant, config), share in [(v, share) for v in variants for share in (0.5, 0.9)]:
        rate = share * max_rate
        log(f"latency ({variant}) at {int(share * 100)}% of {max_rate:,.0f} msg/s: {rate:,.0f} posts/s for "
            f"{latency_seconds:.0f} s")
        run = run_latency(wachtpost, templates, rate, latency_seconds, warmup, f"{variant}-{int(share * 100)}",
                          config)
        run["share_of_max"] = share
        run["variant"] = variant
        latency.append(run)
        log(f"  achieved {run['achieved_rate']:,.0f}/s; {run['alerts_measured']} alerts; received p50 "
            f"{fmt(run['received_ms']['p50'])} ms, p99 {fmt(run['received_ms']['p99'])} ms")
    # Keyed for bench/tools/report.py: latency.at_50.p99_ms is the client
    # defaults' (or --wachtpost-config's) figure, the other variant beside it.
    keyed = {}
    for run in latency:
        run["p50_ms"], run["p99_ms"], run["p999_ms"] = (run["received_ms"][k] for k in ("p50", "p99", "p999"))
        at = f"at_{int(run['share_of_max'] * 100)}"
        if run["variant"] in ("defaults", "config"):
            keyed[at] = run
        else:
            keyed.setdefault(run["variant"], {})[at] = run
    result["latency"] = keyed
    result["host"]["loadavg_at_end"] = os.getloadavg()

    print_table(result)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
            f.write("\n")
    return 0


def print_table(r):
    t = r["throughput"]
    c = r["corpus"]
    print()
    print(f"kafka: {c['posts_produced']:,} posts ({c['payload_bytes'] / 1e6:.1f} MB, {c['avg_post_bytes']:.0f} B a "
          f"post) in {POSTS_TOPIC} ({r['mock_cluster']['partitions']} partitions), mock cluster on loopback, "
          f"{r['host']['cores']} cores shared by broker, producer and consumer; median of {r['repeat']} run(s); "
          f"load average {r['host']['loadavg_at_start'][0]:.1f} at start, {r['host']['loadavg_at_end'][0]:.1f} at end")
    print()
    print(f"{'consumer':<12} {'msgs/s':>10} {'MB/s':>8} {'seconds':>8} {'CPU s':>7} {'broker CPU s':>12}  timed")
    for name in CONSUMERS:
        x = t[name]
        print(f"{name:<12} {fmt(x['msgs_per_s'], 0):>10} {fmt(x['mb_per_s']):>8} {fmt(x['seconds'], 2):>8} "
              f"{fmt(x['cpu_seconds'], 2):>7} {fmt(x['broker_cpu_seconds'], 2):>12}  {x['timed']}")
    wp = t["wachtpost"]
    print(f"{'':<12} wachtpost start to exit: {wp['wall_seconds']:.2f} s ({wp['wall_msgs_per_s']:,.0f} msgs/s); "
          f"start to assigned {wp['start_to_assigned_seconds']:.2f} s; {wp['alerts']} alerts, "
          f"{wp['transactions']} transactions")
    py = t["python"]
    read = "whole topic" if py["complete"] else f"time-boxed: {py['messages']:,} messages read"
    print(f"{'':<12} python: {py['expressions']} expressions ({py['expressions_not_compiled']} not compiled by re), "
          f"{read}; {py['expressions_source']}")
    print(f"ratios       wachtpost/kcat {t['ratios']['wachtpost_over_kcat']:.3f}, "
          f"wachtpost/kcat_wait10 {t['ratios']['wachtpost_over_kcat_wait10']:.3f}, "
          f"wachtpost/python {t['ratios']['wachtpost_over_python']:.2f}")
    print()
    lc = r["latency_corpus"]
    lt = lc["wachtpost_throughput"]
    print(f"latency, post produced -> alert ({lc['source']}); p50/p99/p999: alert received by a "
          f"read_committed consumer; alert ts: the alert's Kafka timestamp; committed: wachtpost's own histogram")
    print(f"wachtpost's throughput on this corpus, measured as above: {lt['msgs_per_s']:,.0f} msgs/s "
          f"({lt['messages']:,} posts, {lt['alerts']:,} alerts)")
    print(f"{'consumer fetch':<16} {'rate':<16} {'achieved/s':>10} {'alerts':>7} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'p999 ms':>8}  {'alert ts p50/p99/p999 ms':>26}  committed p50/p99/p999 <= s")
    lat = r["latency"]
    runs = [lat[k] for k in ("at_50", "at_90") if k in lat]
    runs += [v[k] for v in lat.values() if isinstance(v, dict) and "at_50" in v for k in ("at_50", "at_90") if k in v]
    for x in runs:
        a, b, h = x["received_ms"], x["alert_timestamp_ms"], x["committed_histogram"]
        name = f"{int(x['share_of_max'] * 100)}% ({x['target_rate']:,.0f}/s)"
        ts = f"{fmt(b['p50'], 0)}/{fmt(b['p99'], 0)}/{fmt(b['p999'], 0)}"
        if x["posts_lost"]:
            status = (f"  (fell behind; the mock dropped {x['posts_lost']:,} posts before wachtpost read them)")
        elif not x["kept_up"]:
            status = "  (did not keep up)"
        elif x["drained_after_seconds"] > 2.0:
            status = f"  (behind: caught up {x['drained_after_seconds']:.1f} s after the input stopped)"
        else:
            status = ""
        variant = {"defaults": "defaults", "fetch_wait_10ms": "wait.max 10 ms"}.get(x["variant"], x["variant"])
        print(f"{variant:<16} {name:<16} {fmt(x['achieved_rate'], 0):>10} {x['alerts_measured']:>7} "
              f"{fmt(a['p50'], 0):>8} {fmt(a['p99'], 0):>8} {fmt(a['p999'], 0):>8}  {ts:>26}  "
              f"{h['p50_le_s']}/{h['p99_le_s']}/{h['p999_le_s']}"
              f"{status}")


if __name__ == "__main__":
    sys.exit(main())
