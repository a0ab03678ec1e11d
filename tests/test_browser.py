"""The self-contained map in a real browser: headless Chromium with the network blocked.

A probe script is put at the top of a copy of the page; it records console errors,
uncaught exceptions and every resource the page asked for, and after load writes
what it saw into the DOM, which Chromium prints (--dump-dom). Chromium's proxy is
a local recorder, so any request that would leave the machine is counted too.
"""

from __future__ import annotations

import http.server
import json
import re
import socketserver
import subprocess
import threading
from pathlib import Path

import pytest

from tests.test_maps import demo_result

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed"),
]

#: Start of every probe: records console errors and uncaught exceptions in window.__airq;
#: ``window.__airq.report(findings)`` writes the findings where :func:`run_probe` reads them.
PROBE_HEAD = """<script>
window.__airq = {errors: [], exceptions: []};
(function () {
  window.__airq.report = function (findings) {
    var pre = document.createElement('pre');
    pre.id = 'airq-probe';
    pre.textContent = JSON.stringify(findings);
    document.body.appendChild(pre);
  };
  var err = console.error;
  console.error = function () {
    window.__airq.errors.push(Array.prototype.join.call(arguments, ' '));
    return err.apply(console, arguments);
  };
  window.addEventListener('error', function (e) {
    if (e.message) { window.__airq.exceptions.push(e.message); }
  });
"""

PROBE = PROBE_HEAD + """  window.addEventListener('load', function () {
    setTimeout(function () {
      var q = function (s) { return document.querySelectorAll(s).length; };
      var layers = Array.prototype.map.call(
        document.querySelectorAll('.leaflet-control-layers-list label'),
        function (l) { return l.textContent.trim(); });
      var visible = function (s) {
        var el = document.querySelector(s);
        if (!el) { return false; }
        var r = el.getBoundingClientRect();
        return r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0 &&
          r.right <= window.innerWidth && r.bottom <= window.innerHeight;
      };
      var res = performance.getEntriesByType('resource').map(function (r) { return r.name; });
      var out = {
        leaflet: typeof L !== 'undefined' ? L.version : null,
        containers: q('.leaflet-container'),
        layer_control: q('.leaflet-control-layers'),
        layers: layers,
        legend: q('#airq-legend .airq-legend-row'),
        objective_marks: q('.airq-objective-mark'),
        title: (document.getElementById('airq-title') || {}).textContent || '',
        paths: q('path.leaflet-interactive'),
        orange: q('path[stroke="#ff7f00"]'),
        scale: q('.leaflet-control-scale'),
        fullscreen: q('.leaflet-control-zoom-fullscreen'),
        measure: q('.leaflet-control-measure'),
        visible: {legend: visible('#airq-legend'), layers: visible('.leaflet-control-layers'),
                  title: visible('#airq-title'), scale: visible('.leaflet-control-scale')},
        resources: res,
        errors: window.__airq.errors,
        exceptions: window.__airq.exceptions
      };
      window.__airq.report(out);
    }, 500);
  });
})();
</script>"""


@pytest.fixture
def demo_assessment(tmp_path_factory):
    return demo_result(tmp_path_factory)


