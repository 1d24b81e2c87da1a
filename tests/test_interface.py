"""One well-made program: every option explained, one meaning per flag, JSON objects with a
schema version, output that survives an ASCII terminal, a closed stdout and a narrow screen."""

import argparse
import contextlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest
from unittest import mock

from support import ROOT, compiled_main, main, run, run_json

DATA = ROOT / "tests" / "data"


def subcommands():
    parser = main.build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices


def visible_options(subparser):
    for action in subparser._actions:
        if action.option_strings and not isinstance(action, argparse._HelpAction) \
                and action.help is not argparse.SUPPRESS:
            yield action


class OptionTests(unittest.TestCase):
    def test_every_option_has_help(self):
        for name, sub in subcommands().items():
            for action in visible_options(sub):
                with self.subTest(command=name, option=action.option_strings[0]):
                    self.assertTrue(action.help and len(action.help) > 10, action.help)

    def test_each_flag_has_one_source_of_help(self):
        # A flag's help comes from OPTIONS; where a subcommand does something of its own
        # with it, the table says so for that subcommand (issue 25), else one text for all.
        for name, sub in subcommands().items():
            for action in visible_options(sub):
                for flag in action.option_strings:
                    expected = main.option_kwargs(flag, name).get("help")
                    with self.subTest(command=name, flag=flag):
                        self.assertEqual(action.help, expected)

    def test_every_choice_a_help_names_is_accepted(self):
        names = set(main.DESIGNS) | set(main.COMPARE_DESIGNS) | set(main.PLAN_MODELS) | set(
            main.ROPE_MODELS) | set(main.STRATEGIES) | set(main.TASKS) | {"all", "release"}
        for name, sub in subcommands().items():
            for action in visible_options(sub):
                if not action.choices or not action.help or "--model" in action.help:
                    continue                      # (an old spelling naming --model's values)
                named = {w for w in re.findall(r"[a-z][a-z0-9.-]*[a-z0-9]", action.help)
                         if w in names}
                with self.subTest(command=name, flag=action.option_strings[0]):
                    self.assertLessEqual(named, set(action.choices))

    def test_compare_help_does_not_describe_options_it_lacks(self):
        out = io.StringIO()
        with contextlib.redirect_stdout(out), self.assertRaises(SystemExit):
            main.main(["compare", "--help"])
        self.assertNotIn("--duration", out.getvalue())

    def test_a_default_the_help_states_is_the_real_default(self):
        stated = re.compile(r"\(default:? (-?\d+(?:\.\d+)?)\b")
        for name, sub in subcommands().items():
            for action in visible_options(sub):
                text = action.help % {"default": action.default} if "%(" in action.help \
                    else action.help
                match = stated.search(text)
                if match and action.default is not None:
                    with self.subTest(command=name, option=action.option_strings[0]):
                        self.assertEqual(float(match.group(1)), float(action.default))

    def test_hidden_old_spellings_work_and_say_so(self):
        status, out, err = run("synth", "--preset", "sports-60s")
        self.assertEqual(status, 0)
        self.assertIn("sports-60s", out)
        self.assertIn("--preset is now --synth", err)
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "c.svg")
            status, _, err = run("compare", "--svg", path)
            self.assertEqual(status, 0, err)
            self.assertTrue(os.path.getsize(path) > 1000)
            self.assertIn("--svg is now --out", err)
        # 0.1's --context meant neighbouring frames in sample and the context in tokens
        for argv, new, field in ((("sample", "--synth", "cat-jump", "--strategy", "keyframe",
                                   "--context", "1", "--context-gap", "0.5"), "--keyframe-gap",
                                  None),
                                 (("tokens", "--duration", "10", "--context", "5000"),
                                  "--context-tokens", "context_tokens")):
            status, out, err = run(*argv, "--json")
            self.assertEqual(status, 0, err)
            self.assertIn(f"is now {new}", err)
            if field:
                self.assertEqual(json.loads(out)[field], 5000)
        for old in main.RENAMED_FLAGS:
            for sub in subcommands().values():
                for action in sub._actions:
                    if old in action.option_strings:
                        self.assertIs(action.help, argparse.SUPPRESS)

    def test_abbreviations_are_refused(self):
        status, _, err = run("sample", "--uniform", "4")
        self.assertEqual(status, 2)
        self.assertIn("--uniform", err)

    def test_the_three_frame_rates_say_which_rate_they_are(self):
        helps = {a.option_strings[0]: a.help for sub in subcommands().values()
                 for a in visible_options(sub)}
        self.assertIn("video's own", helps["--fps"])
        self.assertIn("sampl", helps["--sample-fps"])
        self.assertIn("cap", helps["--max-fps"])

    def test_design_names_are_the_same_everywhere(self):
        for argv in (("tokens", "--duration", "10", "--design", "video-llama"),
                     ("sample", "--design", "video-llama"),
                     ("compare", "--design", "video-llama")):
            with self.subTest(argv=argv):
                status, _, err = run(*argv, "--json")
                self.assertEqual(status, 0, err)


