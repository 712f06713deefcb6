"""The runner comparison grades through the batch grader's loop, in this process or with the pytest
command, and both give the same rows."""

from __future__ import annotations

import pytest

NB = "2_transpose_convolution"
NAMES = ["solution", "nb2_round_not_floor_and_plus_2p"]


@pytest.mark.slow
def test_compare_in_process_and_with_the_pytest_command_give_the_same_rows(tmp_path):
    from lab import compare, examples

    examples.write_examples(tmp_path / "submitted", NAMES, notebooks=[NB])
    expect = examples.manifest(NAMES, [NB])
    rows = {}
    for cli in (False, True):
        options = compare.CompareOptions(jobs=2, with_nbgrader=False, expect=expect, quiet=True, cli=cli)
        got, problems = compare.compare(tmp_path / "submitted", options)
        assert problems == [], (cli, problems)
        rows[cli] = {r["student"]: (r["pytest"], r["max"], sorted(r["failed"]), r["exit"]) for r in got}
    assert rows[False] == rows[True], rows
    assert rows[True]["solution"][0] == rows[True]["solution"][1] > 0
    assert rows[True][NAMES[1]][2] == sorted(expect[NAMES[1]]["fails"]) != []


@pytest.mark.parametrize("jobs", ["0", "-1", "1.5"])
def test_jobs_must_be_a_whole_number_above_0(jobs, tmp_path, capsys):
    from autograder.exitcodes import ExitCode
    from lab import compare

    with pytest.raises(SystemExit) as raised:
        compare.main([str(tmp_path), "--jobs", jobs, "--no-nbgrader"])
    err = capsys.readouterr().err
    assert raised.value.code == ExitCode.USAGE and f"a whole number above 0, received '{jobs}'" in err


def test_damaged_grader_data_stop_the_comparison_with_exit_13_before_anyone_is_graded(tmp_path, monkeypatch, capsys):
    from autograder import own_data
    from autograder.exitcodes import ExitCode
    from lab import compare, examples

    examples.write_examples(tmp_path / "submitted", ["solution"], notebooks=[NB])
    damage = "release/convnets/data/digits.npz: expected sha256 466dcb52c808..., found a Git LFS pointer"
    monkeypatch.setattr(own_data, "damaged", lambda *args, **kwargs: [damage])
    code = compare.main([str(tmp_path / "submitted"), "--no-nbgrader", "--json", str(tmp_path / "t.json")])
    err = capsys.readouterr().err
    assert code == ExitCode.GRADER_DATA == 13, err
    assert damage in err and "Nobody was graded" in err and "Traceback" not in err, err
    assert not (tmp_path / "t.json").exists()
