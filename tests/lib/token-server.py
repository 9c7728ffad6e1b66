#!/usr/bin/python3
"""token-server.py DIR [--user U --password P] [--refresh-token R] [--expires-in N]

A small Docker registry token server (distribution's token auth: the
"Bearer realm=...,service=...,scope=..." flow) for the oci-fetch tests.

At start it makes an RSA key and a self-signed certificate (DIR/token.crt,
the registry's auth.token.rootcertbundle), listens on 127.0.0.1 with a free
port and writes that port to DIR/port. GET /token?service=S&scope=A&scope=B
answers {"token", "access_token", "expires_in", "issued_at"} with a JWT
signed RS256 whose x5c header carries the certificate, granting every action
asked for. With --user/--password, Basic credentials are required (401
otherwise). Each request is logged to DIR/requests.log as one JSON line
{"path", "query", "user"}. POST /token with grant_type=refresh_token and
refresh_token=R (OAuth2, as clients with an identity token do) answers
{"access_token", "expires_in"} when R matches --refresh-token."""
import base64
import datetime
import json
import os
import sys
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

ISSUER = "oci-tools-test-issuer"


def make_key(folder):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "oci-tools test token signer")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    with open(os.path.join(folder, "token.crt"), "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    folder = args[0]
    user = password = None
    expires_in = 300
    refresh = None
    i = 1
    while i < len(args):
        if args[i] == "--user":
            user = args[i + 1]
        elif args[i] == "--password":
            password = args[i + 1]
        elif args[i] == "--refresh-token":
            refresh = args[i + 1]
        elif args[i] == "--expires-in":
            expires_in = int(args[i + 1])
        else:
            print(f"token-server: unknown argument {args[i]!r}", file=sys.stderr)
            return 2
        i += 2
    key, cert = make_key(folder)
    x5c = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
    log = open(os.path.join(folder, "requests.log"), "a", buffering=1)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt, *a):
            pass

        def reply(self, code, doc, extra=None):
            body = json.dumps(doc).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            q = urllib.parse.parse_qs(url.query)
            who = None
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Basic "):
                try:
                    who = base64.b64decode(auth[6:]).decode()
                except ValueError:
                    who = None
            log.write(json.dumps({"path": url.path, "query": q,
                                  "user": who.split(":", 1)[0] if who else None}) + "\n")
            if url.path != "/token":
                return self.reply(404, {"errors": [{"code": "NOT_FOUND"}]})
            if user is not None and who != f"{user}:{password}":
                return self.reply(401, {"errors": [{"code": "UNAUTHORIZED",
                                                     "message": "bad credentials"}]},
                                  {"WWW-Authenticate": 'Basic realm="token"'})
            access = []
            for scope in q.get("scope", []):
                parts = scope.split(":")
                if len(parts) >= 3:
                    access.append({"type": parts[0], "name": ":".join(parts[1:-1]),
                                   "actions": parts[-1].split(",")})
            now = int(time.time())
            claims = {"iss": ISSUER, "sub": who.split(":", 1)[0] if who else "",
                      "aud": q.get("service", [""])[0], "exp": now + expires_in,
                      "nbf": now - 10, "iat": now, "jti": uuid.uuid4().hex, "access": access}
            tok = jwt.encode(claims, key, algorithm="RS256", headers={"x5c": [x5c]})
            self.reply(200, {"token": tok, "access_token": tok, "expires_in": expires_in,
                             "issued_at": datetime.datetime.now(datetime.timezone.utc).isoformat()})

    def issue(service, scopes, who):
        access = []
        for scope in scopes:
            parts = scope.split(":")
            if len(parts) >= 3:
                access.append({"type": parts[0], "name": ":".join(parts[1:-1]),
                               "actions": parts[-1].split(",")})
        now = int(time.time())
        claims = {"iss": ISSUER, "sub": who or "", "aud": service, "exp": now + expires_in,
                  "nbf": now - 10, "iat": now, "jti": uuid.uuid4().hex, "access": access}
        return jwt.encode(claims, key, algorithm="RS256", headers={"x5c": [x5c]})

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        log.write(json.dumps({"path": url.path, "method": "POST", "form": {
            k: v for k, v in form.items() if k != "refresh_token"},
            "refresh_ok": form.get("refresh_token", [None])[0] == refresh}) + "\n")
        if (form.get("grant_type", [""])[0] != "refresh_token" or refresh is None
                or form.get("refresh_token", [None])[0] != refresh):
            return self.reply(401, {"error": "invalid_grant"})
        scopes = []
        for s_ in form.get("scope", []):
            scopes += s_.split(" ")
        tok = issue(form.get("service", [""])[0], scopes, "refresh-user")
        self.reply(200, {"access_token": tok, "expires_in": expires_in})

    Handler.do_POST = do_POST
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(os.path.join(folder, "port.tmp"), "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(os.path.join(folder, "port.tmp"), os.path.join(folder, "port"))
    srv.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
