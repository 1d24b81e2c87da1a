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
