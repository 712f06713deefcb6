"""A student on Google Colab, as the students' guide (release/convnets/README.md) tells it, in an
imitation of Colab's runtime: Colab's Python (3.13) and Colab's own versions of what the guide's
cell can change and of the Jupyter that runs its kernel (tests/colab_runtime.txt, from the list
Colab publishes), installed in a fresh venv. There the guide's cell runs as the first cell of a
notebook, in a kernel of that venv started in the test's ``content/`` (Colab starts its kernels in
/content): it mounts the Drive, changes into the assignment's folder and pip-installs its pins.
Then *Restart session*: each notebook runs top to bottom in a new kernel, the cell on top, the
solutions written into the answer cells (every visible test must pass), with the guide's limit
for one cell.

What is imitated, and how: ``google.colab`` is a stand-in of a few lines (``drive.mount``
checks that the Drive folder is there; importing the package imports NumPy, pandas and Pillow,
as Colab's does when its kernel starts), loaded as an IPython extension when each kernel starts
as Colab's kernel loads its own; ``/content`` is a folder of the test's. What it cannot imitate:
the other 600 of Colab's packages (pip names more of them as wanting other versions than the
cell installs), Colab's kernel class and front end, its Drive, its machine. Colab's real
``google.colab`` (github.com/googlecolab/colabtools) was run once in this venv instead of the
stand-in, with the same result (docs/instructors.md, *Release to students*).

Slow (2 1/2 minutes alone on a 2-core AMD EPYC, 2026-12-07: the two installs 107 s, the four notebooks 42 s); skips,
with the reason, without Python 3.13 or the package index.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import nbformat
import pytest
from packaging.requirements import Requirement

from autograder.checks import registry
from autograder.paths import RELEASE_DIR
from lab import examples as ex
from tests.helpers import index_reachable
from tests.test_student_install import COLAB_RUNTIME, colab_pins
from tests.test_student_run import _clean_env, errors, execute, run_top_to_bottom

RUNTIME = Path(__file__).with_name("colab_runtime.txt")
# the Jupyter around Colab's kernel that the cell must leave as it is, beside what Colab warns of
KERNEL_STACK = COLAB_RUNTIME | {"traitlets", "jupyter-core", "debugpy", "matplotlib-inline"}
STAND_IN = {
    "__init__.py": (
        '"""A stand-in for Colab\'s google.colab (tests/test_student_colab.py). Colab\'s imports NumPy,\n'
        'pandas and Pillow when its kernel starts: so does this one."""\n'
        "import numpy, pandas, PIL  # noqa: F401\n\n\n"
        "def load_ipython_extension(ipython):\n"
        "    pass\n"
    ),
    "drive.py": (
        "import os\n\n\n"
        "def mount(mountpoint, force_remount=False):\n"
        "    if not os.path.isdir(os.path.join(mountpoint, 'MyDrive')):\n"
        "        raise ValueError(f'no Drive at {mountpoint}')\n"
        "    print(f'Mounted at {mountpoint}')\n"
    ),
}


VERSIONS_CELL = (
    "import json, keras, matplotlib, numpy, tensorflow\n"
    "print(json.dumps({m.__name__: m.__version__ for m in (tensorflow, keras, numpy, matplotlib)}))"
)


def _python313() -> str | None:
    """A Python 3.13 that can make a venv: pyenv's, or the one on PATH."""
    candidates = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.13*/bin/python3.13")))
    candidates += [found] if (found := shutil.which("python3.13")) else []
    for python in candidates:
        if subprocess.run([python, "-c", "import ssl, venv"], capture_output=True).returncode == 0:
            return python
    return None


def _guide_cell() -> str:
    """The code cell the guide's Colab paragraph tells students to add at the top."""
    guide = (RELEASE_DIR / "README.md").read_text(encoding="utf-8")
    block = re.search(r"\*\*Google Colab\.\*\*.*?```python\n(.*?)```", guide, re.S)
    assert block, "the students' guide has no Colab cell"
    return block.group(1).strip("\n")


