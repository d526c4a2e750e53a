"""The drain against the real emulators over HTTP, with the real Redis."""

import dataclasses

import pytest
import redis
from conftest import (
    REDIS_URL,
    SimulatedClock,
    assert_device_order,
    assert_exactly_once,
    drain_all,
    free_port,
)
from fiscal_connector.demo import emulator_device, sample_receipt
from fiscal_connector.drain import backoff_delay
from fiscal_connector.emulators import EmulatorServer
from fiscal_connector.errors import FiscalError, PermanentBackendError


def test_drains_both_backends_in_order(connector_factory, atol_web_emulator, atol_online_emulator):
    servers = [atol_web_emulator, atol_online_emulator]
    conn = connector_factory([emulator_device("web", atol_web_emulator),
                              emulator_device("cloud", atol_online_emulator)])
    keys = []
    for number in range(10):
        device = ("web", "cloud")[number % 2]
        keys.append(f"sale-{number}")
        conn.enqueue(keys[-1], device, sample_receipt(number))
    results = {}
    report = conn.drain(max_seconds=20, on_result=lambda *args: results.setdefault(args[0], args))
    assert report["done"] == 10 and report["redis"] is True
    assert report["devices"]["web"]["lock"] == "redis+file"
    assert_exactly_once(conn, keys, servers)
    assert_device_order(conn, servers, keys)
    key, state, result, error = results["sale-3"]
    assert (state, error) == ("done", None)
    assert result == conn.entry("sale-3")["result"]
    assert result["fn_number"] and result["fd_number"] > 0 and result["qr"].startswith("t=")
    assert conn.status()["web"]["depth"] == 0


def test_callback_is_offered_again_until_it_returns(connector_factory, atol_web_emulator):
    conn = connector_factory([emulator_device("web", atol_web_emulator)])
    conn.enqueue("k1", "web", sample_receipt(1))

    def failing(*_):
        raise RuntimeError("the caller's database is down")

    conn.drain(max_seconds=10, on_result=failing)
    assert conn.entry("k1")["state"] == "done"
    seen = []
    report = conn.drain(max_seconds=5, on_result=lambda *args: seen.append(args[:2]))
    assert seen == [("k1", "done")] and report["notified"] == 1
    conn.drain(max_seconds=5, on_result=lambda *args: seen.append(args[:2]))
    assert seen == [("k1", "done")]  # delivered once it returned: not again


def test_refund_waits_for_its_sale_on_another_device(connector_factory, atol_web_emulator,
                                                     tmp_path):
    port = free_port()
    late = EmulatorServer("atol_web", tmp_path / "late", port=port)
    down_device = emulator_device("down", late, timeout=0.3)  # nothing listens yet
    conn = connector_factory([down_device, emulator_device("web", atol_web_emulator)])
    conn.enqueue("sale", "down", sample_receipt(1))
    conn.enqueue("refund", "web", sample_receipt(1, "sell_refund"), after_key="sale")
    conn.enqueue("next-sale", "web", sample_receipt(2))
    conn.drain(max_seconds=1)
    assert conn.entry("refund")["state"] == "retry_wait"
    assert conn.entry("next-sale")["state"] == "pending"  # head of line: not sent past the refund
    assert atol_web_emulator.documents() == {}
    late.start()
    try:
        drain_all(conn)
        assert_exactly_once(conn, ["sale"], [late])
        assert_exactly_once(conn, ["refund", "next-sale"], [atol_web_emulator])
        assert_device_order(conn, [atol_web_emulator], ["refund", "next-sale"])
    finally:
        late.stop()


def test_permanent_error_goes_dead_and_retry_keeps_the_key(connector_factory,
                                                           atol_online_emulator):
    # A device that does not know its group's INN: only the backend can refuse the receipt.
    device = dataclasses.replace(emulator_device("cloud", atol_online_emulator), company_inn="")
    conn = connector_factory([device])
    receipt = sample_receipt(1)
    receipt["company"]["inn"] = "7707083893"  # valid INN, but not the group's
    conn.enqueue("wrong-inn", "cloud", receipt)
    conn.enqueue("good", "cloud", sample_receipt(2))
    outcomes = {}
    conn.drain(max_seconds=10, on_result=lambda key, state, result, error:
               outcomes.setdefault(key, (state, error)))
    assert outcomes["wrong-inn"][0] == "dead" and "INN" in outcomes["wrong-inn"][1]
    assert outcomes["good"][0] == "done"  # a dead letter does not block the device
    assert [row["key"] for row in conn.dead_letters()] == ["wrong-inn"]
    conn.retry_dead("wrong-inn")
    assert conn.entry("wrong-inn")["state"] == "pending"
    conn.drain(max_seconds=5)
    assert conn.entry("wrong-inn")["state"] == "dead"  # still wrong, still the same key
    assert "wrong-inn" not in atol_online_emulator.documents()


