"""The HTML report in a real browser: Debian's `chromium`, headless. A probe script appended to a copy of the page
measures every chart, reads the totals and counts the page shows, filters and sorts the table with the page's own
script, and writes what it found into the DOM, which `--dump-dom` prints. A screenshot goes under the test's tmp dir.
Skipped only when no chromium binary exists (`.ci/run` installs it)."""

from __future__ import annotations

import html
import json
import re
import shutil
import sqlite3
import subprocess
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
import sqlite_utils

from clearance.engine.report import html_report
from clearance.engine.report.run_queries import RunFigures

from .conftest import StoredRun

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary (apt-get install chromium)")

PROBE = """<script>
(function () {
  function visible() {
    var rows = document.querySelectorAll("#flagged tbody tr");
    return Array.prototype.filter.call(rows, function (r) { return !r.hidden; });
  }
  var out = {charts: [], totals: {}, counts: {}};
  document.querySelectorAll("svg.chart").forEach(function (svg) {
    var box = svg.getBoundingClientRect();
    out.charts.push({id: svg.id, width: box.width, height: box.height, bars: svg.querySelectorAll("rect").length});
  });
  document.querySelectorAll("[data-total]").forEach(function (e) {
    out.totals[e.getAttribute("data-total") + " " + e.getAttribute("data-currency")] = e.textContent;
  });
  document.querySelectorAll("[data-count]").forEach(function (e) {
    out.counts[e.getAttribute("data-count")] = e.textContent;
  });
  out.rows = visible().length;
  var verdict = document.getElementById("verdict");
  verdict.value = "reject";
  verdict.dispatchEvent(new Event("change"));
  out.rejects = visible().map(function (r) { return r.getAttribute("data-verdict"); });
  verdict.value = "";
  verdict.dispatchEvent(new Event("change"));
  var filter = document.getElementById("filter");
  filter.value = "E-99";
  filter.dispatchEvent(new Event("input"));
  out.filtered = visible().map(function (r) { return r.cells[1].textContent; });
  out.status = document.getElementById("shown").textContent;
  filter.value = "";
  filter.dispatchEvent(new Event("input"));
  document.querySelectorAll("#flagged thead button")[7].click();
  out.sorted = visible().map(function (r) { return r.cells[7].getAttribute("data-sort"); });
  var pre = document.createElement("pre");
  pre.id = "probe";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
}());
</script>
"""
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
]


def chromium(tmp_path: Path, *args: str) -> str:
    profile = tmp_path / "profile"
    command = [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def page(stored_run: StoredRun, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    figures = RunFigures(sqlite_utils.Database(stored_run.db), stored_run.run_id)
    path.write_text(html_report.report(figures, lines=60), encoding="utf-8")
    return path


def database_figures(run: StoredRun) -> tuple[Counter, dict[str, Decimal]]:
    """Counts per verdict and duty per currency, summed here from the stored lines."""
    counts: Counter = Counter()
    duty: dict[str, Decimal] = defaultdict(Decimal)
    with sqlite3.connect(run.db) as conn:
        for verdict, currency, total in conn.execute("SELECT verdict, currency, total_duty FROM results"):
            counts[verdict] += 1
            if total is not None:
                duty[currency] += Decimal(total)
    return counts, duty


def test_report_in_chromium_charts_totals_filter_sort(page: Path, stored_run: StoredRun, tmp_path: Path) -> None:
    probed = page.with_name("probed.html")
    probed.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dom = chromium(tmp_path, "--dump-dom", probed.as_uri())
    found = json.loads(html.unescape(re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S).group(1)))

    assert len(found["charts"]) >= 5
    assert all(c["width"] > 0 and c["height"] > 0 and c["bars"] > 0 for c in found["charts"]), found["charts"]

    counts, duty = database_figures(stored_run)
    assert {v: int(n.replace(",", "")) for v, n in found["counts"].items()} == {
        "lines": sum(counts.values()),
        **{v: counts[v] for v in ("accept", "review", "reject", "invalid")},
    }
    shown = {k.split()[1]: Decimal(v.replace(",", "")) for k, v in found["totals"].items() if k.startswith("duty ")}
    assert shown == duty

    assert found["rows"] == min(60, counts["review"]) + min(60, counts["reject"]) + min(60, counts["invalid"])
    assert found["rejects"] == ["reject"] * min(60, counts["reject"])
    assert found["filtered"] == ["<b>E-99</b>"] and found["status"] == f"1 of {found['rows']} lines shown"
    assert found["sorted"] == sorted(found["sorted"]) and len(set(found["sorted"])) > 10

    shot = tmp_path / "report.png"
    chromium(tmp_path, "--window-size=1280,2400", f"--screenshot={shot}", page.as_uri())
    assert shot.stat().st_size > 20_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
