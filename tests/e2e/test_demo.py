"""`make demo` as a newcomer sees it: a line per task while the run goes, then local files that open."""

from __future__ import annotations

import base64
import io
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
PROGRESS = re.compile(r"^\s+(\d+)s  (\S+)\s+(success|failed|skipped|upstream_failed|removed|waiting)\b")
RESULT = re.compile(r"^  (promotion report \S+|run summary|batch recommendations \(sample\))\s+(\S+)$")


class _Page(HTMLParser):
    """Collects tags, text and image sources; HTMLParser raises nothing, so closure is checked by hand."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.open: list[str] = []
        self.text: list[str] = []
        self.images: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag not in ("meta", "img", "br", "link", "input"):
            self.open.append(tag)
        if tag == "img":
            self.images.append(dict(attrs).get("src") or "")

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open[-1:]}"
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    assert not page.open, f"{path.name}: unclosed {page.open}"
    assert "html" in page.tags and "table" in page.tags, path
    return page


def _png(data: bytes) -> tuple[int, int]:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        image.load()  # decodes every byte
        assert image.format == "PNG"
        return image.size


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, lms_db: Path) -> tuple[str, Path]:
    work = tmp_path_factory.mktemp("demo")
    done = subprocess.run([sys.executable, "-m", "personalize_dev.demo", "--work", str(work), "--lms-db",
                           str(lms_db)], cwd=REPO, capture_output=True, text=True, timeout=900,
                          env={**os.environ}, check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-3000:]
    return done.stdout, work


def test_a_line_per_task_while_it_runs(demo: tuple[str, Path]) -> None:
    from personalize_pipeline.config import load_config
    from personalize_pipeline.dag_factory import build_dag

    output, _ = demo
    lines = output.splitlines()
    progress = [m for line in lines if (m := PROGRESS.match(line))]
    finished = {m[2] for m in progress if m[3] != "waiting"}
    dag = build_dag(load_config(REPO / "include" / "config" / "lms.yaml"))
    assert finished == set(dag.task_ids), set(dag.task_ids) ^ finished
    assert len([m for m in progress if m[3] != "waiting"]) == len(dag.task_ids), "a task reported twice"
    seconds = [int(m[1]) for m in progress]
    assert seconds == sorted(seconds) and seconds[-1] > seconds[0], "lines come as tasks finish, not at the end"
    first_result = next(i for i, line in enumerate(lines) if line.startswith("results (open in a browser)"))
    assert max(i for i, line in enumerate(lines) if PROGRESS.match(line)) < first_result


def test_results_are_local_files_that_open(demo: tuple[str, Path]) -> None:
    output, work = demo
    listed = {m[1]: REPO / m[2] if not Path(m[2]).is_absolute() else Path(m[2])
              for line in output.splitlines() if (m := RESULT.match(line))}
    reports = {name.removeprefix("promotion report "): path for name, path in listed.items()
               if name.startswith("promotion report")}
    assert set(reports) == {"user-personalization", "sims", "popularity", "ranking"}
    for solution, path in reports.items():
        assert path.is_file() and path.is_relative_to(work), path
        page = _parse(path)
        assert solution in " ".join(page.text)
        (chart,) = page.images
        if chart.startswith("data:image/png;base64,"):
            width, height = _png(base64.b64decode(chart.split(",", 1)[1]))
        else:
            width, height = _png((path.parent / chart).read_bytes())
        assert width > 100 and height > 100
    summary = _parse(listed["run summary"])
    assert {"user-personalization", "sims"} <= set(" ".join(summary.text).split())
    sample_file = listed["batch recommendations (sample)"]
    _parse(sample_file)
    # Each recommended item beside the genres the catalogue gives it.
    rows = re.findall(r"<tr><td>(user|item) ([^<]+)</td><td>(\d+)</td><td>([^<]+)</td><td>([^<]*)</td></tr>",
                      sample_file.read_text())
    assert len({r[1] for r in rows if r[0] == "user"}) >= 5, rows[:3]
    assert all(r[4] for r in rows), [r for r in rows if not r[4]][:3]
    # The S3 URIs stay beside them, for runs against AWS.
    assert re.search(r"s3://\S+/reports/sims/report\.html", output)
