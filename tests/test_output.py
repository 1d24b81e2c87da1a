"""Writing never harms what sits at the path (symlinks, hard links, devices, FIFOs, read-only
files), `--out -` is stdout everywhere, temporaries never outlive a run, and a closed stream or
an early Ctrl-C is one line."""

import os
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unittest

from support import MAIN_PATH, ROOT, ScratchTest, compiled_main, main, run

DEADLINE_S = 60          # a generous bound for waiting on another process, never a sleep


class OutputTests(ScratchTest):
    def path(self, name):
        return os.path.join(self.dir, name)

    def write_old(self, name, mode=0o644):
        with open(self.path(name), "w") as handle:
            handle.write("old")
        os.chmod(self.path(name), mode)
        return self.path(name)

    def test_symlink_is_written_through(self):
        target = self.write_old("target.svg")
        os.symlink("target.svg", self.path("link.svg"))
        status, _, err = run("plot", "--out", self.path("link.svg"))
        self.assertEqual(status, 0, err)
        self.assertTrue(os.path.islink(self.path("link.svg")))
        with open(target) as handle:
            self.assertTrue(handle.read().startswith("<svg"))

    def test_hard_link_is_replaced_whole_and_said(self):
        # Replaced atomically (never half-written); the other name keeps the old bytes.
        first = self.write_old("a.svg")
        os.link(first, self.path("b.svg"))
        status, _, err = run("plot", "--out", first)
        self.assertEqual(status, 0, err)
        self.assertNotEqual(os.stat(first).st_ino, os.stat(self.path("b.svg")).st_ino)
        with open(first) as handle:
            self.assertTrue(handle.read().startswith("<svg"))
        with open(self.path("b.svg")) as handle:
            self.assertEqual(handle.read(), "old")
        self.assertIn("1 other hard link; it keeps the old content", err)

    def test_read_only_file_is_refused_even_for_root(self):
        path = self.write_old("ro.svg", 0o444)
        status, _, err = run("plot", "--out", path)
        self.assertEqual(status, 2)
        self.assertIn("read-only", err)
        with open(path) as handle:
            self.assertEqual(handle.read(), "old")

    def test_fifo_is_written_not_replaced(self):
        fifo = self.path("pipe.svg")
        os.mkfifo(fifo)
        received = []
        def read_all():
            with open(fifo, "rb") as handle:
                received.append(handle.read())
        reader = threading.Thread(target=read_all)
        reader.start()
        status, _, err = run("plot", "--out", fifo)
        reader.join(DEADLINE_S)
        self.assertEqual(status, 0, err)
        self.assertTrue(stat.S_ISFIFO(os.stat(fifo).st_mode))
        self.assertTrue(received and received[0].startswith(b"<svg"))

    def test_device_is_written_not_replaced(self):
        if os.geteuid() != 0:
            self.skipTest("making a device node needs root; /dev/null is never risked here")
        device = self.path("null")
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))      # a private /dev/null
        for argv in (("synth", "--out", device), ("plot", "--out", device),
                     ("skill", "--out", device)):
            with self.subTest(argv=argv[0]):
                self.assertEqual(run(*argv)[0], 0)
                self.assertTrue(stat.S_ISCHR(os.stat(device).st_mode))

    def test_dev_stdout_is_written_directly(self):
        proc = subprocess.run([sys.executable, compiled_main(), "synth", "--out", "/dev/stdout"],
                              capture_output=True, cwd=self.dir, timeout=DEADLINE_S)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertTrue(proc.stdout.startswith(b"YUV4MPEG2 "))

    def test_dash_is_stdout_in_every_subcommand_that_writes(self):
        # compare on a small clip of its own (the suite would render nine videos each time)
        clip = self.path("clip.y4m")
        with open(clip, "wb") as handle:
            handle.write(b"YUV4MPEG2 W16 H16 F10:1 Ip A1:1 Cmono\n"
                         + b"".join(b"FRAME\n" + bytes([k * 9 % 256]) * 256 for k in range(40)))
        with open(self.path("events.json"), "w") as handle:
            handle.write('[{"event": "x", "start": 1, "end": 2}]')
        small = ("--video", clip, "--events", self.path("events.json"), "--design", "qwen3-vl")
        for argv, start in ((("synth", "--out", "-"), b"YUV4MPEG2 "),
                            (("skill", "--out", "-"), b"---"),
                            (("plot", "--out", "-"), b"<svg"),
                            (("compare", *small, "--out", "-"), b"<svg"),
                            (("compare", *small, "--svg", "-"), b"<svg"),
                            (("motion", "--scenes", "-"), b"Timecode List"),
                            (("sample", "--sheet", "-"), b"\x89PNG\r\n\x1a\n")):
            with self.subTest(argv=argv):
                proc = subprocess.run([sys.executable, compiled_main(), *argv],
                                      capture_output=True, cwd=self.dir, timeout=DEADLINE_S)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertTrue(proc.stdout.startswith(start), proc.stdout[:40])
                self.assertFalse(os.path.exists(self.path("-")))
                if start == b"<svg":
                    self.assertTrue(proc.stdout.rstrip().endswith(b"</svg>"), "SVG alone")

    def test_unwritable_places_are_named_by_the_target(self):
        os.mkdir(self.path("folder.svg"))
        cases = [(self.path("folder.svg"), "is a folder"),
                 (self.path("no/such/x.svg"), "does not exist")]
        for target, said in cases:
            with self.subTest(target=target):
                status, _, err = run("plot", "--out", target)
                self.assertEqual(status, 2)
                self.assertIn(target, err)
                self.assertIn(said, err)
                self.assertNotIn(".partial", err)

    def test_stale_temporaries_of_dead_runs_are_removed_live_ones_kept(self):
        dead = next(pid for pid in range(4_000_000, 3_000_000, -1) if not alive(pid))
        stale = self.path(f".out.svg.partial-{dead}-abc.tmp")
        live = self.path(f".out.svg.partial-{os.getpid()}-abc.tmp")
        other = self.path(f".other.svg.partial-{dead}-abc.tmp")
        for name in (stale, live, other):
            open(name, "w").close()
        self.assertEqual(run("plot", "--out", self.path("out.svg"))[0], 0)
        self.assertFalse(os.path.exists(stale))
        self.assertTrue(os.path.exists(live))
        self.assertTrue(os.path.exists(other), "only this target's temporaries are touched")

    def test_sigterm_while_writing_leaves_nothing_behind(self):
        target = self.path("slow.y4m")
        code = SLOW_WRITER.format(main=str(MAIN_PATH), target=target)
        process = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE)
        deadline = time.monotonic() + DEADLINE_S
        while not any(".partial-" in n for n in os.listdir(self.dir)):
            self.assertLess(time.monotonic(), deadline, "the write never started")
            self.assertIsNone(process.poll(), "the writer ended before it was stopped")
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=DEADLINE_S)
        self.assertEqual(process.returncode, 143)
        self.assertIn(b"terminated", err)
        self.assertNotIn(b"Traceback", err)
        self.assertEqual(os.listdir(self.dir), [])

    def test_every_file_output_checks_its_suffix(self):
        # `skill --out code/main.py` once replaced the program with Markdown
        program = self.write_old("main.py")
        for argv, suffix in ((("skill", "--out", program), ".md"),
                             (("synth", "--synth", "cat-jump", "--out", self.path("v.txt")),
                              ".y4m")):
            with self.subTest(command=argv[0]):
                status, _, err = run(*argv)
                self.assertEqual(status, 2)
                self.assertIn(f"ending in {suffix}", err)
        with open(program) as handle:
            self.assertEqual(handle.read(), "old")
        self.assertEqual(sorted(os.listdir(self.dir)), ["main.py"])

    def test_a_signal_inside_mkstemp_leaves_nothing_behind(self):
        # SIGTERM can land after mkstemp has made the file but before its name is returned
        # (the test above lands there now and then); that temporary is removed too.
        real = tempfile.mkstemp          # the module write_output imports when it writes

        def made_then_stopped(**kwargs):
            os.close(real(**kwargs)[0])
            raise main.Terminated(signal.SIGTERM)

        tempfile.mkstemp = made_then_stopped
        try:
            with self.assertRaises(main.Terminated):
                main.write_output(self.path("out.y4m"), [b"data"])
        finally:
            tempfile.mkstemp = real
        self.assertEqual(os.listdir(self.dir), [])


