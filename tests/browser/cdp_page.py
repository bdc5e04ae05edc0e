"""Open a page in headless Chromium through the DevTools protocol and say
what a person would have seen: the page's text, its charts, and every
console message, exception and browser log entry on the way.

Usage: cdp_page.py BASE_URL TOKEN [PNG]. Loads BASE_URL/ui (the sign-in form),
signs in by filling and submitting the form as a person would, and prints
one JSON object: {"login": {...}, "page": {...}, "events": [...]}; with
PNG, also saves a screenshot of the whole signed-in page there (to look at
the page while working on it).
Chromium is killed and its profile folder removed however this ends.
"""

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket

DEADLINE = time.monotonic() + 40  # the whole run; each wait also has its own


def fail(msg):
    print(json.dumps({"error": msg}))
    sys.exit(2)


def start_chromium(profile):
    args = [
        "chromium",
        "--headless=new",
        "--no-sandbox",  # the tests run as root in CI
        "--disable-gpu",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--remote-debugging-port=0",
        "--user-data-dir=" + profile,
        "about:blank",
    ]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def devtools_port(profile, proc):
    path = os.path.join(profile, "DevToolsActivePort")
    while time.monotonic() < DEADLINE:
        if proc.poll() is not None:
            fail("chromium exited early with status %s" % proc.returncode)
        try:
            with open(path) as f:
                lines = f.read().split("\n")
            if lines and lines[0].strip():
                return int(lines[0])
        except OSError:
            pass
        time.sleep(0.05)
    fail("chromium wrote no DevToolsActivePort")


class Page:
    def __init__(self, ws_url):
        # No Origin header: Chromium refuses DevTools sockets from origins
        # it was not told to allow.
        self.ws = websocket.create_connection(ws_url, timeout=15, suppress_origin=True)
        self.next_id = 0
        self.events = []

    def call(self, method, **params):
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            msg = self.recv()
            if msg.get("id") == my_id:
                if "error" in msg:
                    fail("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})

    def recv(self):
        if time.monotonic() > DEADLINE:
            fail("timed out")
        msg = json.loads(self.ws.recv())
        method = msg.get("method", "")
        if method in WATCHED:
            self.events.append({"method": method, "params": msg["params"]})
        if method == "Page.loadEventFired":
            self.loaded += 1
        return msg

    loaded = 0

    def wait_load(self, before):
        while self.loaded <= before:
            self.recv()

    def evaluate(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True)
        if "exceptionDetails" in r:
            fail("evaluate failed: %s" % r["exceptionDetails"])
        return r["result"].get("value")


# What is reported back: console calls, uncaught exceptions, the browser's
# own log (CSP violations and refused loads land there) and failed loads.
WATCHED = (
    "Runtime.consoleAPICalled",
    "Runtime.exceptionThrown",
    "Log.entryAdded",
    "Network.loadingFailed",
)

SNAPSHOT = """JSON.stringify({
  url: location.href,
  title: document.title,
  text: document.body ? document.body.innerText : "",
  svgs: document.querySelectorAll("svg").length,
  bars: document.querySelectorAll("svg rect").length,
  scripts: document.scripts.length,
  forms: document.forms.length
})"""


def main():
    base, token = sys.argv[1], sys.argv[2]
    profile = tempfile.mkdtemp(prefix="ccswitch-chromium-")
    proc = start_chromium(profile)
    try:
        port = devtools_port(profile, proc)
        with urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port, timeout=10) as r:
            targets = json.load(r)
        page_target = next(t for t in targets if t.get("type") == "page")
        page = Page(page_target["webSocketDebuggerUrl"])
        for domain in ("Page", "Runtime", "Log", "Network"):
            page.call(domain + ".enable")
        before = page.loaded
        page.call("Page.navigate", url=base + "/ui")
        page.wait_load(before)
        login = json.loads(page.evaluate(SNAPSHOT))
        # Sign in as a person does: type the token, submit the form.
        before = page.loaded
        page.evaluate(
            "document.querySelector('input[name=token]').value = %s;"
            "document.querySelector('form').requestSubmit(); true" % json.dumps(token)
        )
        page.wait_load(before)
        after = json.loads(page.evaluate(SNAPSHOT))
        if len(sys.argv) > 3:
            shot = page.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
            with open(sys.argv[3], "wb") as f:
                f.write(base64.b64decode(shot["data"]))
        # Let late console messages and log entries arrive.
        page.ws.settimeout(0.3)
        try:
            while True:
                page.recv()
        except websocket.WebSocketTimeoutException:
            pass
        print(json.dumps({"login": login, "page": after, "events": page.events}))
    except Exception as e:  # one line of JSON, whatever went wrong
        fail("%s: %s" % (type(e).__name__, e))
    finally:
        proc.kill()
        proc.wait(timeout=10)
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
