"""Fixes to nbgrader's preprocessors, one for stderr and one for feedback, used by ``nbgrader_config.py``,
and a check of the grader's own data before each notebook is autograded.

nbgrader 0.9's ``DeduplicateIds`` keeps the last of two cells with one grade_id and
leaves the other with empty nbgrader metadata, which nbgrader then takes for an old
metadata format and stops autograding (the whole command, not one student's notebook):
a student who copies a test cell stops the class. Here the other cell loses its nbgrader
metadata altogether, and becomes an ordinary code cell.

nbgrader 0.9's ``OverwriteCells.add_missing_cells`` puts a deleted test cell back after
the cell that came before it in the source notebook, and fails with ``KeyError`` (and
the whole notebook scores 0) when that cell is not a solution or test cell: in our
notebooks a locked "try it" cell comes before most test cells. This version puts the
test cell back after the nearest earlier cell of the source that the submission still
has (any cell with an nbgrader id), or at the top; and it does not fail on a cell whose
nbgrader metadata lost its ``grade_id`` (nbgrader's task-cell step does).

nbgrader 0.9 also stops the whole ``autograde`` command (every later student ungraded)
when one cell's nbgrader metadata has an older or newer ``schema_version`` than its own,
e.g. a student's edit lost the key: ``DropDamagedMetadata``, right after ``ClearOutput``
among the sanitizing steps, puts the schema version back when that is all that is wrong,
and otherwise removes the cell's nbgrader metadata, so the cell becomes an ordinary one
(its code still runs) and a test cell is put back from the gradebook by
``RestoreMissingCells``.
"""

from __future__ import annotations

import re

from nbgrader import utils
from nbgrader.nbgraderformat import MetadataValidator
from nbgrader.preprocessors import DeduplicateIds, NbGraderPreprocessor, OverwriteCells


def _grade_id(cell) -> str | None:
    return (cell.get("metadata", {}).get("nbgrader", {}) or {}).get("grade_id")


class DropDamagedMetadata(NbGraderPreprocessor):
    def preprocess(self, nb, resources):
        self._validator = MetadataValidator()
        return super().preprocess(nb, resources)

    def _valid(self, cell) -> str:
        try:
            self._validator.validate_cell(cell)
            return ""
        except Exception as exc:  # noqa: BLE001 - SchemaTooOld/TooNew, jsonschema's errors, a non-dict
            return str(exc).splitlines()[0]

    def preprocess_cell(self, cell, resources, cell_index):
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta is None or not (problem := self._valid(cell)):
            return cell, resources
        name = meta.get("grade_id", f"cell {cell_index}") if isinstance(meta, dict) else f"cell {cell_index}"
        if isinstance(meta, dict):
            # Most often only the schema version was lost or changed: put it back, keep the
            # cell (a written answer stays the student's; OverwriteCells restores the rest).
            repaired = {**meta, "schema_version": self._validator.schema_version}
            cell["metadata"]["nbgrader"] = repaired
            if not self._valid(cell):
                self.log.warning(f"{name}: nbgrader metadata repaired ({problem})")
                return cell, resources
        self.log.warning(
            f"{name}: nbgrader metadata that does not validate ({problem}); removed, the cell "
            f"is graded as an ordinary cell (a test cell is restored from the gradebook)"
        )
        del cell["metadata"]["nbgrader"]
        return cell, resources


class DropDuplicateIds(DeduplicateIds):
    def preprocess_cell(self, cell, resources, cell_index):
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if cell.get("metadata", {}).get("nbgrader") == {}:
            del cell["metadata"]["nbgrader"]
        return cell, resources


