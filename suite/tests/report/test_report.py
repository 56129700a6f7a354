"""The HTML report and its results directory, on synthetic results (no training)."""

from __future__ import annotations

import dataclasses
import json
import math
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from suite.report import (
    figures,
    figures_beyond,
    plotting,
    read_results,
    render_from_results,
    write_report,
)
from suite.report.__main__ import main as report_cli
from suite.stats.verdicts import ClaimResult, Verdict
from suite.tests import fake_results
from suite.train.frames import ExperimentResult

IMG = '<img src="data:image/png;base64,'
EVIL = "<script>alert(1)</script>"
EXPECTED_AXES = {
    "random_labels": 1,
    "width_sweep": 2,
    "interpolation": 4,
    "batch_sweep": 5,  # the homework's three panels, the two gaps and sharpness
    "label_corruption": 2,
    "measures": 12,  # loss gap, error gap, sensitivity, sharpness x the three axes
}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of the fake run; its results directory is the page's folder."""
    html = tmp_path_factory.mktemp("report") / "run.html"
    return write_report(
        fake_results.claims(), fake_results.experiments(), fake_results.meta(), html
    )


def claims_table(page: str) -> str:
    match = re.search(r'<table class="claims">.*?</table>', page, re.S)
    assert match, "no claims table"
    return match.group(0)


def claim_rows(page: str) -> list[str]:
    return re.findall(r'<tr class="claim-row">.*?</tr>', claims_table(page), re.S)


# --- figures ----------------------------------------------------------------------------------


@pytest.mark.parametrize("experiment", fake_results.experiments(), ids=lambda e: e.name)
def test_figure_functions_return_figure_with_expected_axes(experiment: ExperimentResult) -> None:
    spec = figures.FIGURES[experiment.name]
    fig = spec.draw(experiment.frames[spec.frame])
    assert isinstance(fig, Figure)
    assert len(fig.axes) == EXPECTED_AXES[experiment.name]
    assert all(ax.lines for ax in fig.axes)
    assert fig.get_suptitle()
    plotting.close_figure(fig)


def test_registry_covers_the_homework_figures_and_those_beyond() -> None:
    assert set(figures.FIGURES) == set(EXPECTED_AXES)
    for spec in figures.FIGURES.values():
        assert "{n_seeds}" in spec.caption and "standard deviation" in spec.caption


def test_figure_to_png_base64_is_a_2x_png() -> None:
    import base64
    import io

    from PIL import Image

    fig = figures.random_labels_figure(fake_results.random_labels().frames["epochs"])
    width = plotting.display_width(fig)
    png = base64.b64decode(plotting.figure_to_png_base64(fig))
    assert png.startswith(b"\x89PNG")
    assert Image.open(io.BytesIO(png)).size[0] == pytest.approx(2 * width, abs=2)


def _plotted_lines(fig: Figure) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    lines = {}
    for ax in fig.axes:
        for line in ax.lines:
            if line.get_gid():
                assert line.get_gid() not in lines, "one mean line per column (and init)"
                lines[line.get_gid()] = (
                    np.asarray(line.get_xdata(), float),
                    np.asarray(line.get_ydata(), float),
                )
    return lines


X_OF = {
    "random_labels": "epoch",
    "width_sweep": "params",
    "interpolation": "alpha",
    "batch_sweep": "batch_size",
    "label_corruption": "fraction",
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(X_OF))
def test_plotted_values_equal_the_csv(report: Path, name: str) -> None:
    """Every mean line of every figure is the seed mean of the CSV the report wrote beside it."""
    spec = figures.FIGURES[name]
    csv = pd.read_csv(report.parent / f"{name}_{spec.frame}.csv")
    lines = _plotted_lines(spec.draw(csv))
    if name == "width_sweep":
        csv = plotting.last_epoch(csv, ("width", "seed"))
    assert lines
    for gid, (x, y) in lines.items():
        data = csv
        if "/" in gid:
            init, gid = gid.split("/")
            data = csv[csv["init"] == init]
        expected = data.groupby(X_OF[name])[gid].mean().sort_index()
        np.testing.assert_allclose(x, expected.index.to_numpy(float))
        np.testing.assert_allclose(y, expected.to_numpy(float), rtol=1e-12)
    columns = {g.split("/")[-1] for g in lines}
    if name == "label_corruption":
        assert {"train_acc", "test_acc", "epochs_to_fit"} <= columns
        return
    assert {"train_loss", "test_loss"} <= columns
    if name == "batch_sweep":
        assert {"sensitivity", "sharpness", "gap", "acc_gap"} <= columns


