"""Every `python code/main.py ...` line of the README runs as written, in a copy of the tree
(examples may write files), and ends with status 0 or the status the README states."""

import concurrent.futures
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import unittest

from support import ROOT

STATUS_NOTE = re.compile(r"#\s*exit status (\d+)")


def readme_commands() -> list[tuple[str, int]]:
    """(command, expected status) for each example; ffmpeg pipelines are left out (they need
    ffmpeg and a clip of your own)."""
    with open(ROOT / "README.md", encoding="utf-8") as f:
        text = f.read()
    found: dict[str, int] = {}
    for block in re.findall(r"```[a-z]*\n(.*?)```", text, re.S):
        for line in block.splitlines():
            line = line.strip()
            note = STATUS_NOTE.search(line)
            # `; echo "exit status $?"` shows a newcomer the status; the note says which
            command = line.split("  #")[0].split("&&")[0].split("; echo")[0].strip()
            if command.startswith("python code/main.py") and "|" not in command:
                found[command] = int(note.group(1)) if note else 0
    for command in re.findall(r"`(python code/main\.py [^`|]+)`", text):
        found.setdefault(command.strip(), 0)
    return list(found.items())


def is_text_for_people(command: str) -> bool:
    """Default text output, which must fit 100 columns; not JSON, SVG or CSV on stdout, and not
    --wide, whose promise is the opposite."""
    words = shlex.split(command)
    machine = {"--json", "--wide"} & set(words) or any(
        flag in words and words[words.index(flag) + 1:][:1] == ["-"] for flag in ("--out", "--scenes"))
    return not machine and words[2] != "schema" or "--validate" in words


class ReadmeExamplesTests(unittest.TestCase):
    def test_every_example_runs_as_written(self):
        commands = readme_commands()
        self.assertGreaterEqual(len(commands), 20)
        with tempfile.TemporaryDirectory() as folder:
            for part in ("code", "outputs", "tests"):
                shutil.copytree(ROOT / part, os.path.join(folder, part),
                                ignore=shutil.ignore_patterns("__pycache__"))
            shutil.copy(ROOT / "README.md", folder)

            def run(item):
                command, expected = item
                argv = [sys.executable] + shlex.split(command)[1:]
                proc = subprocess.run(argv, cwd=folder, capture_output=True, text=True,
                                      timeout=120, stdin=subprocess.DEVNULL)
                return command, expected, proc

            with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
                for command, expected, proc in pool.map(run, commands):
                    with self.subTest(command=command):
                        self.assertEqual(proc.returncode, expected, proc.stderr[-300:])
                        self.assertNotIn("Traceback", proc.stderr)
                        if is_text_for_people(command):
                            widest = max(proc.stdout.splitlines() or [""], key=len)
                            self.assertLessEqual(len(widest), 100, widest)


if __name__ == "__main__":
    unittest.main()