# One run per subcommand; the test below fails if a subcommand is missing here.
JSON_RUNS = {
    "compare": ("compare", "--design", "qwen3-vl"),
    "synth": ("synth",),
    "motion": ("motion",),
    "sample": ("sample",),
    "plot": ("plot", "--out", "{tmp}/p.svg"),
    "tokens": ("tokens", "--duration", "30"),
    "rope": ("rope", "--layout", "text:2 video:2x4x4@2.0"),
    "parse": ("parse", "from 1 to 2 seconds"),
    "schema": ("schema",),
    "evaluate": ("evaluate", str(DATA / "answers.jsonl"), "--gt", str(DATA / "charades_test.txt")),
    "plan": ("plan", "--task", "monitoring", "--duration", "600"),
    "skill": ("skill", "--out", "{tmp}/skill.md"),
    "exercise": ("exercise", "1"),
    "bench": ("bench", "--seconds", "1", "--answers", "50", "--naive-frames", "2", "--runs", "1"),
}


# more documents for the one-name-one-kind check: other shapes of the same subcommands
MORE_JSON_RUNS = {"exercise 2": ("exercise", "2"), "exercise 4": ("exercise", "4"),
                  "rope of a video": ("rope", "--synth", "cat-jump"),
                  "evaluate --details": JSON_RUNS["evaluate"] + ("--details",),
                  "lmms-eval samples": ("evaluate", str(DATA / "20260812_101530_samples_"
                                                            "temporal_grounding_charades.jsonl"))}


DOCS = {}                # the documents JsonTests printed, by JSON_RUNS name, for reuse


def json_kind(value):
    """The kind of a JSON value: a number (int or float alike), a list, an object, ..."""
    if isinstance(value, bool) or value is None:
        return type(value).__name__
    return "number" if isinstance(value, (int, float)) else type(value).__name__


def walk_keys(value, visit):
    """visit(key, value) for every key of every object inside a JSON value."""
    if isinstance(value, dict):
        for key, inner in value.items():
            visit(key, inner)
            walk_keys(inner, visit)
    elif isinstance(value, list):
        for inner in value:
            walk_keys(inner, visit)


