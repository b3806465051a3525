#!/usr/bin/env python3
"""Mailbox benchmarks against a throw-away Dovecot (tests/fixtures/dovecot).

  bench/mailbox_bench.py push [COUNT=200]        push latency: mails delivered into Dovecot
                                                 over LMTP one at a time while `mailcase serve`
                                                 holds IMAP IDLE: delivery start -> case
                                                 committed, and apart the server's notification
                                                 delay (delivery end -> IDLE notice) and
                                                 mailcase's share (notice -> commit), p50/p99/max
  bench/mailbox_bench.py backlog [COUNT=10000]   COUNT waiting mails fetched over IMAP (TLS)
                                                 by `mailcase mailbox fetch`: mails/s, peak RSS
  bench/mailbox_bench.py lmtp [COUNT=10000] [CONNECTIONS=4]
                                                 mailcase's LMTP listener fed by CONNECTIONS
                                                 client processes at once: mails/s

"Committed" is read from the store itself (SQLite, read-only, WAL): the mail's row is
processed and its case exists. Every figure is durable (storage.sync = "full").
"""
import datetime
import multiprocessing
import os
import resource
import shutil
import smtplib
import socket
import ssl
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("BUILD_DIR", os.path.join(ROOT, "build"))
BIN = os.environ.get("BIN") or (os.path.join(BUILD, "mailcase") if os.path.isabs(BUILD)
                                else os.path.join(ROOT, BUILD, "mailcase"))
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "dovecot", "dovecot-fixture")
ADDRESS = "support@corp.example"


def machine():
    mem = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                mem = int(line.split()[1]) // 1048576
    return f"{os.cpu_count()} cores, {mem} GiB, {os.uname().release}"


def mail(prefix, i):
    return (f"From: Customer {i} <customer{i % 97}@example.org>\r\nTo: {ADDRESS}\r\n"
            f"Subject: Question number {i}\r\nMessage-ID: <{prefix}-{i}@bench>\r\n"
            f"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            f"Hello, this is question {i}.\r\nThe printer on floor {i % 7} does not print.\r\n\r\n"
            f"Regards,\r\nCustomer {i}\r\n").encode()


class Dovecot:
    def __init__(self, tmp):
        self.dir = os.path.join(tmp, "dc")
        subprocess.run([FIXTURE, "start", self.dir], check=True)
        self.ports = {}
        with open(os.path.join(self.dir, "ports.env")) as f:
            for line in f:
                k, v = line.strip().split("=")
                self.ports[k] = int(v)
        self.ca = os.path.join(self.dir, "ca.pem")

    def stop(self):
        subprocess.run([FIXTURE, "stop", self.dir], check=False)

    def lmtp(self):
        return smtplib.LMTP("127.0.0.1", self.ports["LMTP_PORT"])


def mc(data, *args, **kw):
    return subprocess.run([BIN, "--data", data, *args], check=True, capture_output=True, text=True, **kw)


def setup_data(tmp, dc=None, after="seen", idle="yes"):
    data = os.path.join(tmp, "data")
    mc(data, "init")
    mc(data, "address", "add", ADDRESS)
    if dc:
        pw = os.path.join(tmp, "alice.pw")
        with open(pw, "w") as f:
            f.write("alice-secret\n")
        mc(data, "mailbox", "add", "in", "--protocol", "imap", "--host", "127.0.0.1", "--port",
           str(dc.ports["IMAPS_PORT"]), "--tls", "implicit", "--user", "alice", "--password-file", pw,
           "--ca-file", dc.ca, "--after", after, "--idle", idle, "--poll-interval", "600s")
    return data


def committed(db, message_id):
    row = db.execute("SELECT count(*) FROM raw_messages r JOIN comments c ON c.raw_message_id = r.id "
                     "WHERE r.message_id = ? AND r.state = 'processed'", (message_id,)).fetchone()
    return row[0] > 0


def wait_for(pred, timeout=30.0, step=0.002):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return False


def percentile(values, p):
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


