#!/usr/bin/python3
"""The desk in a real browser: Debian's headless Chromium, driven over
WebDriver (chromium-driver) with nothing but the standard library.

    tests/http/desk_browser_test.py build/wachtpost SCREENSHOT.png

Starts `wachtpost demo` with a tokens file, opens the desk, signs in with a
token, produces one post with kcat into the demo's mock cluster and checks
that its alert appears on the page within 2 s, with its matched words
highlighted; acknowledges it and checks the page says who did; saves a
screenshot. Exits non-zero with the reason on any failure.
"""
import base64
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

TOKEN = "officer-browser-0123456789"
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


def fail(message: str) -> None:
    raise SystemExit(f"desk browser test: {message}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebDriver:
    def __init__(self, port: int):
        self.base = f"http://127.0.0.1:{port}"
        self.session = None

    def call(self, method: str, path: str, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read() or b"{}").get("value")
        except urllib.error.HTTPError as e:
            fail(f"WebDriver {method} {path}: {e.code} {e.read()[:300]!r}")

    def s(self, path: str) -> str:
        return f"/session/{self.session}{path}"

    def start(self) -> None:
        value = self.call("POST", "/session", {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": [
                "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"]}}}})
        self.session = value["sessionId"]

    def find(self, css: str):
        request = urllib.request.Request(self.base + self.s("/element"), method="POST",
                                         data=json.dumps({"using": "css selector", "value": css}).encode(),
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read())["value"][ELEMENT]
        except urllib.error.HTTPError:
            return None  # no such element (yet)

    def wait_for(self, css: str, seconds: float, interval: float = 0.05):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            element = self.find(css)
            if element:
                return element
            time.sleep(interval)
        return None

    def text(self, element: str) -> str:
        return self.call("GET", self.s(f"/element/{element}/text"))


def main() -> int:
    binary, screenshot = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="wachtpost-desk-")
    with open(os.path.join(work, "tokens"), "w") as f:
        f.write(f"officer-a:{TOKEN}\n")
    err_path = os.path.join(work, "demo.err")
    demo = subprocess.Popen([binary, "demo", "--rate", "2", "--http-addr", "127.0.0.1:0", "--metrics-addr", "",
                             "--tokens", os.path.join(work, "tokens")],
                            stdout=subprocess.DEVNULL, stderr=open(err_path, "w"))
    driver_port = free_port()
    chromedriver = subprocess.Popen(["chromedriver", f"--port={driver_port}"], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
    browser = WebDriver(driver_port)
    try:
        desk = bootstrap = topic = None
        for _ in range(600):
            log = open(err_path).read()
            desk = re.search(r"desk at (http://127\.0\.0\.1:\d+/)", log)
            cluster = re.search(r"mock Kafka cluster at (\S+) \(3 brokers\); topics ([^,]+),", log)
            if desk and cluster and "assigned" in log:
                break
            time.sleep(0.1)
        if not (desk and cluster):
            fail("the demo did not start:\n" + open(err_path).read())
        desk, bootstrap, topic = desk.group(1), cluster.group(1), cluster.group(2)
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"{browser.base}/status", timeout=2) as r:
                    if json.loads(r.read())["value"]["ready"]:
                        break
            except OSError:
                time.sleep(0.1)
        browser.start()
        browser.call("POST", browser.s("/url"), {"url": desk})
        field = browser.wait_for("#token", 10)
        if not field:
            fail("the desk page shows no token field")
        browser.call("POST", browser.s(f"/element/{field}/value"), {"text": TOKEN})
        browser.call("POST", browser.s(f"/element/{browser.find('#login button')}/click"), {})
        status = browser.find("#status.live") or browser.wait_for("#status.live", 10)
        if not status:
            fail("the desk did not go live after signing in")

        post_id = f"browser-{int(time.time() * 1000)}"
        post = {"id": post_id, "platform": "x", "url": f"https://x.example/status/{post_id}",
                "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "lang": "nl",
                "visibility": "public", "text": "Die rechter moet dood. Ik weet waar hij woont.",
                "author": {"id": "9", "handle": "someone"}}
        produced = time.monotonic()
        subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", topic], input=json.dumps(post).encode(), check=True)
        card = browser.wait_for(f'article[data-post-id="{post_id}"]', 10)
        seen = time.monotonic() - produced
        if not card:
            fail("the alert of the produced post never appeared on the desk")
        print(f"desk browser test: alert on the desk {seen:.2f} s after its post was produced")
        if seen > 2.0:
            fail(f"the alert took {seen:.2f} s to appear (at most 2 s)")
        if not browser.find(f'article[data-post-id="{post_id}"] mark'):
            fail("the alert shows no highlighted match")
        button = browser.find(f'article[data-post-id="{post_id}"] button[data-disposition="actioned"]')
        browser.call("POST", browser.s(f"/element/{button}/click"), {})
        end = time.monotonic() + 5
        ack_text = ""
        while time.monotonic() < end and "officer-a" not in ack_text:
            ack = browser.find(f'article[data-post-id="{post_id}"] .ack')
            ack_text = browser.text(ack) if ack else ""
            time.sleep(0.05)
        if "Acknowledged by officer-a" not in ack_text:
            fail(f"the acknowledgement was not shown (got {ack_text!r})")
        png = base64.b64decode(browser.call("GET", browser.s("/screenshot")))
        with open(screenshot, "wb") as f:
            f.write(png)
        print(f"desk browser test: acknowledged; screenshot {screenshot} ({len(png)} bytes)")
        return 0
    finally:
        if browser.session:
            try:
                browser.call("DELETE", browser.s(""))
            except SystemExit:
                pass
        chromedriver.terminate()
        demo.send_signal(signal.SIGTERM)
        try:
            demo.wait(30)
        except subprocess.TimeoutExpired:
            demo.kill()


if __name__ == "__main__":
    sys.exit(main())
