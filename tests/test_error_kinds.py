"""Each error the outbox keeps carries its kind beside its English text, for a front end
that words it in its user's language: against the real emulators over HTTP."""

import dataclasses

from conftest import drain_all
from fiscal_connector.demo import emulator_device, sample_receipt


def test_refused_unreachable_paused_and_reference_errors_have_their_kinds(
        connector_factory, atol_web_emulator, atol_online_emulator):
    cloud = dataclasses.replace(emulator_device("cloud", atol_online_emulator),
                                password="wrong")
    down = dataclasses.replace(emulator_device("down", atol_web_emulator),
                               url="http://127.0.0.1:9", timeout=0.2)
    conn = connector_factory([emulator_device("web", atol_web_emulator), cloud, down])
    atol_web_emulator.set_faults(fail=1)  # an FN error, code 234
    conn.enqueue("refused", "web", sample_receipt(1))
    conn.enqueue("its-return", "web", sample_receipt(1, "sell_refund"), after_key="refused")
    conn.enqueue("waits", "cloud", sample_receipt(2))
    conn.enqueue("nobody-answers", "down", sample_receipt(3))
    drain_all(conn, rounds=2, max_seconds=2)
    assert conn.entry("refused")["last_error_kind"] == "refused:234"
    assert conn.entry("its-return")["last_error_kind"] == "reference"
    assert conn.entry("nobody-answers")["last_error_kind"] == "unreachable"
    status = conn.status()
    assert status["cloud"]["paused_kind"] == "settings:12"
    assert status["down"]["last_error_kind"] == "unreachable"
    assert status["web"]["last_error_kind"] == "refused:234"
