"""Receipts the register refused, recovered under successor keys, and sales sent late
as correction receipts: against the real emulators over HTTP."""

import dataclasses
import datetime as dt
import sqlite3
from decimal import Decimal

import pytest
from conftest import drain_all
from fiscal_connector.backends import BACKENDS
from fiscal_connector.backends.atol_web import shift_counters
from fiscal_connector.demo import emulator_device, sample_receipt
from fiscal_connector.errors import FiscalError
from fiscal_connector.outbox import send_key, successor_key


def _documents(server):
    """{key the register received: its FD number, None when it refused it}."""
    return {doc["key"]: doc["fd_number"] for doc in server.report()["documents"]
            if doc["operation"] not in ("openShift", "closeShift", "getShiftStatus")}


def _receipt_at(number, moment):
    receipt = sample_receipt(number)
    receipt["timestamp"] = moment.isoformat()
    return receipt


def test_successor_key_is_derived_and_fits_the_protocols():
    assert successor_key("sale-1", 0) == "sale-1"
    assert successor_key("sale-1", 2) == "sale-1.r2"
    long_key = "k" * 128
    assert len(successor_key(long_key, 1)) == 36  # a UUID, derived from key and number
    assert successor_key(long_key, 1) == successor_key(long_key, 1) != successor_key(long_key, 2)


def test_expired_shift_mid_drain_is_renewed_and_every_receipt_goes_once_in_order(
        connector_factory, atol_web_emulator):
    conn = connector_factory([emulator_device("web", atol_web_emulator)])
    keys = [f"shift-{n:02d}" for n in range(20)]
    for number, key in enumerate(keys):
        conn.enqueue(key, "web", sample_receipt(number))
    results = []

    def on_result(key, state, _result, _error):
        results.append((key, state))
        if len(results) == 5:  # the shift passes 24 hours while the drain runs
            atol_web_emulator.age_shift(25)

    drain_all(conn, on_result=on_result)
    assert sorted(results) == [(key, "done") for key in keys]
    documents = _documents(atol_web_emulator)
    refused = [key for key, fd in documents.items() if fd is None]
    assert len(refused) == 1  # one receipt met the expired shift; its key holds nothing
    entry = conn.entry(refused[0])
    assert [spent["key"] for spent in entry["spent_keys"]] == [refused[0]]
    assert "68" in entry["spent_keys"][0]["reason"]
    assert send_key(entry) == f"{refused[0]}.r1"
    # Each receipt registered once, under its key or its successor, in queue order.
    numbers = [documents[send_key(conn.entry(key))] for key in keys]
    assert None not in numbers and numbers == sorted(numbers)
    assert conn.entry(refused[0])["result"]["fd_number"] == documents[f"{refused[0]}.r1"]
    shift = atol_web_emulator.report()["register"]
    assert shift["shift_open"] == 1 and shift["shift_number"] == 2
    status = conn.status()["web"]
    assert status["shift_renewed_at"] and status["shift_opened_at"]


def test_refused_receipt_reissued_under_a_successor_after_the_old_key_is_confirmed_empty(
        connector_factory, atol_web_emulator, atol_online_emulator):
    conn = connector_factory([emulator_device("web", atol_web_emulator),
                              emulator_device("cloud", atol_online_emulator)])
    for server, device in ((atol_web_emulator, "web"), (atol_online_emulator, "cloud")):
        server.set_faults(fail=1)  # the FN refuses the first receipt
        conn.enqueue(f"refused-{device}", device, sample_receipt(3))
    drain_all(conn)
    for device in ("web", "cloud"):
        key = f"refused-{device}"
        assert conn.entry(key)["state"] == "dead"
        answer = conn.reissue(key)
        assert answer == {"adopted": False, "spent_key": key, "send_key": f"{key}.r1",
                          "result": None}
        with pytest.raises(FiscalError, match="pending, not a dead letter"):
            conn.reissue(key)  # queued already: nothing to reissue
    drain_all(conn)
    for server, device in ((atol_web_emulator, "web"), (atol_online_emulator, "cloud")):
        key = f"refused-{device}"
        entry = conn.entry(key)
        assert entry["state"] == "done"
        held = {k: v for k, v in server.documents().items() if k.startswith(key)}
        assert held == {key: 0, f"{key}.r1": 1}  # one document, under the successor


def test_reissue_adopts_the_document_the_old_key_holds(connector_factory, atol_web_emulator,
                                                      atol_online_emulator, tmp_path):
    devices = [emulator_device("web", atol_web_emulator),
               emulator_device("cloud", atol_online_emulator)]
    conn = connector_factory(devices)
    for device in devices:
        key = f"held-{device.code}"
        receipt = sample_receipt(4)
        conn.enqueue(key, device.code, receipt)
        # The register registered it, while the outbox believed it dead.
        backend = BACKENDS[device.backend].from_config(device)
        outcome = backend.submit(key, "sell", receipt)
        with sqlite3.connect(tmp_path / "outbox.sqlite") as db:
            db.execute("UPDATE entry SET state = 'dead', submitted = 1, backend_ref = ?, "
                       "last_error = 'refused (as the outbox believed)' WHERE key = ?",
                       (f'"{outcome.ref}"', key))
        backend.close()
    delivered = {}
    for device in devices:
        answer = conn.reissue(f"held-{device.code}")
        assert answer["adopted"] and answer["send_key"] is None
        assert answer["result"]["fd_number"]
    conn.drain(max_seconds=5, on_result=lambda key, state, result, _error:
               delivered.setdefault(key, (state, result["fd_number"])))
    for server, device in ((atol_web_emulator, "web"), (atol_online_emulator, "cloud")):
        key = f"held-{device}"
        assert server.documents() == {key: 1}  # no second document
        assert delivered[key][0] == "done"
        assert conn.entry(key)["spent_keys"] is None


