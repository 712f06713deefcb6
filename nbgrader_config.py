"""nbgrader settings for the Week 5 ConvNets assignment: only what differs from the defaults."""

c = get_config()  # noqa: F821 (provided by nbgrader)

# Building Keras models and the short training runs of notebook 3 take longer than
# nbgrader's default of 30 s per cell.
c.Execute.timeout = 300

# A test cell a student deleted (or stripped of its nbgrader metadata) is put back
# before autograding, so that deleting a failing test cannot skip it. (Edited test
# cells, their points and the kernelspec are restored from the gradebook by default.)
# Three fixes (autograder/nbgrader_preprocessors.py): nbgrader's placement of the restored
# cell fails on our layout, and a duplicated test cell or a cell whose metadata lost its
# schema_version stops nbgrader for the whole class.
from nbgrader.preprocessors import CheckCellMetadata, ClearOutput, OverwriteKernelspec  # noqa: E402

from autograder.nbgrader_preprocessors import DropDamagedMetadata, DropDuplicateIds, RestoreMissingCells  # noqa: E402,E501

c.OverwriteCells.add_missing_cells = True
c.Autograde.sanitize_preprocessors = [
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

from autograder.nbgrader_preprocessors import StderrIsNotAFailure  # noqa: E402

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

from autograder.nbgrader_preprocessors import ClearHiddenTestOutputs  # noqa: E402

c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTestOutputs, ClearHiddenTests, CSSHTMLHeaderPreprocessor]
