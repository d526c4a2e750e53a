"""How long does "which lenses exist for this power" take over 10,000 lens products?

Runs against a real Odoo 17 registry. It creates the catalogue (10,000 lens
templates, 3 power ranges each) inside one transaction, times the search the
optician's screen uses (optics.lens.range.search_for_power, one SQL query on
indexed columns) for random prescriptions with a cold ORM cache, prints the
figures and the query plan, then rolls everything back.

    python benchmarks/bench_lens_search.py --db <database with optics_core>
    python benchmarks/bench_lens_search.py --template <database> \
        # clones the template into a scratch database and drops it afterwards

Target: under 50 ms per query.
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = 80
DESIGNS = ["single_vision"] * 6 + ["progressive"] * 3 + ["office"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--db", help="database with optics_core installed (left unchanged)")
    where.add_argument("--template", help="database to clone into a scratch copy")
    parser.add_argument("--config", default=str(ROOT / "odoo.conf"))
    parser.add_argument("--addons-path", default=f"/work/odoo17/addons,{ROOT / 'addons'}")
    parser.add_argument("--lenses", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=17)
    return parser.parse_args()


def ranges_for(rng, template_id, design):
    """Three ranges per lens: a stock block, a lab block and a high-power lab block."""
    addition = (0.75, 3.5) if design in ("progressive", "office") else (0.0, 0.0)
    low = rng.choice([-6.0, -8.0, -4.0])
    high = rng.choice([2.0, 4.0, 6.0])
    blocks = [
        (low, high, -2.0, rng.choice([60, 65, 70]), "stock", 0),
        (low - 4, high + 2, -4.0, rng.choice([65, 70, 75]), "lab", rng.randint(5, 10)),
        (low - 10, high + 6, -6.0, rng.choice([70, 75, 80]), "lab", rng.randint(10, 21)),
    ]
    return [
        {
            "product_tmpl_id": template_id,
            "sphere_min": s_min,
            "sphere_max": s_max,
            "cylinder_min": c_min,
            "cylinder_max": 0.0,
            "addition_min": addition[0],
            "addition_max": addition[1],
            "diameter": diameter,
            "supply": supply,
            "lead_time_days": lead,
        }
        for s_min, s_max, c_min, diameter, supply, lead in blocks
    ]


def build_catalogue(env, rng, count):
    started = time.perf_counter()
    templates = env["product.template"]
    batch = 500
    for start in range(0, count, batch):
        designs = [rng.choice(DESIGNS) for _ in range(min(batch, count - start))]
        created = templates.create(
            [
                {
                    "name": f"Bench Lens {start + i:05d}",
                    "detailed_type": "consu",
                    "optics_kind": "lens",
                    "lens_design": design,
                    "lens_index": rng.choice([1.5, 1.6, 1.67, 1.74]),
                    "lens_material": "high_index",
                }
                for i, design in enumerate(designs)
            ]
        )
        env["optics.lens.range"].create(
            [
                vals
                for template, design in zip(created, designs)
                for vals in ranges_for(rng, template.id, design)
            ]
        )
        env.flush_all()
        env.invalidate_all()
    env.cr.execute("ANALYZE optics_lens_range")
    return time.perf_counter() - started


def random_power(rng):
    sphere = rng.randint(-60, 32) * 0.25
    cylinder = -rng.randint(0, 16) * 0.25
    addition = rng.choice([0.0, 0.0, 0.0, rng.randint(3, 14) * 0.25])
    return sphere, cylinder, addition


def run(dbname, args):
    import odoo  # noqa: PLC0415
    from odoo import SUPERUSER_ID, api  # noqa: PLC0415

    odoo.tools.config.parse_config(
        ["-c", args.config, f"--addons-path={args.addons_path}", "-d", dbname, "--log-level=warn"]
    )
    registry = odoo.registry(dbname)
    rng = random.Random(args.seed)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        Range = env["optics.lens.range"]
        build_seconds = build_catalogue(env, rng, args.lenses)
        cr.execute("SELECT count(*) FROM optics_lens_range")
        range_count = cr.fetchone()[0]
        timings = {"all": [], "page": []}
        cpu = {"all": [], "page": []}
        found = []
        for _ in range(args.queries):
            sphere, cylinder, addition = random_power(rng)
            for kind, limit in (("all", None), ("page", PAGE)):
                env.invalidate_all()
                started, started_cpu = time.perf_counter(), time.process_time()
                result = Range.search_for_power(
                    sphere, cylinder, addition, min_diameter=60, limit=limit
                )
                timings[kind].append((time.perf_counter() - started) * 1000)
                cpu[kind].append((time.process_time() - started_cpu) * 1000)
                if limit is None:
                    found.append(len(result))
        plans = {}
        for limit in (None, PAGE):
            query = Range._search(
                Range._power_domain(-2.0, -0.5, 0.0, "lens", 60),
                order=Range._power_search_order,
                limit=limit,
            )
            sql, params = query.select()
            cr.execute("EXPLAIN ANALYZE " + sql, params)
            plans[limit] = "\n".join(row[0] for row in cr.fetchall())
        cr.rollback()
    odoo.sql_db.close_db(dbname)
    print(
        f"catalogue: {args.lenses} lens products, {range_count} ranges "
        f"(built in {build_seconds:.0f} s, rolled back afterwards)"
    )
    print(
        f"queries: {len(found)} random prescriptions, "
        f"median {statistics.median(found):.0f} matching ranges per query"
    )
    for kind, label in (("all", "whole answer"), ("page", f"first {PAGE} (list/dropdown page)")):
        values = sorted(timings[kind])
        print(
            f"lens search, {label}: median {statistics.median(values):.2f} ms, "
            f"p95 {values[int(len(values) * 0.95) - 1]:.2f} ms, max {values[-1]:.2f} ms "
            f"(target < 50 ms); Odoo process CPU median {statistics.median(cpu[kind]):.2f} ms"
        )
    print("load average during the run: %.1f %.1f %.1f" % os.getloadavg())
    print("query plan, whole answer (-2.00 -0.50):\n" + plans[None])
    print(f"query plan, first {PAGE}:\n" + plans[PAGE])


def main():
    args = parse_args()
    if args.db:
        run(args.db, args)
        return
    scratch = f"{args.template}_bench"
    createdb = ["createdb", "-h", "127.0.0.1", "-U", "odoo", "-T", args.template, scratch]
    subprocess.run(createdb, check=True)
    try:
        run(scratch, args)
    finally:
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "odoo", scratch], check=False)


if __name__ == "__main__":
    sys.exit(main())