def test_label_corruption_figure_plots_the_fit_epochs_and_accuracies(report: Path) -> None:
    csv = pd.read_csv(report.parent / "label_corruption_final.csv")
    lines = _plotted_lines(figures_beyond.label_corruption_figure(csv))
    assert set(lines) == {"train_acc", "test_acc", "epochs_to_fit"}
    _, y = lines["epochs_to_fit"]
    expected = csv.groupby("fraction")["epochs_to_fit"].mean()
    np.testing.assert_allclose(y, expected.to_numpy(float))  # never-fitted runs at budget + 1


def test_measures_figure_plots_each_axis_with_the_others_at_the_base(report: Path) -> None:
    csv = pd.read_csv(report.parent / "measures_runs.csv")
    lines = _plotted_lines(figures_beyond.measures_figure(csv))
    base = dict(zip(fake_results.MEASURES_AXES, fake_results.MEASURES_BASE, strict=True))
    assert len(lines) == 12
    assert {g.split("/")[1] for g in lines} == {"gap", "acc_gap", "sensitivity", "sharpness"}
    for gid, (x, y) in lines.items():
        axis, column = gid.split("/")
        part = csv
        for other, value in base.items():
            if other != axis:
                part = part[np.isclose(part[other], value)]
        expected = part.groupby(axis)[column].mean().sort_index()
        np.testing.assert_allclose(x, expected.index.to_numpy(float))
        np.testing.assert_allclose(y, expected.to_numpy(float), rtol=1e-12)
        assert len(expected) == len(fake_results.MEASURES_AXES[axis])


def test_measures_section_holds_the_measures_by_axes_table(report: Path) -> None:
    page = report.read_text(encoding="utf-8")
    match = re.search(r'<table class="measures">.*?</table>', page, re.S)
    assert match, "no measures table"
    table = match.group(0)
    for header in ("batch size", "learning rate", "label corruption", "granulated", "verdict"):
        assert header in table
    assert table.count("<tr>") == 1 + 2  # header and one row per measure
    assert "sensitivity" in table and "sharpness" in table and "p = " in table


# --- page -------------------------------------------------------------------------------------


def test_report_has_a_row_per_claim_and_an_image_per_figure(report: Path) -> None:
    page = report.read_text(encoding="utf-8")
    claims = fake_results.claims()
    rows = claim_rows(page)
    assert len(rows) == len(claims)
    for row, claim in zip(rows, claims, strict=True):
        assert f">{claim.claim}<" in row
        css = "expected-refutation" if claim.expected else claim.verdict.value
        assert f'class="badge {css}">{claim.label.lower()}<' in row
    assert page.count(IMG) == len(fake_results.experiments())
    for verdict in Verdict:
        assert f"badge {verdict.value.replace(' ', '-')}" in page
    assert "<script" not in page.lower()
    assert report.stat().st_size < 5 * 2**20


def test_results_directory_holds_claims_csvs_and_run(report: Path) -> None:
    folder = report.parent
    claims = json.loads((folder / "claims.json").read_text())
    assert [c["id"] for c in claims] == [c.claim for c in fake_results.claims()]
    required = {
        "id",
        "statement",
        "statistic",
        "threshold",
        "p",
        "verdict",
        "n_runs",
        "profile",
        "device",
        "seconds",
    }
    assert all(required <= set(c) for c in claims)
    for e in fake_results.experiments():
        for frame, df in e.frames.items():
            pd.testing.assert_frame_equal(
                pd.read_csv(folder / f"{e.name}_{frame}.csv"), df, check_dtype=False
            )
    run = json.loads((folder / "run.json").read_text())
    assert run["meta"]["profile"] == "ci"
    assert [e["name"] for e in run["experiments"]] == [e.name for e in fake_results.experiments()]
    assert run["experiments"][0]["config"] == fake_results.random_labels().config


@pytest.mark.slow
def test_rerender_from_results_gives_the_same_claims_table(report: Path, tmp_path: Path) -> None:
    again = render_from_results(report.parent, tmp_path / "again.html")
    first, second = report.read_text(encoding="utf-8"), again.read_text(encoding="utf-8")
    assert claims_table(second) == claims_table(first)
    assert second == first  # the page is a function of the results directory alone


def test_claims_round_trip_through_claims_json(report: Path) -> None:
    def comparable(c: ClaimResult) -> dict:
        d = c.to_json()
        d["seconds"] = round(d["seconds"], 9)
        return d

    read = read_results(report.parent)
    assert [comparable(c) for c in read.claims] == [comparable(c) for c in fake_results.claims()]
    assert math.isnan(read.claims[-1].statistic)