def test_breaker_opens_half_opens_and_closes_shared_in_redis(connector_factory, tmp_path,
                                                            redis_prefix):
    port = free_port()
    server = EmulatorServer("atol_web", tmp_path / "web", port=port)
    device = emulator_device("web", server, timeout=0.2)
    conn = connector_factory([device], breaker_fail_max=3, breaker_reset_timeout=3.0)
    conn.enqueue("k", "web", sample_receipt(1))
    report = conn.drain(max_seconds=1.0)  # ends before the reset (Redis keeps whole seconds)
    assert report["devices"]["web"]["skipped"] == "circuit breaker open"
    assert conn.entry("k")["attempts"] == 3  # tripped after exactly fail_max transport failures
    client = redis.Redis.from_url(REDIS_URL)
    assert client.get(f"{redis_prefix}fiscal:breaker:web:pybreaker:state") == b"open"
    # Another process's connector sees the same open breaker and does not call.
    other = connector_factory([device], outbox_path=tmp_path / "other.sqlite",
                              breaker_fail_max=3, breaker_reset_timeout=3.0)
    other.enqueue("k2", "web", sample_receipt(2))
    assert other.drain(max_seconds=1)["devices"]["web"]["skipped"] == "circuit breaker open"
    assert other.entry("k2")["attempts"] == 0
    fresh = connector_factory([device], outbox_path=tmp_path / "fresh.sqlite")
    assert fresh.status()["web"]["breaker"] == "open"  # read from Redis, not from memory
    server.start()
    try:
        drain_all(conn)  # after the reset timeout: a trial call (half-open) succeeds and closes it
        assert conn.status()["web"]["breaker"] == "closed"
        assert client.get(f"{redis_prefix}fiscal:breaker:web:pybreaker:state") == b"closed"
        assert_exactly_once(conn, ["k"], [server])
    finally:
        server.stop()
        client.close()


def test_backoff_is_capped_with_jitter():
    delays = [backoff_delay(attempt, 1.0, 300.0) for attempt in range(1, 20)]
    assert 0.5 <= delays[0] <= 1.0
    assert 4.0 <= delays[3] <= 8.0
    assert all(150.0 <= delay <= 300.0 for delay in delays[10:])
    assert 150.0 <= backoff_delay(100_000, 1.0, 300.0) <= 300.0  # a shift-long outage


def test_without_redis_it_uses_file_locks(connector_factory, atol_web_emulator):
    conn = connector_factory([emulator_device("web", atol_web_emulator)], redis_enabled=False)
    conn.enqueue("k", "web", sample_receipt(1))
    report = conn.drain(max_seconds=10)
    assert report["redis"] is False and report["devices"]["web"]["lock"] == "file"
    assert_exactly_once(conn, ["k"], [atol_web_emulator])


def test_register_tasks_and_connection_check(connector_factory, atol_web_emulator,
                                             atol_online_emulator):
    conn = connector_factory([emulator_device("web", atol_web_emulator),
                              emulator_device("cloud", atol_online_emulator)])
    assert "ATOL Web Server" in conn.test_connection("web")
    assert "credentials accepted" in conn.test_connection("cloud")
    opened = conn.run_task("web", "openShift")
    assert opened["fiscalParams"]["fiscalDocumentNumber"] > 0
    assert conn.run_task("web", "getShiftStatus")["shiftStatus"]["state"] == "opened"
    with pytest.raises(FiscalError, match="Unknown device"):
        conn.run_task("nope", "reportX")
    with pytest.raises(PermanentBackendError):
        conn.run_task("cloud", "openShift")  # a cloud register has no shift tasks here


def test_purge_through_the_facade(connector_factory, atol_web_emulator):
    conn = connector_factory([emulator_device("web", atol_web_emulator)], retention_days=0)
    conn.enqueue("k", "web", sample_receipt(1))
    conn.drain(max_seconds=10)
    assert conn.purge() == 1 and conn.entry("k") is None
    assert conn.enqueue("k", "web", sample_receipt(1)) is False  # still idempotent
    assert atol_web_emulator.documents() == {"k": 1}


def test_redis_gone_when_a_breaker_is_made_falls_back_to_this_process(
        connector_factory, atol_web_emulator):
    """Redis answered the drain's check, then died before the device's breaker was made."""
    conn = connector_factory([emulator_device("web", atol_web_emulator)])
    dead_redis = redis.Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.5)
    breakers = conn._breakers_for(["web"], dead_redis)  # noqa: SLF001 - the race, made certain
    assert breakers["web"].current_state == "closed"
    conn.enqueue("k", "web", sample_receipt(1))
    conn.drain(max_seconds=10)
    assert_exactly_once(conn, ["k"], [atol_web_emulator])


def test_atol_online_is_asked_again_no_sooner_than_a_second_after_a_failure(
        connector_factory, atol_online_emulator):
    """ATOL Online's rule, whatever the backoff settings say (here a few milliseconds)."""
    conn = connector_factory([emulator_device("cloud", atol_online_emulator)])
    conn.enqueue("sale-lost", "cloud", sample_receipt(1))
    atol_online_emulator.set_faults(lost=1)
    before = conn.outbox.clock.time()
    report = conn.drain(max_seconds=0.5)
    assert report["unknown"] == 1
    row = conn.entry("sale-lost")
    assert row["state"] == "unknown"
    assert row["next_attempt_at"] - before >= 1.0
    drain_all(conn)
    assert_exactly_once(conn, ["sale-lost"], [atol_online_emulator])


