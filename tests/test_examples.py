"""Smoke tests: every example runs as a script, in its quick mode."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
# Each example and the files it must write into the output folder.
OUTPUTS = {
    "plot_grid_search.py": ["grid_search.png"],
    "plot_text_tagging.py": ["text_tagging.png"],
    "plot_threshold_diagnostics.py": ["threshold_diagnostics.png"],
    "plot_imbalanced_labels.py": ["imbalanced_labels.png"],
    "compare_all_datasets.py": [
        "scene/scores.csv",
        "scene/scores.md",
        "scene/scores.png",
        "emotions/scores.csv",
    ],
}
# Examples not run here, each with the reason.
NOT_RUN = {
    "dask_grid_search.py": "starts a Dask cluster and has no quick mode; "
    "tests/test_distributed.py checks the same search on Dask workers",
}
TIMEOUT_SECONDS = 300


@pytest.fixture(scope="module")
def example_runs(tmp_path_factory):
    """Start every example at once, each writing into its own folder.

    The examples spend much of their time loading TensorFlow; running them
    side by side keeps the whole module short.
    """
    pytest.importorskip("matplotlib")
    runs = {}
    for name in OUTPUTS:
        out = tmp_path_factory.mktemp(name.removesuffix(".py"))
        env = {
            **os.environ,
            "SKLEARN_MULTILABEL_EXAMPLE_FAST": "1",
            "SKLEARN_MULTILABEL_EXAMPLE_OUT": str(out),
            "MPLBACKEND": "Agg",
            "TF_CPP_MIN_LOG_LEVEL": "3",
        }
        process = subprocess.Popen(
            [sys.executable, str(EXAMPLES / name)],
            cwd=out,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        runs[name] = (process, out)
    yield runs
    for process, _ in runs.values():
        if process.poll() is None:
            process.kill()


def test_every_example_is_smoke_tested():
    """Check that every example of the folder is run here, or says why not."""
    listed = sorted([*OUTPUTS, *NOT_RUN])
    assert listed == sorted(path.name for path in EXAMPLES.glob("*.py"))


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_example_runs_and_writes_its_figures(example_runs, name):
    """Check that the example exits cleanly and writes its files."""
    process, out = example_runs[name]
    stdout, stderr = process.communicate(timeout=TIMEOUT_SECONDS)
    assert process.returncode == 0, f"{name} failed:\n{stderr[-3000:]}"
    for relative in OUTPUTS[name]:
        assert (out / relative).stat().st_size > 0, f"{name} did not write {relative}"
    assert "Wrote " in stdout
