"""nbgrader settings for the Week 5 ConvNets assignment: only what differs from the defaults."""

c = get_config()  # noqa: F821 (provided by nbgrader)

# The shipped data first: a damaged file (a Git LFS pointer, a file edited by hand) would fail the
# locked cells of every notebook, and each student would lose the points. `nbgrader autograde` and
# `nbgrader generate_assignment` (data/ only: it makes release/'s copy, and ships no reference) stop here, grading or
# releasing nothing (autograder/own_data.py).
# Only those two commands, as typed: formgrader's server loads this file too, and keeps running
# (its autograde button is refused per submission: RequireIntactData, below).
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

_command = Path(sys.argv[0])  # `nbgrader`, or nbgrader/__main__.py for `python -m nbgrader`
if "nbgrader" in (_command.name, _command.parent.name) and sys.argv[1:2] in (["autograde"], ["generate_assignment"]):
    from autograder.own_data import FOLDERS, GRADING, SOURCE_SIDE, GraderDataError, require_intact

    try:
        if sys.argv[1] == "autograde":
            require_intact(GRADING, FOLDERS)
        else:  # it writes release/ (and its data) from source/: only source/'s data/ must be intact
            why = "Nothing was released: the students would have received the damaged files"
            require_intact(why, SOURCE_SIDE, references=None)
    except GraderDataError as exc:
        print(f"nbgrader {sys.argv[1]}: {exc}", file=sys.stderr)
        raise SystemExit(13) from None  # autograder/exitcodes.py: GRADER_DATA

# Building Keras models and the short training runs of notebook 3 take longer than
# nbgrader's default of 30 s per cell. The hidden test cells of notebook 3's retrainings get
# their checks' own limits (360 s a training; the super-resolution one may train three times).
from autograder.nbgrader.cell import CELL_SECONDS, timeout  # noqa: E402

c.Execute.timeout = CELL_SECONDS
c.Execute.timeout_func = timeout

# A test cell a student deleted (or stripped of its nbgrader metadata) is put back
# before autograding, so that deleting a failing test cannot skip it. (Edited test
# cells, their points and the kernelspec are restored from the gradebook by default.)
# Three fixes (autograder/nbgrader/preprocessors.py): nbgrader's placement of the restored
# cell fails on our layout, and a duplicated test cell or a cell whose metadata lost its
# schema_version stops nbgrader for the whole class.
from nbgrader.preprocessors import CheckCellMetadata, ClearOutput, OverwriteKernelspec  # noqa: E402

from autograder.nbgrader.preprocessors import (  # noqa: E402
    DropDamagedMetadata,
    DropDuplicateIds,
    RequireIntactData,
    RestoreMissingCells,
)

c.OverwriteCells.add_missing_cells = True
# RequireIntactData first: formgrader's autograde button runs inside the Jupyter server, which read
# this file when it started, so the check above never stops it; this one refuses each submission.
c.Autograde.sanitize_preprocessors = [
    RequireIntactData,
    ClearOutput,
    DropDamagedMetadata,
    DropDuplicateIds,
    OverwriteKernelspec,
    RestoreMissingCells,
    CheckCellMetadata,
]

# A warning on stderr in a test cell (NumPy's RuntimeWarning for 0/0, a Keras notice) is not a
# failure: it is shown under a note, and only an error costs points, as in the pytest runner.
from nbconvert.preprocessors import ClearMetadataPreprocessor  # noqa: E402
from nbgrader.preprocessors import AssignLatePenalties, Execute, IgnorePattern, LimitOutput, SaveAutoGrades  # noqa: E402

from autograder.nbgrader.preprocessors import StderrIsNotAFailure  # noqa: E402

c.Autograde.autograde_preprocessors = [
    Execute,
    IgnorePattern,
    StderrIsNotAFailure,
    ClearMetadataPreprocessor,
    LimitOutput,
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
]

# Feedback shows each test's result, not the hidden half of its code (neither in the cell
# nor in the lines a traceback shows around a failure).
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import ClearHiddenTests, GetGrades  # noqa: E402

from autograder.nbgrader.preprocessors import ClearHiddenTestOutputs  # noqa: E402

c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTestOutputs, ClearHiddenTests, CSSHTMLHeaderPreprocessor]

# An LMS download: `nbgrader zip_collect convnets` unpacks downloaded/convnets/archive/*.zip (or
# the files themselves) into submitted/<student>/convnets/, with no renaming by hand. Canvas's
# "Download Submissions" names each file <name>[_LATE]_<user id>_<attachment id>_<the name it was
# uploaded under>, and adds -1, -2 before .ipynb to a file uploaded again; the student is named by
# their Canvas user id (the ID column of Canvas's gradebook, python -m autograder.report.canvas).
# nbgrader matches the pattern against the file's whole path, hence the leading (?:.*[/\\])?.
# For another LMS, change this one line:
#   Moodle ("Download all submissions"; Jane Doe_1234567_assignsubmission_file_2_transpose_convolution.ipynb):
#     r"^(?:.*[/\\])?(?P<last_name>[^_/\\]+)_(?P<student_id>\d+)_assignsubmission_file_(?P<file_id>.+?)(?:-\d+)?\.ipynb$"  # noqa: E501
#   Blackboard ("Download assignment"; Week5_jdoe_attempt_2026-12-01-09-30-00_2_transpose_convolution.ipynb):
#     r"^(?:.*[/\\])?[^/\\]+_(?P<student_id>[^_/\\]+)_attempt_(?P<timestamp>\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d)_(?P<file_id>.+?)\.ipynb$"  # noqa: E501
c.FileNameCollectorPlugin.named_regexp = (
    r"^(?:.*[/\\])?(?P<last_name>[^_/\\]+)(?:_LATE)?_(?P<student_id>\d+)_\d+_(?P<file_id>.+?)(?:-\d+)?\.ipynb$"
)
