#!/usr/bin/python3
"""drop-proxy.py UPSTREAM DIR [options]: an HTTP reverse proxy in front of a
registry (UPSTREAM = host:port, plain http) that misbehaves on blob GETs, for
the oci-fetch resume and retry tests. It listens on 127.0.0.1 with a free port
and writes the port to DIR/port; every request is logged to DIR/proxy.log as
one JSON line {"method", "path", "range", "status", "sent", "action"}.

Options (each counts blob GETs, /v2/.../blobs/sha256:..., in order):
  --drop N         the first N blob GETs whose body is longer than --drop-after
                   bytes are cut there (headers announce the full length): a
                   dropped connection
  --drop-after B   bytes of body sent before a drop (default 100000)
  --fail N         the first N blob GETs answer 503
  --fail-status S  answer S instead of 503 (429 comes with Retry-After: 1)
  --ignore-range   answer Range requests with the whole blob (200)
  --rate BPS       send blob bodies at about BPS bytes per second
  --paginate-tags  answer tags/list with at most n= tags (sorted) after last=
                   and a Link header to the next page, as the distribution
                   spec describes (docker-registry 2.8 ignores n=)
  --require-basic USER:PASS  answer 401 (WWW-Authenticate: Basic) to requests
                   without these credentials
  --redirect-blobs HOST:PORT  answer blob GETs with 307 to http://HOST:PORT/same-path
  --manifest-content-type T  send manifests with Content-Type T
Each log line also has "auth": whether an Authorization header came."""
import base64
import http.client
import json
import urllib.parse
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    upstream, folder = args[0], args[1]
    opts = {"drop": 0, "drop_after": 100000, "fail": 0, "ignore_range": False, "rate": 0,
            "paginate_tags": False, "require_basic": "", "redirect_blobs": "",
            "manifest_content_type": "", "fail_status": 503}
    i = 2
    while i < len(args):
        a = args[i]
        if a in ("--ignore-range", "--paginate-tags"):
            opts[a[2:].replace("-", "_")] = True
            i += 1
            continue
        key = a[2:].replace("-", "_")
        if key not in opts:
            print(f"drop-proxy: unknown option {a!r}", file=sys.stderr)
            return 2
        opts[key] = args[i + 1] if isinstance(opts[key], str) else int(args[i + 1])
        i += 2
    uhost, uport = upstream.rsplit(":", 1)
    lock = threading.Lock()
    counters = {"blob": 0, "drops": 0}
    log = open(os.path.join(folder, "proxy.log"), "a", buffering=1)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            pass

        def record(self, status, sent, action, rng):
            log.write(json.dumps({"method": self.command, "path": self.path, "range": rng,
                                  "status": status, "sent": sent, "action": action,
                                  "auth": "Authorization" in self.headers}) + "\n")

        def paginate(self):
            url = urllib.parse.urlsplit(self.path)
            q = urllib.parse.parse_qs(url.query)
            conn = http.client.HTTPConnection(uhost, int(uport), timeout=60)
            conn.request("GET", url.path, headers={k: v for k, v in self.headers.items()
                                                   if k.lower() == "authorization"})
            resp = conn.getresponse()
            body = resp.read()
            conn.close()
            extra = {}
            if resp.status == 200:
                doc = json.loads(body)
                tags = sorted(doc.get("tags") or [])
                last = q.get("last", [None])[0]
                if last is not None:
                    tags = [t for t in tags if t > last]
                n = int(q.get("n", ["0"])[0] or 0)
                if n and len(tags) > n:
                    tags = tags[:n]
                    extra["Link"] = '<%s?n=%d&last=%s>; rel="next"' % (url.path, n, tags[-1])
                doc["tags"] = tags
                body = json.dumps(doc).encode()
            self.send_response(resp.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in extra.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)
            self.record(resp.status, len(body), "paginate", None)

        def handle_any(self):
            if opts["require_basic"]:
                want = "Basic " + base64.b64encode(opts["require_basic"].encode()).decode()
                if self.headers.get("Authorization") != want:
                    length = int(self.headers.get("Content-Length") or 0)
                    if length:
                        self.rfile.read(length)
                    msg = b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}'
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="proxy"')
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(msg)))
                    self.end_headers()
                    self.wfile.write(msg)
                    self.record(401, 0, "unauthorized", None)
                    return
            if opts["redirect_blobs"] and self.command == "GET" and "/blobs/sha256:" in self.path:
                self.send_response(307)
                self.send_header("Location", "http://%s%s" % (opts["redirect_blobs"], self.path))
                self.send_header("Content-Length", "0")
                self.end_headers()
                self.record(307, 0, "redirect", None)
                return
            if opts["paginate_tags"] and self.command == "GET" and "/tags/list" in self.path:
                return self.paginate()
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            rng = self.headers.get("Range")
            is_blob = self.command == "GET" and "/blobs/sha256:" in self.path
            n = 0
            if is_blob:
                with lock:
                    counters["blob"] += 1
                    n = counters["blob"]
            if is_blob and n <= opts["fail"]:
                msg = b'{"errors":[{"code":"UNAVAILABLE","message":"injected failure"}]}'
                self.send_response(opts["fail_status"])
                if opts["fail_status"] == 429:
                    self.send_header("Retry-After", "1")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(msg)))
                self.end_headers()
                self.wfile.write(msg)
                self.record(opts["fail_status"], 0, "fail", rng)
                return
            headers = {k: v for k, v in self.headers.items()
                       if k.lower() not in ("connection", "keep-alive", "proxy-connection")}
            if opts["ignore_range"]:
                headers.pop("Range", None)
            conn = http.client.HTTPConnection(uhost, int(uport), timeout=60)
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            self.send_response(resp.status, resp.reason)
            for k, v in resp.getheaders():
                if k.lower() in ("connection", "keep-alive", "transfer-encoding"):
                    continue
                if (k.lower() == "content-type" and opts["manifest_content_type"]
                        and "/manifests/" in self.path):
                    v = opts["manifest_content_type"]
                self.send_header(k, v)
            chunked = resp.getheader("Content-Length") is None and self.command != "HEAD"
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            if self.command == "HEAD":
                conn.close()
                self.record(resp.status, 0, "pass", rng)
                return
            drop = is_blob and resp.status in (200, 206)
            sent = 0
            t0 = time.monotonic()
            while True:
                data = resp.read(16384)
                if not data:
                    break
                if drop and sent + len(data) > opts["drop_after"]:
                    with lock:
                        drop = counters["drops"] < opts["drop"]
                        if drop:
                            counters["drops"] += 1
                if drop and sent + len(data) > opts["drop_after"]:
                    data = data[:max(0, opts["drop_after"] - sent)]
                    self.wfile.write(data)
                    sent += len(data)
                    self.wfile.flush()
                    self.record(resp.status, sent, "drop", rng)
                    conn.close()
                    try:
                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    self.close_connection = True
                    return
                if chunked:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                else:
                    self.wfile.write(data)
                sent += len(data)
                if opts["rate"] and is_blob:
                    ahead = sent / opts["rate"] - (time.monotonic() - t0)
                    if ahead > 0:
                        time.sleep(ahead)
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
            conn.close()
            self.record(resp.status, sent, "pass", rng)

        do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_any

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    with open(os.path.join(folder, "port.tmp"), "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(os.path.join(folder, "port.tmp"), os.path.join(folder, "port"))
    srv.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
