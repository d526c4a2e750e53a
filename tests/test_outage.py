"""Long outages and refused settings: a device waits or pauses, its receipts never die.

Hours pass on a SimulatedClock (conftest): the drain's waits move it on, so an
afternoon offline takes seconds. The emulators are real HTTP servers started
late on their reserved ports; nothing listens there while they are "down".
"""

import dataclasses

from conftest import SimulatedClock, assert_device_order, assert_exactly_once, drain_all, free_port
from fiscal_connector.config import config_fingerprint
from fiscal_connector.demo import emulator_device, sample_receipt
from fiscal_connector.emulators import EmulatorServer

HOURS = 3600


def _down(kind, tmp_path):
    return EmulatorServer(kind, tmp_path / kind, port=free_port())


def test_eight_hours_offline_make_no_dead_letter_and_keep_each_device_in_order(
        connector_factory, tmp_path):
    clock = SimulatedClock()
    servers = [_down("atol_web", tmp_path), _down("atol_online", tmp_path)]
    devices = [emulator_device("web", servers[0], timeout=0.5),
               emulator_device("cloud", servers[1], timeout=0.5)]
    # The defaults' backoff (1 s doubling up to 300 s); the breaker trips after 5 failures.
    conn = connector_factory(devices, redis_enabled=False, clock=clock, backoff_base=1.0,
                             backoff_cap=300.0, breaker_fail_max=5, breaker_reset_timeout=0.05)
    keys = []
    for number in range(50):
        for code in ("web", "cloud"):
            keys.append(f"{code}-sale-{number}")
            conn.enqueue(keys[-1], code, sample_receipt(number))
    started = clock.time()
    while clock.time() - started < 8 * HOURS:  # drain runs one after the other, as the cron's
        report = conn.drain(max_seconds=HOURS)
        assert report["dead"] == 0 and report["done"] == 0
    status = conn.status()
    for code in ("web", "cloud"):
        info = status[code]
        assert info["depth"] == 50 and "dead" not in info["states"], info
        assert info["unreachable_since"] <= started + 60, info
        assert info["last_error"] and "connection failed" in info["last_error"]
        head = conn.entry(f"{code}-sale-0")
        assert head["state"] == "unknown" and head["attempts"] > 50, head
        # later receipts were never tried past the head: one device, one order
        assert conn.entry(f"{code}-sale-1")["attempts"] == 0
    assert conn.dead_letters() == []
    for server in servers:
        server.start()
    try:
        drain_all(conn, max_seconds=HOURS)
        assert_exactly_once(conn, keys, servers)
        assert_device_order(conn, servers, keys)
        status = conn.status()
        assert all(info["unreachable_since"] is None for info in status.values()), status
        assert all(info["last_error"] is None for info in status.values()), status
    finally:
        for server in servers:
            server.stop()


def test_a_retried_dead_letter_goes_out_before_what_was_sold_after_it(connector_factory,
                                                                      tmp_path):
    server = _down("atol_web", tmp_path)
    conn = connector_factory([emulator_device("web", server, timeout=0.5)])
    server.start()
    server.set_faults(reject=1)  # the register refuses the first receipt as invalid
    conn.enqueue("first", "web", sample_receipt(1))
    drain_all(conn, rounds=3)
    assert conn.entry("first")["state"] == "dead"
    server.stop()
    conn.enqueue("second", "web", sample_receipt(2))
    conn.enqueue("refund-of-first", "web", sample_receipt(1, "sell_refund"), after_key="first")
    conn.enqueue("third", "web", sample_receipt(3))
    conn.drain(max_seconds=1)  # the backend is down: everything waits
    assert conn.entry("second")["state"] in ("unknown", "pending")
    conn.retry_dead("first")
    server.start()
    try:
        drain_all(conn)
        keys = ["first", "second", "refund-of-first", "third"]
        assert_exactly_once(conn, keys, [server])
        fd = {doc["key"]: doc["fd_number"] for doc in server.report()["documents"]}
        assert fd["first"] < fd["second"] < fd["refund-of-first"] < fd["third"], fd
    finally:
        server.stop()


def test_refused_credentials_pause_the_device_until_its_settings_change(
        connector_factory, atol_online_emulator, tmp_path):
    good = emulator_device("cloud", atol_online_emulator)
    wrong = dataclasses.replace(good, password="not-the-password")
    outbox = tmp_path / "outbox.sqlite"
    conn = connector_factory([wrong], outbox_path=outbox)
    keys = [f"sale-{number}" for number in range(50)]
    for number, key in enumerate(keys):
        conn.enqueue(key, "cloud", sample_receipt(number))
    report = conn.drain(max_seconds=5)
    assert report["dead"] == 0
    assert report["devices"]["cloud"]["skipped"].startswith("paused: ")
    status = conn.status()["cloud"]
    assert "wrong login or password" in status["paused"] and status["depth"] == 50
    assert conn.entry("sale-0")["state"] == "pending" and conn.entry("sale-0")["attempts"] == 0
    # still paused on the next run with the same settings: nothing is sent
    assert conn.drain(max_seconds=2)["devices"]["cloud"]["skipped"].startswith("paused: ")
    assert atol_online_emulator.documents() == {}
    fixed = connector_factory([good], outbox_path=outbox)  # the admin fixed the password
    drain_all(fixed)
    assert fixed.status()["cloud"]["paused"] is None
    assert_exactly_once(fixed, keys, [atol_online_emulator])
    assert fixed.dead_letters() == []


def test_a_successful_connection_test_resumes_a_paused_device(connector_factory,
                                                              atol_web_emulator):
    device = emulator_device("web", atol_web_emulator)
    conn = connector_factory([device])
    conn.outbox.pause("web", "credentials refused", config_fingerprint(device))
    conn.enqueue("k", "web", sample_receipt(1))
    assert conn.drain(max_seconds=1)["devices"]["web"]["skipped"] == (
        "paused: credentials refused")
    assert "ATOL Web Server" in conn.test_connection("web")
    assert conn.status()["web"]["paused"] is None
    drain_all(conn)
    assert_exactly_once(conn, ["k"], [atol_web_emulator])
