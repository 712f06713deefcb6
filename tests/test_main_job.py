"""The README's main job on a fresh clone, exactly as written: `bash run.sh`, then
`bash run.sh --full`. Each exits 0, ends with a line that says what was shown, shows its
progress, and leaves the checkout as it was (nothing committed is rewritten)."""

from __future__ import annotations

import re

import pytest


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["quick", "full"])
def test_main_job_succeeds_on_a_fresh_clone_and_leaves_it_clean(main_job, mode):
    run = main_job[mode]
    assert run["code"] == 0, (
        f"bash run.sh {' '.join(run['args'])} exited {run['code']}:\n{run['stdout'][-4000:]}\n{run['stderr'][-3000:]}"
    )
    assert run["last"].startswith("OK ("), run["last"]
    assert run["status"] == "", f"bash run.sh {' '.join(run['args'])} changed the checkout:\n{run['status']}"
    assert re.search(r"\[#+\.*\] \d+/\d+ \d+% .* elapsed, about .* left", run["stderr"]), "no progress line"
    assert "references match" in run["stdout"] and "in sync" in run["stdout"]


@pytest.mark.slow
def test_the_full_run_labels_what_nbgrader_is_not_given(main_job, full_scores):
    from lab.examples import all_examples

    unsafe = {e.name: e.unsafe_for_nbgrader for e in all_examples() if e.unsafe_for_nbgrader}
    for name, why in unsafe.items():
        assert full_scores[name]["nbgrader"] is None
        assert f"nbgrader is not asked to grade this one: {why}" in main_job["full"]["stdout"]
    from lab.__main__ import SAMPLE_NOTE
    from lab.examples import nbgrader_sample

    left_out = set(full_scores) - set(unsafe) - set(nbgrader_sample())
    assert left_out, "the suite runs --nbgrader sample, which leaves examples out"
    for name in left_out:
        assert full_scores[name]["nbgrader"] is None and full_scores[name]["note"].endswith(SAMPLE_NOTE), name
    assert all(full_scores[name]["nbgrader"] is not None for name in nbgrader_sample())
    assert "DISAGREE" not in main_job["full"]["stdout"] and "UNEXPECTED" not in main_job["full"]["stdout"]


@pytest.mark.slow
def test_a_wrong_expectation_fails_the_comparison_with_the_reason_last(fresh_clone, tmp_path):
    """The comparison is not a formality: told that the solution of notebook 2 should fail a
    check, it says so on its last line and exits 1."""
    import json
    import shutil
    import subprocess
    import sys

    nb = "2_transpose_convolution"
    folder = tmp_path / "submitted" / "solution" / "convnets"
    folder.mkdir(parents=True)
    shutil.copy(fresh_clone / "build" / "full" / "submitted" / "solution" / "convnets" / f"{nb}.ipynb", folder)
    wrong = {"solution": {"notebooks": [nb], "fails": ["nb2_conv_output_size"], "nbgrader": ""}}
    (tmp_path / "examples.json").write_text(json.dumps(wrong))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "lab.compare",
            str(tmp_path / "submitted"),
            "--expect",
            str(tmp_path / "examples.json"),
            "--no-nbgrader",
        ],
        cwd=fresh_clone,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("FAILED") and "solution" in last and "nb2_conv_output_size" in last, last


def test_nbgrader_sample_needs_full(capsys):
    from autograder.exitcodes import ExitCode
    from lab.__main__ import main

    with pytest.raises(SystemExit) as exc:
        main(["--nbgrader", "sample"])
    assert exc.value.code == ExitCode.USAGE
    assert "--nbgrader sample: expected it with --full" in capsys.readouterr().err
