"""The class's pages: ``report.html`` (the grade distribution, each check's pass rate and the mistakes
the judges named, what could not be graded) and ``feedback/<student>.html`` (what a student reads)."""

from __future__ import annotations

import base64
import io
from pathlib import Path

from autograder.checks import max_points, registry
from autograder.messages import printable
from autograder.paths import ASSIGNMENT
from autograder.report.records import GRADED, problems_of
from autograder.report.tables import check_statistics
from autograder.sandbox.plain import write_atomic


def _figure_png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode()


def write_feedback(records: dict[str, dict], folder: Path) -> None:
    """``feedback/<student>.html``: each check's score and message, the problems, the written answers
    awaiting a grader; what nbgrader's generate_feedback gives, without any test's code."""
    folder.mkdir(parents=True, exist_ok=True)
    auto, manual = max_points()
    for student, record in records.items():
        results = record["results"]
        rows = "".join(
            f"<tr class='{'ok' if t['score'] == t['max_score'] else 'lost'}'><td>{_h(t['name'])}</td>"
            f"<td>{t['score']:g} / {t['max_score']:g}</td><td><pre>{_h(t['output'])}</pre></td></tr>"
            for t in results["tests"]
        )
        waiting = "".join(
            f"<li>{_h(m['name'])} ({m['max_score']:g} points)</li>"
            for m in results.get("extra_data", {}).get("awaiting_manual_grading", [])
        )
        problems = "".join(f"<li>{_h(p)}</li>" for p in results.get("extra_data", {}).get("problems", []))
        page = f"""<!doctype html><html><head><meta charset="utf-8">
<title>{ASSIGNMENT}: feedback for {_h(student)}</title><style>{CSS}</style></head><body>
<h1>{ASSIGNMENT}: feedback for {_h(student)}</h1>
<p class="total">{float(results["score"]):g} of {auto:g} auto-graded points{
            "" if record["status"] == GRADED else " (could not be graded)"
        }.</p>
{f"<h2>Problems</h2><ul>{problems}</ul>" if problems else ""}
<h2>Checks</h2><table><tr><th>check</th><th>points</th><th>what the grader found</th></tr>{rows}</table>
{f"<h2>Written answers, graded by hand</h2><ul>{waiting}</ul>" if waiting else ""}
</body></html>
"""
        write_atomic(folder / f"{_safe_name(student)}.html", page.encode("utf-8"))


def _safe_name(student: str) -> str:
    """A file name for a student folder's name (kept readable, nothing that leaves the folder)."""
    import re

    return re.sub(r"[^A-Za-z0-9._-]", "_", printable(student))[:120] or "_"


CSS = (
    "body{font-family:system-ui,sans-serif;max-width:64em;margin:2em auto;padding:0 1em;color:#222}"
    "h1{font-size:1.6em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}"
    "table{border-collapse:collapse;width:100%}td,th{padding:4px 10px;text-align:left;vertical-align:top}"
    "tr:nth-child(even){background:#f6f6f6}th{background:#eaeaea}pre{white-space:pre-wrap;margin:0;"
    "font-size:.9em}tr.lost td:first-child{border-left:4px solid #c44}tr.ok td:first-child{border-left:4px "
    "solid #4a4}.total{font-size:1.2em}.bar{display:inline-block;height:.8em;background:#55a868}"
    "img{max-width:100%}"
)


def _h(text) -> str:
    """Text for the HTML report: printable (no control character, no lone surrogate), escaped."""
    import html

    return html.escape(printable(text))


def write_html(records: dict[str, dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    auto, manual = max_points()
    ids = [c.grade_id for spec in registry().values() for c in spec.checks]
    scores = [float(r["results"]["score"]) for r in records.values()]
    rates = {row["check"]: row["pass_rate"] for row in check_statistics(records)}
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.hist(scores, bins=min(20, max(5, len(scores))), range=(0, auto), color="#4c72b0")
    ax.set_xlabel(f"auto-graded points (of {auto:g})")
    ax.set_ylabel("students")
    ax.set_title(f"Grade distribution ({len(scores)} submissions)")
    hist = _figure_png(fig)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(7, 0.25 * len(ids) + 1))
    ax.barh(ids[::-1], [100 * rates[i] for i in ids[::-1]], color="#55a868")
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of submissions passing")
    ax.set_title("Pass rate of each check (the hardest are the shortest bars)")
    ax.tick_params(axis="y", labelsize=7)
    bars = _figure_png(fig)
    plt.close(fig)
    failed = [(s, r) for s, r in sorted(records.items()) if r["status"] != GRADED]
    rows = "".join(
        f"<tr><td><a href='feedback/{_safe_name(s)}.html'>{_h(s)}</a></td><td>{float(r['results']['score']):g}</td>"
        f"<td>{_h(r['status'])}</td><td>{_h(r['results'].get('output', '')[:300])}</td></tr>"
        for s, r in sorted(records.items())
    )
    hardest = "".join(
        f"<tr><td>{_h(row['check'])}</td><td><span class='bar' style='width:{4 * row['pass_rate']:.2f}em'></span> "
        f"{100 * row['pass_rate']:.0f}% ({row['passed']} of {row['graded']})</td><td>"
        + "<br>".join(f"{_h(kind)}: {count}" for kind, count in row["mistakes"].items())
        + "</td></tr>"
        for row in check_statistics(records)
    )
    partly = [(s, r) for s, r in sorted(records.items()) if r["status"] == GRADED and problems_of(r)]
    could_not = (
        "<p>Every submission was graded.</p>"
        if not failed
        else "<ul>" + "".join(f"<li>{_h(s)}: {_h(r['results'].get('output', ''))}</li>" for s, r in failed) + "</ul>"
    )
    if partly:
        could_not += (
            "<p>Graded, with parts that could not be (their checks score 0):</p><ul>"
            + "".join(f"<li>{_h(s)}: {_h('; '.join(problems_of(r)))}</li>" for s, r in partly)
            + "</ul>"
        )
    mean = sum(scores) / len(scores) if scores else 0.0
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>{ASSIGNMENT}: grades</title>
<style>{CSS}</style></head><body>
<h1>{ASSIGNMENT}: auto-graded results</h1>
<p>{len(records)} submissions; mean {mean:.1f} of {auto:g} auto-graded points ({manual:g} more points are graded by
hand). Could not grade: {len(failed)}.</p>
<img alt="grade distribution" src="data:image/png;base64,{hist}">
<img alt="pass rate of each check" src="data:image/png;base64,{bars}">
<h2>What could not be graded</h2>{could_not}
<h2>Checks, hardest first, and the mistakes the grader named</h2>
<p>What to address in the next lecture: each check's pass rate among the graded submissions, and how many of
its failures were each known mistake ("other": a failure no judge named). The same as a spreadsheet:
<code>checks.csv</code>.</p>
<table><tr><th>check</th><th>passed</th><th>failures, by mistake</th></tr>{hardest}</table>
<h2>Students</h2><p>Each student's feedback page: <code>feedback/&lt;student&gt;.html</code>.</p>
<table><tr><th>student</th><th>auto score</th><th>status</th><th>notes</th></tr>{rows}</table>
</body></html>
"""
    write_atomic(path, page.encode("utf-8"))
