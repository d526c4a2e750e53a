"""ATOL Web Server v2 backend against its emulator over HTTP on loopback."""

import json

import pytest
from fiscal_connector.backends import BACKENDS, AtolWebBackend
from fiscal_connector.backends.atol_web import render_task
from fiscal_connector.backends.base import DONE, FAILED, NOT_FOUND, PENDING
from fiscal_connector.errors import PermanentBackendError, TransientBackendError
from fixtures_emulators import receipt_for_total

CLIENT_TIMEOUT = 0.4


def backend_for(server, **overrides):
    return BACKENDS["atol_web"].from_config(
        {**server.device_config(timeout=CLIENT_TIMEOUT), **overrides})


def test_sale_is_fiscalized_with_a_consistent_result(atol_web_emulator):
    backend = backend_for(atol_web_emulator)
    receipt = receipt_for_total(total_kopecks=1249998)
    outcome = backend.submit("order-1-sell", "sell", receipt)
    assert outcome.state == DONE
    result = outcome.result
    register = atol_web_emulator.report()["register"]
    assert (result.fn_number, result.registration_number) == (register["fn"], register["rnm"])
    assert len(result.fn_number) == 16 and len(result.registration_number) == 16
    assert result.total == "12499.98" and result.operation_type == 1
    assert result.shift_number == 1 and result.receipt_number == 1
    assert result.fd_number == 2  # FD 1 was the shift-opening report
    assert result.qr == (f"t={result.datetime[:4]}{result.datetime[5:7]}{result.datetime[8:10]}T"
                         f"{result.datetime[11:13]}{result.datetime[14:16]}&s=12499.98"
                         f"&fn={result.fn_number}&i=2&fp={result.fiscal_sign}&n=1")
    refund = backend.submit("order-1-refund", "sell_refund",
                            receipt_for_total("sell_refund", total_kopecks=1249998)).result
    assert (refund.fd_number, refund.receipt_number, refund.operation_type) == (3, 2, 2)
    assert atol_web_emulator.documents() == {"order-1-sell": 1, "order-1-refund": 1}
    held = atol_web_emulator.report()["documents"][0]
    assert held["total"] == "12499.98" and held["payments"] == {"electronically": "12499.98"}


def test_status_goes_wait_then_ready(emulator_factory):
    server = emulator_factory("atol_web", pending_polls=2)
    backend = backend_for(server)
    assert backend.submit("k-wait", "sell", receipt_for_total()).state == PENDING  # poll 1: wait
    assert backend.query("k-wait", "sell").state == PENDING  # poll 2: inProgress
    outcome = backend.query("k-wait", "sell")
    assert outcome.state == DONE and outcome.result.fd_number == 2


def test_duplicate_uuid_is_adopted_not_sent_twice(atol_web_emulator):
    receipt = receipt_for_total()
    first = backend_for(atol_web_emulator).submit("dup-1", "sell", receipt)
    again = backend_for(atol_web_emulator).submit("dup-1", "sell", receipt)  # 409 -> GET
    assert again == first
    assert atol_web_emulator.documents() == {"dup-1": 1}
    held = atol_web_emulator.report()
    assert held["documents"][0]["posts"] == 2 and held["changed_resends"] == 0


def test_unknown_uuid_is_not_found(atol_web_emulator):
    assert backend_for(atol_web_emulator).query("never-sent").state == NOT_FOUND


def test_latency_beyond_the_timeout_is_transient(emulator_factory):
    server = emulator_factory("atol_web", latency_ms=int(CLIENT_TIMEOUT * 1000 * 2))
    backend = backend_for(server)
    with pytest.raises(TransientBackendError, match="no answer within"):
        backend.ping()


def test_blocked_task_holds_the_queue_then_settles_as_ready(atol_web_emulator):
    atol_web_emulator.set_faults(blocked=1, blocked_polls=1)
    backend = backend_for(atol_web_emulator)
    assert backend.submit("blocked-1", "sell", receipt_for_total()).state == PENDING
    assert backend.submit("behind-1", "sell", receipt_for_total()).state == PENDING  # accepted
    blocked = backend.ping()
    assert "BLOCKED" in blocked
    # The same facts for a front end that words them itself.
    assert blocked.facts["blocked"] and blocked.facts["queued"] >= 1
    assert backend.query("behind-1", "sell").state == PENDING  # the queue waits
    assert backend.query("blocked-1", "sell").state == DONE
    assert "BLOCKED" not in backend.ping()
    assert backend.ping().facts["blocked"] is None
    assert backend.query("behind-1", "sell").state == DONE
    assert atol_web_emulator.documents() == {"blocked-1": 1, "behind-1": 1}


def test_blocked_task_that_never_reached_the_fn_fails(atol_web_emulator):
    atol_web_emulator.set_faults(blocked_fail=1, blocked_polls=1)
    backend = backend_for(atol_web_emulator)
    assert backend.submit("lost-fn-1", "sell", receipt_for_total()).state == PENDING
    outcome = backend.query("lost-fn-1", "sell")
    assert outcome.state == FAILED and "code 4" in outcome.error
    assert atol_web_emulator.documents() == {"lost-fn-1": 0}