class IdleWatcher(threading.Thread):
    """The bench's own IMAP IDLE session on the same folder: stamps (real time) when the
    server announces each mail (`* N EXISTS`), the server's notification delay measured
    without mailcase, for any build."""

    def __init__(self, port):
        super().__init__(daemon=True)
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.sock = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)))
        self.f = self.sock.makefile("rb")
        self.f.readline()
        self.command(b"a LOGIN alice alice-secret", b"a ")
        self.command(b"b SELECT INBOX", b"b ")
        self.sock.sendall(b"c IDLE\r\n")
        while not self.f.readline().startswith(b"+"):
            pass
        self.stamps = {}

    def command(self, line, tag):
        self.sock.sendall(line + b"\r\n")
        while True:
            reply = self.f.readline()
            if not reply or reply.startswith(tag):
                return reply

    def run(self):
        try:
            for line in self.f:
                parts = line.split()
                if len(parts) == 3 and parts[0] == b"*" and parts[2] == b"EXISTS":
                    self.stamps.setdefault(int(parts[1]), time.time())
        except (OSError, ValueError):
            pass


def push_state(db):
    """(push_count, push_last_notice_at, push_last_ms) of the mailbox, or None (older store)."""
    try:
        return db.execute("SELECT push_count, push_last_notice_at, push_last_ms FROM mailbox_state "
                          "WHERE name = 'in'").fetchone()
    except sqlite3.OperationalError:
        return None


