"""Rows per second of the supplier catalogue import (connector_b) on real Odoo 17.

Writes Windows-1251 ";" price lists of 10,000 and 100,000 rows, then for each
one times the preview (dry run), the first run (creates every product), a
re-import of the same file (every row unchanged), a list with every price
5 % higher (every row updated, under the confirmation limit) and a list of new
products run in the background (the cron job checks every row, then writes),
sampling the process memory (RSS) while it works.

    python benchmarks/bench_import.py --db himp_bench        # a DB with connector_b (kept)
    python benchmarks/bench_import.py --template base_db     # clone a DB that has account,
                                                             # stock and mrp; install; drop

Target (issue 6): 10,000 rows in under 20 s on the project machine, memory flat.
"""

import argparse
import base64
import csv
import os
import subprocess
import sys
import tempfile
import threading
import time

import psutil

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class PeakMemory:
    """Samples this process's RSS every 50 ms; ``peak`` in MB."""

    def __init__(self):
        self.process = psutil.Process()
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss / 2**20)
            time.sleep(0.05)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def write_price_list(path, rows, price_factor=1.0, prefix="B"):
    with open(path, "w", encoding="cp1251", newline="") as stream:
        writer = csv.writer(stream, delimiter=";")
        writer.writerow(["Код", "Название", "Цена без НДС", "НДС", "Наличие", "Срок"])
        for number in range(rows):
            writer.writerow([f"{prefix}-{number:06d}", f"Оправа тестовая № {number}",
                             f"{round((1000 + number % 5000) * price_factor):,}"
                             .replace(",", " ") + ",50",
                             "20%", ("много", "мало", "нет", "-3", "12")[number % 5],
                             number % 30])


def odoo_args(args, db):
    return ["-c", os.path.join(ROOT, "odoo.conf"), "--addons-path", args.addons_path,
            "-d", db, "--db-filter", f"^{db}$", "--data-dir", args.data_dir,
            "--workers=0", "--max-cron-threads=0", "--log-level=warn"]


def create_database(args):
    db = f"himp_bench_{os.getpid()}"
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "odoo", "-T", args.template, db],
                   check=True)
    subprocess.run([sys.executable, "-m", "odoo", *odoo_args(args, db), "-i", "connector_b",
                    "--stop-after-init", "--without-demo=all"], check=True, cwd=ROOT)
    return db


def encoded(path):
    with open(path, "rb") as stream:
        return base64.b64encode(stream.read())


def measure(env, profile, path, update_path, background_path):
    data, update_data = encoded(path), encoded(update_path)
    figures = {}
    wizard = env["connector_b.import.wizard"].create({"profile_id": profile.id, "file": data,
                                                      "file_name": os.path.basename(path)})
    started = time.perf_counter()
    run = env["connector_b.run"].browse(wizard.action_preview()["res_id"])
    env.cr.commit()
    figures["preview"] = time.perf_counter() - started
    started = time.perf_counter()
    run.action_run()
    env.cr.commit()
    figures["first run (create)"] = time.perf_counter() - started
    assert run.state == "done", run.message
    created = run.rows_created
    wizard = env["connector_b.import.wizard"].create({"profile_id": profile.id, "file": data,
                                                      "file_name": os.path.basename(path)})
    started = time.perf_counter()
    again = env["connector_b.run"].browse(wizard.action_preview()["res_id"])
    again.action_run()
    env.cr.commit()
    figures["re-import (preview + run)"] = time.perf_counter() - started
    assert again.rows_unchanged == again.rows_total, again.message
    wizard = env["connector_b.import.wizard"].create({"profile_id": profile.id,
                                                      "file": update_data,
                                                      "file_name": "update.csv"})
    started = time.perf_counter()
    update = env["connector_b.run"].browse(wizard.action_preview()["res_id"])
    update.action_run()
    env.cr.commit()
    figures["update (preview + run, +5%)"] = time.perf_counter() - started
    assert update.rows_updated == update.rows_total, update.message
    # Other keys, so this run creates products too, queued for the cron job.
    wizard = env["connector_b.import.wizard"].create({"profile_id": profile.id,
                                                      "file": encoded(background_path),
                                                      "file_name": "background.csv"})
    started = time.perf_counter()
    background = env["connector_b.run"].browse(wizard.action_preview()["res_id"])
    background.action_run_background()
    env.cr.commit()
    while background.state in ("queued", "running"):
        env["connector_b.run"]._cron_process_runs()  # commits each chunk itself
        env.cr.commit()
        background.invalidate_recordset()
    figures["background (preview + job)"] = time.perf_counter() - started
    assert background.rows_created == background.rows_total, background.message
    return run.rows_total, created, figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="database with connector_b installed (kept)")
    parser.add_argument("--template",
                        help="database to clone when --db is not given (the copy is dropped)")
    parser.add_argument("--addons-path", default=f"/work/odoo17/addons,{ROOT}/addons")
    parser.add_argument("--data-dir", default=os.path.join(tempfile.gettempdir(), "himp-bench"))
    parser.add_argument("--rows", default="10000,100000")
    args = parser.parse_args()
    if not args.db and not args.template:
        parser.error("give --db (a database with connector_b) or --template (one to clone)")

    db = args.db or create_database(args)
    import odoo  # noqa: PLC0415
    from odoo import SUPERUSER_ID, api  # noqa: PLC0415

    odoo.tools.config.parse_config(odoo_args(args, db))
    folder = tempfile.mkdtemp(prefix="bench_import_")
    try:
        registry = odoo.registry(db)
        for rows in (int(value) for value in args.rows.split(",")):
            path = os.path.join(folder, f"price-{rows}.csv")
            write_price_list(path, rows)
            update_path = os.path.join(folder, f"update-{rows}.csv")
            write_price_list(update_path, rows, price_factor=1.05)
            background_path = os.path.join(folder, f"background-{rows}.csv")
            write_price_list(background_path, rows, prefix="C")
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
                env.company.catalogue_refuse_unsent = False
                partner = env["res.partner"].create({"name": f"Bench supplier {rows}"})
                profile = env["connector_b.profile"].create({
                    "name": f"Bench {rows}", "partner_id": partner.id, "file_format": "csv",
                    "encoding": "auto", "delimiter": "auto", "prices_include_vat": False,
                    "line_ids": [(0, 0, {"column_name": c, "target": t}) for c, t in (
                        ("Код", "supplier_code"), ("Название", "name"),
                        ("Цена без НДС", "purchase_price"), ("НДС", "vat"),
                        ("Наличие", "supplier_stock"), ("Срок", "lead_time"))],
                })
                cr.commit()
                with PeakMemory() as memory:
                    total, created, figures = measure(env, profile, path, update_path,
                                                      background_path)
            size = os.path.getsize(path) / 2**20
            print(f"{rows} rows ({size:.1f} MB CSV, {created} products created), "
                  f"peak RSS {memory.peak:.0f} MB")
            for name, seconds in figures.items():
                print(f"  {name:28s} {seconds:8.2f} s  {total / seconds:8.0f} rows/s")
            sys.stdout.flush()
    finally:
        for name in os.listdir(folder):
            os.unlink(os.path.join(folder, name))
        os.rmdir(folder)
        if not args.db:
            odoo.sql_db.close_all()
            subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "odoo", db], check=False)


if __name__ == "__main__":
    main()
