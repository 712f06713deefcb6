"""Grade one submission: find its notebooks, run them sandboxed, judge in this process.

Used by the pytest runner (``pytest autograder --submission PATH``), by the
example-submission table (``python -m lab.examples``) and by the tests.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from autograder.checks import registry
from autograder.messages import printable
from autograder.own_data import require_intact
from autograder.references import load_references
from autograder.sandbox.run import Limits, NotebookRun, Outcome, run_notebook


class SubmissionError(Exception):
    """The submission cannot be read at all (exit code 10 in the pytest runner)."""


@dataclass
class CheckResult:
    name: str  # the nbgrader grade_id
    notebook: str
    score: float
    max_score: float
    output: str  # what the student reads: empty when the check passed
    visibility: str = "visible"
    mistake: str = ""  # the known mistake the judge named, if any (for the class report)
    seconds: float = 0.0  # the child's time in the check (its visible assertions and collect)

    @property
    def passed(self) -> bool:
        return self.score == self.max_score


@dataclass
class SubmissionResult:
    path: str
    tests: list[CheckResult] = field(default_factory=list)
    manual: list[dict] = field(default_factory=list)  # awaiting a grader
    problems: list[str] = field(default_factory=list)  # one line per notebook-level problem
    graded_notebooks: list[str] = field(default_factory=list)
    isolation: dict[str, list[str]] = field(default_factory=dict)  # notebook -> what confined it

    @property
    def score(self) -> float:
        return round(sum(t.score for t in self.tests), 6)

    @property
    def max_score(self) -> float:
        return round(sum(t.max_score for t in self.tests), 6)

    def gradescope(self) -> dict:
        """The Gradescope ``results.json`` layout; manual answers are listed as awaiting a grader."""
        out = {
            "score": self.score,
            "tests": [
                {
                    "name": t.name,
                    "score": t.score,
                    "max_score": t.max_score,
                    "output": t.output,
                    "visibility": t.visibility,
                }
                for t in self.tests
            ],
        }
        notes = []
        if self.manual:
            pending = ", ".join(f"{m['name']} ({m['max_score']:g} points)" for m in self.manual)
            notes.append(f"Awaiting a grader (not included in the score): {pending}.")
        notes += self.problems
        if notes:
            out["output"] = "\n".join(notes)
        out["extra_data"] = {
            "awaiting_manual_grading": self.manual,
            "problems": self.problems,
            "notebooks": self.graded_notebooks,
            "isolation": self.isolation,
            "mistakes": {t.name: t.mistake for t in self.tests if t.mistake},
            # each check's time in the child, for the staff (a slow retraining): not part of the grade
            "seconds": {t.name: t.seconds for t in self.tests if t.seconds},
        }
        return out


def find_notebooks(path: Path) -> tuple[dict[str, Path], list[str]]:
    """Map each assignment notebook name to its file in ``path``.

    ``path`` is one notebook (then only that notebook is graded) or a folder
    (then every assignment notebook in it). Returns the notebooks found and one
    line per problem (missing or unexpected file names).
    """
    path = Path(path)
    names = list(registry())
    if not path.exists():
        raise SubmissionError(
            f"submission not found: {path} does not exist (expected a folder of notebooks or one .ipynb file)"
        )
    if path.is_file():
        if path.suffix != ".ipynb":
            raise SubmissionError(f"{path} is not a notebook: expected a .ipynb file or a folder of them")
        if path.stem not in names:
            raise SubmissionError(
                f"{path.name} is not a notebook of this assignment: expected one of "
                f"{', '.join(n + '.ipynb' for n in names)}"
            )
        return {path.stem: path}, []
    found = {p.stem: p for p in sorted(path.glob("*.ipynb")) if p.stem in names}
    problems = [f"missing notebook {n}.ipynb: its checks score 0" for n in names if n not in found]
    strangers = sorted(p.name for p in path.glob("*.ipynb") if p.stem not in names)
    if strangers:
        problems.append(f"not graded (not a notebook of this assignment): {', '.join(strangers)}")
    if not found:
        raise SubmissionError(
            f"no notebook of this assignment in {path}: expected "
            f"{', '.join(n + '.ipynb' for n in names)}" + (f"; found {', '.join(strangers)}" if strangers else "")
        )
    return found, problems


def readable(notebook: Path) -> str | None:
    """None if ``notebook`` is a readable nbformat-4 notebook, else why not."""
    import nbformat

    try:
        nb = nbformat.read(str(notebook), as_version=nbformat.NO_CONVERT)
    except Exception as exc:  # noqa: BLE001 - any parse error means unreadable
        first = (str(exc).strip().splitlines() or ["(no message)"])[0][:200]
        return f"unreadable notebook {notebook.name}: {type(exc).__name__}: {first}"
    if nb.get("nbformat") != 4:
        return f"unreadable notebook {notebook.name}: nbformat {nb.get('nbformat')} (expected 4)"
    return None


def kernel_note(notebook: Path) -> str | None:
    """A line when the notebook says it is for another kernel than Python: it is graded with
    Python all the same (nbgrader too: it restores the kernelspec from its gradebook), so a
    kernel name cannot make a notebook ungradable, nor run its code in another language."""
    import nbformat

    meta = nbformat.read(str(notebook), as_version=4).get("metadata", {})
    meta = meta if isinstance(meta, dict) else {}
    spec = meta.get("kernelspec", {}) or {}
    spec = spec if isinstance(spec, dict) else {}
    info = meta.get("language_info", {}) or {}
    language = spec.get("language") or (info.get("name") if isinstance(info, dict) else None) or "python"
    if str(language).lower() != "python" or not str(spec.get("name", "python3")).lower().startswith("python"):
        return (
            f"{notebook.name} says its kernel is {spec.get('name', '?')!r} ({language}): "
            f"graded with Python 3 all the same"
        )
    return None


STDERR_NOTE = "Note: your code wrote to stderr during this check (warnings cost no points): "


def stderr_note(stderr: str) -> str:
    """What a student reads about their code's stderr: its first line, as a note, never a failure
    (NumPy's RuntimeWarning, a Keras notice or a leftover tf.print come from correct code too)."""
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return f"{STDERR_NOTE}{lines[0][:300]}" if lines else ""


def judge_outcome(check, outcome: Outcome, expected: dict) -> CheckResult:
    """Compare one check's plain data with its references: full points or zero, and why. What
    the code wrote to stderr is reported, and costs nothing."""

    def result(score, output, mistake=""):
        return CheckResult(
            name=check.grade_id,
            notebook=check.notebook,
            score=score,
            max_score=check.points,
            output=printable(output),
            mistake=mistake or "",
            seconds=round(float(outcome.seconds or 0.0), 1),
        )

    note = stderr_note(outcome.stderr)
    if outcome.error is not None:
        return result(0.0, f"{check.description}: {outcome.error}" + (f"\n{note}" if note else ""))
    try:
        check.judge(check.judged(outcome.values), expected)
    except AssertionError as exc:  # CheckFailed, or an expect_* helper
        return result(0.0, f"{check.description}: {exc}" + (f"\n{note}" if note else ""), getattr(exc, "mistake", None))
    except Exception as exc:  # noqa: BLE001 - a bug in the grader must not stop the batch
        return result(
            0.0,
            f"{check.description}: internal grader error ({type(exc).__name__}: {exc}); "
            f"this is not your mistake: tell the course staff",
        )
    if outcome.visible_failure:  # the hidden cases pass, the test a student sees does not
        return result(
            0.0,
            f"{check.description}: the test cell's visible assertions fail: {outcome.visible_failure}"
            + (f"\n{note}" if note else ""),
        )
    return result(check.points, note)


def judge_notebook(run: NotebookRun) -> list[CheckResult]:
    refs = load_references(run.name)
    spec = registry()[run.name]
    return [
        judge_outcome(c, run.outcomes.get(c.grade_id, Outcome(error="not graded")), refs.get(c.grade_id, {}))
        for c in spec.checks
    ]


def zero_notebook(name: str, why: str) -> list[CheckResult]:
    return [
        CheckResult(name=c.grade_id, notebook=name, score=0.0, max_score=c.points, output=f"{c.description}: {why}")
        for c in registry()[name].checks
    ]


class SubmissionGrader:
    """Grades one submission notebook by notebook, each at most once (lazily).

    Reading problems are found up front: :class:`GraderDataError` when the grader's own data
    are damaged (autograder/own_data.py), :class:`SubmissionError` when nothing
    at ``path`` can be graded; an unreadable or missing notebook scores 0 on
    its checks and is reported, and the other notebooks are graded as usual.
    """

    def __init__(self, path: Path, limits: Limits | None = None):
        require_intact()  # the grader's own data first: damaged, they would cost every student points
        self.path = Path(path)
        self.limits = limits
        found, problems = find_notebooks(self.path)
        self.single = self.path.is_file()
        self.found = found
        self.problems = list(problems)
        self.unreadable: dict[str, str] = {}
        for name, nb in found.items():
            why = readable(nb)
            if why:
                self.unreadable[name] = printable(why)
                self.problems.append(printable(why))
            elif note := kernel_note(nb):
                self.problems.append(printable(note))
        self._results: dict[str, list[CheckResult]] = {}
        self.graded_notebooks: list[str] = []
        self.isolation: dict[str, list[str]] = {}
        if len(self.unreadable) == len(found):
            raise SubmissionError("; ".join(self.unreadable.values()))

    @property
    def notebooks(self) -> list[str]:
        """The notebooks whose checks count: all of them for a folder, one for a file."""
        return [n for n in registry() if not self.single or n in self.found]

    def check_ids(self) -> list[str]:
        return [c.grade_id for n in self.notebooks for c in registry()[n].checks]

    def results_for(self, name: str) -> list[CheckResult]:
        if name not in self._results:
            if name not in self.found:
                self._results[name] = zero_notebook(name, f"missing notebook {name}.ipynb")
            elif name in self.unreadable:
                self._results[name] = zero_notebook(name, self.unreadable[name])
            else:
                run = run_notebook(self.found[name], name, self.limits)
                self.problems += [printable(f"{name}: {p}") for p in run.problems]
                self.graded_notebooks.append(name)
                self.isolation[name] = run.isolation
                self._results[name] = judge_notebook(run)
        return self._results[name]

    def result(self, grade_id: str) -> CheckResult:
        name = next(n for n in self.notebooks if any(c.grade_id == grade_id for c in registry()[n].checks))
        return next(r for r in self.results_for(name) if r.name == grade_id)

    def summary(self, only_graded: bool = False) -> SubmissionResult:
        names = [n for n in self.notebooks if not only_graded or n in self._results]
        tests, manual = [], []
        for name in names:
            tests += self.results_for(name)
            if name in self.found:
                manual += [
                    {"name": gid, "notebook": name, "max_score": pts} for gid, pts in registry()[name].manual.items()
                ]
        return SubmissionResult(
            path=str(self.path),
            tests=tests,
            manual=manual,
            problems=list(self.problems),
            graded_notebooks=list(self.graded_notebooks),
            isolation=dict(self.isolation),
        )


def grade_submission(path: Path, limits: Limits | None = None) -> SubmissionResult:
    """Grade every assignment notebook found at ``path`` (see :class:`SubmissionGrader`)."""
    return SubmissionGrader(path, limits).summary()


def unreadable_result(path: Path, why: str) -> SubmissionResult:
    """What a submission that cannot be read at all gets: every check 0, and why
    (only the named notebook's checks when ``path`` names one of them)."""
    path = Path(path)
    names = [path.stem] if path.suffix == ".ipynb" and path.stem in registry() else list(registry())
    result = SubmissionResult(path=str(path), problems=[why])
    for name in names:
        result.tests += zero_notebook(name, why)
    return result


def write_results_json(result: SubmissionResult, path: Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(result.gradescope(), indent=2) + "\n")


def summary_line(result: SubmissionResult) -> str:
    return f"{result.score:g} / {result.max_score:g} auto-graded points"