def iso_to_epoch(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def summary(name, ms):
    if not ms:
        return f"{name}: not measured"
    return (f"{name}: p50 {statistics.median(ms):.1f} ms, p99 {percentile(ms, 99):.1f} ms, "
            f"max {max(ms):.1f} ms")


def bench_push(count):
    """One mail at a time into Dovecot over LMTP while `mailcase serve` holds IDLE.

    Per mail: end to end (delivery start -> case committed, seen by polling the store),
    the server's notification delay (the delivery's end, its LMTP 250, -> the moment
    mailcase read the IDLE notice, the real-time stamp mailcase records) and mailcase's
    own share (that notice -> its commit finished, measured by mailcase on the monotonic
    clock and kept per mailbox: push_last_ms in `mailbox list --json`). Between mails
    the bench waits until the mailbox's push figure is saved and then PUSH_GAP seconds
    (default 0.05), so that each mail finds mailcase back in IDLE.
    """
    gap = float(os.environ.get("PUSH_GAP", "0.05"))
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:
        dc = Dovecot(tmp)
        try:
            data = setup_data(tmp, dc)
            serve = subprocess.Popen([BIN, "--data", data, "serve"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
            if not wait_for(lambda: "IDLE" in mc(data, "mailbox", "list").stdout, 30, 0.1):
                sys.exit("the mailbox never reached IDLE")
            db = sqlite3.connect(f"file:{os.path.join(data, 'mailcase.db')}?mode=ro", uri=True)
            watcher = IdleWatcher(dc.ports["IMAPS_PORT"])
            watcher.start()
            load_before = os.getloadavg()
            e2e, notify, share, bench_notify = [], [], [], []
            client = dc.lmtp()
            for i in range(count):
                before = push_state(db)
                t0 = time.monotonic()
                client.sendmail(f"customer{i}@example.org", ["alice@localhost"], mail("push", i))
                delivered_wall = time.time()
                if not wait_for(lambda: committed(db, f"push-{i}@bench"), 30):
                    serve.kill()
                    sys.exit(f"mail {i} never arrived")
                e2e.append((time.monotonic() - t0) * 1000)
                bench_notice = watcher.stamps.get(i + 1)
                if bench_notice is not None:
                    bench_notify.append((bench_notice - delivered_wall) * 1000)
                if before is not None:
                    if not wait_for(lambda: push_state(db)[0] > before[0], 10):
                        print(f"mail {i}: committed, but not by a pass an IDLE notice woke", file=sys.stderr)
                    else:
                        _, at, ms = push_state(db)
                        share.append(ms)
                        notify.append((iso_to_epoch(at) - delivered_wall) * 1000)
                time.sleep(gap)
            client.quit()
            load_after = os.getloadavg()
            serve.terminate()
            serve.wait()
            print(f"machine: {machine()}; load average {load_before[0]:.1f} before, {load_after[0]:.1f} after")
            print(f"IMAP push, {count} mails one at a time (storage.sync = full, --after seen, TLS):")
            print("  " + summary("end to end, delivery start -> case committed", e2e))
            print("  " + summary("server's notification delay, delivery end (LMTP 250) -> IDLE notice", notify))
            # Each IDLE session has its own notification timer in Dovecot: the bench's own
            # session (idle, nothing else to do) is told at another moment than mailcase's.
            print("  " + summary("the same delay seen by the bench's own IDLE session", bench_notify))
            print("  " + summary("mailcase's share, IDLE notice -> commit", share) +
                  (f"  ({sum(1 for x in share if x <= 20)} of {len(share)} within 20 ms)" if share else ""))
        finally:
            dc.stop()


def fill(dc, prefix, count):
    client = dc.lmtp()
    for i in range(count):
        client.sendmail(f"customer{i}@example.org", ["alice@localhost"], mail(prefix, i))
    client.quit()


def bench_backlog(count):
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:
        dc = Dovecot(tmp)
        try:
            data = setup_data(tmp, dc)
            t = time.monotonic()
            fill(dc, "backlog", count)
            print(f"machine: {machine()}")
            print(f"(filled the mailbox with {count} mails in {time.monotonic() - t:.1f} s)")
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            t0 = time.monotonic()
            out = subprocess.run(["/usr/bin/time", "-f", "%M", BIN, "--data", data, "mailbox", "fetch", "in"],
                                 check=True, capture_output=True, text=True)
            secs = time.monotonic() - t0
            rss_mb = int(out.stderr.strip().splitlines()[-1]) // 1024
            db = sqlite3.connect(f"file:{os.path.join(data, 'mailcase.db')}?mode=ro", uri=True)
            n = db.execute("SELECT count(*) FROM raw_messages WHERE state = 'processed'").fetchone()[0]
            del before
            print(f"backlog over IMAP (TLS): {n} of {count} mails in {secs:.1f} s = {n / secs:.0f} mails/s, "
                  f"peak RSS {rss_mb} MB")
        finally:
            dc.stop()


def lmtp_client(port, prefix, start, count, out):
    c = smtplib.LMTP("127.0.0.1", port)
    for i in range(start, start + count):
        refused = c.sendmail(f"customer{i}@example.org", [ADDRESS], mail(prefix, i))
        if refused:
            out.put(("refused", i))
            return
    c.quit()
    out.put(("ok", count))


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    return -1


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def bench_lmtp(count, connections):
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:
        data = setup_data(tmp)
        port = free_port()
        serve = subprocess.Popen([BIN, "--data", data, "serve", "--lmtp", f"127.0.0.1:{port}"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_for(lambda: socket.socket().connect_ex(("127.0.0.1", port)) == 0, 30, 0.05):
            sys.exit("the LMTP listener never opened")
        per = count // connections
        q = multiprocessing.Queue()
        procs = [multiprocessing.Process(target=lmtp_client, args=(port, "lmtp", k * per, per, q))
                 for k in range(connections)]
        t0 = time.monotonic()
        for p in procs:
            p.start()
        results = [q.get() for _ in procs]
        secs = time.monotonic() - t0
        for p in procs:
            p.join()
        rss_mb = peak_rss_mb(serve.pid)
        with open(f"/proc/{serve.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
            cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        serve.terminate()
        serve.wait()
        bad = [r for r in results if r[0] != "ok"]
        if bad:
            sys.exit(f"refused: {bad}")
        db = sqlite3.connect(f"file:{os.path.join(data, 'mailcase.db')}?mode=ro", uri=True)
        n = db.execute("SELECT count(*) FROM raw_messages WHERE state = 'processed'").fetchone()[0]
        print(f"machine: {machine()}")
        print(f"LMTP ingest, {connections} connections: {n} of {per * connections} mails in {secs:.1f} s = "
              f"{n / secs:.0f} mails/s, peak RSS {rss_mb} MB; mailcase used {cpu:.1f} s of CPU, "
              f"the rest went to the Python clients and waiting for the disk")


if __name__ == "__main__":
    if not os.path.exists(BIN):
        sys.exit("build first: scripts/build")
    what = sys.argv[1] if len(sys.argv) > 1 else "push"
    args = [int(a) for a in sys.argv[2:]]
    if what == "push":
        bench_push(*(args or [200]))
    elif what == "backlog":
        bench_backlog(*(args or [10000]))
    elif what == "lmtp":
        bench_lmtp(*(args or [10000, 4]))
    else:
        sys.exit(__doc__)
