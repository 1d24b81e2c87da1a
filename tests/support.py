"""Load code/main.py by path (the folder name `code` shadows a stdlib module)."""

import contextlib
import importlib.util
import io
import json
import pathlib
import sys
import tempfile
import unittest

ROOT = pathlib.Path(__file__).resolve().parent.parent
MAIN_PATH = ROOT / "code" / "main.py"
MODULE_NAME = "video_vlm_lab_main"


def compiled_main() -> str:
    """code/main.py byte-compiled once, at a path that also ends in code/main.py: Python runs a
    compiled file by its magic number, so a test that starts the program many times skips the
    compiling (about a third of a second each) and sees the same program. Tests of what
    happens while Python starts (Ctrl-C) use MAIN_PATH, the source."""
    if not COMPILED:
        import atexit, py_compile, shutil
        folder = tempfile.mkdtemp(prefix="vvl-compiled-")
        atexit.register(shutil.rmtree, folder, True)
        COMPILED.append(py_compile.compile(str(MAIN_PATH), doraise=True,
                                           cfile=str(pathlib.Path(folder) / "code" / "main.py")))
    return COMPILED[0]


COMPILED: list = []


def load_main():
    if MODULE_NAME in sys.modules:
        return sys.modules[MODULE_NAME]
    spec = importlib.util.spec_from_file_location(MODULE_NAME, MAIN_PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[MODULE_NAME] = module   # dataclasses look the module up while it executes
    spec.loader.exec_module(module)
    return module


main = load_main()


def run(*argv, stdin=None):
    """Run main(argv) in-process; return (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main.main(list(argv))
    return status, out.getvalue(), err.getvalue()


def run_json(*argv):
    status, out, err = run(*argv, "--json")
    if status != 0:
        raise AssertionError(f"{argv} exited {status}: {err}")
    return json.loads(out)


def motion_from_scores(scores, fps=10.0):
    """A MotionAnalysis with given per-frame scores and no cut signal."""
    n = len(scores)
    zeros = tuple(0.0 for _ in range(n))
    return main.MotionAnalysis(fps, 64, 36, 1, tuple(scores), zeros, zeros, zeros)


class ScratchTest(unittest.TestCase):
    """A test case with a fresh folder, self.dir, removed after each test."""

    def setUp(self):
        scratch = tempfile.TemporaryDirectory()
        self.addCleanup(scratch.cleanup)
        self.dir = scratch.name
