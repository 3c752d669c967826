"""A small real HTTP server for a built replica site.

It serves each path with the headers the manifest gives it (including charsets
that contradict the page), gzip when the client asks for it, and the replica's
misbehaviours: a page that answers 500 once and then succeeds, and a page whose
body is cut short of its Content-Length. Pages carry ETag and Last-Modified, and a
conditional GET of an unchanged page is answered 304 Not Modified, as nginx does. Every request is logged, so tests can
check what the crawler asked for.

The simulated outlets built beside the site (``_hosts/<host>/``, each with its own
manifest) are virtual hosts: a request whose Host header names one is answered from
that outlet's folder, 404 page included; any other Host gets the main site.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sys
import threading
from email.utils import formatdate, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit


def _validators(body: bytes, mtime: float) -> tuple[str, str]:
    """(ETag, Last-Modified) of a page, as a static web server gives them. The ETag is weak
    (W/): the same page is served gzipped or not, and it names the content, not the bytes."""
    return f'W/"{hashlib.sha1(body).hexdigest()[:16]}"', formatdate(int(mtime), usegmt=True)


def _not_modified(headers, etag: str, last_modified: str) -> bool:
    """A conditional GET the page still satisfies: If-None-Match wins over If-Modified-Since."""
    match = headers.get("If-None-Match")
    if match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in match.split(",")}
        return "*" in tags or etag.removeprefix("W/") in tags
    since = headers.get("If-Modified-Since")
    if since is None:
        return False
    try:
        return parsedate_to_datetime(since) >= parsedate_to_datetime(last_modified)
    except (TypeError, ValueError):
        return False


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        """A client that went away mid-request (a crawl killed on purpose) is not an error."""
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class _Site:
    """One served site: its folder and the manifest of its paths."""

    def __init__(self, root: Path):
        self.root = root
        manifest_path = root / "_manifest.json"
        if not manifest_path.exists():
            raise FileNotFoundError(f"{root} holds no built replica (no _manifest.json)")
        self.manifest: dict[str, dict] = json.loads(manifest_path.read_text(encoding="utf-8"))

    def entry(self, path: str) -> dict | None:
        if path.startswith("/_"):
            return None  # the manifest and the ground truth are not part of the site
        entry = self.manifest.get(path)
        if entry is None and path.endswith("/index.shtml"):
            entry = self.manifest.get(path[: -len("index.shtml")])
        return entry


def _host_name(header: str | None) -> str:
    """The Host header's name, lower-cased, without its port."""
    host = (header or "").strip().lower()
    if host.startswith("["):  # an IPv6 literal: [::1]:8000
        return host.split("]")[0] + "]"
    return host.rsplit(":", 1)[0] if ":" in host else host


class ReplicaServer:
    def __init__(self, site_dir: Path, host: str = "127.0.0.1", port: int = 0, validators: bool = True):
        self.site_dir = Path(site_dir)
        self.validators = validators  # False: no ETag/Last-Modified, no 304 (a server of dynamic pages)
        self.main = _Site(self.site_dir)
        self.manifest = self.main.manifest
        hosts_dir = self.site_dir / "_hosts"
        self.virtual_hosts: dict[str, _Site] = {
            folder.name.lower(): _Site(folder) for folder in sorted(hosts_dir.iterdir()) if folder.is_dir()
        } if hosts_dir.is_dir() else {}
        self.requests: list[tuple[str, str, str | None]] = []  # (method, path with query, virtual host or None)
        self._failed_once: set[tuple[str | None, str]] = set()
        self._lock = threading.Lock()
        self.httpd = _QuietServer((host, port), self._handler())
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> str:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="replica-server", daemon=True)
        self._thread.start()
        return self.base_url

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> ReplicaServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def requested_paths(self, host: str | None = None) -> list[str]:
        """Paths asked of the main site, or of the virtual host ``host`` (e.g. www.xnwb.example)."""
        wanted = host.lower() if host else None
        with self._lock:
            return [path for _, path, served in self.requests if served == wanted]

    def site_for(self, host_header: str | None) -> tuple[str | None, _Site]:
        """(virtual host name or None, the site) that answers a request with this Host header."""
        name = _host_name(host_header)
        if name in self.virtual_hosts:
            return name, self.virtual_hosts[name]
        return None, self.main

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "nginx"
            sys_version = ""
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):  # noqa: A002 - keep test output quiet
                pass

            def do_HEAD(self):
                self._respond(head=True)

            def do_GET(self):
                self._respond(head=False)

            def _send(self, status: int, body: bytes, content_type: str, head: bool, cut: float | None = None,
                      location: str | None = None, validators: tuple[str, str] | None = None):
                gzipped = "gzip" in (self.headers.get("Accept-Encoding") or "") and cut is None and len(body) > 512
                payload = gzip.compress(body, mtime=0) if gzipped else body
                self.send_response(status)
                if validators is not None:
                    self.send_header("ETag", validators[0])
                    self.send_header("Last-Modified", validators[1])
                if status == HTTPStatus.NOT_MODIFIED:  # no body, no length (RFC 9110 15.4.5)
                    self.end_headers()
                    return
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                if gzipped:
                    self.send_header("Content-Encoding", "gzip")
                if location:
                    self.send_header("Location", location)
                if cut is not None:
                    self.send_header("Connection", "close")
                self.end_headers()
                if head:
                    return
                if cut is None:
                    self.wfile.write(payload)
                else:
                    self.wfile.write(payload[: int(len(payload) * cut)])
                    self.wfile.flush()
                    self.close_connection = True

            def _respond(self, head: bool):
                path = urlsplit(self.path).path
                host, site = server.site_for(self.headers.get("Host"))
                with server._lock:
                    server.requests.append((self.command, self.path, host))
                entry = site.entry(path)
                if entry is None:
                    body = (site.root / "404.html").read_bytes()
                    return self._send(HTTPStatus.NOT_FOUND, body, "text/html", head)
                behaviour = entry.get("behaviour")
                if behaviour == "fail_once":
                    with server._lock:
                        first = (host, path) not in server._failed_once
                        server._failed_once.add((host, path))
                    if first:
                        return self._send(500, b"<html><body>500 Internal Server Error</body></html>", "text/html", head)
                file = site.root / entry["file"]
                body = file.read_bytes()
                cut = 0.6 if behaviour == "truncate" else None
                validators = None
                if entry["status"] == 200 and behaviour is None and server.validators:
                    validators = _validators(body, file.stat().st_mtime)
                    if _not_modified(self.headers, *validators):
                        return self._send(HTTPStatus.NOT_MODIFIED, b"", entry["content_type"], head,
                                          validators=validators)
                return self._send(entry["status"], body, entry["content_type"], head, cut, entry.get("location"),
                                  validators=validators)

        return Handler
