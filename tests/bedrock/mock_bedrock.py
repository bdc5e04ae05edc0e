"""A scripted Amazon Bedrock runtime on 127.0.0.1 for ccswitch's tests.

It checks every request's SigV4 signature independently, with botocore's
own signer: the signature is computed again for the request as received
(its signed headers, path, body and X-Amz-Date) with the credentials the
test gave, and compared. Bad, expired (more than 5 minutes off the mock's
clock) and wrong-region signatures get Bedrock-shaped 403s. Replies come
from a script, whole (`/invoke`) or as real `application/vnd.amazon.
eventstream` frames with CRCs (`/invoke-with-response-stream`); every frame
is read back with botocore's own event-stream decoder before it is sent.

It also answers STS's AssumeRoleWithWebIdentity (`POST /`, as
AWS_ENDPOINT_URL_STS), SSO's GetRoleCredentials (`GET /federation/
credentials`, as AWS_ENDPOINT_URL_SSO) and serves container credentials (`GET /creds`, as
AWS_CONTAINER_CREDENTIALS_FULL_URI): set k of the `--rotate` sets on the
k-th call, expiring `--creds-ttl` seconds later.

Control: `POST /_mock/script` appends replies (a JSON list), `GET
/_mock/requests` lists what came in. The first line on stdout is `PORT n`.

Usage: mock_bedrock.py --region R [--creds AKID:SECRET[:TOKEN]]...
       [--bearer TOKEN]... [--rotate N] [--creds-ttl S] [--clock-offset S]
"""

import argparse
import base64
import binascii
import datetime
import json
import struct
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.eventstream import EventStreamBuffer

LOCK = threading.Lock()
SCRIPT = []
REQUESTS = []
CREDS_CALLS = [0]


def now(args):
    return datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(
        seconds=args.clock_offset
    )


def frame(headers, payload):
    """One event-stream message: prelude, its CRC, headers, payload, CRC."""
    hb = b""
    for name, value in headers.items():
        n, v = name.encode(), value.encode()
        hb += struct.pack(">B", len(n)) + n + b"\x07" + struct.pack(">H", len(v)) + v
    total = 12 + len(hb) + len(payload) + 4
    prelude = struct.pack(">II", total, len(hb))
    prelude += struct.pack(">I", binascii.crc32(prelude) & 0xFFFFFFFF)
    body = prelude + hb + payload
    out = body + struct.pack(">I", binascii.crc32(body) & 0xFFFFFFFF)
    # botocore reads it back, CRCs included, or the mock is wrong.
    buf = EventStreamBuffer()
    buf.add_data(out)
    msgs = list(buf)
    assert len(msgs) == 1 and msgs[0].payload == payload, "bad frame"
    return out


def chunk(event):
    data = base64.b64encode(json.dumps(event).encode()).decode()
    return frame(
        {":event-type": "chunk", ":content-type": "application/json", ":message-type": "event"},
        json.dumps({"bytes": data}).encode(),
    )


def message(reply, model):
    """The Anthropic message a scripted reply stands for."""
    if reply.get("kind") == "tool":
        content = [{"type": "tool_use", "id": reply.get("id", "toolu_mock1"),
                    "name": reply["name"], "input": reply["input"]}]
        stop = "tool_use"
    else:
        content = [{"type": "text", "text": reply.get("text", "hello from bedrock")}]
        stop = "end_turn"
    usage = {"input_tokens": reply.get("input_tokens", 1000),
             "output_tokens": reply.get("output_tokens", 20)}
    return {"id": "msg_bdrk_mock", "type": "message", "role": "assistant", "model": model,
            "content": content, "stop_reason": stop, "stop_sequence": None, "usage": usage}


