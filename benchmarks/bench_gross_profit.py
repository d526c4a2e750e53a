#!/usr/bin/env python
"""Time the gross profit report (ru_accounting_extras) on a year of POS sales.

Data: 20 stores, 40 tills (2 per store), 4,000 receipts a day for a year
(~1.46 million pos.order, ~2.9 million pos.order.line with the default two
lines a receipt). Creating that through the ORM would take many hours, so:

1. the database is a throwaway copy (``createdb -T``) of a template that has
   ru_accounting_extras installed (``--template``; ``--install`` builds one);
2. the few "dimension" records (cash journals, stores, tills with their cash
   payment methods, cashiers, categories, products) are created through the
   ORM, so they are valid Odoo records;
3. the sales are inserted in bulk with ``INSERT ... SELECT generate_series``
   straight into the tables the report's SQL view reads: one pos_session per
   till and day, pos_order (state 'done', one currency, rate 1) and
   pos_order_line with price_subtotal (VAT 20 % included in the price,
   every 7th line 10 % off, every 50th receipt a refund) and total_cost;
   then ANALYZE, as after any bulk load;
4. the report is read the way the UI reads it: ``read_group`` on
   ru.gross.profit.report as an accountant (record rules apply), for one week
   (by store and category, by store and cashier) and for the whole year (by
   store and month), plus the XLSX export of the week. Each query runs twice:
   the first run is cold for this process, the second shows the warm time.

Usage (from the repository root, with the venv active):
    python benchmarks/bench_gross_profit.py --template hacc_bench_tpl
    python benchmarks/bench_gross_profit.py --install --template hacc_bench_tpl
Options: --db (throwaway name), --days, --stores, --tills-per-store,
--receipts-per-day, --lines-per-receipt, --keep (do not drop the copy),
--addons-path.
"""

