"""results/: every committed run names its device, versions and commit, appears in the
summary table as it would be made now, and is described in results/README.md."""

import csv
import fnmatch
import json
import re
import sys
from pathlib import Path

from her_jax.meta import legs

RESULTS = Path(__file__).resolve().parent.parent / "results"
sys.path.insert(0, str(RESULTS.parent / "experiments"))

import summary  # noqa: E402


def test_every_run_records_its_device_versions_and_commit():
    runs = sorted(p.parent for p in RESULTS.rglob("config.json"))
    assert runs, "results/ holds committed runs"
    for run_dir in runs:
        meta = run_dir / "meta.json"
        assert meta.exists(), f"{run_dir} has no meta.json"
        for leg in legs(json.loads(meta.read_text())):  # a resumed run: every leg
            assert leg["device"] and leg["jax"] and leg["mujoco"], run_dir
            # a checkout with uncommitted changes is named so, never passed off as clean
            assert re.fullmatch(r"[0-9a-f]{40}(\+dirty)?", leg["commit"]), run_dir


def test_the_summary_table_holds_every_run_as_it_reads_now():
    rows = [r for run in summary.run_folders(RESULTS) for r in summary.summarise_run(run, RESULTS)]
    with (RESULTS / "summary.csv").open() as f:
        committed = list(csv.DictReader(f))
    assert [r["run"] for r in committed] == [r["run"] for r in rows]
    for saved, now in zip(committed, rows, strict=True):
        assert saved == {k: str(v) for k, v in now.items()}, saved["run"]
    readme = (RESULTS / "README.md").read_text()
    assert summary.markdown(rows) in readme  # the README's table is the CSV's


def test_every_entry_is_described_in_the_results_readme():
    readme = (RESULTS / "README.md").read_text()
    section = readme.split("## What is here", 1)[1].split("\n## ", 1)[0]
    # the table's names: `train_push_cpu/`, `fetch_*.png`, `bench_train_..._h200.*`, ...
    named = {name.split("/")[0] for name in re.findall(r"`([^`\s]+)`", section)}
    for entry in sorted(RESULTS.iterdir()):
        if entry.name == "README.md":
            continue
        assert any(
            fnmatch.fnmatch(entry.name, pattern) or entry.stem == Path(pattern).stem
            for pattern in named
        ), f"results/{entry.name} is not described under 'What is here' in results/README.md"


def test_every_ablation_table_is_made_from_its_summary_csv():
    import fig6_ablation

    readme = (RESULTS / "README.md").read_text()
    made = ""
    for table in sorted(RESULTS.glob("*/summary.md")):
        with (table.parent / "summary.csv").open() as f:
            rows = list(csv.DictReader(f))
        assert fig6_ablation.fig6_table(rows) in table.read_text(), table
        made += table.read_text()
    # each table of best / mean success quoted in the README is one of them, unedited
    quoted = [t for t in re.split(r"\n\n", readme) if re.match(r"\| [^|]+ \| k = ", t)]
    assert len(quoted) >= 3
    for t in quoted:
        assert t.strip() + "\n" in made, t.splitlines()[0]