def stream_events(msg):
    start = dict(msg, content=[], stop_reason=None,
                 usage={"input_tokens": msg["usage"]["input_tokens"], "output_tokens": 1})
    yield {"type": "message_start", "message": start}
    for i, block in enumerate(msg["content"]):
        if block["type"] == "text":
            yield {"type": "content_block_start", "index": i,
                   "content_block": {"type": "text", "text": ""}}
            yield {"type": "content_block_delta", "index": i,
                   "delta": {"type": "text_delta", "text": block["text"]}}
        else:
            yield {"type": "content_block_start", "index": i,
                   "content_block": dict(block, input={})}
            yield {"type": "content_block_delta", "index": i,
                   "delta": {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}}
        yield {"type": "content_block_stop", "index": i}
    yield {"type": "message_delta", "delta": {"stop_reason": msg["stop_reason"], "stop_sequence": None},
           "usage": {"output_tokens": msg["usage"]["output_tokens"]}}
    yield {"type": "message_stop", "amazon-bedrock-invocationMetrics": {
        "inputTokenCount": msg["usage"]["input_tokens"],
        "outputTokenCount": msg["usage"]["output_tokens"],
        "invocationLatency": 5, "firstByteLatency": 2}}


def make_handler(args):
    secrets = {}
    for c in args.creds:
        parts = c.split(":")
        secrets[parts[0]] = (parts[1], parts[2] if len(parts) > 2 else None)
    secrets["ASIAWEB"] = ("web-secret", "web-token")
    secrets["ASIASSO"] = ("sso-secret", "sso-token")
    for k in range(1, args.rotate + 1):
        secrets[f"ASIAMOCK{k}"] = (f"rotated-secret-{k}", f"rotated-token-{k}")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def send(self, status, body, ctype="application/json", headers=None):
            self.send_response(status)
            self.send_header("content-type", ctype)
            self.send_header("content-length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def refuse(self, status, kind, message):
            body = json.dumps({"message": message}).encode()
            if kind in ("UnrecognizedClientException", "InvalidSignatureException"):
                body = json.dumps({"Message": message}).encode()
            self.send(status, body, headers={"x-amzn-ErrorType": f"{kind}:http://internal.amazon.com/coral/com.amazon.coral.service/"})

        def do_GET(self):
            if self.path == "/_mock/requests":
                with LOCK:
                    return self.send(200, json.dumps(REQUESTS).encode())
            if self.path.startswith("/federation/credentials"):
                # SSO's GetRoleCredentials (AWS_ENDPOINT_URL_SSO), with the
                # access token `aws sso login` cached.
                good = self.headers.get("x-amz-sso_bearer_token") == "sso-access-token"
                with LOCK:
                    REQUESTS.append({"path": self.path, "auth": "sso" if good else None,
                                     "refused": None if good else "sso", "body": {}, "headers": {}})
                if not good:
                    return self.send(401, b'{"message":"Session token not found or invalid"}')
                exp = int((now(args) + datetime.timedelta(hours=1)).timestamp() * 1000)
                body = {"roleCredentials": {"accessKeyId": "ASIASSO", "secretAccessKey": "sso-secret",
                                            "sessionToken": "sso-token", "expiration": exp}}
                return self.send(200, json.dumps(body).encode())
            if self.path == "/creds":
                with LOCK:
                    CREDS_CALLS[0] += 1
                    k = min(CREDS_CALLS[0], args.rotate)
                exp = now(args) + datetime.timedelta(seconds=args.creds_ttl)
                body = {"AccessKeyId": f"ASIAMOCK{k}", "SecretAccessKey": f"rotated-secret-{k}",
                        "Token": f"rotated-token-{k}",
                        "Expiration": exp.strftime("%Y-%m-%dT%H:%M:%SZ")}
                return self.send(200, json.dumps(body).encode())
            self.send(404, b"{}")

        def sts(self, body):
            """STS AssumeRoleWithWebIdentity (AWS_ENDPOINT_URL_STS): the
            token file's content must come along; the role's credentials
            are `ASIAWEB:web-secret:web-token`."""
            form = urllib.parse.parse_qs(body.decode())
            with LOCK:
                REQUESTS.append({"path": "/sts", "auth": "web-identity", "refused": None,
                                 "body": {k: v[0] for k, v in form.items()}, "headers": {}})
            if form.get("WebIdentityToken", [""])[0] != "web-identity-jwt":
                return self.send(400, b"<ErrorResponse><Error><Code>InvalidIdentityToken</Code></Error></ErrorResponse>", "text/xml")
            exp = (now(args) + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
            xml = ("<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
                   "<AssumeRoleWithWebIdentityResult><Credentials><SessionToken>web-token</SessionToken>"
                   "<SecretAccessKey>web-secret</SecretAccessKey>"
                   f"<Expiration>{exp}</Expiration><AccessKeyId>ASIAWEB</AccessKeyId></Credentials>"
                   "<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn>"
                   "<AssumedRoleId>AROAMOCK:s</AssumedRoleId></AssumedRoleUser>"
                   "</AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>1</RequestId>"
                   "</ResponseMetadata></AssumeRoleWithWebIdentityResponse>")
            return self.send(200, xml.encode(), "text/xml")

        def check(self, body):
            """None when the request's auth is good, else (kind, message)."""
            auth = self.headers.get("authorization", "")
            if auth.startswith("Bearer "):
                if auth[7:] in args.bearer:
                    return None, "bearer"
                return ("UnrecognizedClientException", "Invalid API Key format: Must start with pre-defined prefix"), None
            try:
                cred = auth.split("Credential=")[1].split(",")[0]
                signed = auth.split("SignedHeaders=")[1].split(",")[0].split(";")
                signature = auth.split("Signature=")[1].strip()
                akid, day, region, service, _ = cred.split("/")
            except (IndexError, ValueError):
                return ("MissingAuthenticationTokenException", "Missing Authentication Token"), None
            if akid not in secrets:
                return ("UnrecognizedClientException", "The security token included in the request is invalid."), None
            if region != args.region:
                return ("InvalidSignatureException", f"Credential should be scoped to a valid region, not '{region}'. "), None
            amz_date = self.headers.get("x-amz-date", "")
            when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
            if abs((now(args) - when).total_seconds()) > 300:
                later = now(args).strftime("%Y%m%dT%H%M%SZ")
                return ("InvalidSignatureException",
                        f"Signature expired: {amz_date} is now earlier than {later} ({later} - 5 min.)"), None
            secret, token = secrets[akid]
            req = AWSRequest(method="POST", url=f"http://{self.headers['host']}{self.path}", data=body,
                             headers={h: self.headers[h] for h in signed if h != "host"})
            signer = SigV4Auth(Credentials(akid, secret, token), service, region)
            req.context["timestamp"] = amz_date
            want = signer.signature(signer.string_to_sign(req, signer.canonical_request(req)), req)
            if want != signature or service != "bedrock":
                return ("InvalidSignatureException",
                        "The request signature we calculated does not match the signature you provided."), None
            if token is not None and self.headers.get("x-amz-security-token") != token:
                return ("UnrecognizedClientException", "The security token included in the request is invalid."), None
            return None, akid

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            if self.path == "/_mock/script":
                with LOCK:
                    SCRIPT.extend(json.loads(body))
                return self.send(200, b"{}")
            if self.path == "/" and b"Action=AssumeRoleWithWebIdentity" in body:
                return self.sts(body)
            refused, who = self.check(body)
            parts = self.path.split("/")
            model = parts[2] if len(parts) > 3 else ""
            with LOCK:
                REQUESTS.append({"path": self.path, "auth": who, "refused": refused and refused[0],
                                 "body": json.loads(body or b"{}"),
                                 "headers": {k.lower(): v for k, v in self.headers.items()}})
                reply = SCRIPT.pop(0) if SCRIPT and not refused else {}
            if refused:
                return self.refuse(403, *refused)
            if reply.get("kind") == "error":
                return self.refuse(reply["status"], reply["type"], reply.get("message", "error"))
            msg = message(reply, model)
            if not self.path.endswith("/invoke-with-response-stream"):
                return self.send(200, json.dumps(msg).encode())
            events = list(stream_events(msg))
            frames = [chunk(e) for e in events]
            if reply.get("kind") == "exception":
                frames = frames[:reply.get("after", 1)] + [frame(
                    {":exception-type": reply["type"], ":content-type": "application/json",
                     ":message-type": "exception"},
                    json.dumps({"message": reply.get("message", "stream failed")}).encode())]
            self.send(200, b"".join(frames), ctype="application/vnd.amazon.eventstream")

    return Handler


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--region", required=True)
    p.add_argument("--creds", action="append", default=[])
    p.add_argument("--bearer", action="append", default=[])
    p.add_argument("--rotate", type=int, default=0)
    p.add_argument("--creds-ttl", type=int, default=3600)
    p.add_argument("--clock-offset", type=int, default=0)
    args = p.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(args))
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
