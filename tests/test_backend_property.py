"""Any valid receipt renders to a body the emulated service accepts and
fiscalizes for exactly its total (hypothesis carts, both backends, real HTTP)."""

import uuid
from decimal import Decimal

import pytest
from fiscal_connector.backends import BACKENDS
from fiscal_connector.backends.base import DONE
from fiscal_connector.emulators import EmulatorServer
from fiscal_connector.errors import PermanentBackendError
from hypothesis import HealthCheck, given, settings
from test_receipt_model import carts


@pytest.fixture(scope="module", params=list(BACKENDS))
def backend_and_server(request, tmp_path_factory):
    server = EmulatorServer(request.param, tmp_path_factory.mktemp(request.param)).start()
    backend = BACKENDS[request.param].from_config(server.device_config(timeout=5))
    yield request.param, backend, server
    backend.close()
    server.stop()


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(carts())
def test_every_valid_cart_is_fiscalized_for_its_total(backend_and_server, receipt):
    kind, backend, server = backend_and_server
    key = str(uuid.uuid4())
    too_precise = [item["quantity"] for item in receipt["items"]
                   if Decimal(item["quantity"]).normalize().as_tuple().exponent < -3]
    if kind == "atol_online" and too_precise:
        with pytest.raises(PermanentBackendError, match="more than 3 decimals"):
            backend.submit(key, receipt["operation"], receipt)
        return
    outcome = backend.submit(key, receipt["operation"], receipt)
    assert outcome.state == DONE, outcome
    assert outcome.result.total == receipt["total"]
    held = next(doc for doc in server.report()["documents"] if doc["key"] == key)
    assert held["total"] == receipt["total"]
    paid = sum(Decimal(amount) for amount in held["payments"].values())
    assert paid == Decimal(receipt["total"])
