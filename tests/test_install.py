"""`pip install .` gives a `video-vlm-lab` command that behaves like `python code/main.py`.

The install runs offline into a temporary venv that sees this Python's packages
(`--system-site-packages`, `--no-build-isolation`), from a copy of the project so the build's
leftovers never land in the checkout. Where no build backend is available the test is skipped
and says why, on stderr as well as in the skip reason."""

import importlib.metadata
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from support import ROOT, main, run_json

NAME = "video-vlm-lab"


def missing_backend() -> str | None:
    """Why this Python cannot build the project offline, or None if it can."""
    if importlib.util.find_spec("pip") is None:
        return "pip is not installed for this Python"
    if importlib.util.find_spec("setuptools") is None:
        return "setuptools is not installed (pip install setuptools wheel)"
    version = importlib.metadata.version("setuptools")
    major_minor = tuple(int(part) for part in version.split(".")[:2] if part.isdigit())
    # setuptools carries its own bdist_wheel from 70.1; before that it needs the `wheel` package.
    if major_minor < (70, 1) and importlib.util.find_spec("wheel") is None:
        return f"setuptools {version} builds wheels only with the `wheel` package (pip install wheel)"
    return None


class InstallTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        reason = missing_backend()
        if reason:
            print(f"\ntest_install: skipped: no offline build backend: {reason}", file=sys.stderr)
            raise unittest.SkipTest(f"no offline build backend: {reason}")
        cls.scratch = tempfile.TemporaryDirectory()
        folder = cls.scratch.name
        project = os.path.join(folder, "project")
        os.mkdir(project)
        shutil.copytree(ROOT / "code", os.path.join(project, "code"),
                        ignore=shutil.ignore_patterns("__pycache__"))
        for name in ("pyproject.toml", "README.md"):
            shutil.copy(ROOT / name, project)
        venv = os.path.join(folder, "venv")
        # No pip of its own: the system's pip (seen through --system-site-packages) installs
        # into the venv it runs in, which saves copying pip in.
        subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip",
                        venv], check=True, capture_output=True, timeout=120)
        cls.bin = os.path.join(venv, "Scripts" if os.name == "nt" else "bin")
        pip = subprocess.run([os.path.join(cls.bin, "python"), "-m", "pip", "install",
                              "--no-build-isolation", "--no-deps", "--no-index", project],
                             capture_output=True, text=True, timeout=300)
        cls.pip = pip
        cls.work = os.path.join(folder, "elsewhere")       # not the project: nothing to lean on
        os.mkdir(cls.work)

    @classmethod
    def tearDownClass(cls):
        cls.scratch.cleanup()

    def command(self, *argv):
        return subprocess.run([os.path.join(self.bin, NAME), *argv], capture_output=True,
                              text=True, cwd=self.work, timeout=120)

    def test_pip_install_succeeds(self):
        self.assertEqual(self.pip.returncode, 0, self.pip.stdout[-800:] + self.pip.stderr[-800:])

    def test_version_and_compare_json(self):
        proc = self.command("--version")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout.strip(), f"{NAME} {main.__version__}")
        proc = self.command("compare", "--json")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        installed = json.loads(proc.stdout)
        self.assertEqual(installed["schema_version"], main.SCHEMA_VERSION)
        self.assertEqual(installed, run_json("compare"), "installed and script runs differ")

    def test_errors_and_overview_use_the_command_name(self):
        proc = self.command("sample", "--window", "0")
        self.assertEqual(proc.returncode, 2)
        self.assertTrue(proc.stderr.startswith(f"{NAME}: error: "), proc.stderr)
        proc = self.command()
        self.assertIn(f"{NAME} compare", proc.stdout)

    def test_the_standard_library_code_module_is_not_shadowed(self):
        python = os.path.join(self.bin, "python")
        proc = subprocess.run([python, "-c", "import code; print(code.__file__)"],
                              capture_output=True, text=True, cwd=self.work, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertNotIn("site-packages", proc.stdout)

    def test_skill_writes_into_the_current_folder_when_installed(self):
        proc = self.command("skill")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        path = os.path.join(self.work, "outputs", "skill-video-vlm-frame-planner.md")
        with open(path, encoding="utf-8") as handle:
            self.assertEqual(handle.read(), main.render_skill(main.plan_evidence()))


if __name__ == "__main__":
    unittest.main()
