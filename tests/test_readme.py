"""Every command of the README runs as written, in a copy of the tree (examples may write
files) with a small clip.mp4 made by ffmpeg: each line of its shell blocks (ffmpeg pipelines too,
skipped with a reason when ffmpeg is absent), every inline `python code/main.py ...`, and every
inline `SUBCOMMAND --option ...` example; each ends with status 0 or the status it states.
(ALSO_RUN_ELSEWHERE: lines another test runs already.)"""

import concurrent.futures
import os
import py_compile
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

from support import ROOT

STATUS_NOTE = re.compile(r"#\s*exit status (\d+)")
ALSO_RUN_ELSEWHERE = {"python code/main.py compare --suite full",       # test_compare
                      "python code/main.py skill --check"}              # test_plan, SkillTests
SUBCOMMANDS = ("compare", "synth", "motion", "sample", "plot", "tokens", "rope", "parse",
               "evaluate", "schema", "plan", "skill", "exercise", "bench")


def readme_commands() -> list[tuple[str, int]]:
    """(shell command, expected status) for each example: shell-block lines, inline
    `python code/main.py ...`, and inline subcommand examples outside tables (a flag named in
    passing, `tokens --audio`, is not an example: an example has two options or more)."""
    with open(ROOT / "README.md", encoding="utf-8") as f:
        text = f.read()
    found: dict[str, int] = {}
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for line in block.splitlines():
            note = STATUS_NOTE.search(line)
            # `; echo "exit status $?"` shows a newcomer the status; the note says which
            command = line.split("  #")[0].split("; echo")[0].strip()
            if command and not command.startswith("python -m unittest"):   # the suite itself
                found[command] = int(note.group(1)) if note else 0
    for command in re.findall(r"`(python code/main\.py [^`]+)`", text):
        found.setdefault(command.strip(), 0)
    for line in text.splitlines():
        if line.lstrip().startswith("|"):
            continue
        for span in re.findall(r"`([^`]+)`", line):
            words = span.split()
            if words and words[0] in SUBCOMMANDS and len(words) >= 3 and not re.search(
                    r"[A-Z]{2,}|\.\.\.|/", span):
                found.setdefault(f"python code/main.py {span}", 0)
    return list(found.items())


def is_text_for_people(command: str) -> bool:
    """Default text output, which must fit 100 columns; not JSON, SVG or CSV on stdout, and not
    --wide, whose promise is the opposite."""
    if not command.startswith("python code/main.py") or "|" in command or "&&" in command:
        return False
    words = shlex.split(command.split(";")[0])
    machine = {"--json", "--wide"} & set(words) or any(
        flag in words and words[words.index(flag) + 1:][:1] == ["-"]
        for flag in ("--out", "--scenes"))
    return not machine and words[2] != "schema" or "--validate" in words


class ReadmeExamplesTests(unittest.TestCase):
    def test_every_example_runs_as_written(self):
        commands = readme_commands()
        self.assertGreaterEqual(len(commands), 25)
        ffmpeg = shutil.which("ffmpeg")
        with tempfile.TemporaryDirectory() as folder:
            for part in ("code", "outputs", "tests"):
                shutil.copytree(ROOT / part, os.path.join(folder, part),
                                ignore=shutil.ignore_patterns("__pycache__"))
            shutil.copy(ROOT / "README.md", folder)
            # The copy's code/main.py as bytecode: Python runs a compiled file by its magic
            # number, so each example skips compiling the source and behaves the same.
            py_compile.compile(str(ROOT / "code" / "main.py"), doraise=True,
                               cfile=os.path.join(folder, "code", "main.py"))
            bin_dir = os.path.join(folder, ".bin")            # `python` is this interpreter
            os.mkdir(bin_dir)
            os.symlink(sys.executable, os.path.join(bin_dir, "python"))
            env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
            if ffmpeg:
                subprocess.run([ffmpeg, "-loglevel", "error", "-f", "lavfi", "-i",
                                "testsrc2=s=320x180:r=25:d=2", "-pix_fmt", "yuv420p",
                                "clip.mp4"], cwd=folder, check=True, timeout=120,
                               stdin=subprocess.DEVNULL)

            def run(item):
                command, expected = item
                # Its own process group: on a time-out the whole pipeline is ended, not bash alone.
                proc = subprocess.Popen(["bash", "-c", f"set -o pipefail; {command}"],
                                        cwd=folder, env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
                try:
                    out, err = proc.communicate(timeout=120)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    out, err = proc.communicate()
                    err += "\n(timed out)"
                return command, expected, subprocess.CompletedProcess(command, proc.returncode,
                                                                      out, err)

            # `compare --suite full` runs in test_compare (its findings are checked there) and
            # `skill --check` in test_plan; run here too they would be the slowest lines.
            runnable = [c for c in commands if (ffmpeg or "ffmpeg" not in c[0])
                        and c[0] not in ALSO_RUN_ELSEWHERE]
            with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
                for command, expected, proc in pool.map(run, runnable):
                    with self.subTest(command=command):
                        self.assertEqual(proc.returncode, expected, proc.stderr[-300:])
                        self.assertNotIn("Traceback", proc.stderr)
                        if is_text_for_people(command):
                            widest = max(proc.stdout.splitlines() or [""], key=len)
                            self.assertLessEqual(len(widest), 100, widest)
            if not ffmpeg:
                self.skipTest(f"ffmpeg is not installed: {len(commands) - len(runnable)} "
                              "README lines that use it were not run")


if __name__ == "__main__":
    unittest.main()
