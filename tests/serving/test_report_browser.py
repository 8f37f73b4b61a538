"""The scoring report in a real browser: headless Chromium (Debian's package; install it with
`scripts/install-chromium`) opens the page at 1280 px in English and Vietnamese; every
section renders, every image loads, nothing is wider than the window, it prints to PDF, and
a screenshot is written beside the test output."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from serving.batch.report import SECTIONS, render
from tests.conftest import required_binary
from tests.serving.test_report import inputs

WIDTH = 1280
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
)
# Run in the page once it has loaded: what a reader would see, as JSON in a <pre>.
PROBE = """<script>
window.addEventListener('load', () => {
  const w = window.innerWidth;
  const wide = [...document.body.querySelectorAll('*')]
    .filter(e => e.getBoundingClientRect().right > w + 0.5)
    .map(e => e.tagName + ':' + (e.textContent || '').slice(0, 40));
  const out = {
    width: w,
    scrollWidth: document.documentElement.scrollWidth,
    wide: wide.slice(0, 5),
    sections: [...document.querySelectorAll('section')].map(s => ({
      title: s.querySelector('h2').textContent,
      height: s.getBoundingClientRect().height})),
    images: [...document.images].map(i => ({complete: i.complete, width: i.naturalWidth})),
  };
  const pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


@pytest.fixture(scope="module")
def chromium():
    return required_binary("chromium", "scripts/install-chromium")


def _run(binary: str, profile: Path, *args: str, height: int = 1000) -> str:
    """Chromium with a fresh profile, at WIDTH x `height` px."""
    cmd = [binary, *FLAGS, f"--user-data-dir={profile}", f"--window-size={WIDTH},{height}", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.parametrize("language", ["en", "vi"])
def test_report_renders_loads_and_fits_1280_px(chromium, tmp_path, language):
    page = render(inputs(language=language))
    report = tmp_path / "report.html"
    report.write_text(page, encoding="utf-8")
    probed = tmp_path / "probed.html"
    probed.write_text(page.replace("</body>", PROBE + "</body>"), encoding="utf-8")

    dom = _run(
        chromium,
        tmp_path / "profile-dom",
        "--virtual-time-budget=10000",
        "--dump-dom",
        probed.as_uri(),
    )
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, flags=re.S)
    assert found, dom[-2000:]
    seen = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))

    assert seen["width"] == WIDTH
    assert seen["scrollWidth"] <= WIDTH and not seen["wide"], seen["wide"]
    assert len(seen["sections"]) == len(SECTIONS)
    assert all(s["height"] > 20 for s in seen["sections"]), seen["sections"]
    assert len(seen["images"]) == 3
    assert all(i["complete"] and i["width"] > 100 for i in seen["images"]), seen["images"]

    shot = tmp_path / f"report-{language}.png"
    _run(chromium, tmp_path / "profile-shot", f"--screenshot={shot}", report.as_uri(), height=6000)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pdf = tmp_path / f"report-{language}.pdf"
    _run(chromium, tmp_path / "profile-pdf", f"--print-to-pdf={pdf}", report.as_uri())
    assert pdf.read_bytes()[:5] == b"%PDF-"
    print(f"screenshot -> {shot}; print layout -> {pdf}")
