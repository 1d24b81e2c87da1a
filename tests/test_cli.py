import json
import subprocess
import sys
import unittest

from support import ROOT, compiled_main, run

BAD_INPUTS = [
    ("sample", "--window", "0"),
    ("sample", "--window", "nan"),
    ("sample", "--window", "-1"),
    ("sample", "--uniform-frames", "1000000000"),
    ("sample", "--uniform-frames", "0"),
    ("sample", "--max-frames", "abc"),
    ("sample", "--stride", "0"),
    ("sample", "--min-fps", "inf"),
    ("sample", "--strategy", "dynamic", "--min-fps", "5", "--max-fps", "2"),
    ("motion", "--cut-threshold", "2"),
    ("motion", "--synth", "no-such-preset"),
    ("sample", "--strategy", "magic"),
    ("frobnicate",),
]


class CommandLineTests(unittest.TestCase):
    def test_each_bad_input_is_one_line_and_exit_2(self):
        for argv in BAD_INPUTS:
            with self.subTest(argv=argv):
                status, out, err = run(*argv)
                self.assertEqual(status, 2)
                self.assertEqual(out, "")
                lines = err.strip().splitlines()
                self.assertEqual(len(lines), 1, err)
                self.assertTrue(lines[0].startswith("main.py: error: "), err)

    def test_error_names_the_option_and_range(self):
        _, _, err = run("sample", "--window", "0")
        self.assertIn("--window", err)
        self.assertIn("[0.05, 3600]", err)

    def test_real_process_exit_status_and_no_traceback(self):
        proc = subprocess.run([sys.executable, compiled_main(), "sample", "--uniform-frames", "-3"],
                              capture_output=True, text=True, cwd=ROOT)
        self.assertEqual(proc.returncode, 2)
        self.assertNotIn("Traceback", proc.stderr)
        self.assertEqual(len(proc.stderr.strip().splitlines()), 1)

    def test_every_subcommand_prints_one_json_document(self):
        for argv in (("synth",), ("motion",), ("sample",), ("sample", "--strategy", "event")):
            with self.subTest(argv=argv):
                status, out, err = run(*argv, "--json")
                self.assertEqual(status, 0, err)
                json.loads(out)
                self.assertEqual(out.count("\n"), 1)

    def test_help_lists_the_subcommands(self):
        proc = subprocess.run([sys.executable, compiled_main(), "--help"],
                              capture_output=True, text=True, cwd=ROOT)
        self.assertEqual(proc.returncode, 0)
        for name in ("synth", "motion", "sample"):
            self.assertIn(name, proc.stdout)


if __name__ == "__main__":
    unittest.main()
