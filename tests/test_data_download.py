"""fetch(): mirror, download against a local HTTP server with Range support, resume, checksum,
offline guidance, file:// URLs."""

from __future__ import annotations

import hashlib
import os
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from auxbench.data import fetch
from auxbench.data.sources import Source
from auxbench.errors import DataError

pytestmark = pytest.mark.usefixtures("no_mirror_env")

PAYLOAD = bytes((i * 7 + i // 251) % 256 for i in range(300_000))
SHA = hashlib.sha256(PAYLOAD).hexdigest()


class Server:
    """A threaded HTTP server on 127.0.0.1 serving byte strings, with ``Range: bytes=N-``."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.drop_after: dict[str, int] = {}  # path -> bytes sent before dropping (once)
        self.no_range: set[str] = set()
        self.requests: list[tuple[str, str | None]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                rng = self.headers.get("Range")
                outer.requests.append((self.path, rng))
                body = outer.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                start = 0
                if rng and self.path not in outer.no_range:
                    start = int(rng.split("=")[1].split("-")[0])
                    if start >= len(body):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(body)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range",
                                     f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(body) - start))
                self.end_headers()
                cut = outer.drop_after.pop(self.path, None)
                if cut is not None:
                    self.wfile.write(body[start:cut])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(body[start:])

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


SIZE = len(PAYLOAD)


def src(urls, sha=SHA, size=SIZE, rel="sub/payload.bin"):
    return Source("payload.bin", tuple(urls), sha, size, rel)


def leftovers(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_download_ok(server, tmp_path):
    server.files["/payload.bin"] = PAYLOAD
    path = fetch(src([server.url + "/payload.bin"]), tmp_path, progress="none")
    assert path == tmp_path / "sub/payload.bin"
    assert path.read_bytes() == PAYLOAD
    assert leftovers(tmp_path) == ["sub/payload.bin"]
    # a second call uses the verified local copy, no request
    n = len(server.requests)
    assert fetch(src([server.url + "/payload.bin"]), tmp_path, progress="none") == path
    assert len(server.requests) == n


def test_dropped_connection_resumes_with_range(server, tmp_path):
    server.files["/payload.bin"] = PAYLOAD
    server.drop_after["/payload.bin"] = 120_000
    path = fetch(src([server.url + "/payload.bin"]), tmp_path, progress="none", retries=3,
                 backoff=0)
    assert path.read_bytes() == PAYLOAD
    assert server.requests[0] == ("/payload.bin", None)
    assert server.requests[1] == ("/payload.bin", "bytes=120000-")
    assert leftovers(tmp_path) == ["sub/payload.bin"]


def test_existing_partial_file_is_resumed(server, tmp_path):
    server.files["/payload.bin"] = PAYLOAD
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub/payload.bin.part").write_bytes(PAYLOAD[:1000])
    path = fetch(src([server.url + "/payload.bin"]), tmp_path, progress="none", backoff=0)
    assert path.read_bytes() == PAYLOAD
    assert server.requests == [("/payload.bin", "bytes=1000-")]


def test_server_without_range_support_restarts(server, tmp_path):
    server.files["/payload.bin"] = PAYLOAD
    server.no_range.add("/payload.bin")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub/payload.bin.part").write_bytes(b"garbage that must not stay in front")
    path = fetch(src([server.url + "/payload.bin"]), tmp_path, progress="none", backoff=0)
    assert path.read_bytes() == PAYLOAD


def test_fallback_url(server, tmp_path):
    server.files["/b/payload.bin"] = PAYLOAD
    path = fetch(src([server.url + "/a/payload.bin", server.url + "/b/payload.bin"]), tmp_path,
                 progress="none", backoff=0)
    assert path.read_bytes() == PAYLOAD
    assert [r[0] for r in server.requests] == ["/a/payload.bin", "/b/payload.bin"]


def test_checksum_mismatch(server, tmp_path):
    bad = bytearray(PAYLOAD)
    bad[12345] ^= 0xFF
    server.files["/payload.bin"] = bytes(bad)
    url = server.url + "/payload.bin"
    with pytest.raises(DataError) as err:
        fetch(src([url]), tmp_path / "raw", mirror=tmp_path / "mirror", progress="none",
              backoff=0)
    msg = str(err.value)
    assert "payload.bin" in msg and url in msg
    assert f"expected sha256 {SHA}" in msg
    assert f"actual sha256 {hashlib.sha256(bad).hexdigest()}" in msg
    assert f"{tmp_path / 'mirror'}/sub/payload.bin" in msg
    assert "AUXBENCH_DATA_MIRROR" in msg
    assert leftovers(tmp_path) == []  # no .part, no file


def test_offline_without_mirror(tmp_path):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there: connection refused
    url = f"http://127.0.0.1:{port}/payload.bin"
    with pytest.raises(DataError) as err:
        fetch(src([url]), tmp_path, progress="none", retries=2, backoff=0, timeout=5)
    msg = str(err.value)
    assert "Could not download payload.bin" in msg and url in msg
    assert "<mirror>/sub/payload.bin" in msg and "AUXBENCH_DATA_MIRROR" in msg
    assert str(tmp_path / "sub/payload.bin") in msg
    assert leftovers(tmp_path) == []


def test_file_url(tmp_path):
    origin = tmp_path / "origin.bin"
    origin.write_bytes(PAYLOAD)
    path = fetch(src([origin.as_uri()]), tmp_path / "raw", progress="none")
    assert path.read_bytes() == PAYLOAD


def test_mirror_read_in_place_and_env(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    (mirror / "sub").mkdir(parents=True)
    (mirror / "sub/payload.bin").write_bytes(PAYLOAD)
    nowhere = ("http://127.0.0.1:9/never-contacted",)
    assert fetch(src(nowhere), tmp_path / "raw", mirror=mirror, progress="none") == \
        mirror / "sub/payload.bin"
    monkeypatch.setenv("AUXBENCH_DATA_MIRROR", str(mirror))
    assert fetch(src(nowhere), tmp_path / "raw", progress="none") == mirror / "sub/payload.bin"
    assert not (tmp_path / "raw").exists()  # nothing copied


def test_corrupt_mirror_file_is_named(tmp_path):
    mirror = tmp_path / "mirror"
    (mirror / "sub").mkdir(parents=True)
    (mirror / "sub/payload.bin").write_bytes(PAYLOAD[:-1] + b"\x00")
    with pytest.raises(DataError, match=r"payload\.bin.*expected sha256 " + SHA):
        fetch(src(["http://127.0.0.1:9/x"]), tmp_path / "raw", mirror=mirror, progress="none")


def test_log_progress_lines(server, tmp_path, capsys):
    server.files["/payload.bin"] = PAYLOAD
    fetch(src([server.url + "/payload.bin"]), tmp_path, progress="log")
    err = capsys.readouterr().err
    assert "download payload.bin: started" in err and "download payload.bin: done" in err
    assert len(err.splitlines()) <= 15  # sparse
    assert os.path.exists(tmp_path / "sub/payload.bin")


def test_not_found_everywhere_fails_without_retrying(server, tmp_path):
    urls = [server.url + "/a/payload.bin", server.url + "/b/payload.bin"]
    with pytest.raises(DataError, match="HTTP Error 404"):
        fetch(src(urls), tmp_path, progress="none", retries=4, backoff=10)
    assert len(server.requests) == 2  # one round, no 10 s backoff