# Renders a long preset slowly, so that the test can stop it half-way through the write.
SLOW_WRITER = """
import importlib.util, sys, time
spec = importlib.util.spec_from_file_location("m", {main!r})
m = importlib.util.module_from_spec(spec)
sys.modules["m"] = m
spec.loader.exec_module(m)
real = m.render_scene
def slow(scene):
    for frame in real(scene):
        time.sleep(0.01)
        yield frame
m.render_scene = slow
sys.exit(m.main(["synth", "--synth", "security-5min", "--out", {target!r}]))
"""


def default_sigint():
    """In the child: Ctrl-C as a terminal delivers it, even when this suite was started in the
    background (where the shell ignores SIGINT, and children inherit that)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class StreamTests(unittest.TestCase):
    def shell(self, command):
        return subprocess.run(command.replace("MAIN", f'"{sys.executable}" "{compiled_main()}"'),
                              shell=True, capture_output=True, text=True, cwd=ROOT,
                              timeout=DEADLINE_S)

    def test_closed_streams_are_one_line(self):
        for command, said in (("MAIN synth >&-", "stdout is closed"),
                              ("MAIN evaluate - <&-", "stdin is closed"),
                              ("MAIN motion --video - <&-", "stdin is closed"),
                              ("MAIN parse - <&-", "stdin is closed")):
            with self.subTest(command=command):
                proc = self.shell(command)
                self.assertEqual(proc.returncode, 2, proc.stderr)
                self.assertNotIn("Traceback", proc.stderr)
                self.assertIn(said, proc.stderr)
                self.assertEqual(len(proc.stderr.strip().splitlines()), 1)
        proc = self.shell("MAIN sample --window 0 2>&-")
        self.assertEqual(proc.returncode, 2)             # nowhere to say it, but no crash

    def test_ctrl_c_while_python_is_still_starting(self):
        # The moment main.py installs its start-up handler, Ctrl-C arrives.
        code = STARTUP_INTERRUPT.format(main=str(MAIN_PATH))
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=DEADLINE_S, preexec_fn=default_sigint)
        self.assertEqual(proc.returncode, 130, proc.stderr)
        self.assertEqual(proc.stderr.strip(), "main.py: interrupted")

    def test_ctrl_c_while_running(self):
        if not os.path.exists("/proc/self/stat"):
            self.skipTest("needs /proc to see when the process waits for input")
        process = subprocess.Popen([sys.executable, compiled_main(), "evaluate", "-"],
                                   stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   preexec_fn=default_sigint)
        deadline = time.monotonic() + DEADLINE_S
        while process_state(process.pid) != "S" or not waiting_on_read(process.pid):
            self.assertLess(time.monotonic(), deadline, "never waited for input")
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=DEADLINE_S)
        self.assertEqual(process.returncode, 130)
        self.assertEqual(err.strip(), "main.py: interrupted")


STARTUP_INTERRUPT = """
import runpy, signal, sys
real = signal.signal
def spy(number, handler):
    result = real(number, handler)
    if number == signal.SIGINT and handler is not signal.default_int_handler:
        signal.raise_signal(signal.SIGINT)
    return result
signal.signal = spy
sys.argv = ["main.py", "compare"]
runpy.run_path({main!r}, run_name="__main__")
"""


def process_state(pid):
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def waiting_on_read(pid):
    """Whether the process has read its arguments and now blocks on stdin (wchan says so on
    most kernels; where it cannot be read, a sleeping process is taken to be waiting)."""
    try:
        with open(f"/proc/{pid}/wchan") as handle:
            channel = handle.read()
    except OSError:
        return True
    return channel in ("", "0") or "read" in channel or "pipe" in channel or "wait" in channel


if __name__ == "__main__":
    unittest.main()