class JsonTests(unittest.TestCase):
    def test_every_subcommand_prints_one_object_with_a_schema_version(self):
        self.assertEqual(set(JSON_RUNS), set(subcommands()))
        kinds = {}               # key -> {kind: the first command that gave it}
        sources = []             # every `source`: a citation (repo and file, arXiv, a site)
        with tempfile.TemporaryDirectory() as folder:
            for name, argv in {**JSON_RUNS, **MORE_JSON_RUNS}.items():
                with self.subTest(command=name):
                    status, out, err = run(*[a.format(tmp=folder) for a in argv], "--json")
                    self.assertEqual(status, 0, err)
                    self.assertEqual(out.count("\n"), 1)
                    for line in err.splitlines():          # what it says on the way, too
                        self.assertLessEqual(len(line), 100, line)
                    doc = json.loads(out)
                    DOCS[name] = doc
                    self.assertIsInstance(doc, dict)
                    self.assertEqual(doc["schema_version"], main.SCHEMA_VERSION)
                    doc.pop("schema", None)      # a JSON Schema's own keywords are camelCase
                    walk_keys(doc, lambda key, value: kinds.setdefault(key, {}).setdefault(
                        json_kind(value), name))
                    walk_keys(doc, lambda key, value: sources.append((name, value))
                              if key == "source" else None)
                    for key in re.findall(r'"([A-Za-z_]+)":', json.dumps(doc)):
                        self.assertRegex(key, r"^[a-z0-9_]+$")
                        # a time in seconds is *_s, and *_s is only ever seconds (a rate is
                        # *_per_second)
                        self.assertNotRegex(key, r"(?<!per_)(sec|secs|second|seconds)$|per_s$")
                        self.assertNotIn(key, {"start", "end", "time", "times", "frame_times"})
        for name, value in sources:
            with self.subTest(command=name, source=value):
                self.assertRegex(value, r"arXiv \d|\.py\b|\.md\b|\.sh\b|\.github\.io|"
                                        r"the shipped table|the lesson|\.(jsonl?|csv|txt)$")
        self.assertGreater(len(sources), 10)
        # one name, one kind of value, across every subcommand: `events` is always a list and
        # `event_count` its count, never `events` a count in one place and a list in another
        for key, seen in kinds.items():
            with self.subTest(key=key):
                self.assertLessEqual(len(set(seen) - {"NoneType"}), 1, seen)

    def test_errors_name_what_the_user_wrote(self):
        for argv, said in ((("--nope",), "unrecognized option '--nope' before the COMMAND: "
                                         "options go after it"),
                           (("--json", "compare"), "unrecognized option '--json'"),
                           (("tokens", "--duration", "864000"),
                            "--duration 864000 at --fps 30 is 25,920,000 frames")):
            with self.subTest(argv=argv):
                status, out, err = run(*argv)
                self.assertEqual((status, out), (2, ""))
                self.assertIn(said, err)
                self.assertEqual(len(err.strip().splitlines()), 1)

    def test_an_error_with_json_prints_nothing_on_stdout(self):
        for argv in (("evaluate", "/no/such/file.jsonl"), ("sample", "--window", "0"),
                     ("rope", "--layout", "text:x")):
            with self.subTest(argv=argv):
                status, out, err = run(*argv, "--json")
                self.assertEqual((status, out), (2, ""))
                self.assertEqual(len(err.strip().splitlines()), 1)

    def test_r1_is_keyed_by_threshold_in_compare_and_evaluate(self):
        status, out, _ = run("compare", "--design", "qwen3-vl", "--json")
        compared = json.loads(out)["designs"][0]["r1"]
        status, out, _ = run("evaluate", str(DATA / "answers.jsonl"), "--gt",
                             str(DATA / "charades_test.txt"), "--json")
        evaluated = json.loads(out)["r1"]
        self.assertEqual(set(compared), {"0.3", "0.5", "0.7"})
        self.assertEqual(set(evaluated), {"0.3", "0.5", "0.7"})

    def test_frames_is_a_count_and_frame_indices_the_list(self):
        status, out, _ = run("sample", "--json")
        for result in json.loads(out)["results"]:
            self.assertIsInstance(result["frames"], int)
            self.assertEqual(len(result["frame_indices"]), result["frames"])