def test_everything_from_the_data_is_escaped(tmp_path: Path) -> None:
    claims = fake_results.claims()
    claims[0].claim = f"random-labels-fit[{EVIL}]"
    claims[1].statement = EVIL
    claims[1].threshold = EVIL
    claims[2].nodeid = EVIL
    claims[3].details = {EVIL: EVIL, "nested": {"x": [EVIL, 1.5]}, "rows": [{"a": EVIL}]}
    # no frames: figures are not what this test is about, and drawing them is the slow part
    experiments = [dataclasses.replace(e, frames={}) for e in fake_results.experiments()]
    experiments[0].config[EVIL] = EVIL
    experiments[1].extra = {"note": EVIL}
    experiments.append(
        ExperimentResult(
            EVIL, EVIL, EVIL, {"k": EVIL}, {"f": pd.DataFrame({"a": [1]})}, seconds=1.0
        )
    )
    meta = {**fake_results.meta(), "command_line": EVIL, EVIL: EVIL}
    page = write_report(claims, experiments, meta, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("&lt;script&gt;") >= 12
    assert len(claim_rows(page)) == len(claims)


def test_unknown_and_missing_experiments_do_not_crash(tmp_path: Path) -> None:
    future = ExperimentResult(
        "future_probe",
        "ci",
        "cpu",
        {"depth": 7},
        {"curve": pd.DataFrame({"seed": [0, 1], "x": [1.0, 2.0]})},
        seconds=2.0,
        steps=10,
        samples=100,
    )
    empty_width = ExperimentResult("width_sweep", "ci", "cpu", {"widths": [5]}, {}, seconds=0.5)
    claims = fake_results.claims()
    claims.append(
        ClaimResult(
            "future-claim",
            "a claim of a future experiment",
            0.3,
            "> 0",
            0.2,
            Verdict.REFUTED,
            3,
            "ci",
            "cpu",
            0.1,
            "future_probe",
        )
    )
    claims.append(
        ClaimResult(
            "ghost-claim",
            "its experiment never ran",
            math.nan,
            "> 0",
            None,
            Verdict.INCONCLUSIVE,
            0,
            "ci",
            "cpu",
            0.0,
            "ghost",
        )
    )
    experiments = [fake_results.random_labels(), future, empty_width]
    page = write_report(claims, experiments, {}, tmp_path / "r.html").read_text(encoding="utf-8")
    assert len(claim_rows(page)) == len(claims)
    assert page.count(IMG) == 1
    for name in ("future_probe", "ghost", "width_sweep", "interpolation", "batch_sweep"):
        assert f'id="exp-{name}"' in page
    assert "No figure is defined for this experiment." in page
    assert "the experiment recorded no &#x27;epochs&#x27; data" in page
    assert "No result was recorded for this experiment" in page
    assert "depth" in page and ">future_probe</td>" in page
    assert (tmp_path / "future_probe_curve.csv").exists()


def test_missing_meta_and_odd_values_are_handled(tmp_path: Path) -> None:
    claims = fake_results.claims()[:1]
    claims[0].details = {
        "np": np.float32(0.25),
        "arr": np.arange(30),
        "inf": math.inf,
        "nan": math.nan,
        "set": {3, 1},
        "verdict": Verdict.SUPPORTED,
        "path": Path("/x"),
    }
    html = write_report(claims, [], {"hostname": "secret-box"}, tmp_path / "r.html")
    page = html.read_text(encoding="utf-8")
    assert "secret-box" not in page and "secret-box" not in (tmp_path / "run.json").read_text()
    details = json.loads((tmp_path / "claims.json").read_text())[0]["details"]
    assert details["inf"] == "inf" and details["nan"] == "nan" and details["set"] == [1, 3]
    assert "+10 more" in page  # long lists are cut
    assert len(claim_rows(page)) == 1 and page.count(IMG) == 0


@pytest.mark.slow
def test_cli_rerenders_to_index_html(
    report: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "results"
    shutil.copytree(report.parent, folder)
    (folder / report.name).unlink()
    assert report_cli([str(folder)]) == 0
    assert (folder / "index.html").read_text(encoding="utf-8") == report.read_text(encoding="utf-8")
    assert str(folder / "index.html") in capsys.readouterr().out


# --- in a browser -----------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]

# Injected before the report's own CSP meta (a meta CSP governs only what follows it), so the
# probe runs while the report itself stays under its policy: any script, external fetch or
# blocked resource in the report shows up as a CSP violation, an error event or a resource entry.
PROBE = """<script>
window.__problems = [];
document.addEventListener('securitypolicyviolation',
  e => __problems.push('csp ' + e.violatedDirective + ' ' + e.blockedURI));
addEventListener('error', e => __problems.push(
  'error ' + (e.message || (e.target && e.target.outerHTML || '').slice(0, 80))), true);
for (const level of ['error', 'warn']) {
  const original = console[level];
  console[level] = (...args) => {
    __problems.push(level + ' ' + args.join(' '));
    original(...args);
  };
}
addEventListener('load', () => setTimeout(() => {
  // Drawing onto a canvas decodes the image for real (img.decode() never settles in headless
  // --dump-dom); a decoded figure has both white background and dark ink.
  const images = [...document.images].map(im => {
    if (!im.complete || !im.naturalWidth) return {width: 0, ink: 0};
    const canvas = document.createElement('canvas');
    canvas.width = im.naturalWidth; canvas.height = im.naturalHeight;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(im, 0, 0);
    const px = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let ink = 0;
    for (let i = 0; i < px.length; i += 4 * 97) {
      if (px[i + 3] && px[i] + px[i + 1] + px[i + 2] < 600) ink++;
    }
    return {width: im.naturalWidth, ink};
  });
  const probe = document.createElement('pre');
  probe.id = 'probe';
  probe.textContent = JSON.stringify({
    images, problems: __problems,
    resources: performance.getEntriesByType('resource').map(r => r.name)});
  document.body.appendChild(probe);
}, 200));
</script>"""


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "chromium-profile"
    return subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_report_loads_in_headless_chromium(
    report: Path, tmp_path: Path, record_property, capsys: pytest.CaptureFixture[str]
) -> None:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip(f"{CHROMIUM} not installed (Debian: apt-get install -y chromium)")
    page = report.read_text(encoding="utf-8")
    head = page.index("<head>") + len("<head>")
    probed = tmp_path / "probed.html"
    probed.write_text(page[:head] + PROBE + page[head:], encoding="utf-8")

    dom = _chromium(tmp_path, "--virtual-time-budget=10000", "--dump-dom", probed.as_uri())
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom.stdout, re.S)
    assert found, f"the probe did not report (rc {dom.returncode}): {dom.stderr[-2000:]}"
    import html as html_lib

    probe = json.loads(html_lib.unescape(found.group(1)))
    assert probe["problems"] == []
    assert probe["resources"] == [], "the report fetched something"
    assert len(probe["images"]) == page.count(IMG) == len(fake_results.experiments())
    for image in probe["images"]:
        assert image["width"] > 500 and image["ink"] > 100, f"an image did not decode: {image}"

    shot = tmp_path / "report.png"
    run = _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", report.as_uri())
    assert shot.exists(), run.stderr[-2000:]
    from PIL import Image

    image = Image.open(shot).convert("RGB")
    assert image.size == (1280, 2000)
    assert shot.stat().st_size > 50_000
    assert len(image.getcolors(maxcolors=1 << 20) or []) > 100, "the screenshot looks blank"
    record_property("screenshot", str(shot))
    with capsys.disabled():
        print(f"\nreport screenshot: {shot}")


def test_measures_section_says_how_many_runs_hit_the_epoch_cap(report: Path) -> None:
    page = report.read_text(encoding="utf-8")
    section = page[page.index('id="exp-measures"') :]
    runs = fake_results.measures().frames["runs"]
    hits = int((~runs["reached_stop"]).sum())
    assert hits == 1
    line = f"{hits} of {len(runs)} runs hit the 40-epoch cap before train CE &lt;= 0.01"
    assert line in section[: section.index("</section>")]
    assert "label corruption 0.6: 1" in section


def test_stopping_note_is_empty_without_stopping_columns() -> None:
    result = fake_results.measures()
    result.frames = {"runs": result.frames["runs"].drop(columns=["reached_stop"])}
    assert figures.stopping_note(result) == ""


def test_timings_mark_an_experiment_resumed_across_sessions(tmp_path: Path) -> None:
    resumed = fake_results.random_labels()
    resumed.seconds, resumed.extra = 1792.0, {**resumed.extra, "resumed_after_s": 792.0}
    straight = ExperimentResult("width_sweep", "ci", "cpu", {"widths": [5]}, {}, seconds=3.0)
    page = write_report(fake_results.claims(), [resumed, straight], {}, tmp_path / "r.html")
    timings = page.read_text(encoding="utf-8").split('id="timings"')[1]
    assert timings.count("*</td>") == 1  # only the resumed one
    assert "Resumed from checkpoints" in timings
    assert "random_labels 13 min 12 s up to its last checkpoint before a stop" in timings
    again = write_report(fake_results.claims(), [straight], {}, tmp_path / "s.html")
    assert "Resumed" not in again.read_text(encoding="utf-8")
