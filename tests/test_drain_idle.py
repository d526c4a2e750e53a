"""A drain that stays for documents queued while it runs (the Odoo cron's way of draining)."""

import pytest
from conftest import assert_device_order, assert_exactly_once
from fiscal_connector.demo import emulator_device, sample_receipt

SALES = 12
TICKS_BETWEEN_SALES = 3


def test_documents_queued_while_it_runs_go_out_in_the_same_drain(
    connector_factory, atol_web_emulator, atol_online_emulator
):
    servers = [atol_web_emulator, atol_online_emulator]
    conn = connector_factory([emulator_device("web", atol_web_emulator),
                              emulator_device("cloud", atol_online_emulator)])
    keys, ticks, reported_at_tick = [], [0], {}

    def sell_now_and_then():
        """A till: a sale every few ticks, on alternate registers."""
        ticks[0] += 1
        if len(keys) == SALES or ticks[0] % TICKS_BETWEEN_SALES:
            return 0
        keys.append(f"sale-{len(keys)}")
        conn.enqueue(keys[-1], ("web", "cloud")[len(keys) % 2], sample_receipt(len(keys)))
        return 1

    def on_result(key, state, _result, error):
        assert (state, error) == ("done", None)
        reported_at_tick.setdefault(key, ticks[0])

    report = conn.drain(max_seconds=60, on_result=on_result, idle_seconds=0.5,
                        on_tick=sell_now_and_then)

    assert len(keys) == SALES and report["done"] == SALES
    assert set(reported_at_tick) == set(keys)
    # Results came while sales were still being made, not all at the end.
    assert reported_at_tick["sale-0"] < SALES * TICKS_BETWEEN_SALES
    # It ended because nothing came for idle_seconds, long before its budget.
    assert report["seconds"] < 30
    assert_exactly_once(conn, keys, servers)
    assert_device_order(conn, servers, keys)
    assert report["devices"]["web"]["skipped"] is None


def test_an_idle_drain_with_nothing_to_do_ends(connector_factory, atol_web_emulator):
    conn = connector_factory([emulator_device("web", atol_web_emulator)])
    ticks = []
    report = conn.drain(max_seconds=60, idle_seconds=0.2, on_tick=lambda: ticks.append(1) and 0)
    assert report["done"] == 0 and ticks
    assert report["seconds"] < 30


def test_drainer_processes_do_not_wait_for_new_documents(connector_factory, atol_web_emulator):
    conn = connector_factory([emulator_device("web", atol_web_emulator)])
    with pytest.raises(ValueError, match="does not wait"):
        conn.drain(processes=2, idle_seconds=1, on_tick=lambda: 0)
