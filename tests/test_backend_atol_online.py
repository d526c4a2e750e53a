"""ATOL Online v5 backend against its emulator over HTTP on loopback."""

import json

import pytest
from fiscal_connector.backends import BACKENDS, AtolOnlineBackend
from fiscal_connector.backends.base import DONE, FAILED, NOT_FOUND, PENDING
from fiscal_connector.errors import PermanentBackendError
from fixtures_emulators import receipt_for_total

CLIENT_TIMEOUT = 0.4


def backend_for(server, **overrides):
    return BACKENDS["atol_online"].from_config(
        {**server.device_config(timeout=CLIENT_TIMEOUT), **overrides})


def test_sale_is_fiscalized_and_its_uuid_kept(atol_online_emulator):
    backend = backend_for(atol_online_emulator)
    outcome = backend.submit("order-1-sell", "sell", receipt_for_total(total_kopecks=99))
    assert outcome.state == DONE
    held = atol_online_emulator.report()
    document = held["documents"][0]
    assert outcome.ref == document["ref"]
    result = outcome.result
    assert result.fn_number == held["register"]["fn"]
    assert result.registration_number == held["register"]["rnm"]
    assert (result.fd_number, result.total, result.operation_type) == (2, "0.99", 1)
    assert result.fiscal_sign == document["fiscal_sign"]
    assert result.qr.endswith(f"&s=0.99&fn={result.fn_number}&i=2&fp={result.fiscal_sign}&n=1")
    buy = backend.submit("expense-1", "buy", receipt_for_total("buy", total_kopecks=500)).result
    assert (buy.fd_number, buy.receipt_number, buy.operation_type) == (3, 2, 3)
    assert atol_online_emulator.documents() == {"order-1-sell": 1, "expense-1": 1}


def test_report_wait_then_done_and_one_token(emulator_factory):
    server = emulator_factory("atol_online", pending_polls=2)
    backend = backend_for(server)
    assert backend.submit("w-1", "sell", receipt_for_total()).state == PENDING
    assert backend.query("w-1", "sell").state == PENDING
    assert backend.query("w-1", "sell").state == DONE
    for index in range(3):
        backend.submit(f"w-{index + 2}", "sell", receipt_for_total())
    assert server.report()["tokens_issued"] == 1  # cached, not asked per call


def test_duplicate_external_id_adopts_the_first_document(atol_online_emulator):
    receipt = receipt_for_total()
    first = backend_for(atol_online_emulator).submit("dup-1", "sell", receipt)
    # a fresh process: no uuid known, the resend is answered 33 with the first uuid
    fresh = backend_for(atol_online_emulator)
    assert fresh.query("dup-1", "sell").state == NOT_FOUND
    again = fresh.query("dup-1", "sell", receipt)
    assert again == first
    assert atol_online_emulator.documents() == {"dup-1": 1}
    held = atol_online_emulator.report()
    assert held["documents"][0]["posts"] == 2 and held["changed_resends"] == 0


def test_expired_token_is_renewed_once(atol_online_emulator):
    backend = backend_for(atol_online_emulator)
    backend.submit("t-1", "sell", receipt_for_total())
    atol_online_emulator.expire_tokens()
    assert backend.submit("t-2", "sell", receipt_for_total()).state == DONE
    assert atol_online_emulator.report()["tokens_issued"] == 2


def test_report_fail_is_final(atol_online_emulator):
    atol_online_emulator.set_faults(fail=1)
    outcome = backend_for(atol_online_emulator).submit("fail-1", "sell", receipt_for_total())
    assert outcome.state == FAILED and "234" in outcome.error
    assert atol_online_emulator.documents() == {"fail-1": 0}


def test_configuration_errors_are_permanent_and_hide_credentials(emulator_factory):
    server = emulator_factory("atol_online", group_codes=["v5-online-atol-ru_5179"])
    wrong = backend_for(server, password="s3cret-Wrong")
    with pytest.raises(PermanentBackendError) as error:
        wrong.submit("c-1", "sell", receipt_for_total())
    assert error.value.code == 12 and "configuration error 12" in str(error.value)
    assert "s3cret" not in str(error.value) and "s3cret" not in repr(wrong)
    with pytest.raises(PermanentBackendError) as group:
        backend_for(server, group_code="other-group").submit("c-2", "sell", receipt_for_total())
    assert group.value.code == 20
    # The group code is a credential: the answer shown to users does not name it.
    assert backend_for(server).ping() == "ATOL Online: credentials accepted"
    assert server.documents() == {}


def test_validation_errors_are_permanent(atol_online_emulator):
    backend = backend_for(atol_online_emulator, company_inn="")
    other_company = receipt_for_total(company={"inn": "7707083893", "email": "a@b.ru",
                                               "payment_address": "x"})
    with pytest.raises(PermanentBackendError) as error:  # the service checks the group's INN
        backend.submit("v-1", "sell", other_company)
    assert error.value.code == 32
    receipt = receipt_for_total()
    receipt["items"][0].update(price="1.00", quantity="0.3333", sum="0.33")
    receipt["payments"][0]["sum"] = receipt["total"] = "0.33"
    with pytest.raises(PermanentBackendError, match="more than 3 decimals"):
        backend.submit("v-2", "sell", receipt)
    no_client = {k: v for k, v in receipt_for_total().items() if k != "client"}
    with pytest.raises(PermanentBackendError, match="buyer's email or phone"):
        backend.submit("v-3", "sell", no_client)
    assert atol_online_emulator.documents() == {}


def test_emulator_restart_keeps_dedup_and_numbering(atol_online_emulator):
    backend = backend_for(atol_online_emulator)
    receipt = receipt_for_total()
    first = backend.submit("r-1", "sell", receipt)
    atol_online_emulator.restart()
    assert backend_for(atol_online_emulator).query("r-1", "sell", receipt) == first
    second = backend.submit("r-2", "sell", receipt)  # the old token still works
    assert second.result.fd_number == first.result.fd_number + 1
    assert atol_online_emulator.documents() == {"r-1": 1, "r-2": 1}


def test_rendering_is_deterministic_and_complete():
    receipt = receipt_for_total("buy_refund_correction",
                                cashier={"name": "Petrov", "inn": "500100732259"})
    receipt["correction"].update(type="instruction", base_number="12-3")
    receipt["items"].append({"name": "Cleaning cloth", "price": "100.00", "quantity": "2",
                             "sum": "200.00", "vat": "none", "payment_method": "full_payment"})
    receipt["payments"][0]["sum"] = receipt["total"] = "12699.98"
    backend = AtolOnlineBackend("http://127.0.0.1:1/possystem/v5", "login", "pass", "group")
    body = backend.render("key-1", "buy_refund_correction", receipt)
    assert json.dumps(backend.render("key-1", "buy_refund_correction",
                                     json.loads(json.dumps(receipt)))) == json.dumps(body)
    assert body["external_id"] == "key-1" and body["timestamp"] == "28.11.2026 20:30:00"
    document = body["correction"]
    assert document["correction_info"] == {"type": "instruction", "base_date": "01.11.2026",
                                           "base_number": "12-3"}
    assert document["vats"] == [{"type": "none"}, {"type": "vat22", "sum": 2254.09}]
    assert document["items"][0]["vat"] == {"type": "vat22", "sum": 2254.09}  # 12499.98*22/122
    assert document["company"]["sno"] == "osn"
    assert (document["cashier"], document["cashier_inn"]) == ("Petrov", "500100732259")
