"""Emulators of the two ATOL protocols: real HTTP servers on loopback.

In-process (tests, benchmarks)::

    server = EmulatorServer("atol_web", state_dir, pending_polls=1, tz="Europe/Moscow").start()
    server.url; server.set_faults(reset=1); server.documents(); server.restart(); server.stop()

From the command line: ``python -m fiscal_connector.emulators atol-web --port 16732
--state-dir DIR`` (the connector's CLI calls :func:`serve`). Control endpoints:
``GET /_emulator/documents`` (register, count per key, every document),
``GET|POST /_emulator/faults`` (see emulators.common for the fault kinds),
``POST /_emulator/shift`` ``{"opened_hours_ago": 25}`` and, for ATOL Online,
``POST /_emulator/expire-tokens``.
"""

import argparse
import json
import signal
import threading
from urllib.parse import quote

import requests

from .atol_online import PUBLIC_TEST_ACCOUNT, AtolOnlineApp
from .atol_web import AtolWebApp
from .common import DEFAULT_FAULTS, EmulatorHTTPServer

EMULATORS = {"atol_web": AtolWebApp, "atol_online": AtolOnlineApp}
BASE_PATHS = {"atol_web": "", "atol_online": "/possystem/v5/"}


class EmulatorServer:
    """One emulator on a loopback port, served by a background thread."""

    def __init__(self, kind, state_dir, port=0, host="127.0.0.1", **options):
        kind = kind.replace("-", "_")
        if kind not in EMULATORS:
            raise ValueError(f"unknown emulator {kind!r}; use one of {', '.join(EMULATORS)}")
        self.kind, self.state_dir, self.host, self.port = kind, str(state_dir), host, port
        self.options = options
        self.httpd = None
        self.thread = None

    @property
    def url(self):
        """The base URL a backend is configured with."""
        return f"http://{self.host}:{self.port}{BASE_PATHS[self.kind]}"

    @property
    def control_url(self):
        return f"http://{self.host}:{self.port}/_emulator"

    @property
    def app(self):
        return self.httpd.app

    def start(self):
        app = EMULATORS[self.kind](self.state_dir, **self.options)
        self.httpd = EmulatorHTTPServer((self.host, self.port), app)
        self.port = self.httpd.server_address[1]  # keep the port across restarts
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True,
                                       name=f"emulator-{self.kind}-{self.port}")
        self.thread.start()
        return self

    def stop(self):
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd.close_connections()
            self.httpd.app.close()
            self.thread.join(5)
            self.httpd = None

    def restart(self):
        """Stop and start on the same port and state dir; the fault plan starts afresh."""
        self.stop()
        return self.start()

    def device_config(self, timeout=2.0):
        """Settings for a backend's `from_config` pointing at this emulator."""
        config = {"code": f"{self.kind}-{self.port}", "backend": self.kind, "url": self.url,
                  "timeout": timeout, "company_inn": self.options.get(
                      "inn", PUBLIC_TEST_ACCOUNT["inn"])}
        if self.kind == "atol_online":
            config.update(
                login=self.options.get("login", PUBLIC_TEST_ACCOUNT["login"]),
                password=self.options.get("password", PUBLIC_TEST_ACCOUNT["password"]),
                group_code=PUBLIC_TEST_ACCOUNT["group_code"],
                company_email="shop@example.com",
                payment_address="https://v5.online.atol.ru")
        else:
            config.update(login=self.options.get("login", ""),
                          password=self.options.get("password", ""))
        return config

    def report(self):
        """GET /_emulator/documents, over HTTP like any client."""
        return requests.get(f"{self.control_url}/documents", timeout=10).json()

    def documents(self):
        """Fiscal documents per key (1 = fiscalized once; a key refused by the register: 0)."""
        return self.report()["counts"]

    def body(self, key):
        """The request body the register received for `key` (the first one)."""
        answer = requests.get(f"{self.control_url}/documents/{quote(key, safe='')}", timeout=10)
        answer.raise_for_status()
        return answer.json()

    def set_faults(self, **faults):
        answer = requests.post(f"{self.control_url}/faults", json=faults, timeout=10)
        answer.raise_for_status()
        return answer.json()

    def age_shift(self, hours):
        return requests.post(f"{self.control_url}/shift", json={"opened_hours_ago": hours},
                             timeout=10).json()

    def expire_tokens(self):
        requests.post(f"{self.control_url}/expire-tokens", timeout=10).raise_for_status()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def serve(kind, port, state_dir, faults=None, host="127.0.0.1", **options):
    """Run an emulator in the foreground until SIGINT/SIGTERM (the CLI's entry)."""
    server = EmulatorServer(kind, state_dir, port=port, host=host, **(faults or {}), **options)
    server.start()
    print(json.dumps({"emulator": server.kind, "url": server.url, "state_dir": state_dir}),
          flush=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()
    server.stop()
    return 0


def build_parser(parser=None):
    """Arguments of `emulator atol-web|atol-online` (reused by the connector's CLI)."""
    parser = parser or argparse.ArgumentParser(prog="fiscal_connector.emulators",
                                               description=__doc__.split("\n")[0])
    parser.add_argument("kind", choices=["atol-web", "atol-online"])
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--state-dir", required=True, help="where the SQLite file lives")
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--pending-polls", type=int, default=DEFAULT_FAULTS["pending_polls"])
    parser.add_argument("--login", help="Web Server: enables Basic auth; Online: the login "
                        f"(default {PUBLIC_TEST_ACCOUNT['login']})")
    parser.add_argument("--password", help="password that goes with --login")
    return parser


def options_from_args(args):
    """serve() keyword arguments from parsed build_parser() arguments."""
    options = {"faults": {"latency_ms": args.latency_ms, "pending_polls": args.pending_polls}}
    if args.login:
        options.update(login=args.login, password=args.password or "")
    return options


def main(argv=None):
    args = build_parser().parse_args(argv)
    return serve(args.kind, args.port, args.state_dir, host=args.host, **options_from_args(args))