class RestoreMissingCells(OverwriteCells):
    def add_missing_grade_cells(self, nb, resources):
        source_nb = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        source_cells = list(source_nb.source_cells)
        order = [cell.name for cell in source_cells]
        solution_ids = {cell.name for cell in source_nb.solution_cells}
        for grade_cell in source_nb.grade_cells:
            graded = {_grade_id(c) for c in nb.cells if utils.is_grade(c) or utils.is_solution(c)}
            if grade_cell.name in graded or grade_cell.name not in order:
                continue
            self.log.warning(f"Missing grade cell {grade_cell.name} encountered, adding to notebook")
            where = {_grade_id(c): i for i, c in enumerate(nb.cells) if _grade_id(c)}
            index = order.index(grade_cell.name)
            after = next((where[name] for name in reversed(order[:index]) if name in where), -1)
            cell = self.missing_cell_transform(
                source_cells[index], grade_cell.max_score, is_solution=grade_cell.name in solution_ids
            )
            nb.cells.insert(after + 1, cell)
        return nb, resources

    def add_missing_task_cells(self, nb, resources):
        # nbgrader's version fails with KeyError on a cell whose nbgrader metadata lost its grade_id.
        source_nb = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        source_cells = list(source_nb.source_cells)
        order = [cell.name for cell in source_cells]
        present = {_grade_id(c) for c in nb.cells}
        for task_cell in source_nb.task_cells:
            if task_cell.name not in present:
                nb.cells.append(
                    self.missing_cell_transform(
                        source_cells[order.index(task_cell.name)], task_cell.max_score, is_task=True
                    )
                )
        return nb, resources


class RequireIntactData(NbGraderPreprocessor):
    """The first of autograde's sanitizing steps: refuse to grade the notebook while the grader's own
    data or reference outputs are damaged (:func:`autograder.own_data.require_intact`).

    ``nbgrader autograde`` typed in a shell is stopped before it grades anyone, by
    ``nbgrader_config.py``. formgrader's "autograde" button runs the same converter inside the
    Jupyter server, which read that file once, when it started: without this step it would grade
    each student against a Git LFS pointer. Raised here, the error fails this submission only, as
    nbgrader fails any submission whose conversion raises: nothing of it is graded, its autograded
    folder is removed, and formgrader shows the log, this message in it. The files' digests are
    cached by size and modification time, so after the first notebook this costs a few stat calls."""

    REFUSED = "This submission was not autograded: it would have lost points for the grader's own files"

    def preprocess(self, nb, resources):
        from autograder.own_data import require_intact

        require_intact(self.REFUSED)
        return nb, resources


class StderrIsNotAFailure(NbGraderPreprocessor):
    """In a test cell, text on stderr (a warning from correct code: NumPy's RuntimeWarning, a Keras
    notice, a leftover tf.print) becomes ordinary output under a note, so that nbgrader, which
    scores any stderr in a test cell as a failure, scores it as the pytest runner does: only an
    error (an exception, a failed assertion) costs points. Runs right after Execute."""

    NOTE = "Note: your code wrote to stderr during this test (warnings cost no points):\n"

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code" or not utils.is_grade(cell) or utils.is_solution(cell):
            return cell, resources
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                output["name"] = "stdout"
                output["text"] = self.NOTE + output.get("text", "")
        return cell, resources


class ClearHiddenTestOutputs(NbGraderPreprocessor):
    """For feedback: drop the lines of a test cell's hidden region from its error output.
    (nbgrader's ClearHiddenTests, which runs after it, clears them from the cell's source;
    a traceback shows the lines around the failing one, the hidden ones among them.)"""

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code" or "BEGIN HIDDEN TESTS" not in cell.source:
            return cell, resources
        hidden, inside = [], False
        for line in cell.source.splitlines():
            if "BEGIN HIDDEN TESTS" in line:
                inside = True
            elif "END HIDDEN TESTS" in line:
                inside = False
            elif inside and line.strip():
                hidden.append(line.strip())
        hidden += ["BEGIN HIDDEN TESTS", "END HIDDEN TESTS"]
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output["traceback"] = [
                    "\n".join(part for part in frame.split("\n") if not any(h in _plain(part) for h in hidden))
                    for frame in output.get("traceback", [])
                ]
        return cell, resources


def _plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)
