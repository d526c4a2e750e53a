"""Every fault the emulators inject, on both backends: classified transient,
then resolved by asking about the same key, never by a second document."""

from decimal import Decimal

import pytest
from fiscal_connector.backends import BACKENDS
from fiscal_connector.backends.base import DONE, NOT_FOUND, RecentMemo
from fiscal_connector.errors import PermanentBackendError, TransientBackendError
from fiscal_connector.receipt import OPERATIONS
from fixtures_emulators import receipt_for_total, settle

CLIENT_TIMEOUT = 0.4
KINDS = list(BACKENDS)
# fault -> does the emulator hold the document after the failed call?
SUBMIT_FAULTS = [("reset", False), ("error_5xx", False), ("timeout", True), ("lost", True),
                 ("malformed", True)]


@pytest.fixture(params=KINDS)
def emulator_and_backend(request, emulator_factory):
    server = emulator_factory(request.param)
    backend = BACKENDS[request.param].from_config(server.device_config(timeout=CLIENT_TIMEOUT))
    yield server, backend
    backend.close()


@pytest.mark.parametrize(("fault", "stored"), SUBMIT_FAULTS)
def test_fault_on_submit_is_transient_and_resolved_by_query(emulator_and_backend, fault,
                                                            stored):
    server, backend = emulator_and_backend
    server.set_faults(**{fault: 1}, timeout_seconds=CLIENT_TIMEOUT * 2)
    receipt = receipt_for_total()
    with pytest.raises(TransientBackendError) as error:
        backend.submit("fault-1", "sell", receipt)
    assert "fault-1" in str(error.value)
    if not stored:
        assert server.documents() == {}
        assert backend.query("fault-1", "sell").state == NOT_FOUND
    outcome = settle(backend, "fault-1", receipt)
    assert outcome.state == DONE
    assert server.documents() == {"fault-1": 1}


@pytest.mark.parametrize("fault", ["reset", "error_5xx", "lost", "malformed"])
def test_fault_on_status_query_is_transient(emulator_and_backend, fault):
    server, backend = emulator_and_backend
    done = backend.submit("q-1", "sell", receipt_for_total())
    server.set_faults(**{fault: 1})
    with pytest.raises(TransientBackendError):
        backend.query("q-1", "sell")
    assert backend.query("q-1", "sell") == done


def test_mixed_faults_over_many_receipts_give_exactly_once(emulator_and_backend):
    server, backend = emulator_and_backend
    server.set_faults(reset=3, error_5xx=3, timeout=2, lost=3, malformed=3, pending_polls=1,
                      timeout_seconds=CLIENT_TIMEOUT * 2)
    keys = [f"mixed-{index}" for index in range(12)]
    results = [settle(backend, key, receipt_for_total(total_kopecks=100 + index)).result
               for index, key in enumerate(keys)]
    assert server.documents() == dict.fromkeys(keys, 1)
    numbers = [result.fd_number for result in results]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(keys)
    expected_totals = [f"{Decimal(100 + index) / 100:.2f}" for index in range(12)]
    assert [result.total for result in results] == expected_totals
    assert server.app.faults.snapshot()["lost"] == 0  # every fault was really used
    assert server.report()["changed_resends"] == 0  # every resend was byte-for-byte the same


def test_unreachable_backend_is_transient(emulator_and_backend):
    server, backend = emulator_and_backend
    server.stop()
    with pytest.raises(TransientBackendError, match="connection failed"):
        backend.submit("down-1", "sell", receipt_for_total())


def test_keys_with_reserved_characters_are_found_again(emulator_and_backend):
    server, backend = emulator_and_backend
    key = "pos.order/6f1c?x=1#a b:sell"
    receipt = receipt_for_total()
    first = backend.submit(key, "sell", receipt)
    assert backend.query(key, "sell", receipt) == first
    assert server.documents() == {key: 1}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("url", ["localhost:16732", "", "ftp://127.0.0.1/"])
def test_an_invalid_device_url_is_a_configuration_error(emulator_factory, kind, url):
    config = {**emulator_factory(kind).device_config(), "url": url}
    with pytest.raises(PermanentBackendError, match="device URL is not a valid"):
        BACKENDS[kind].from_config(config).submit("url-1", "sell", receipt_for_total())


def test_what_a_backend_remembers_is_bounded():
    memo = RecentMemo(size=3)
    for index in range(5):
        memo[f"k{index}"] = index
    memo["k2"] = 2  # refreshed: now the most recent
    memo["k5"] = 5
    assert len(memo) == 3
    assert [memo.get(key) for key in ("k0", "k1", "k2", "k3", "k4", "k5")] == [
        None, None, 2, None, 4, 5]


def test_all_eight_operations_are_fiscalized_with_their_type(emulator_and_backend):
    server, backend = emulator_and_backend
    types = {}
    for operation in OPERATIONS:
        outcome = backend.submit(f"op-{operation}", operation, receipt_for_total(operation))
        assert outcome.state == DONE, (operation, outcome)
        types[operation] = outcome.result.operation_type
        assert outcome.result.qr.endswith(f"&n={types[operation]}")
    assert types == {"sell": 1, "sell_refund": 2, "buy": 3, "buy_refund": 4,
                     "sell_correction": 1, "sell_refund_correction": 2, "buy_correction": 3,
                     "buy_refund_correction": 4}
    assert sum(server.documents().values()) == 8
    held = {doc["key"]: doc["operation"] for doc in server.report()["documents"]}
    assert held == {f"op-{operation}": operation for operation in OPERATIONS}