def test_register_error_is_a_final_failure(atol_web_emulator):
    atol_web_emulator.set_faults(fail=1)
    outcome = backend_for(atol_web_emulator).submit("fail-1", "sell", receipt_for_total())
    assert outcome.state == FAILED and "234" in outcome.error
    assert atol_web_emulator.documents() == {"fail-1": 0}


def test_requests_the_server_refuses_are_permanent(atol_web_emulator):
    backend = backend_for(atol_web_emulator)
    with pytest.raises(PermanentBackendError, match="HTTP 400"):
        backend.submit("", "sell", receipt_for_total())  # no uuid: 400
    with pytest.raises(PermanentBackendError, match="Invalid receipt bad-1: total"):
        backend.submit("bad-1", "sell", receipt_for_total(total="1.00"))
    with pytest.raises(PermanentBackendError, match="not the register's INN"):
        backend_for(atol_web_emulator, company_inn="7707083893").submit(
            "inn-1", "sell", receipt_for_total())
    with pytest.raises(PermanentBackendError, match="differs from the receipt's"):
        backend.submit("op-1", "buy", receipt_for_total())
    assert atol_web_emulator.documents() == {}


def test_wrong_credentials_are_permanent_and_never_shown(emulator_factory):
    server = emulator_factory("atol_web", login="admin", password="right-pass")
    assert backend_for(server).ping().startswith("ATOL Web Server")
    backend = backend_for(server, password="s3cret-Wrong")
    with pytest.raises(PermanentBackendError) as error:
        backend.submit("auth-1", "sell", receipt_for_total())
    assert "refused the credentials" in str(error.value)
    server.stop()
    with pytest.raises(TransientBackendError) as down:
        backend.query("auth-1")
    for message in (str(error.value), str(down.value)):
        assert "s3cret" not in message and "right-pass" not in message


def test_emulator_restart_keeps_dedup_and_numbering(atol_web_emulator):
    backend = backend_for(atol_web_emulator)
    first = backend.submit("r-1", "sell", receipt_for_total())
    atol_web_emulator.restart()
    assert backend.submit("r-1", "sell", receipt_for_total()) == first
    second = backend.submit("r-2", "sell", receipt_for_total())
    assert second.result.fd_number == first.result.fd_number + 1
    assert second.result.fn_number == first.result.fn_number
    assert atol_web_emulator.documents() == {"r-1": 1, "r-2": 1}


def test_shift_tasks_and_24_hour_limit(atol_web_emulator):
    backend = backend_for(atol_web_emulator)
    assert backend.run_task("getShiftStatus")["shiftStatus"]["state"] == "closed"
    opened = backend.run_task("openShift")["fiscalParams"]
    with pytest.raises(PermanentBackendError, match="already open"):
        backend.run_task("openShift")
    backend.submit("s-1", "sell", receipt_for_total(total_kopecks=1000))
    backend.submit("s-2", "sell_refund", receipt_for_total("sell_refund", total_kopecks=400))
    totals = backend.run_task("reportX")["shiftTotals"]
    assert totals["operations"] == {"sell": "10.00", "sell_refund": "4.00"}
    atol_web_emulator.age_shift(25)
    assert backend.run_task("getShiftStatus")["shiftStatus"]["state"] == "expired"
    late = backend.submit("s-3", "sell", receipt_for_total())
    assert late.state == FAILED and "68" in late.error
    closed = backend.run_task("closeShift")
    assert closed["fiscalParams"]["shiftNumber"] == opened["shiftNumber"]
    assert closed["shiftTotals"]["receiptsCount"] == 2
    with pytest.raises(PermanentBackendError, match="73"):
        backend.run_task("closeShift")
    assert backend.submit("s-4", "sell", receipt_for_total()).result.shift_number == 2
    with pytest.raises(PermanentBackendError, match="not supported"):
        backend.run_task("formatFn")


def test_rendering_is_deterministic_and_complete():
    receipt = receipt_for_total(
        "sell_correction", cashier={"name": "Petrov", "inn": "500100732259"},
        client={"phone": "+79991234567", "name": "OOO Vector", "inn": "7707083893"})
    receipt["items"][0].update(payment_object=33, mark_code="0104600439931256215abc")
    backend = AtolWebBackend("http://127.0.0.1:1", payment_address="Moscow, Tverskaya 1")
    first = json.dumps(backend.render("key-1", receipt))
    assert json.dumps(backend.render("key-1", json.loads(json.dumps(receipt)))) == first
    task = backend.render("key-1", receipt)["request"][0]
    assert task["type"] == "sellCorrection" and task["correctionType"] == "self"
    assert task["correctionBaseDate"] == "2026.11.01"
    assert task["operator"] == {"name": "Petrov", "vatin": "500100732259"}
    assert task["clientInfo"] == {"emailOrPhone": "+79991234567", "name": "OOO Vector",
                                  "vatin": "7707083893"}
    item = task["items"][0]
    assert item["paymentObject"] == "commodityWithMarking" and item["tax"] == {"type": "vat22"}
    assert item["imcParams"]["imcType"] == "auto"
    assert render_task(receipt)["payments"] == [{"type": "electronically", "sum": 12499.98}]