def _freeze(venv: Path, env: dict) -> dict[str, str]:
    done = subprocess.run([str(venv / "bin" / "pip"), "list", "--format=json"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return {p["name"].lower().replace("_", "-"): p["version"] for p in json.loads(done.stdout)}


def _notebook(cells: list[str] | None = None, nb=None):
    nb = nb if nb is not None else nbformat.v4.new_notebook()
    for source in reversed(cells or []):
        nb.cells.insert(0, nbformat.v4.new_code_cell(source))
    nb.metadata["kernelspec"] = {"name": "colab", "display_name": "Python 3 (Colab's versions)", "language": "python"}
    return nb


def _text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")


@pytest.fixture(scope="module")
def colab(tmp_path_factory) -> dict:
    """Colab's runtime imitated (a venv of Colab's versions, the stand-in, a kernel spec that loads
    it), the assignment uploaded to its Drive, and the guide's cell run once in a kernel there."""
    python = _python313()
    if python is None:
        pytest.skip("imitating Colab's runtime needs Python 3.13 (Colab's), and this machine has none")
    root = tmp_path_factory.mktemp("colab")
    venv, home, content = root / "runtime", root / "home", root / "content"
    home.mkdir()
    drive = content / "drive" / "MyDrive" / "convnets"
    shutil.copytree(RELEASE_DIR, drive)  # "upload the folder to your Google Drive"
    env = _clean_env(home, venv)
    env["JUPYTER_PATH"] = str(root / "jupyter")
    started = time.monotonic()
    subprocess.run([python, "-m", "venv", str(venv)], check=True, timeout=300)
    # --no-compile: Colab's own packages, installed uncompiled (the cell replaces TensorFlow and Keras, the
    # largest, at once; Python compiles what a kernel imports): the cell's install runs as the guide writes it.
    done = subprocess.run(
        [
            str(venv / "bin" / "pip"),
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-compile",
            "-r",
            str(RUNTIME),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    runtime_s = time.monotonic() - started
    site = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    package = Path(site) / "google" / "colab"
    assert not package.exists(), f"{package} exists: Colab's runtime here should have only the stand-in"
    package.mkdir(parents=True)
    for name, text in STAND_IN.items():
        (package / name).write_text(text)
    spec = root / "jupyter" / "kernels" / "colab"
    spec.mkdir(parents=True)
    argv = [str(venv / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    argv.append("--InteractiveShellApp.extensions=['google.colab']")  # as Colab's kernel loads its own
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "Colab", "language": "python"}))

    cell = _guide_cell().replace("/content", str(content))
    before = _freeze(venv, env)
    path = content / "install.ipynb"
    nbformat.write(_notebook([cell]), str(path))
    started = time.monotonic()
    ran = execute(venv, env, content, path, kernel="colab")
    assert ran.returncode == 0, ran.stderr[-4000:]
    installed = nbformat.read(str(path), as_version=4)
    return {
        "root": root,
        "venv": venv,
        "env": env,
        "content": content,
        "drive": drive,
        "cell": cell,
        "before": before,
        "after": _freeze(venv, env),
        "output": _text(installed.cells[0]),
        "errors": errors(installed),
        "runtime_s": runtime_s,
        "cell_s": time.monotonic() - started,
    }


def _imported_distributions(venv: Path, env: dict) -> set[str]:
    """The distributions that the notebooks' and convnets_utils.py's imports load, in that venv."""
    modules = set()
    sources = [(RELEASE_DIR / "convnets_utils.py").read_text(encoding="utf-8")]
    for name in registry():
        nb = nbformat.read(str(RELEASE_DIR / f"{name}.ipynb"), as_version=4)
        sources += [c.source for c in nb.cells if c.cell_type == "code"]
    for source in sources:
        modules |= set(re.findall(r"^\s*(?:from|import)\s+([A-Za-z_]\w*)", source, re.M))
    code = (
        "import importlib.metadata as m, json; d = m.packages_distributions(); "
        f"print(json.dumps(sorted({{x.lower().replace('_', '-') for y in {sorted(modules)!r} for x in d.get(y, [])}})))"
    )
    done = subprocess.run([str(venv / "bin" / "python"), "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    found = set(json.loads(done.stdout))
    assert {"tensorflow", "keras", "numpy", "matplotlib"} <= found, f"the notebooks' imports found {found}"
    return found


@pytest.mark.slow
@pytest.mark.skipif(not index_reachable(), reason="imitating Colab's runtime needs the package index (PyPI)")
def test_the_guides_colab_cell_replaces_only_what_the_notebooks_use(colab):
    """The cell installs the pins and leaves Colab's kernel and its Jupyter as they were; the
    packages pip then says want other versions are not among those the notebooks import."""
    assert not colab["errors"], colab["errors"]
    assert "Mounted at" in colab["output"], colab["output"][-2000:]
    before, after = colab["before"], colab["after"]
    for pin in colab_pins():
        name, version = Requirement(pin).name, str(Requirement(pin).specifier).lstrip("=")
        assert after.get(name) == version, (
            f"{name}: the cell should install {version}, the runtime has {after.get(name)}"
        )
        assert before.get(name) != version, f"{name} {version} was already Colab's: update tests/colab_runtime.txt"
    changed = {name for name in after if before.get(name) != after[name]}
    kept = {name: (before.get(name), after.get(name)) for name in KERNEL_STACK if before.get(name) != after.get(name)}
    assert not kept, f"the cell changed Colab's kernel or its Jupyter (before, after): {kept}"
    conflicts = re.findall(
        r"^(\S+) (\S+) requires (\S+?)[<>=!~ ;,].*?, but you have (\S+) (\S+) which is incompatible",
        colab["output"],
        re.M,
    )
    wanting = {c[0].lower().replace("_", "-") for c in conflicts}
    used = _imported_distributions(colab["venv"], colab["env"])
    assert not wanting & used, (
        f"pip says {sorted(wanting & used)} want other versions, and the notebooks import them:\n{colab['output']}"
    )
    assert {c[3].lower().replace("_", "-") for c in conflicts} <= changed, (conflicts, changed)
    guide = (RELEASE_DIR / "README.md").read_text(encoding="utf-8")
    named = re.search(r"Colab's other packages \((.*?)\)", guide, re.S)
    named = set(re.findall(r"`([^`]+)`", named.group(1))) if named else set()
    assert named and named <= wanting, f"the guide names {sorted(named)} as what pip names, pip named {sorted(wanting)}"
    print(
        f"Colab's runtime imitated in {colab['runtime_s']:.0f} s; the cell ran in {colab['cell_s']:.0f} s, "
        f"changed {sorted(changed)}; pip named {sorted(wanting)} as wanting other versions"
    )


@pytest.mark.slow
@pytest.mark.skipif(not index_reachable(), reason="imitating Colab's runtime needs the package index (PyPI)")
def test_after_the_restart_every_notebook_runs_with_the_cell_on_top(colab):
    """*Runtime > Restart session*, then each notebook from the top in a new kernel, the guide's
    cell first (its pip now finds everything installed): no error, every visible test passes."""
    pins = {Requirement(p).name: str(Requirement(p).specifier).lstrip("=") for p in colab_pins()}
    # Colab's kernel starts in /content wherever the notebook lies in Drive: here the notebooks lie
    # there, so nbconvert starts their kernels there, and only the cell's %cd finds convnets_utils
    # and data/ in the Drive folder
    where = colab["content"]
    names = list(registry())
    for name in names:
        nb = _notebook([colab["cell"]], ex.in_a_hurry(ex.solution_notebook(name), name, strict=True))
        nb.cells.append(nbformat.v4.new_code_cell(VERSIONS_CELL))  # a cell of the student's own, at the end
        nbformat.write(nb, str(where / f"{name}.ipynb"))

    executed = run_top_to_bottom(colab["venv"], colab["env"], where, names, kernel="colab")
    for name, nb in executed.items():
        last = [c for c in nb.cells if c.cell_type == "code"][-1]
        ran_with = json.loads(_text(last).strip().splitlines()[-1])
        assert ran_with == {k: pins[k] for k in ran_with}, f"{name} ran with {ran_with}, not the cell's {pins}"
