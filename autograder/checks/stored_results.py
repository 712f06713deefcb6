"""The solution's stored results, used instead of training again when a submission's choices are
provably the solution's.

A check that trains (notebook 1's optimizer, notebook 3's retrainings) computes a *fingerprint*
of what the student's code chose: a digest of its configuration and the outputs it gives on a
probe. When both are the solution's, training would repeat the solution's run exactly, so the
child returns the fingerprint only and the judge uses the solution's stored figures, after
checking the fingerprint again in its own process. A fingerprint the student's process forged
gains nothing it could not compute there (run the solution's choices themselves). The solution's
fingerprints are in ``references/retrain.npz`` (public: hashes and probe outputs of the
solution's choices), read once before the child confines itself; reference generation always
trains (``reuse=False``, Check.options).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from autograder.checks.common import Tol, fail

RETRAIN_FILE = Path(__file__).resolve().parents[1] / "references" / "retrain.npz"
PROBE_TOL = Tol(rtol=1e-4, atol=1e-6)
_KNOWN: dict | None = None


def known_fingerprints() -> dict:
    """The solution's fingerprints and probe outputs (read once, before the child confines
    itself): ``{grade_id: digest, grade_id + "/probe": outputs}``."""
    global _KNOWN
    if _KNOWN is None:
        try:
            with np.load(RETRAIN_FILE, allow_pickle=False) as f:
                _KNOWN = {k: (f[k].item() if f[k].ndim == 0 else f[k]) for k in f.files}
        except (OSError, ValueError):
            _KNOWN = {}
    return _KNOWN


def digest(*parts) -> str:
    """A short hash of plain-data parts (JSON, keys sorted) or bytes."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else json.dumps(part, sort_keys=True, default=str).encode())
        h.update(b"\0")
    return h.hexdigest()[:32]


def reused(grade_id: str, fingerprint, reuse: bool) -> bool:
    """Whether this fingerprint is the solution's (the same digest, the same probe outputs) and ``reuse`` allows it."""
    if not reuse or fingerprint is None or fingerprint[0] != known_fingerprints().get(grade_id):
        return False
    known = known_fingerprints().get(f"{grade_id}/probe")
    return known is not None and PROBE_TOL.close(fingerprint[1], known)


def fingerprint_values(fingerprint) -> dict:
    return {} if fingerprint is None else {"fingerprint": fingerprint[0], "probe": fingerprint[1]}


def solution_figure(received: dict, expected: dict, key: str):
    """The figure ``key`` the child computed, or the solution's when the child skipped the training
    because the choices are the solution's (fingerprint and probe checked again here, in the judge)."""
    if key in received:
        return received[key]
    if (
        received.get("reused")
        and received.get("fingerprint") == expected.get("fingerprint")
        and "probe" in received
        and PROBE_TOL.close(received["probe"], expected["probe"])
    ):
        return expected[key]
    fail("the training was skipped, but the choices are not the solution's: the grader cannot judge them")