import argparse
import os
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from datetime import time as dtime

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_ADDONS = "/work/odoo17/addons,%s" % os.path.join(ROOT, "addons")
PG = ["-h", "127.0.0.1", "-U", "odoo"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--template", default="hacc_bench_tpl")
    parser.add_argument("--install", action="store_true", help="build the template first")
    parser.add_argument("--db", default="hacc_bench")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--stores", type=int, default=20)
    parser.add_argument("--tills-per-store", type=int, default=2)
    parser.add_argument("--receipts-per-day", type=int, default=4000)
    parser.add_argument("--lines-per-receipt", type=int, default=2)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--addons-path", default=DEFAULT_ADDONS)
    return parser.parse_args()


def run(cmd):
    subprocess.run(cmd, check=True)


def install_template(args):
    run(["dropdb", *PG, "--if-exists", args.template])
    run(
        [
            sys.executable, "-m", "odoo", "-c", os.path.join(ROOT, "odoo.conf"),
            "--addons-path=%s" % args.addons_path, "-d", args.template,
            "--db-filter=^%s$" % args.template, "--without-demo=all",
            "--workers=0", "--max-cron-threads=0", "--http-port=18106",
            "--data-dir=/tmp/%s-data" % args.template,
            "-i", "ru_accounting_extras", "--stop-after-init", "--log-level=warn",
        ]
    )


def timed(label, func, results):
    for attempt in ("cold", "warm"):
        start = time.perf_counter()
        value = func()
        elapsed = time.perf_counter() - start
        results.append((label, attempt, elapsed))
        print("%-55s %-4s %8.3f s" % (label, attempt, elapsed), flush=True)
    return value


def create_dimensions(env, args):
    """Stores, tills, cashiers, categories and products through the ORM."""
    company = env.company
    account = env["account.account"].search(
        [("account_type", "=", "asset_receivable"), ("company_id", "=", company.id)], limit=1
    )
    categories = env["product.category"].create(
        [{"name": "Bench category %d" % n} for n in range(8)]
    )
    products = env["product.product"].create(
        [
            {
                "name": "Bench product %d" % n,
                "type": "consu",
                "categ_id": categories[n % len(categories)].id,
                "list_price": 500 + (n * 137) % 15000,
                "standard_price": (500 + (n * 137) % 15000) * (0.35 + (n % 5) * 0.05),
                "available_in_pos": True,
            }
            for n in range(200)
        ]
    )
    cashier_group = env.ref("point_of_sale.group_pos_user")
    stores = env["ru.cash.store"]
    tills = []
    for s in range(args.stores):
        desk = env["account.journal"].create(
            {"name": "Bench desk %d" % s, "code": "BD%03d" % s, "type": "cash"}
        )
        store = env["ru.cash.store"].create(
            {"name": "Bench store %02d" % s, "code": "S%02d" % s, "journal_id": desk.id}
        )
        stores |= store
        for t in range(args.tills_per_store):
            journal = env["account.journal"].create(
                {
                    "name": "Bench till %d-%d" % (s, t),
                    "code": "T%02d%d" % (s, t),
                    "type": "cash",
                    "ru_cash_store_id": store.id,
                }
            )
            method = env["pos.payment.method"].create(
                {
                    "name": "Cash %d-%d" % (s, t),
                    "journal_id": journal.id,
                    "receivable_account_id": account.id,
                }
            )
            config = env["pos.config"].create(
                {
                    "name": "Bench till %02d-%d" % (s, t),
                    "payment_method_ids": [(6, 0, method.ids)],
                    "ru_cash_store_id": store.id,
                }
            )
            cashier = env["res.users"].create(
                {
                    "name": "Bench cashier %02d-%d" % (s, t),
                    "login": "bench_cashier_%d_%d" % (s, t),
                    "groups_id": [(6, 0, cashier_group.ids)],
                }
            )
            tills.append((config, cashier))
    return stores, tills, products


def insert_sales(env, args, tills, products, first_day):
    """Sessions, orders and order lines with INSERT ... SELECT (see the module docstring)."""
    cr = env.cr
    company = env.company
    pricelist = tills[0][0].pricelist_id.id or None
    cr.execute("CREATE TEMP TABLE bench_till (n int, config_id int, user_id int)")
    cr.execute(
        "INSERT INTO bench_till VALUES %s"
        % ",".join("(%d,%d,%d)" % (n, c.id, u.id) for n, (c, u) in enumerate(tills))
    )
    n_tills = len(tills)
    cr.execute(
        """
        INSERT INTO pos_session (name, config_id, user_id, state, start_at, stop_at,
                                 create_uid, write_uid, create_date, write_date)
        SELECT 'BENCH/' || t.n || '/' || d, t.config_id, t.user_id, 'closed',
               %(day0)s::timestamp + d * interval '1 day' + interval '6 hours',
               %(day0)s::timestamp + d * interval '1 day' + interval '18 hours',
               1, 1, now(), now()
          FROM bench_till t CROSS JOIN generate_series(0, %(days)s - 1) d
        """,
        {"day0": first_day, "days": args.days},
    )
    print("sessions: %d" % cr.rowcount, flush=True)
    # Receipt r of day d goes to till r %% n_tills; sessions are found by (till, day).
    cr.execute(
        """
        CREATE TEMP TABLE bench_session AS
        SELECT s.id, t.n AS till, t.config_id, t.user_id,
               (s.start_at::date - %(day0)s::date) AS day
          FROM pos_session s JOIN bench_till t ON t.config_id = s.config_id
         WHERE s.name LIKE 'BENCH/%%';
        CREATE INDEX ON bench_session (till, day);
        """,
        {"day0": first_day},
    )
    start = time.perf_counter()
    cr.execute(
        """
        INSERT INTO pos_order (name, session_id, config_id, company_id, pricelist_id, user_id,
                               date_order, state, amount_tax, amount_total, amount_paid,
                               amount_return, currency_rate, pos_reference,
                               create_uid, write_uid, create_date, write_date)
        SELECT 'BENCH ' || d || '-' || r, s.id, s.config_id, %(company)s, %(pricelist)s,
               s.user_id,
               %(day0)s::timestamp + d * interval '1 day' + interval '7 hours'
                   + (r * 11 %% 39600) * interval '1 second',
               'done', 0, 0, 0, 0, 1, 'Order ' || d || '-' || r, 1, 1, now(), now()
          FROM generate_series(0, %(days)s - 1) d
         CROSS JOIN generate_series(0, %(receipts)s - 1) r
          JOIN bench_session s ON s.till = r %% %(tills)s AND s.day = d
        """,
        {
            "company": company.id,
            "pricelist": pricelist,
            "day0": first_day,
            "days": args.days,
            "receipts": args.receipts_per_day,
            "tills": n_tills,
        },
    )
    print("orders: %d in %.1f s" % (cr.rowcount, time.perf_counter() - start), flush=True)
    ids = ",".join(str(p.id) for p in products)
    prices = ",".join(repr(round(p.list_price, 2)) for p in products)
    costs = ",".join(repr(round(p.standard_price, 2)) for p in products)
    start = time.perf_counter()
    cr.execute(
        f"""
        INSERT INTO pos_order_line (name, order_id, company_id, product_id, full_product_name,
                                    qty, price_unit, discount, price_subtotal,
                                    price_subtotal_incl, total_cost, is_total_cost_computed,
                                    create_uid, write_uid, create_date, write_date)
        SELECT 'BENCH', o.id, o.company_id, p.product_id, 'Bench', p.qty, p.price,
               p.discount,
               ROUND(p.qty * p.price * (1 - p.discount / 100) / 1.2, 2),
               ROUND(p.qty * p.price * (1 - p.discount / 100), 2),
               ROUND(p.qty * p.cost, 2), TRUE, 1, 1, now(), now()
          FROM pos_order o
         CROSS JOIN generate_series(1, %(lines)s) g
         CROSS JOIN LATERAL (
               SELECT k,
                      (ARRAY[{ids}])[k] AS product_id,
                      (ARRAY[{prices}]::numeric[])[k] AS price,
                      (ARRAY[{costs}]::numeric[])[k] AS cost,
                      CASE WHEN o.id %% 50 = 0 THEN -1 ELSE 1 END AS qty,
                      CASE WHEN (o.id + g) %% 7 = 0 THEN 10 ELSE 0 END::numeric AS discount
                 FROM (SELECT 1 + (o.id * 7 + g * 13) %% {len(products)} AS k) pick
         ) p
         WHERE o.name LIKE 'BENCH %%'
        """,
        {"lines": args.lines_per_receipt},
    )
    print("order lines: %d in %.1f s" % (cr.rowcount, time.perf_counter() - start), flush=True)
    cr.execute(
        """
        UPDATE pos_order o SET amount_total = l.total, amount_paid = l.total,
                               amount_tax = l.total - l.untaxed
          FROM (SELECT order_id, SUM(price_subtotal_incl) AS total,
                       SUM(price_subtotal) AS untaxed
                  FROM pos_order_line GROUP BY order_id) l
         WHERE l.order_id = o.id AND o.name LIKE 'BENCH %%'
        """
    )
    cr.commit()
    start = time.perf_counter()
    for table in ("pos_session", "pos_order", "pos_order_line"):
        cr.execute("ANALYZE %s" % table)
    cr.commit()
    print("analyze: %.1f s" % (time.perf_counter() - start), flush=True)


def benchmark(env, args, first_day, last_day):
    accountant = env["res.users"].create(
        {
            "name": "Bench accountant",
            "login": "bench_accountant",
            "groups_id": [(6, 0, env.ref("account.group_account_user").ids)],
        }
    )
    env.cr.commit()
    report = env["ru.gross.profit.report"].with_user(accountant)
    measures = ["revenue:sum", "cost:sum", "gross_profit:sum", "margin_percent"]
    week_start = datetime.combine(last_day - timedelta(days=6), dtime.min)
    week_end = datetime.combine(last_day + timedelta(days=1), dtime.min)
    week = [("date", ">=", week_start), ("date", "<", week_end)]
    year = [
        ("date", ">=", datetime.combine(first_day, dtime.min)),
        ("date", "<", week_end),
    ]
    results = []

    def query(domain, groupby):
        report.env.invalidate_all()
        return report.read_group(domain, measures, groupby, lazy=False)

    rows = timed("week, by store and category (read_group)",
                 lambda: query(week, ["store_id", "categ_id"]), results)
    print("  %d groups; week revenue %.2f, margin %.2f %%" % (
        len(rows),
        sum(r["revenue"] for r in rows),
        100 * sum(r["gross_profit"] for r in rows) / (sum(r["revenue"] for r in rows) or 1),
    ))
    timed("week, by store and cashier (read_group)",
          lambda: query(week, ["store_id", "cashier_id"]), results)
    rows = timed("year, by store and month (read_group)",
                 lambda: query(year, ["store_id", "date:month"]), results)
    print("  %d groups; year revenue %.2f" % (len(rows), sum(r["revenue"] for r in rows)))
    timed("year, by category (read_group)", lambda: query(year, ["categ_id"]), results)
    wizard = env["ru.gross.profit.export"].with_user(accountant).create(
        {
            "date_from": last_day - timedelta(days=6),
            "date_to": last_day,
            "grouping": "store_category",
        }
    )
    timed("week XLSX export, store and category (wizard)", wizard.action_export_xlsx, results)
    return results


def main():
    args = parse_args()
    if args.install:
        install_template(args)
    sys.path.insert(0, "/work/odoo17")
    import odoo  # noqa: PLC0415 (after the template is installed by a subprocess)
    from odoo import SUPERUSER_ID, api  # noqa: PLC0415

    run(["dropdb", *PG, "--if-exists", args.db])
    run(["createdb", *PG, "-T", args.template, args.db])
    odoo.tools.config.parse_config(
        ["-c", os.path.join(ROOT, "odoo.conf"), "--addons-path=%s" % args.addons_path,
         "-d", args.db, "--data-dir=/tmp/%s-data" % args.db, "--log-level=warn"]
    )
    last_day = date.today() - timedelta(days=1)
    first_day = last_day - timedelta(days=args.days - 1)
    try:
        registry = odoo.registry(args.db)
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            start = time.perf_counter()
            _stores, tills, products = create_dimensions(env, args)
            cr.commit()
            print("dimensions (ORM): %d stores, %d tills, %d products in %.1f s" % (
                args.stores, len(tills), len(products), time.perf_counter() - start))
            start = time.perf_counter()
            insert_sales(env, args, tills, products, first_day)
            print("bulk load total: %.1f s" % (time.perf_counter() - start), flush=True)
            results = benchmark(env, args, first_day, last_day)
        worst_week = max(t for label, _a, t in results if label.startswith("week"))
        print("slowest weekly report: %.3f s (goal: under 30 s)" % worst_week)
    finally:
        odoo.sql_db.close_all()
        if not args.keep:
            run(["dropdb", *PG, "--if-exists", args.db])


if __name__ == "__main__":
    main()