class _Recorder(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    requests: list[str]


class _Handler(http.server.BaseHTTPRequestHandler):
    """A proxy that records each request and answers 502: nothing leaves the machine."""

    def _refuse(self):
        self.server.requests.append(f"{self.command} {self.path}")
        self.send_response(502)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_HEAD = do_CONNECT = _refuse

    def log_message(self, *args):
        pass


@pytest.fixture
def recorder():
    server = _Recorder(("127.0.0.1", 0), _Handler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def chromium(args, user_dir, proxy_port, timeout=60):
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={user_dir}", f"--proxy-server=http://127.0.0.1:{proxy_port}",
             "--proxy-bypass-list=<-loopback>", "--enable-logging=stderr", "--v=0",
             "--hide-scrollbars"]
    return subprocess.run([CHROMIUM, *flags, *args], capture_output=True, text=True,
                          timeout=timeout, check=False)


def run_probe(page: str, probe: str, folder: Path, proxy_port: int,
              window: str = "1280,900"):
    """Load ``page`` with ``probe`` at the top of its head in Chromium; return what it saw.

    The probe writes its findings as JSON into ``<pre id="airq-probe">``; returns
    ``(findings, completed process)``.
    """
    import html as _html

    probed = folder / "probed.html"
    probed.write_text(page.replace("<head>", "<head>" + probe, 1), encoding="utf-8")
    run = chromium(["--virtual-time-budget=8000", f"--window-size={window}", "--dump-dom",
                    probed.as_uri()], folder / "profile-probe", proxy_port)
    assert run.returncode == 0, run.stderr[-2000:]
    m = re.search(r'<pre id="airq-probe">(.*?)</pre>', run.stdout, re.S)
    assert m, f"probe did not report; stderr: {run.stderr[-2000:]}"
    return json.loads(_html.unescape(m.group(1))), run


def test_self_contained_map_in_chromium(demo_assessment, tmp_path, recorder):
    from airq.render.maps import render_map_html

    page = render_map_html(demo_assessment, self_contained=True)
    assert not re.findall(r'<(?:script|link)[^>]+(?:src|href)="https?://', page)
    path = tmp_path / "map.html"
    path.write_text(page, encoding="utf-8")

    seen, run = run_probe(page, PROBE, tmp_path, recorder.server_address[1])
    assert seen["leaflet"] and seen["containers"] == 1, seen
    assert seen["exceptions"] == [] and seen["errors"] == []
    console = [ln for ln in run.stderr.splitlines() if "CONSOLE" in ln and "ERROR" in ln.upper()]
    assert console == []
    assert seen["layer_control"] == 1 and seen["scale"] == 1
    assert seen["fullscreen"] == 1 and seen["measure"] == 1
    labels = " | ".join(seen["layers"])
    for name in ("OpenStreetMap", "Aerial imagery", "Light grey", "Residential boundaries",
                 "Grid points: NO2 2020", "Grid points: PM2.5 2013", "Land-use search bands"):
        assert name in labels, labels
    assert seen["visible"] == {"legend": True, "layers": True, "title": True, "scale": True}
    assert seen["legend"] >= 4  # NO2, PM10, PM2.5, PM10 days, boundary swatch
    assert "SYNTHETIC DEMO DATA" in seen["title"]
    assert seen["orange"] == demo_assessment.area.n_boundaries
    assert seen["paths"] > seen["orange"] + 40  # the NO2 2020 points are drawn
    # Scripts and styles come from the page itself: only tile images were asked for.
    remote = [r for r in seen["resources"] if r.startswith(("http:", "https:"))]
    assert all(re.search(r"/\d+/\d+/\d+(\.\w+)?(\?|$)", r) for r in remote), remote
    tile_hosts = {"tile.openstreetmap.org", "server.arcgisonline.com"}
    hosts = {re.sub(r"^(CONNECT |[A-Z]+ https?://)([^:/]+).*$", r"\2", r)
             for r in recorder.requests}
    # Chromium itself calls Google services (clock, accounts) even with the flags above.
    browser_own = {h for h in hosts if re.search(r"(^|\.)(google|googleapis|gstatic)\.com$", h)}
    assert hosts - browser_own <= tile_hosts, recorder.requests
    assert not any(r.endswith((".js", ".css")) for r in recorder.requests)

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "map-self-contained.png"
    run = chromium(["--virtual-time-budget=5000", "--window-size=1280,900",
                    f"--screenshot={shot}", path.as_uri()], tmp_path / "profile2",
                   recorder.server_address[1])
    assert run.returncode == 0, run.stderr[-2000:]
    assert shot.stat().st_size > 20_000
