"""examples/: the Prometheus config, the alert rules (checked and unit-tested by promtool where it is installed) and the
Grafana dashboard, whose queries must parse and name only metrics `mjtui metrics` exposes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from support.metrics import make_exporter

from mjtui.sim import Simulator

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason="needs Debian's prometheus (apt-get install prometheus)")
SUFFIXES = {"counter": ("", "_total"), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


def promtool(*args: str, cwd: Path = EXAMPLES) -> str:
    assert PROMTOOL is not None
    done = subprocess.run([PROMTOOL, *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def dashboard() -> dict:
    return json.loads((EXAMPLES / "grafana-dashboard.json").read_text())


def dashboard_queries() -> list[str]:
    return [target["expr"] for panel in dashboard()["panels"] for target in panel["targets"]]




def exposed_names(clock) -> set[str]:
    """Every sample name the exporter's page declares (a counter's _total, a histogram's _bucket ...)."""
    exporter, _ = make_exporter(Simulator.build(clock=clock, seed=5, channels=1), clock)
    page = exporter.exposition()[0].decode()
    return {name + suffix for name, kind in re.findall(r"^# TYPE (\S+) (\S+)$", page, re.M) for suffix in SUFFIXES[kind]}


@needs_promtool
def test_the_alert_rules_and_the_scrape_config_pass_promtool_and_each_alert_fires_on_recorded_series() -> None:
    assert "SUCCESS: 6 rules found" in promtool("check", "rules", "alerts.yml")
    promtool("check", "config", "prometheus.yml")
    promtool("test", "rules", "alerts-test.yml")
    tested = set(re.findall(r"alertname: (\w+)", (EXAMPLES / "alerts-test.yml").read_text()))
    assert tested == set(re.findall(r"alert: (\w+)", (EXAMPLES / "alerts.yml").read_text())), "every alert has a test"


@needs_promtool
def test_every_dashboard_query_is_promql_that_parses(tmp_path: Path) -> None:
    rules = {"groups": [{"name": "dashboard", "rules": [{"record": f"panel:query{i}", "expr": expr.replace("$account", ".*")}
                                                        for i, expr in enumerate(dashboard_queries())]}]}
    (tmp_path / "queries.yml").write_text(json.dumps(rules))  # YAML reads JSON
    promtool("check", "rules", "queries.yml", cwd=tmp_path)


def test_the_dashboard_and_the_alerts_name_only_metrics_the_exporter_exposes(clock) -> None:
    names = exposed_names(clock)
    texts = [*dashboard_queries(), (EXAMPLES / "alerts.yml").read_text()]
    used = {name for text in texts for name in re.findall(r"\bmjtui_\w+", text)}
    assert used and used <= names, f"not exposed: {sorted(used - names)}"


def test_the_dashboard_is_a_grafana_dashboard_with_its_panels_laid_out_on_the_grid() -> None:
    board = dashboard()
    assert board["title"] and board["uid"] and isinstance(board["schemaVersion"], int)
    assert {variable["name"] for variable in board["templating"]["list"]} == {"datasource", "account"}
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids)), "panel ids are unique"
    for panel in board["panels"]:
        grid = panel["gridPos"]
        assert panel["type"] in {"timeseries", "stat", "table"} and panel["title"] and panel["targets"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24 and grid["h"] > 0, panel["title"]
        assert panel["datasource"]["uid"] == "${datasource}"
