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

Helpers: ``receipt_for_total(operation, total_kopecks, **changes)`` (a valid
canonical receipt) and ``settle(backend, key, receipt)`` (drive a key to DONE
or FAILED the way a drain does, retrying transient errors by query).
"""

import itertools
import time
from decimal import Decimal

import pytest
from fiscal_connector.backends.base import DONE, FAILED, NOT_FOUND
from fiscal_connector.emulators import PUBLIC_TEST_ACCOUNT, EmulatorServer
from fiscal_connector.errors import TransientBackendError


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


def receipt_for_total(operation="sell", total_kopecks=1249998, **changes):
    """A valid canonical receipt (public test company) for `total_kopecks`."""
    price = Decimal(total_kopecks) / 100
    data = {
        "operation": operation,
        "timestamp": "2026-11-28T20:30:00+03:00",
        "taxation": "osn",
        "company": {"inn": PUBLIC_TEST_ACCOUNT["inn"], "email": "shop@example.com",
                    "payment_address": "https://v5.online.atol.ru"},
        "client": {"email": "buyer@example.com"},
        "cashier": {"name": "Ivanova A."},
        "items": [{"name": "Progressive lenses 1.6", "price": f"{price:.2f}",
                   "quantity": "1.000", "sum": f"{price:.2f}", "vat": "vat22",
                   "payment_method": "full_payment", "payment_object": 1, "measure": 0,
                   "mark_code": None}],
        "payments": [{"type": 1, "sum": f"{price:.2f}"}],
        "total": f"{price:.2f}",
    }
    if operation.endswith("_correction"):
        data["correction"] = {"type": "self", "base_date": "2026-11-01", "base_number": None,
                              "description": None}
    data.update(changes)
    return data


def settle(backend, key, receipt, attempts=40, pause=0.05):
    """Drive one key to DONE or FAILED as a drain does: ask before sending again,
    send only what the backend never saw, retry transient errors."""
    operation = receipt["operation"]
    submitted = False
    for _ in range(attempts):
        try:
            if submitted:
                outcome = backend.query(key, operation, receipt)
            else:
                outcome = backend.submit(key, operation, receipt)
        except TransientBackendError:
            submitted = True  # outcome unknown: only a query may follow
            time.sleep(pause)
            continue
        if outcome.state in (DONE, FAILED):
            return outcome
        submitted = outcome.state != NOT_FOUND
        time.sleep(pause)
    raise AssertionError(f"{key} did not settle in {attempts} rounds")
