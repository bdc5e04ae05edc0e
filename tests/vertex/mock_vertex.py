"""A scripted Google Vertex AI (Anthropic models) on 127.0.0.1 for
ccswitch's tests, with Google's token side next to it.

Every rawPredict / streamRawPredict request's bearer token is checked:
- a service-account JWT (what google-cloud-auth sends for a
  service-account key: a self-signed RS256 JWT, no exchange) is verified
  here with the test key's public half (`--sa-pubkey`), RS256 done with
  Python's own integers and hashlib (PKCS#1 v1.5 over SHA-256), so the
  check shares nothing with the Rust side; its iss/sub must be
  `--sa-email`, its scope cloud-platform, and it must not be expired;
- else a token this mock issued and that has not expired.
Tokens are issued by `POST /token` (an OAuth token endpoint: a gcloud
user's refresh_token grant, a workload identity STS token exchange, or a
service-account JWT assertion, which is verified as above) and by the
metadata server's `GET /computeMetadata/v1/instance/service-accounts/
default/token` (Metadata-Flavor: Google required), each `--token-ttl`
seconds long, numbered so a test can see a refresh.

Body rules checked: no `model` (it is in the URL), `anthropic_version`
`vertex-2023-10-16`, and the project and region in the path are
`--project` and `--region`. Replies come from a script, as Anthropic JSON
or Anthropic SSE.

Control: `POST /_mock/script` appends replies (a JSON list: `{"kind":
"text"|"tool"|"error", ...}`), `GET /_mock/requests` lists what came in.
The first line on stdout is `PORT n`.

Usage: mock_vertex.py --project P --region R --sa-pubkey PEM --sa-email E
       [--token-ttl S]
"""

import argparse
import base64
import hashlib
import json
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
SCRIPT = []
REQUESTS = []
ISSUED = {}  # token -> expiry (unix seconds)
COUNT = [0]
SCOPE = "https://www.googleapis.com/auth/cloud-platform"
# DigestInfo prefix of a SHA-256 hash in PKCS#1 v1.5 (RFC 8017, 9.2).
SHA256_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")


def der(buf, i):
    """One DER element at i: (tag, content start, end)."""
    tag, n = buf[i], buf[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(buf[i:i + k], "big")
        i += k
    return tag, i, i + n


def public_key(path):
    """(n, e) of a PEM SubjectPublicKeyInfo holding an RSA key."""
    text = open(path).read()
    b64 = "".join(l for l in text.splitlines() if not l.startswith("-----"))
    spki = base64.b64decode(b64)
    _, s, _ = der(spki, 0)  # SubjectPublicKeyInfo
    _, _, alg_end = der(spki, s)  # AlgorithmIdentifier
    _, bs, _ = der(spki, alg_end)  # BIT STRING
    _, ks, _ = der(spki, bs + 1)  # RSAPublicKey (after unused-bits byte)
    _, ns, ne = der(spki, ks)
    _, es, ee = der(spki, ne)
    return int.from_bytes(spki[ns:ne], "big"), int.from_bytes(spki[es:ee], "big")


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def verify_jwt(token, key, email):
    """The claims of a good RS256 JWT from the service account, else an
    error string."""
    try:
        h, c, s = token.split(".")
        header, claims, sig = json.loads(b64d(h)), json.loads(b64d(c)), b64d(s)
    except ValueError:
        return "not a JWT"
    if header.get("alg") != "RS256":
        return "alg is not RS256"
    n, e = key
    k = (n.bit_length() + 7) // 8
    em = pow(int.from_bytes(sig, "big"), e, n).to_bytes(k, "big")
    digest = hashlib.sha256(f"{h}.{c}".encode()).digest()
    want = b"\x00\x01" + b"\xff" * (k - 3 - len(SHA256_PREFIX) - 32) + b"\x00" + SHA256_PREFIX + digest
    if em != want:
        return "bad signature"
    if claims.get("iss") != email or claims.get("sub", email) != email:
        return "wrong issuer"
    now = time.time()
    if not claims.get("exp", 0) > now or claims.get("iat", 0) > now + 60:
        return "expired or not yet valid"
    return claims


def issue(args, how):
    with LOCK:
        COUNT[0] += 1
        token = f"ya29.mock-{how}-{COUNT[0]}"
        ISSUED[token] = time.time() + args.token_ttl
    return {"access_token": token, "expires_in": args.token_ttl, "token_type": "Bearer"}


def message(reply, model):
    if reply.get("kind") == "tool":
        content = [{"type": "tool_use", "id": reply.get("id", "toolu_mock1"),
                    "name": reply["name"], "input": reply["input"]}]
        stop = "tool_use"
    else:
        content = [{"type": "text", "text": reply.get("text", "hello from vertex")}]
        stop = "end_turn"
    usage = {"input_tokens": reply.get("input_tokens", 1000),
             "output_tokens": reply.get("output_tokens", 20)}
    return {"id": "msg_vrtx_mock", "type": "message", "role": "assistant", "model": model,
            "content": content, "stop_reason": stop, "stop_sequence": None, "usage": usage}


def sse(msg):
    start = dict(msg, content=[], stop_reason=None,
                 usage={"input_tokens": msg["usage"]["input_tokens"], "output_tokens": 1})
    events = [{"type": "message_start", "message": start}]
    for i, block in enumerate(msg["content"]):
        if block["type"] == "text":
            events.append({"type": "content_block_start", "index": i,
                           "content_block": {"type": "text", "text": ""}})
            events.append({"type": "content_block_delta", "index": i,
                           "delta": {"type": "text_delta", "text": block["text"]}})
        else:
            events.append({"type": "content_block_start", "index": i,
                           "content_block": dict(block, input={})})
            events.append({"type": "content_block_delta", "index": i,
                           "delta": {"type": "input_json_delta",
                                     "partial_json": json.dumps(block["input"])}})
        events.append({"type": "content_block_stop", "index": i})
    events.append({"type": "message_delta",
                   "delta": {"stop_reason": msg["stop_reason"], "stop_sequence": None},
                   "usage": {"output_tokens": msg["usage"]["output_tokens"]}})
    events.append({"type": "message_stop"})
    return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events).encode()


