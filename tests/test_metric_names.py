"""Every fiscal_* metric that the alert rules and the Grafana dashboard name is served by
an exporter: the core's collector (fiscal-connector metrics, and Odoo's route through it)
or Odoo's /fiscal/metrics route itself."""

import ast
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from fiscal_connector.metrics import METRIC_NAMES, OutboxCollector

from fiscal_connector import DeviceConfig

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "deploy" / "prometheus" / "fiscal-alerts.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "fiscal.json"
ODOO_ROUTE_TEST = ROOT / "addons" / "optics_pos_ru54fz" / "tests" / "test_metrics.py"
METRIC = re.compile(r"\bfiscal_[a-z0-9_]+\b")
# The series a family of each type puts on the wire.
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


def odoo_route_names():
    """ODOO_METRICS of the Odoo route's test, which asserts that the route serves them."""
    tree = ast.parse(ODOO_ROUTE_TEST.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and [t.id for t in node.targets] == ["ODOO_METRICS"]:
            return ast.literal_eval(node.value)
    raise AssertionError(f"no ODOO_METRICS in {ODOO_ROUTE_TEST}")


def rule_expressions():
    groups = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


def dashboard():
    return json.loads(DASHBOARD.read_text(encoding="utf-8"))


def panel_queries():
    return [target["expr"] for panel in dashboard()["panels"] for target in panel["targets"]]


def dashboard_expressions():
    """The panels' PromQL and the variables' Grafana queries (label_values(...))."""
    variables = dashboard()["templating"]["list"]
    return panel_queries() + [v["query"]["query"] for v in variables if v["type"] == "query"]


def names_in(expressions):
    return {name for expression in expressions for name in METRIC.findall(expression)}


def wire_names(families):
    """{series name on the wire: family} for metric families as prometheus_client makes them."""
    names = {}
    for family in families:
        for suffix in SUFFIXES[family.type]:
            names[family.name + suffix] = family
    return names


@pytest.fixture
def core_names(connector_factory):
    """What the core's collector serves, read from a real outbox."""
    conn = connector_factory([DeviceConfig("shop-1", url="http://127.0.0.1:9/")])
    families = list(OutboxCollector(conn).collect())
    served = wire_names(families)
    assert {family.name for family in families} | set(served) >= set(METRIC_NAMES)
    return served


def test_rules_and_dashboard_name_only_exported_metrics(core_names):
    exported = set(core_names) | odoo_route_names()
    used = names_in(rule_expressions()) | names_in(dashboard_expressions())
    assert used, "no fiscal_* metric found in the rules and the dashboard"
    assert used - exported == set()


def test_dashboard_shows_every_exported_metric(core_names):
    shown = names_in(dashboard_expressions())
    missing = {
        family.name
        for name, family in core_names.items()
        if not any(wire in shown for wire, other in core_names.items() if other is family)
    }
    assert missing | (odoo_route_names() - shown) == set()


def test_odoo_route_names_are_not_the_cores_but_for_the_shift_age(core_names):
    """The route adds the shift age of Odoo's sessions into the core's family of that name."""
    assert odoo_route_names() & set(core_names) == {"fiscal_shift_age_seconds"}


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed")
def test_dashboard_queries_parse(tmp_path):
    """promtool parses each panel's query, as a recording rule ($device: any register)."""
    rules = [
        {"record": f"dashboard:query_{n}", "expr": query.replace("$device", ".*")}
        for n, query in enumerate(panel_queries())
    ]
    path = tmp_path / "dashboard-rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    done = subprocess.run(  # noqa: S603 - promtool from PATH, our own file
        ["promtool", "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
