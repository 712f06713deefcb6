"""What a student reads: text made printable for every output, an exception in one line, and the
student helper module whose ``expect_*`` functions word both the visible and the hidden checks."""

from __future__ import annotations

import importlib.util

from autograder.paths import SOURCE_DIR

_UTILS = None


def utils():
    """The student helper module (``source/convnets/convnets_utils.py``): its
    ``expect_*`` functions write the messages of both the visible and the hidden checks."""
    global _UTILS
    if _UTILS is None:
        spec = importlib.util.spec_from_file_location("_convnets_utils_for_grader", SOURCE_DIR / "convnets_utils.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _UTILS = module
    return _UTILS


_UNPRINTABLE = {
    c: f"\\x{c:02x}" for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, *range(0x80, 0xA0)]
}


def printable(text: str) -> str:
    """Text from a student's code made safe for every output (JUnit XML, JSON, CSV, HTML, a
    terminal): control characters (an escape sequence, NUL) spelled out as ``\\x1b``, lone
    surrogates and invalid UTF-8 as U+FFFD; newlines and tabs kept."""
    text = str(text).translate(_UNPRINTABLE)
    return "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in text)


def describe_error(exc: BaseException, length: int = 300) -> str:
    """``Type: first line of the message``, and the grader's limit behind it if there is one
    (memory, output size, the sandbox's refusals): what a student reads about an exception."""
    import errno
    import resource

    text = str(exc).splitlines()[0][:length] if str(exc).strip() else ""
    line = f"{type(exc).__name__}: {text}".rstrip(": ") if text else type(exc).__name__
    limit = None
    if isinstance(exc, MemoryError):
        cap = resource.getrlimit(resource.RLIMIT_AS)[0]
        limit = "memory limit: your code asked for more memory than the grader's limit" + (
            f" of {cap / (1 << 30):g} GiB" if cap > 0 else ""
        )
    elif isinstance(exc, OSError) and exc.errno == errno.EFBIG:
        cap = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
        limit = "output limit: your code wrote more than the grader allows to one file or to its output" + (
            f" ({cap >> 20} MiB)" if cap > 0 else ""
        )
    elif isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM):
        limit = (
            "not allowed while grading: the grader's sandbox has no network, starts no process, "
            "and opens no file outside the notebook's folder"
        )
    return f"{limit} ({line})" if limit else line
