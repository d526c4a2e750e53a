"""One validation at the door: whatever `enqueue` is given, it either queues a receipt the
device's backend then fiscalizes, or raises a FiscalError and leaves the outbox file as it
was, byte for byte (hypothesis over arbitrary JSON values, real emulators over HTTP)."""

import copy
import uuid

from conftest import assert_exactly_once, drain_all
from fiscal_connector.connector import check_receipt
from fiscal_connector.demo import emulator_device, sample_receipt
from fiscal_connector.errors import FiscalError
from fiscal_connector.receipt import Receipt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=200),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=3),
    max_leaves=8)
# Where a value may be replaced: every field of the receipt, of its parties, of an item
# and of a payment.
RECEIPT_PATHS = [
    (name,) for name in ("operation", "timestamp", "taxation", "company", "client", "cashier",
                         "items", "payments", "total", "correction", "electronically")
] + [("company", name) for name in ("inn", "email", "payment_address", "location")] + [
    ("client", name) for name in ("email", "phone", "name", "inn")] + [
    ("cashier", name) for name in ("name", "inn")] + [
    ("items", 0, name) for name in ("name", "price", "quantity", "sum", "vat", "payment_method",
                                    "payment_object", "measure", "mark_code")] + [
    ("payments", 0, name) for name in ("type", "sum")]


def _files(path):
    return tuple(path.parent.joinpath(path.name + suffix).read_bytes()
                 if path.parent.joinpath(path.name + suffix).exists() else None
                 for suffix in ("", "-wal"))


def test_enqueue_accepts_what_the_backend_takes_and_refuses_the_rest_untouched(
        connector_factory, emulator_factory, tmp_path):
    servers = [emulator_factory("atol_web"), emulator_factory("atol_online")]
    conn = connector_factory([emulator_device("web", servers[0]),
                              emulator_device("cloud", servers[1])])
    outbox = tmp_path / "outbox.sqlite"
    accepted, refused = [], []

    @settings(max_examples=400, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    # mostly good keys, devices and receipts, so that enough of them get through
    # (a key of None stands for a fresh good one)
    @given(key=st.one_of(st.none(), st.none(), json_values),
           device=st.one_of(st.sampled_from(["web", "cloud"]), st.sampled_from(["web", "cloud"]),
                            json_values),
           number=st.integers(min_value=0, max_value=50),
           path=st.sampled_from([None] * 15 + RECEIPT_PATHS),
           value=json_values)
    def attempt(key, device, number, path, value):
        key = str(uuid.uuid4()) if key is None else key
        receipt = copy.deepcopy(sample_receipt(number))
        if path is not None:
            target = receipt
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = value
        before = _files(outbox)
        try:
            conn.enqueue(key, device, receipt)
        except FiscalError as error:
            assert str(error)
            assert _files(outbox) == before
            refused.append(path)
            return
        if conn.entry(key)["device"] == device and key not in accepted:
            accepted.append(key)

    attempt()
    # and every kind of refusal was met, not only the easy ones
    assert len(accepted) >= 10 and len(refused) >= 100, (len(accepted), len(refused))
    drain_all(conn)
    assert conn.dead_letters() == []
    assert_exactly_once(conn, accepted, servers)


def test_what_enqueue_refuses_it_names(connector_factory, atol_online_emulator):
    """...and check_receipt, the check a till runs before payment, refuses it alike."""
    device = emulator_device("cloud", atol_online_emulator)
    conn = connector_factory([device])
    valid = sample_receipt(1)
    assert check_receipt(device, valid).to_dict() == Receipt.from_dict(valid).to_dict()

    def refusal(**changes):
        receipt = sample_receipt(1)
        for name, value in changes.items():
            receipt[name] = value
        messages = []
        for refuse in (lambda: check_receipt(device, receipt),
                       lambda: conn.enqueue(str(uuid.uuid4()), "cloud", receipt)):
            try:
                refuse()
            except FiscalError as error:
                messages.append(str(error))
        assert len(messages) == 2, f"{changes} was accepted"
        assert messages[0] == messages[1]
        return messages[0]

    receipt = sample_receipt(1)
    item = dict(receipt["items"][0])
    assert refusal(client=None).startswith("client: ATOL Online sends the receipt")
    assert "items[0].quantity: 1.0005 has more than 3 decimals" in refusal(items=[dict(
        item, quantity="1.0005", price="10.00", sum="10.01")], payments=[
        {"type": 1, "sum": "10.01"}], total="10.01")
    assert "company.inn: 7707083893 is not the group's INN" in refusal(
        company=dict(receipt["company"], inn="7707083893"))
    assert "timestamp: 0001-01-01T00:00:00+03:00 is outside 2017-01-01" in refusal(
        timestamp="0001-01-01T00:00:00+03:00")
    assert "timestamp" in refusal(timestamp="2099-01-01T00:00:00+03:00")
    assert "items[0].name: contains the control character U+0000" in refusal(
        items=[dict(item, name="Lens\x00")])
    assert "is 129 characters long" in refusal(items=[dict(item, name="Л" * 129)])
    assert "client.email" in refusal(client={"email": "a" * 60 + "@x.ru"})
    assert conn.status()["cloud"]["depth"] == 0
    assert atol_online_emulator.documents() == {}