def make_handler(args):
    key = public_key(args.sa_pubkey)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def send(self, status, body, ctype="application/json"):
            self.send_response(status)
            self.send_header("content-type", ctype)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def google_error(self, code, status, message):
            body = {"error": {"code": code, "message": message, "status": status}}
            self.send(code, json.dumps(body).encode())

        def do_GET(self):
            if self.path == "/_mock/requests":
                with LOCK:
                    return self.send(200, json.dumps(REQUESTS).encode())
            path = self.path.split("?")[0]
            if path == "/computeMetadata/v1/instance/service-accounts/default/token":
                with LOCK:
                    REQUESTS.append({"path": path, "metadata": True})
                if self.headers.get("metadata-flavor") != "Google":
                    return self.send(403, b"missing Metadata-Flavor")
                return self.send(200, json.dumps(issue(args, "mds")).encode())
            self.send(404, b"{}")

        def token_endpoint(self, body):
            form = dict(urllib.parse.parse_qsl(body.decode()))
            if not form and body:
                form = json.loads(body)
            grant = form.get("grant_type", "")
            with LOCK:
                REQUESTS.append({"path": "/token", "grant_type": grant})
            if grant == "refresh_token":
                if form.get("refresh_token") != "mock-refresh-token":
                    return self.send(400, b'{"error": "invalid_grant"}')
                return self.send(200, json.dumps(issue(args, "user")).encode())
            if grant == "urn:ietf:params:oauth:grant-type:token-exchange":
                if form.get("subject_token") != "mock-subject-token":
                    return self.send(400, b'{"error": "invalid_grant"}')
                # STS answers as RFC 8693 says, with the issued type.
                reply = dict(issue(args, "sts"),
                             issued_token_type="urn:ietf:params:oauth:token-type:access_token")
                return self.send(200, json.dumps(reply).encode())
            if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
                claims = verify_jwt(form.get("assertion", ""), key, args.sa_email)
                if isinstance(claims, str):
                    return self.send(400, json.dumps({"error": "invalid_grant",
                                                      "error_description": claims}).encode())
                return self.send(200, json.dumps(issue(args, "sa")).encode())
            self.send(400, b'{"error": "unsupported_grant_type"}')

        def who(self):
            """Who the bearer token is, else None and why."""
            auth = self.headers.get("authorization", "")
            if not auth.startswith("Bearer "):
                return None, "no bearer token"
            token = auth[7:]
            with LOCK:
                exp = ISSUED.get(token)
            if exp is not None:
                return (token, None) if exp > time.time() else (None, "token expired")
            claims = verify_jwt(token, key, args.sa_email)
            if isinstance(claims, str):
                return None, claims
            if SCOPE not in claims.get("scope", "").split() and claims.get("aud") is None:
                return None, "no cloud-platform scope"
            return "jwt:" + claims["iss"], None

        def body_rules(self, body, path):
            """None if the path and body follow Vertex's rules, else why."""
            want = f"/v1/projects/{args.project}/locations/{args.region}/publishers/anthropic/models/"
            if not path.startswith(want):
                return f"wrong project or region: {path}"
            if "model" in body:
                return "model in the body"
            if body.get("anthropic_version") != "vertex-2023-10-16":
                return f"anthropic_version {body.get('anthropic_version')!r}"
            return None

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            if self.path == "/_mock/script":
                with LOCK:
                    SCRIPT.extend(json.loads(body))
                return self.send(200, b"{}")
            if self.path.split("?")[0] == "/token":
                return self.token_endpoint(body)
            path = self.path.split("?")[0]
            model, _, verb = path.rsplit("/", 1)[-1].partition(":")
            req = json.loads(body or b"{}")
            who, why = self.who()
            broken = self.body_rules(req, path) if who else None
            with LOCK:
                REQUESTS.append({"path": path, "auth": who, "refused": why or broken,
                                 "body": req, "model": model, "verb": verb,
                                 "headers": {k.lower(): v for k, v in self.headers.items()}})
                reply = SCRIPT.pop(0) if SCRIPT and who and not broken else {}
            if why:
                return self.google_error(401, "UNAUTHENTICATED",
                                         f"Request had invalid authentication credentials ({why}).")
            if broken:
                return self.google_error(400, "INVALID_ARGUMENT", broken)
            if reply.get("kind") == "error":
                return self.google_error(reply["status"], reply.get("type", "RESOURCE_EXHAUSTED"),
                                         reply.get("message", "Quota exceeded"))
            msg = message(reply, model)
            if verb == "streamRawPredict":
                return self.send(200, sse(msg), ctype="text/event-stream")
            if verb == "rawPredict":
                return self.send(200, json.dumps(msg).encode())
            self.google_error(404, "NOT_FOUND", f"no method {verb}")

    return Handler


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--project", required=True)
    p.add_argument("--region", required=True)
    p.add_argument("--sa-pubkey", required=True)
    p.add_argument("--sa-email", required=True)
    p.add_argument("--token-ttl", type=int, default=3600)
    args = p.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(args))
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