def test_receipts_pass_one_whose_answer_was_lost_within_the_send_window(
        connector_factory, atol_online_emulator):
    """A lost answer holds its receipt for ATOL Online's second; with a window the
    receipts behind it go out meanwhile, each still fiscalized once."""
    device = dataclasses.replace(emulator_device("cloud", atol_online_emulator), send_window=4)
    conn = connector_factory([device])
    keys = [f"sale-{number}" for number in range(4)]
    for number, key in enumerate(keys):
        conn.enqueue(key, "cloud", sample_receipt(number))
    atol_online_emulator.set_faults(lost=1)
    drain_all(conn)
    assert_exactly_once(conn, keys, [atol_online_emulator])
    # The register took sale-0 first (only its answer was lost); the outbox learnt it last.
    done_at = {key: conn.entry(key)["done_at"] for key in keys}
    assert sorted(keys, key=done_at.get) == keys[1:] + keys[:1]


def test_the_backoff_follows_the_device_not_one_unlucky_receipt(
        connector_factory, atol_online_emulator):
    """A receipt that loses its answer again after another receipt went through waits
    the first step of the backoff (2-4 s here), not the second (4-8 s)."""
    device = dataclasses.replace(emulator_device("cloud", atol_online_emulator), send_window=2)
    clock = SimulatedClock()
    conn = connector_factory([device], clock=clock, backoff_base=4.0, backoff_cap=300.0)
    conn.enqueue("unlucky", "cloud", sample_receipt(1))
    conn.enqueue("lucky", "cloud", sample_receipt(2))
    atol_online_emulator.set_faults(lost=1)
    conn.drain(max_seconds=1)  # unlucky's answer is lost, lucky goes through meanwhile
    assert conn.entry("lucky")["state"] == "done"
    clock.advance(10)
    atol_online_emulator.set_faults(lost=1)
    conn.drain(max_seconds=1)
    row = conn.entry("unlucky")
    assert (row["state"], row["attempts"]) == ("unknown", 2)
    assert 2.0 <= row["next_attempt_at"] - row["updated_at"] <= 4.0
    clock.advance(10)
    drain_all(conn)
    assert_exactly_once(conn, ["unlucky", "lucky"], [atol_online_emulator])


def test_send_window_is_a_whole_number_from_one(atol_online_emulator):
    for wrong in (0, -1, 1.5, True):
        with pytest.raises(FiscalError, match="send_window"):
            dataclasses.replace(emulator_device("cloud", atol_online_emulator),
                                send_window=wrong)


PLACE = "Оптика «Зоркий глаз»"  # tag 1187: where the settlement is made
ADDRESS = "г. Москва, ул. Ленина, д. 1"  # tag 1009: its address


def test_settlement_place_and_address_reach_both_registers_under_their_tags(
        connector_factory, atol_web_emulator, atol_online_emulator):
    conn = connector_factory([emulator_device("web", atol_web_emulator),
                              emulator_device("cloud", atol_online_emulator)])
    for device in ("web", "cloud"):
        receipt = sample_receipt(1)
        receipt["company"].update(payment_address=PLACE, location=ADDRESS)
        conn.enqueue(f"placed-{device}", device, receipt)
    drain_all(conn)
    task = atol_web_emulator.body("placed-web")["request"][0]
    assert (task["paymentsPlace"], task["paymentsAddress"]) == (PLACE, ADDRESS)
    company = atol_online_emulator.body("placed-cloud")["receipt"]["company"]
    assert (company["payment_address"], company["location"]) == (PLACE, ADDRESS)


def test_a_company_buyer_by_name_and_inn_on_a_paper_receipt(connector_factory, atol_web_emulator,
                                                            atol_online_emulator):
    """Tags 1227 and 1228 without an e-mail or phone: fine on paper, refused for the cloud."""
    conn = connector_factory([emulator_device("web", atol_web_emulator),
                              emulator_device("cloud", atol_online_emulator)])
    receipt = sample_receipt(1)
    receipt["client"] = {"name": "ООО «Линза»", "inn": "7707083893"}
    receipt["cashier"] = {"name": "Кассир Иванова", "inn": "500100732259"}
    conn.enqueue("company-buyer", "web", receipt)
    with pytest.raises(FiscalError, match="ATOL Online sends the receipt to the buyer"):
        conn.enqueue("company-buyer-cloud", "cloud", receipt)
    drain_all(conn)
    task = atol_web_emulator.body("company-buyer")["request"][0]
    assert task["clientInfo"] == {"name": "ООО «Линза»", "vatin": "7707083893"}
    assert task["operator"] == {"name": "Кассир Иванова", "vatin": "500100732259"}
    assert_exactly_once(conn, ["company-buyer"], [atol_web_emulator])