def test_reissue_of_a_key_the_register_never_took_sends_it_again_under_that_key(
        connector_factory, atol_web_emulator):
    conn = connector_factory([emulator_device("web", atol_web_emulator)])
    atol_web_emulator.set_faults(reject=1)  # HTTP 400 on POST: the register keeps nothing
    conn.enqueue("rejected", "web", sample_receipt(6))
    drain_all(conn)
    assert conn.entry("rejected")["state"] == "dead"
    assert conn.reissue("rejected") == {"adopted": False, "spent_key": None,
                                        "send_key": "rejected", "result": None}
    drain_all(conn)
    assert atol_web_emulator.documents() == {"rejected": 1}
    assert conn.entry("rejected")["spent_keys"] is None


def test_reissue_refuses_while_the_backend_cannot_confirm(connector_factory, atol_web_emulator,
                                                         tmp_path):
    conn = connector_factory([emulator_device("web", atol_web_emulator)])
    conn.enqueue("old", "web", sample_receipt(5))
    with sqlite3.connect(tmp_path / "outbox.sqlite") as db:  # dead, sent 31 days ago
        db.execute("UPDATE entry SET state = 'dead', submitted = 1, updated_at = updated_at - "
                   "31 * 86400 WHERE key = 'old'")
    with pytest.raises(FiscalError, match="forgets keys after 30 days"):
        conn.reissue("old")
    assert conn.entry("old")["state"] == "dead" and conn.entry("old")["spent_keys"] is None
    # Never sent at all (it died waiting for its sale): the backend's word holds, however old.
    conn.enqueue("never-sent", "web", sample_receipt(6))
    with sqlite3.connect(tmp_path / "outbox.sqlite") as db:
        db.execute("UPDATE entry SET state = 'dead', submitted = 0, updated_at = updated_at - "
                   "31 * 86400 WHERE key = 'never-sent'")
    assert conn.reissue("never-sent")["send_key"] == "never-sent"
    assert conn.entry("never-sent")["state"] == "pending"


@pytest.mark.parametrize("kind", ["atol_web", "atol_online"])
def test_sale_sent_after_its_day_goes_out_as_a_correction(kind, connector_factory,
                                                         emulator_factory):
    server = emulator_factory(kind)
    moscow = dt.timezone(dt.timedelta(hours=3))
    device = dataclasses.replace(emulator_device("kkt", server), tz="Europe/Moscow",
                                 correction_after_hours=0)
    conn = connector_factory([device])
    now = dt.datetime.now(moscow)
    yesterday = (now - dt.timedelta(days=1)).replace(hour=23, minute=50, second=0,
                                                     microsecond=0)
    conn.enqueue("late", "kkt", _receipt_at(1, yesterday))
    conn.enqueue("today", "kkt", _receipt_at(2, now - dt.timedelta(seconds=1)))
    results = {}
    drain_all(conn, on_result=lambda key, state, result, _error: results.update({key: result}))
    assert results["late"]["operation"] == "sell_correction"
    assert results["today"]["operation"] == "sell"
    late, today = server.body("late"), server.body("today")
    if kind == "atol_web":
        task = late["request"][0]
        assert (task["type"], task["correctionType"], task["correctionBaseDate"]) == (
            "sellCorrection", "self", yesterday.strftime("%Y.%m.%d"))
        assert today["request"][0]["type"] == "sell"
        assert "correctionType" not in today["request"][0]
    else:
        assert "receipt" not in late and "correction" not in today
        assert late["correction"]["correction_info"] == {
            "type": "self", "base_date": yesterday.strftime("%d.%m.%Y")}
        assert "correction_info" not in today["receipt"]
    assert conn.entry("late")["late_correction"] == {"type": "self",
                                                     "base_date": yesterday.date().isoformat()}


def test_shift_counters_are_the_registers_own_net_of_returns(connector_factory,
                                                           atol_web_emulator):
    conn = connector_factory([emulator_device("web", atol_web_emulator)])
    sale, refund, pickup = sample_receipt(1), sample_receipt(1, "sell_refund"), sample_receipt(2)
    # A pick-up: part of it set off against the deposit taken earlier (1215).
    total = Decimal(pickup["total"])
    pickup["payments"] = [{"type": 1, "sum": f"{total - 100:.2f}"}, {"type": 2, "sum": "100.00"}]
    for key, receipt in (("z-sale", sale), ("z-refund", refund), ("z-pickup", pickup)):
        conn.enqueue(key, "web", receipt)
    drain_all(conn)
    counters = shift_counters(conn.run_task("web", "getShiftTotals")["shiftTotals"])
    paid = {kind: Decimal(0) for kind in (0, 1, 2)}
    for receipt, sign in ((sale, 1), (refund, -1), (pickup, 1)):
        for payment in receipt["payments"]:
            paid[payment["type"]] += sign * Decimal(payment["sum"])
    assert counters["receipts"] == 3
    assert (counters["cash"], counters["electronic"], counters["prepaid"]) == (
        paid[0], paid[1], Decimal("100.00"))
    assert counters["credit"] == counters["other"] == 0
