"""A demo run with no Odoo: two emulated registers, generated receipts, faults, one drain.

It shows the outbox at work: answers lost after the document was stored, a
5xx burst, a dropped connection and a register that stays `blocked` for a
while; every receipt is still fiscalized exactly once, refunds after their
sales. Also the receipt generator used by the tests and the benchmark.
"""

import datetime as dt
import os
import tempfile
from decimal import Decimal

from .config import ConnectorConfig, DeviceConfig
from .connector import open_connector
from .emulators import PUBLIC_TEST_ACCOUNT, EmulatorServer

PRODUCTS = (
    ("Оправа Ray-Ban RB5154 49-21", "8900.00", "vat22"),
    ("Линза очковая 1.6 HMC sph -2.50", "2450.00", "vat22"),
    ("Контактные линзы Acuvue Oasys 6 шт.", "2300.00", "vat10"),
    ("Раствор для линз 360 мл", "590.00", "vat22"),
    ("Изготовление очков (работа)", "1200.00", "none"),
)


def sample_receipt(number, operation="sell"):
    """A valid FFD 1.2 receipt, different for each number (deterministic)."""
    lines = []
    for offset in range(1 + number % 3):
        name, price, vat = PRODUCTS[(number + offset) % len(PRODUCTS)]
        quantity = Decimal(1 + (number + offset) % 2)
        lines.append({
            "name": name, "price": price, "quantity": f"{quantity:.3f}",
            "sum": f"{Decimal(price) * quantity:.2f}", "vat": vat,
            "payment_method": "full_payment", "payment_object": 4 if vat == "none" else 1,
            "measure": 0, "mark_code": None,
        })
    total = f"{sum(Decimal(line['sum']) for line in lines):.2f}"
    moment = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=3)))
    return {
        "operation": operation,
        "timestamp": (moment + dt.timedelta(seconds=number)).isoformat(),
        "taxation": "osn",
        "company": {"inn": PUBLIC_TEST_ACCOUNT["inn"], "email": "shop@optics.example",
                    "payment_address": "https://v5.online.atol.ru"},
        "client": {"email": f"buyer{number}@example.ru"},
        "cashier": {"name": "Кассир Иванова"},
        "items": lines,
        "payments": [{"type": number % 2, "sum": total}],
        "total": total,
    }


def emulator_device(code, server, timeout=2.0):
    """The DeviceConfig that points a backend at an in-process emulator."""
    if server.kind == "atol_online":
        return DeviceConfig(code, "atol_online", server.url, PUBLIC_TEST_ACCOUNT["login"],
                            PUBLIC_TEST_ACCOUNT["password"], PUBLIC_TEST_ACCOUNT["group_code"],
                            PUBLIC_TEST_ACCOUNT["inn"], timeout=timeout)
    return DeviceConfig(code, "atol_web", server.url, timeout=timeout)


def run_demo(receipts=12, state_dir=None, echo=print):
    """Run the demo; return a summary dict (lost and duplicates must both be 0)."""
    echo = echo or (lambda *_: None)
    state_dir = state_dir or tempfile.mkdtemp(prefix="fiscal-demo-")
    servers = [
        EmulatorServer("atol_web", os.path.join(state_dir, "web"), pending_polls=1).start(),
        EmulatorServer("atol_online", os.path.join(state_dir, "online"), pending_polls=1,
                       timeout_seconds=1.0).start(),
    ]
    try:
        return _demo(receipts, state_dir, servers, echo)
    finally:
        for server in servers:
            server.stop()


def _demo(receipts, state_dir, servers, echo):
    web, online = servers
    echo(f"Emulators: ATOL Web Server at {web.url}, ATOL Online at {online.url}")
    config = ConnectorConfig(os.path.join(state_dir, "outbox.sqlite"), backoff_base=0.05,
                             backoff_cap=0.5, breaker_fail_max=20, breaker_reset_timeout=1.0,
                             poll_interval=0.2)
    devices = [emulator_device("shop1-kkt", web, timeout=0.5),
               emulator_device("cloud-kkt", online, timeout=0.5)]
    results = {}
    with open_connector(config, devices) as conn:
        keys = []
        for number in range(receipts):
            device = devices[number % 2].code
            key = f"demo-{number:04d}-sell"
            conn.enqueue(key, device, sample_receipt(number))
            keys.append((key, device))
            if number % 5 == 4:  # the customer brings it back
                refund = f"demo-{number:04d}-refund"
                conn.enqueue(refund, device, sample_receipt(number, "sell_refund"), after_key=key)
                keys.append((refund, device))
        echo(f"Queued {len(keys)} receipts (sales and refunds) for 2 registers")
        web.set_faults(lost=1, error_5xx=2, blocked=1)
        online.set_faults(lost=1, reset=1, timeout=1)
        echo("Faults armed: answers lost after storing, a 5xx burst, a reset, a timeout, "
             "a blocked register")

        def on_result(key, state, result, error):
            results[key] = (state, result, error)

        rounds = 0
        while len(results) < len(keys) and rounds < 20:
            report = conn.drain(max_seconds=10, on_result=on_result)
            rounds += 1
            echo(f"Drain {rounds}: done={report['done']} unknown={report['unknown']} "
                 f"dead={report['dead']} in {report['seconds']}s")
        status = conn.status()
    held = {}
    for server in servers:
        held.update(server.documents())
    for key, device in keys:
        state, result, error = results.get(key, ("not finished", None, None))
        detail = (f"FD {result['fd_number']} FP {result['fiscal_sign']}" if result
                  else error or "")
        echo(f"  {key:<22} {device:<10} {state:<5} {detail}  (documents at the register: "
             f"{held.get(key, 0)})")
    lost = sum(1 for key, _ in keys if held.get(key, 0) == 0)
    duplicates = sum(1 for key, _ in keys if held.get(key, 0) > 1)
    echo(f"{len(keys)} receipts, {sum(held.values())} fiscal documents, lost {lost}, "
         f"fiscalized twice {duplicates}; files in {state_dir}")
    return {"receipts": len(keys), "documents": sum(held.values()), "lost": lost,
            "duplicates": duplicates, "drains": rounds, "status": status,
            "state_dir": state_dir}
