"""Pytest fixtures running the real ATOL emulators on loopback (a plugin module).

Register it from tests/conftest.py with ``pytest_plugins = ["fixtures_emulators"]``
(tests/ is on sys.path: it has no __init__.py), or import the fixtures by name.

Fixtures (function scope, each with a fresh state dir under tmp_path):

* ``atol_web_emulator``    - ATOL Web Server v2 emulator
* ``atol_online_emulator`` - ATOL Online v5 emulator (public test account)
* ``emulator_factory``     - ``emulator_factory(kind, **options)`` starts another one
  (kind ``atol_web`` / ``atol_online``; options: ``pending_polls``, ``latency_ms``,
  ``login``/``password``, any fault counter ...); all are stopped at teardown.

Each yields a started ``fiscal_connector.emulators.EmulatorServer``:
``.url`` (backend base URL), ``.documents()`` ({key: fiscal documents held}),
``.report()`` (register, counts, every document with FD, sign, total, payments,
posts and polls), ``.set_faults(**faults)``, ``.restart()`` (same port and
state: dedup and FD numbering survive), ``.age_shift(hours)``,
``.expire_tokens()`` (Online) and ``.device_config(timeout=2.0)`` (a dict for
``Backend.from_config`` / the facade's DeviceConfig).
"""

import itertools

import pytest
from fiscal_connector.emulators import EmulatorServer


@pytest.fixture
def emulator_factory(tmp_path):
    servers = []
    counter = itertools.count()

    def start(kind, **options):
        state_dir = tmp_path / f"emulator-{kind}-{next(counter)}"
        server = EmulatorServer(kind, state_dir, **options).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def atol_web_emulator(emulator_factory):
    return emulator_factory("atol_web")


@pytest.fixture
def atol_online_emulator(emulator_factory):
    return emulator_factory("atol_online")