class TerminalTests(unittest.TestCase):
    def process(self, *argv, env=None, **kwargs):
        return subprocess.run([sys.executable, compiled_main(), *argv], capture_output=True,
                              cwd=ROOT, env={**os.environ, **(env or {})}, timeout=120, **kwargs)

    def test_version_comes_from_one_place(self):
        proc = self.process("--version", text=True)
        self.assertEqual(proc.returncode, 0)
        self.assertEqual(proc.stdout.strip(), f"main.py {main.__version__}")
        with open(ROOT / "pyproject.toml", encoding="utf-8") as handle:
            project = handle.read()
        self.assertIn('dynamic = ["version"]', project)
        self.assertIn("video_vlm_lab.main.__version__", project)

    def test_no_arguments_prints_an_overview(self):
        proc = self.process(text=True)
        self.assertEqual(proc.returncode, 0)
        self.assertIn("compare", proc.stdout)
        self.assertIn("README", proc.stdout)
        self.assertEqual(proc.stdout.count("python code/main.py "), 6)     # five and --help
        self.assertLessEqual(max(map(len, proc.stdout.splitlines())), 100)

    def test_an_ascii_terminal_gets_ascii_instead_of_a_traceback(self):
        for env in ({"PYTHONIOENCODING": "ascii"}, {"LC_ALL": "C", "LANG": "C",
                                                    "PYTHONIOENCODING": "", "PYTHONUTF8": "0"}):
            with self.subTest(env=env):
                proc = self.process("motion", env=env)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                proc.stdout.decode("ascii")                 # raises if anything else got out
                self.assertIn(b"motion", proc.stdout)
        # LANG=C alone: Python switches the C locale to UTF-8 (PEP 538/540); the tool follows
        # the stream it is given and prints the glyphs, as the README says.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "PYTHONIO"))}
        proc = subprocess.run([sys.executable, compiled_main(), "motion"], capture_output=True,
                              env={**env, "LANG": "C"}, timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("▁", proc.stdout.decode("utf-8"))

    def test_closed_or_full_stdout_is_one_line(self):
        for how in ("closed", "full"):
            with self.subTest(stdout=how):
                if how == "closed":
                    proc = subprocess.run(f'"{sys.executable}" "{compiled_main()}" synth >&-',
                                          shell=True, capture_output=True, text=True, cwd=ROOT)
                elif os.path.exists("/dev/full"):
                    with open("/dev/full", "w") as full:
                        proc = subprocess.run([sys.executable, compiled_main(), "synth"],
                                              stdout=full, stderr=subprocess.PIPE, text=True)
                else:
                    continue
                self.assertEqual(proc.returncode, 2)
                self.assertNotIn("Traceback", proc.stderr)
                self.assertEqual(len(proc.stderr.strip().splitlines()), 1, proc.stderr)

    def test_prose_and_tables_fit_100_columns_when_not_a_terminal(self):
        for argv in (("compare",), ("plan", "--task", "summarization", "--duration", "1200",
                                    "--context-tokens", "8000"), ("exercise", "1"), ("exercise", "2"), ("exercise", "4"), ("exercise", "5"),
                     ("sample", "--synth", "security-5min"), ("motion", "--synth", "sports-60s"),
                     ("tokens", "--duration", "600"), ("rope", "--model", "qwen3-vl"),
                     ("parse", "--duration", "10", "from 3 to 50 seconds"),
                     ("evaluate", str(DATA / "answers.jsonl"), "--gt", str(DATA / "charades_test.txt"))):
            with self.subTest(argv=argv):
                status, out, err = run(*argv)
                self.assertEqual(status, 0, err)
                widest = max(out.splitlines(), key=len)
                self.assertLessEqual(len(widest), 100, widest)

    def test_prose_narrows_to_a_terminal_but_never_widens_past_100(self):
        for columns, expected in ((180, 100), (60, 60), (20, 40)):
            with self.subTest(columns=columns), \
                    mock.patch.object(sys.stdout, "isatty", return_value=True), \
                    mock.patch.object(main.shutil, "get_terminal_size",
                                      return_value=os.terminal_size((columns, 24))):
                self.assertEqual(main.text_width(), expected)

    def test_wide_shows_every_column(self):
        narrow = run("compare", "--design", "qwen3-vl")[1]
        wide = run("compare", "--design", "qwen3-vl", "--wide")[1]
        self.assertGreaterEqual(len(wide), len(narrow))


class ProgressTests(unittest.TestCase):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    def test_progress_shows_on_a_terminal_and_clears_itself(self):
        screen = self.Terminal()
        keep = main.PROGRESS_EVERY_S
        main.PROGRESS_EVERY_S = 0
        self.addCleanup(setattr, main, "PROGRESS_EVERY_S", keep)
        items = list(main.with_progress(range(5), "reading, frame", 5, stream=screen))
        self.assertEqual(items, list(range(5)))
        self.assertIn("reading, frame 5/5", screen.getvalue())
        self.assertTrue(screen.getvalue().endswith("\r\x1b[K"))

    def test_nothing_when_stderr_is_not_a_terminal(self):
        redirected = io.StringIO()
        self.assertEqual(list(main.with_progress(range(3), "x", stream=redirected)), [0, 1, 2])
        main.show_progress("busy", stream=redirected)
        self.assertEqual(redirected.getvalue(), "")
        proc = subprocess.run([sys.executable, compiled_main(), "motion", "--synth",
                               "security-5min"], capture_output=True, text=True, cwd=ROOT)
        self.assertEqual(proc.returncode, 0)
        self.assertEqual(proc.stderr, "")


if __name__ == "__main__":
    unittest.main()


class ShareUnitTests(unittest.TestCase):
    def test_bench_gives_shares_as_fractions_in_json_and_percentages_in_text(self):
        doc = DOCS.get("bench") or run_json(*JSON_RUNS["bench"])     # bench is slow: once
        rows = [r for r in doc["results"] if "ratio_to_raw" in r]
        self.assertGreaterEqual(len(rows), 3)
        self.assertEqual(rows[0]["ratio_to_raw"], 1.0)
        text = main.bench_text(doc)
        for row in rows:
            line = next(line for line in text.splitlines() if line.startswith(row["name"]))
            self.assertTrue(line.endswith(f"{100 * row['ratio_to_raw']:.1f}%"), line)


class HelpWrapTests(unittest.TestCase):
    def test_no_help_breaks_a_word_at_its_hyphen(self):
        import contextlib, io
        for name in subcommands():
            with self.subTest(command=name):
                with contextlib.redirect_stdout(io.StringIO()) as out, \
                        self.assertRaises(SystemExit):
                    main.main([name, "--help"])
                self.assertNotRegex(out.getvalue(), r"[a-z]-\n\s*[a-z]")
