"""Time of pos.order.create_from_ui with optics_pos_ru54fz installed versus plain Odoo POS.

Two databases, measured in the same run: one with point_of_sale only (plain),
one where optics_pos_ru54fz is installed and the point of sale has a fiscal
register. The same orders (1 order per call, then 50 orders per call) are sent
through create_from_ui in each; every measurement runs in a transaction that is
rolled back, so the databases are left as they were. The register's URL is
never called: create_from_ui only gives the order its fiscal key.

    source .venv/bin/activate
    python benchmarks/bench_pos_create_from_ui.py --plain-db DB1 --fiscal-db DB2 \
        --addons-path /work/odoo17/addons,addons [--rounds 15]

Both databases need point_of_sale with its demo data (the demo shop and
products); DB2 also optics_pos_ru54fz.
"""

import argparse
import random
import statistics
import time
import uuid

import odoo
from odoo import fields
from odoo.tools import config


def order_data(env, session, products, cash_method):
    """One paid order as the POS frontend sends it: three lines, one cash payment."""
    uid = "%05d-%03d-%04d" % (
        random.randint(1, 99999),
        random.randint(1, 999),
        random.randint(1, 9999),
    )
    lines, total = [], 0.0
    for product in random.sample(products, 3):
        price = product.lst_price
        taxes = product.taxes_id.filtered(lambda t: t.company_id == session.company_id)
        values = taxes.compute_all(price, session.currency_id, 1, product=product)
        total += values["total_included"]
        lines.append(
            (
                0,
                0,
                {
                    "product_id": product.id,
                    "full_product_name": product.display_name,
                    "qty": 1,
                    "price_unit": price,
                    "discount": 0,
                    "price_subtotal": values["total_excluded"],
                    "price_subtotal_incl": values["total_included"],
                    "tax_ids": [(6, 0, taxes.ids)],
                    "pack_lot_ids": [],
                    "id": random.randint(1, 10**6),
                },
            )
        )
    now = fields.Datetime.to_string(fields.Datetime.now())
    return {
        "id": uid,
        "to_invoice": False,
        "data": {
            "name": f"Order {uid}",
            "uid": uid,
            "pos_session_id": session.id,
            "user_id": env.uid,
            "partner_id": False,
            "pricelist_id": session.config_id.pricelist_id.id,
            "fiscal_position_id": False,
            "sequence_number": 1,
            "date_order": now,
            "lines": lines,
            "amount_total": total,
            "amount_paid": total,
            "amount_tax": 0.0,
            "amount_return": 0,
            "statement_ids": [
                (0, 0, {"amount": total, "name": now, "payment_method_id": cash_method.id})
            ],
            "access_token": str(uuid.uuid4()),
        },
    }


def prepare(env, fiscal):
    pos_config = env.ref("point_of_sale.pos_config_main")
    if not pos_config.current_session_id:
        pos_config.open_ui()
    session = pos_config.current_session_id
    if fiscal:
        device = env["fiscal.device"].create(
            {
                "name": "Benchmark KKT",
                "url": "http://127.0.0.1:9/",
                "company_inn": "5544332219",
            }
        )
        pos_config.fiscal_device_id = device
    products = env["product.product"].search(
        [("available_in_pos", "=", True), ("list_price", ">", 0)], limit=20
    )
    if fiscal:
        # The demo shop's taxes (15 %) have no Russian rate: a mapping, as a store would add,
        # so the till's receipt check passes as for any real sale.
        taxes = products.taxes_id.filtered(lambda tax: tax.company_id == session.company_id)
        env["fiscal.vat.mapping"].create(
            {"name": "Benchmark: demo taxes", "vat_code": "vat20", "tax_ids": taxes.ids}
        )
    cash = pos_config.payment_method_ids.filtered("is_cash_count")[:1]
    return session, list(products), cash


class Till:
    """One database's till, open for the whole run; its transaction is rolled back at the end."""

    def __init__(self, dbname, fiscal):
        self.fiscal = fiscal
        self.cr = odoo.registry(dbname).cursor()
        self.env = odoo.api.Environment(self.cr, odoo.SUPERUSER_ID, {})
        self.session, self.products, self.cash = prepare(self.env, fiscal)
        self.call(1)  # warm the caches

    def call(self, size):
        """Seconds and SQL queries of one create_from_ui call with `size` new orders."""
        batch = [order_data(self.env, self.session, self.products, self.cash) for _n in range(size)]
        queries = self.cr.sql_log_count
        started, cpu_started = time.perf_counter(), time.process_time()
        result = self.env["pos.order"].create_from_ui(batch)
        self.env.flush_all()
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        queries = self.cr.sql_log_count - queries
        assert len(result) == size
        if self.fiscal:
            orders = self.env["pos.order"].browse([row["id"] for row in result])
            assert set(orders.mapped("fiscal_state")) == {"to_send"}
        return elapsed, cpu, queries

    def close(self):
        self.cr.rollback()
        self.cr.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--plain-db", required=True)
    parser.add_argument("--fiscal-db", required=True)
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--config", default="odoo.conf")
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    config.parse_config(
        ["-c", args.config, f"--addons-path={args.addons_path}", "--log-level=warn"]
    )
    tills = {"plain": Till(args.plain_db, False), "fiscal": Till(args.fiscal_db, True)}
    rounds = {1: args.rounds, 50: max(3, args.rounds // 5)}
    print("create_from_ui, plain POS vs with optics_pos_ru54fz; calls alternate between the two")
    print("databases so both share the machine's load. Medians over the rounds: wall time, CPU")
    print("time of this Odoo process (steadier on a loaded machine), SQL statements per call.")
    print(
        f"{'orders/call':>11} {'rounds':>6} | {'wall plain':>10} {'wall 54FZ':>10} {'over':>6} |"
        f" {'CPU plain':>10} {'CPU 54FZ':>10} {'over':>6} | {'SQL plain':>9} {'SQL 54FZ':>8}"
    )
    try:
        for size in (1, 50):
            wall, cpu, queries = {}, {}, {}
            for _round in range(rounds[size]):
                for label, till in tills.items():
                    elapsed, used, queries[label] = till.call(size)
                    wall.setdefault(label, []).append(elapsed)
                    cpu.setdefault(label, []).append(used)
            wall = {label: statistics.median(values) * 1000 for label, values in wall.items()}
            cpu = {label: statistics.median(values) * 1000 for label, values in cpu.items()}
            print(
                f"{size:>11} {rounds[size]:>6} |"
                f" {wall['plain']:>8.1f}ms {wall['fiscal']:>8.1f}ms"
                f" {100 * (wall['fiscal'] / wall['plain'] - 1):>5.1f}% |"
                f" {cpu['plain']:>8.1f}ms {cpu['fiscal']:>8.1f}ms"
                f" {100 * (cpu['fiscal'] / cpu['plain'] - 1):>5.1f}% |"
                f" {queries['plain']:>9} {queries['fiscal']:>8}"
            )
    finally:
        for till in tills.values():
            till.close()
    print("target: overhead under 10%")


if __name__ == "__main__":
    main()
