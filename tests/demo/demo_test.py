#!/usr/bin/python3
"""The README's first command, as a script would run it: `scripts/demo DATA_DIR` started
in the background with no terminal must fill the data directory and serve the console
until SIGTERM, where the demo administrator logs in and finds the sample cases.

Usage: demo_test.py SOURCE_DIR. Exit 0 passed, 1 failed."""
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def main():
    source = sys.argv[1]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp, open(os.path.join(tmp, "demo.log"), "w+") as log:
        data = os.path.join(tmp, "data")
        env = dict(os.environ, MAILCASE_DEMO_PORT=str(port))
        demo = subprocess.Popen(["bash", "scripts/demo", data], cwd=source, env=env, stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            jar = http.cookiejar.CookieJar()
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
            form = None
            deadline = time.monotonic() + 200
            while time.monotonic() < deadline and demo.poll() is None:
                try:
                    form = opener.open(base + "/login", timeout=5).read().decode()
                    break
                except (urllib.error.URLError, ConnectionError, OSError):
                    time.sleep(1)
            if form is None:
                log.seek(0)
                print("the demo never served its console (exit %s):\n%s" % (demo.poll(), log.read()[-3000:]))
                return 1
            csrf = re.search(r'name="login_csrf" value="([^"]+)"', form)
            if csrf is None:
                print("the login page has no login form:\n%s" % form[:2000])
                return 1
            body = urllib.parse.urlencode({"login_csrf": csrf.group(1), "email": "marek@corp.example",
                                           "password": "mailcase-demo", "next": "/cases"}).encode()
            try:
                opener.open(base + "/login", data=body, timeout=10)
                print("the login was not answered with a redirect")
                return 1
            except urllib.error.HTTPError as e:
                if e.code != 303:
                    print("login answered %d: %s" % (e.code, e.read().decode()[:500]))
                    return 1
            cases = opener.open(base + "/cases", timeout=10).read().decode()
            for subject in ("Printer on floor 3 jams", "VPN drops every 10 minutes"):
                if subject not in cases:
                    print("the case list does not show %r:\n%s" % (subject, cases[:2000]))
                    return 1
            print("the demo served its sample help desk on port %d" % port)
        finally:
            if demo.poll() is None:
                os.killpg(demo.pid, signal.SIGTERM)
                try:
                    demo.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(demo.pid, signal.SIGKILL)
                    demo.wait()
    if demo.returncode not in (0, -signal.SIGTERM):
        print("the demo ended with %d on SIGTERM" % demo.returncode)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
