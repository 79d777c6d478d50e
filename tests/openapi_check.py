#!/usr/bin/env python3
"""The API answers what its OpenAPI document says: every response of the main endpoints (and a few
refusals) is validated against the schema /api/openapi.json gives for its path, method and status.

    python3 tests/openapi_check.py --purse target/debug/purse

Prepares the demo in a temporary directory, serves it on a free port, logs in, checks, stops.
Needs `jsonschema` and `openapi-spec-validator` (installed by .ci/run).
"""
import argparse, http.cookiejar, json, os, socket, subprocess, sys, tempfile, time, urllib.request

from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

ap = argparse.ArgumentParser()
ap.add_argument("--purse", required=True)
args = ap.parse_args()
tmp = tempfile.mkdtemp(prefix="purse-openapi-")
data = os.path.join(tmp, "d")
subprocess.run([args.purse, "demo", "--no-serve", "--data-dir", data], check=True, stdout=subprocess.DEVNULL)
subprocess.run([args.purse, "user", "add", "oa", "--role", "admin", "--password", "oa-pass-123", "--data-dir", data],
               check=True, stdout=subprocess.DEVNULL)
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
server = subprocess.Popen([args.purse, "serve", "--data-dir", data, "--bind", f"127.0.0.1:{port}"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
base = f"http://127.0.0.1:{port}"
cj = http.cookiejar.CookieJar()
op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(cj))
doc = None
def req(path, body=None, headers={}):
    r = urllib.request.Request(base + path, data=json.dumps(body).encode() if body is not None else None,
                               headers={"content-type": "application/json", **headers})
    try:
        resp = op.open(r); return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())
def check(path, method, status, body):
    spec = doc["paths"][path.split("?")[0] if "{" not in path else path][method]
    schema = spec["responses"][str(status)]["content"]["application/json"]["schema"]
    v = Draft202012Validator({**{k: doc[k] for k in ["components"]}, **schema})
    errs = list(v.iter_errors(body))
    print(("ok  " if not errs else "BAD ") + f"{method.upper()} {path} {status}" + ("" if not errs else f": {errs[0].message[:200]} at {list(errs[0].absolute_path)}"))
    return not errs

try:
    for _ in range(100):
        try:
            if op.open(base + "/api/health").status == 200:
                break
        except OSError:
            time.sleep(0.1)
    s, b = req("/api/login", {"user": "oa", "password": "oa-pass-123"})
    csrf = b["csrf"]
    s, doc = req("/api/openapi.json")
    validate(doc)
    print(f"ok  the document is valid OpenAPI {doc['openapi']}: {len(doc['paths'])} paths, {len(doc['components']['schemas'])} schemas")
    ok = check("/api/login", "post", 200, b)
    for p in ["/api/health", "/api/periods", "/api/cockpit?period=2025-12", "/api/drill?period=2025-12&region=990100",
              "/api/alerts?status=open", "/api/highlights?period=2025-12", "/api/rules", "/api/loads", "/api/jobs", "/api/reports"]:
        s, b = req(p); ok &= check(p.split("?")[0], "get", s, b)
    s, b = req("/api/alerts?status=open"); aid = b["alerts"][0]["id"]
    s, b = req(f"/api/alerts/{aid}"); ok &= check("/api/alerts/{id}", "get", s, b)
    s, b = req(f"/api/alerts/{aid}/actions", {"action": "comment", "text": "schema check"}, {"x-csrf-token": csrf}); ok &= check("/api/alerts/{id}/actions", "post", s, b)
    s, b = req(f"/api/alerts/{aid}/actions", {"action": "close", "evidence": "x"}, {"x-csrf-token": csrf}); ok &= check("/api/alerts/{id}/actions", "post", s, b)
    s, b = req("/api/sql", {"sql": "SELECT budget_kind, sum(ytd_amount) AS s FROM budget_execution GROUP BY 1"}, {"x-csrf-token": csrf}); ok &= check("/api/sql", "post", s, b)
    s, b = req("/api/sql", {"sql": "SELEC 1"}, {"x-csrf-token": csrf}); ok &= check("/api/sql", "post", s, b)
    s, b = req("/api/trail?period=2025-12&region=990100&func=213"); ok &= check("/api/trail", "get", s, b)
    s, b = req(f"/api/trail?alert={aid}"); ok &= check("/api/trail", "get", s, b)
    s, b = req("/api/trail?region=990100"); ok &= check("/api/trail", "get", s, b)
    s, b = req("/api/cockpit?period=2025-13"); ok &= check("/api/cockpit", "get", s, b)
    s, b = req("/api/jobs/999"); ok &= check("/api/jobs/{id}", "get", s, b)
    s, b = req("/api/problems"); ok &= check("/api/problems", "get", s, b)
    pid = b["problems"][0]["id"]
    s, b = req(f"/api/problems/{pid}"); ok &= check("/api/problems/{id}", "get", s, b)
    s, b = req(f"/api/problems/{pid}/actions", {"action": "assign", "due": "2099-01-31"}, {"x-csrf-token": csrf}); ok &= check("/api/problems/{id}/actions", "post", s, b)
    s, b = req(f"/api/problems/{pid}/actions", {"action": "accept"}, {"x-csrf-token": csrf}); ok &= check("/api/problems/{id}/actions", "post", s, b)
    s, b = req("/api/problems", {"source": "审议意见", "source_ref": "oa-1", "title": "t", "unit": "u", "requirement": "r", "due": "2099-01-31"}, {"x-csrf-token": csrf}); ok &= check("/api/problems", "post", s, b)
    s, b = req("/api/problems/summary"); ok &= check("/api/problems/summary", "get", s, b)
    s, b = req("/api/ask", {"question": "执行率最低的五个部门"}, {"x-csrf-token": csrf}); ok &= check("/api/ask", "post", s, b)
    s, b = req("/api/ask", {"question": "第5中心执行率"}, {"x-csrf-token": csrf}); ok &= check("/api/ask", "post", s, b)
    s, b = req("/api/ask", {"question": ""}, {"x-csrf-token": csrf}); ok &= check("/api/ask", "post", s, b)
    s, b = req("/api/problems/99999"); ok &= check("/api/problems/{id}", "get", s, b)
    sys.exit(0 if ok else 1)
finally:
    server.terminate()
