"""Fuzzing every parser (bounded, seeded) and the CLI-wide promises: one JSON document,
one-line errors, Ctrl-C, closed pipes, whole-or-nothing files, flat memory."""

import contextlib
import io
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import tracemalloc
import unittest

from support import ROOT, ScratchTest, compiled_main, main, run, run_json

HERE = os.path.dirname(os.path.abspath(__file__))
SPECIALS = [b" W99999", b" H0", b" F0:0", b" C420p10", b"FRAME ", b"\n", b" Cmono16", b"#",
            b" 65535 ", b"P6", b"-1", b"\xff\xfe", b"\x00"]


def mutate(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        op = rng.randrange(5)
        if op == 0 and b:
            b[rng.randrange(len(b))] = rng.randrange(256)
        elif op == 1 and b:
            start = rng.randrange(len(b))
            del b[start:start + rng.randint(1, 8)]
        elif op == 2:
            i = rng.randrange(len(b) + 1)
            b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif op == 3 and b:
            b = b[:rng.randrange(len(b))]
        else:
            i = rng.randrange(len(b) + 1)
            b[i:i] = rng.choice(SPECIALS)
    return bytes(b)


class FuzzCase(unittest.TestCase):
    def survive(self, seed, what, data, function):
        """function(data) must return or raise UserError; anything else fails with the input."""
        try:
            function(data)
        except main.UserError:
            pass
        except Exception as error:   # noqa: BLE001 - this is what the fuzzer looks for
            self.fail(f"{what} seed {seed}: {error!r} on input {data!r}")


Y4M = (b"YUV4MPEG2 W8 H6 F30:1 Ip A1:1 C420jpeg XYSCSS=420JPEG\n"
       + b"".join(b"FRAME\n" + bytes(range(k, k + 48)) + bytes(24) for k in range(3)))
PNMS = [b"P5\n# c\n4 3\n255\n" + bytes(range(12)), b"P6 2 2 255 " + bytes(range(12)),
        b"P2\n2 2\n15\n1 2 3 15\n", b"P3 1 1 65535 1 2 3", b"P5 2 1 65535\n" + bytes(4)]
ANSWER_PIECES = ["4", "4.1", "12", ":", "-", "\u2013", "\u2014", "~", " to ", " and ", "between ",
                 "from ", "start ", "ends at ", "s", " sec", " seconds", "ms", "min", "{", "}",
                 "[", "]", '"start"', '"end"', ",", "NaN", "Infinity", "1e400", "<time>",
                 "</time>", "<t>", "</t>", "```json", "```", "\uff11\uff12", "\u200f", "\u202e",
                 "\u0663", "e", "%", "3rd", "2023-05-01", "\n", " ", "around the ",
                 "-second mark", "at ", "null", "true", '"error"', '"not_found"', "0:", "99:",
                 "1:05.5", "\u0301", "\x00", "\u2026", "\u00bd", "\ud7ff", "lasts ", "2 people"]


class ParserFuzzTests(FuzzCase):
    COUNTS = {"y4m": 800, "pnm": 800, "answers": 3000, "schema": 1000, "jsonl": 400, "files": 200}

    def test_y4m_headers_and_frame_streams(self):
        rng = random.Random(101)
        for _ in range(self.COUNTS["y4m"]):
            data = mutate(Y4M, rng)

            def read(data):
                video = main.open_y4m(io.BytesIO(data), "fuzz", rng.random() < 0.5, lambda m: None)
                frames = list(video.frames)
                if frames:
                    main.analyze_motion(frames, video.width, video.height, video.fps)
            self.survive(101, "y4m", data, read)

    def test_pgm_ppm(self):
        rng = random.Random(102)
        for _ in range(self.COUNTS["pnm"]):
            data = mutate(rng.choice(PNMS), rng)
            self.survive(102, "pnm", data, lambda d: main.decode_pnm(d, "fuzz"))

    def test_grounding_answers_never_raise(self):
        rng = random.Random(103)
        for _ in range(self.COUNTS["answers"]):
            text = "".join(rng.choice(ANSWER_PIECES) for _ in range(rng.randint(0, 14)))
            policy = main.ParsePolicy(rng.random() < 0.5)
            try:
                reading = main.parse_grounding(text, rng.choice([None, 10.0, 0.5]), policy)
                json.dumps(reading.as_dict(), allow_nan=False)
                main.score_item(reading, main.GroundTruth(1.0, 2.0), (0.5,), rng.choice([None, 1.0]))
                main.lmms_eval_extract(text)
            except Exception as error:   # noqa: BLE001
                self.fail(f"answers seed 103: {error!r} on {text!r}")
            if reading.failure is None:
                for p in reading.predictions:
                    self.assertTrue(math.isfinite(p.start) and p.start <= p.end, (text, p))
                    self.assertTrue(p.start >= 0 or "negative_time" in reading.flags, (text, p))

    def test_mutated_json_answers(self):
        rng = random.Random(104)
        base = [b'{"event": "jump", "start": 4.1, "end": 4.3, "confidence": 0.9}',
                b'[{"start": 1, "end": 2}, {"time": 5}]', b'```json\n{"timestamp": [1, 2]}\n```']
        for _ in range(self.COUNTS["answers"] // 3):
            text = mutate(rng.choice(base), rng).decode("utf-8", "replace")
            self.survive(104, "json answer", text, lambda t: main.parse_grounding(t, 10.0))

    def test_schema_validation(self):
        rng = random.Random(105)

        def value(depth=0):
            kind = rng.randrange(7 if depth < 3 else 4)
            if kind == 0:
                return rng.choice([0, 1, -1, 0.5, 1e308, 2 ** 70, float("nan"), float("inf")])
            if kind == 1:
                return rng.choice(["", "jump", "not_found", "x" * 5])
            if kind == 2:
                return rng.choice([True, False, None])
            if kind == 3:
                return rng.random()
            if kind in (4, 5):
                return [value(depth + 1) for _ in range(rng.randint(0, 3))]
            keys = ["event", "start", "end", "confidence", "error", "x"]
            return {rng.choice(keys): value(depth + 1) for _ in range(rng.randint(0, 4))}
        for _ in range(self.COUNTS["schema"]):
            v = value()
            self.survive(105, "schema", v, lambda v: main.validate(v, main.GROUNDING_SCHEMA,
                                                                   main.GROUNDING_SCHEMA))

    def test_jsonl_prediction_lines(self):
        rng = random.Random(106)
        base = [b'{"id": "a", "output": "1-2 s", "gt": [1, 2], "duration": 10}',
                b'{"id": "b#0", "output": "{\\"start\\": 1, \\"end\\": 2}", "gt": {"start": 1, "end": 3}}',
                b'{"qid": 3, "pred_relevant_windows": [[1, 2, 0.5]], "gt": [0, 1]}']
        for _ in range(self.COUNTS["jsonl"]):
            lines = [(k + 1, mutate(rng.choice(base), rng).decode("utf-8", "replace"))
                     for k in range(rng.randint(1, 4))]
            options = main.EvalOptions(compat=rng.choice([None, "lmms-eval"]), details=True)
            self.survive(106, "jsonl", lines,
                         lambda ls: main.evaluate_lines(ls, None, {"a": 5.0}, options))

    def test_ground_truth_duration_and_event_files(self):
        rng = random.Random(107)
        base = [b"AO8RW 0.0 6.9##a person.\nAO8RW 8.2 12.9##two\n",
                json.dumps({"v_a": {"duration": 20, "timestamps": [[1, 5], [6, 9]],
                                    "sentences": ["a", "b"]}}).encode(),
                json.dumps({"qid": 7, "duration": 150, "relevant_windows": [[10, 20]]}).encode() + b"\n",
                b'{"a": 3.5}', b'[{"event": "x", "start": 1, "end": 2}]']
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "gt.txt")
            for _ in range(self.COUNTS["files"]):
                data = mutate(rng.choice(base), rng)
                with open(path, "wb") as f:
                    f.write(data)
                for loader in (main.load_ground_truth, main.load_durations, main.load_events_file):
                    self.survive(107, loader.__name__, data, lambda _: loader(path))

    def test_regressions_stay_fixed(self):
        with open(os.path.join(HERE, "fuzz_regressions.json"), encoding="utf-8") as f:
            cases = json.load(f)
        self.assertGreaterEqual(len(cases), 30)
        with tempfile.TemporaryDirectory() as folder:
            for number, case in enumerate(cases):
                with self.subTest(case=number, parser=case["parser"], found=case["found"][:60]):
                    replay = REPLAY.get(case["parser"])
                    if replay is None:
                        self.fail(f"fuzz_regressions.json case {number}: unknown parser "
                                  f"{case['parser']!r}; known: {', '.join(sorted(REPLAY))}")
                    try:
                        outcome = replay(expand(case["input"]), folder)
                    except Exception as error:   # noqa: BLE001 - the replay's whole point
                        self.fail(f"case {number} ({case['found']}): {error!r}")
                    self.assertEqual(outcome, case["expect"], case["found"])


def expand(spec):
    """A case's input: a string, or a list of strings and [piece, times] pairs (long inputs
    stay short in the file)."""
    if isinstance(spec, str):
        return spec
    return "".join(part if isinstance(part, str) else part[0] * part[1] for part in spec)


def in_file(folder, text, name="input"):
    path = os.path.join(folder, name)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    return path


def refused_or(function):
    try:
        result = function()
    except main.UserError:
        return "refused"
    return result if isinstance(result, str) else "read"


def replay_answer(text, folder):
    reading = main.parse_grounding(text, None)
    json.dumps(reading.as_dict(), allow_nan=False)
    return "read" if reading.failure is None else "failure:" + reading.failure[0]


def replay_truth(text, folder):
    """Read, with the ids found (a byte-order mark must not become part of the first id)."""
    def load():
        name, truths = main.load_ground_truth(in_file(folder, text))
        return f"{name}:" + ",".join(sorted(truths)[:3])
    return refused_or(load)


def replay_jsonl(text, folder):
    """Scored: how many lines were scored, and the JSON report must be valid JSON."""
    def score():
        lines = list(enumerate(text.splitlines(), 1))
        doc = main.evaluate_lines(lines, None, {}, main.EvalOptions())
        json.dumps(doc, allow_nan=False)
        return f"scored:{doc['n']}:" + ",".join(sorted(doc["failure_counts"]))
    return refused_or(score)


def replay_y4m(text, folder):
    def read():
        video = main.open_y4m(io.BytesIO(text.encode("latin-1")), "case")
        frames = list(video.frames)
        if frames:
            main.analyze_motion(frames, video.width, video.height, video.fps)
    return refused_or(read)


def replay_cli(text, folder):
    status, out, err = run(*json.loads(text))
    assert len(err.strip().splitlines()) <= 1, err
    assert "Traceback" not in err
    return f"status:{status}"


REPLAY = {
    "answer": replay_answer,
    "lmms_eval": lambda text, folder: "read" if main.lmms_eval_extract(text) else "none",
    "timelens": lambda text, folder: "read" if main.timelens_extract(text) else "none",
    "ground_truth": replay_truth,
    "durations": lambda text, folder: refused_or(lambda: main.load_durations(in_file(folder, text))),
    "events": lambda text, folder: refused_or(lambda: main.load_events_file(in_file(folder, text))),
    "scores_csv": lambda text, folder: refused_or(lambda: main.read_scores(in_file(folder, text))),
    "jsonl": replay_jsonl,
    "schema_line": lambda text, folder: "invalid" if main.answer_schema_problems(text) else "valid",
    "layout": lambda text, folder: refused_or(lambda: main.parse_layout(text)),
    "y4m": replay_y4m,
    "pnm": lambda text, folder: refused_or(lambda: main.decode_pnm(text.encode("latin-1"), "case")),
    "cli": replay_cli,
}


class CommandLineFuzzTests(FuzzCase):
    def test_random_option_values_give_status_0_or_2_and_one_error_line(self):
        rng = random.Random(108)
        values = ["0", "-1", "nan", "inf", "1e9", "", "abc", "3", "0.5", "100000", "-",
                  "\uff11\uff12", "1e-9", "2", "7", "0,1,2", "text:2 video:2x2x2"]
        options = {"tokens": ["--duration", "--total-frames", "--fps", "--width", "--height",
                              "--pool", "--patch", "--context-tokens", "--nframes", "--sample-fps",
                              "--min-pixels", "--resized-height", "--frames"],
                   "rope": ["--timestamps", "--tokens-per-second", "--table-rows", "--layout"],
                   "plan": ["--duration", "--context-tokens", "--model-size", "--max-fps"],
                   "parse": ["--duration"]}
        for _ in range(300):
            command = rng.choice(list(options))
            argv = [command]
            if command == "parse":
                argv.append(rng.choice(values + ["from 1 to 2 s", "{"]))
            if command == "plan":
                argv += ["--task", rng.choice(main.TASKS)]
            if command == "rope":
                argv += ["--timestamps", "0,1,2,3"]
            for _ in range(rng.randint(0, 4)):
                argv += [rng.choice(options[command]), rng.choice(values)]
            try:
                status, out, err = run(*argv, "--json")
            except Exception as error:   # noqa: BLE001
                self.fail(f"cli seed 108: {error!r} on {argv!r}")
            self.assertIn(status, (0, 2), argv)
            if status == 2:
                self.assertEqual(len(err.strip().splitlines()), 1, (argv, err))
                self.assertEqual(out, "")
            else:
                json.loads(out)


class CommandLineWideTests(unittest.TestCase):
    def test_every_subcommand_prints_exactly_one_json_document(self):
        with tempfile.TemporaryDirectory() as folder:
            answers = os.path.join(folder, "a.jsonl")
            with open(answers, "w") as f:
                f.write(json.dumps({"id": "1", "output": "1-2 s", "gt": [1, 2]}) + "\n")
            valid = os.path.join(folder, "v.jsonl")
            with open(valid, "w") as f:
                f.write('{"error": "not_found"}\n')
            clip = os.path.join(folder, "c.y4m")
            calls = [("synth",), ("synth", "--out", clip), ("motion",), ("sample",),
                     ("tokens", "--duration", "60"), ("rope", "--timestamps", "0,1,2,3,4,5"),
                     ("parse", "at 4 s"), ("evaluate", answers), ("schema",),
                     ("schema", "--validate", valid), ("compare", "--design", "qwen2.5-vl"),
                     ("plan", "--task", "monitoring", "--duration", "60"),
                     ("skill", "--out", os.path.join(folder, "s.md")), ("exercise", "4"),
                     ("plot", "--out", os.path.join(folder, "p.svg")),
                     ("motion", "--video", clip, "--allow-truncated")]
            for argv in calls:
                with self.subTest(argv=argv):
                    status, out, err = run(*argv, "--json")
                    self.assertEqual(status, 0, err)
                    self.assertEqual(out.count("\n"), 1)
                    json.loads(out)
        names = set(main.build_parser()._subparsers._group_actions[0].choices)
        tested = {c[0] for c in calls} | {"bench"}
        self.assertEqual(names, tested)

    def test_warnings_go_to_stderr_and_json_stays_clean(self):
        data = b"".join(main.y4m_bytes(main.render_scene(main.get_preset("cat-jump")), 64, 36, 30.0))
        proc = subprocess.run([sys.executable, compiled_main(), "motion", "--video", "-",
                               "--allow-truncated", "--json"], input=data[:-100],
                              capture_output=True, cwd=ROOT)
        self.assertEqual(proc.returncode, 0)
        json.loads(proc.stdout)
        self.assertIn(b"warning", proc.stderr)

    def test_ctrl_c_is_one_line_and_status_130(self):
        original = main.parse_grounding

        def interrupted(*args):
            raise KeyboardInterrupt
        main.parse_grounding = interrupted
        try:
            status, out, err = run("parse", "x")
        finally:
            main.parse_grounding = original
        self.assertEqual(status, 130)
        self.assertEqual(err.strip(), "main.py: interrupted")

    def test_closed_pipe_ends_quietly(self):
        proc = subprocess.Popen([sys.executable, compiled_main(), "rope", "--layout",
                                 "video:100x100x100", "--json"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
        first = proc.stdout.read(10)
        proc.stdout.close()
        err = proc.stderr.read()
        proc.stderr.close()
        proc.wait()
        self.assertEqual(first[:2], b'{"')
        self.assertEqual(err, b"")
        self.assertNotEqual(proc.returncode, 0)

    def test_file_arguments_that_are_not_files(self):
        with tempfile.TemporaryDirectory() as folder:
            cases = [("evaluate", folder), ("evaluate", os.path.join(folder, "none.jsonl")),
                     ("evaluate", os.devnull), ("motion", "--video", os.devnull),
                     ("motion", "--video", os.path.join(folder, "none.y4m")),
                     ("schema", "--validate", folder),
                     ("compare", "--video", os.devnull, "--events", os.devnull),
                     ("exercise", "5", "--scores", folder)]
            for argv in cases:
                with self.subTest(argv=argv):
                    status, out, err = run(*argv)
                    self.assertEqual(status, 2)
                    self.assertEqual(len(err.strip().splitlines()), 1)
                    self.assertNotIn("Traceback", err)

    def test_outputs_are_whole_or_absent(self):
        with tempfile.TemporaryDirectory() as folder:
            target = os.path.join(folder, "clip.y4m")
            with open(target, "wb") as f:
                f.write(b"keep me")
            original = main.render_scene

            def broken(scene):
                yield bytes(scene.width * scene.height)
                raise KeyboardInterrupt
            main.render_scene = broken
            try:
                status, _, _ = run("synth", "--out", target)
            finally:
                main.render_scene = original
            self.assertEqual(status, 130)
            with open(target, "rb") as f:
                self.assertEqual(f.read(), b"keep me")
            self.assertEqual(os.listdir(folder), ["clip.y4m"])


class BoundedResourceTests(unittest.TestCase):
    def test_analysis_of_a_long_stream_keeps_no_frames(self):
        # Memory grows by the per-frame scores only: compare the peak at n and 4n frames (the
        # analysis holds a fixed ring of frames for its windows, whatever the length).
        w, h = 64, 36
        rng = random.Random(9)
        pool = [bytes(rng.getrandbits(8) for _ in range(w * h)) for _ in range(4)]
        peaks = []
        ring = main.MotionPass(w, h, 10.0, 1, main.CUT_MIN_SCORE).ring.maxlen
        for n in (300, 1200):
            self.assertGreater(n, 2 * ring)    # past the ring's length (80 frames at 10 fps)
            data = b"YUV4MPEG2 W64 H36 F10:1 Cmono\n" + b"".join(b"FRAME\n" + pool[k % 4]
                                                                for k in range(n))
            tracemalloc.start()
            try:
                video = main.open_y4m(io.BytesIO(data), "long")
                motion = main.analyze_motion(video.frames, w, h, video.fps)
                peaks.append(tracemalloc.get_traced_memory()[1])
            finally:
                tracemalloc.stop()
            self.assertEqual(motion.frame_count, n)
        per_frame = (peaks[1] - peaks[0]) / 900
        self.assertLess(per_frame, w * h / 8)      # far less than a frame: frames are not kept

    def test_huge_header_claims_are_refused_or_cost_nothing(self):
        status, _, err = run("motion", "--video", os.devnull)
        self.assertEqual(status, 2)
        data = b"YUV4MPEG2 W16384 H16384 F1:1 C444\nFRAME\nabc"
        tracemalloc.start()
        try:
            with self.assertRaisesRegex(main.UserError, "cut short"):
                list(main.open_y4m(io.BytesIO(data), "huge").frames)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        self.assertLess(peak, 2 * main.READ_CHUNK)
        with self.assertRaisesRegex(main.UserError, "1..16384"):
            main.parse_y4m_header(b"YUV4MPEG2 W16385 H2 F1:1", "big")


if __name__ == "__main__":
    unittest.main()


class HostileFileTests(ScratchTest):
    """Issue 15's files: frames that are not frames, links that go nowhere, endless devices."""

    def frames(self, name, count=3):
        folder = os.path.join(self.dir, name)
        os.mkdir(folder)
        for k in range(1, count + 1):
            with open(os.path.join(folder, f"{k}.pgm"), "wb") as f:
                f.write(b"P5 4 4 255\n" + bytes([k * 30]) * 16)
        return folder

    def refused(self, argv, said):
        status, out, err = run(*argv)
        self.assertEqual(status, 2, err)
        self.assertEqual(out, "")
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn(said, err)

    def test_frames_that_are_devices_pipes_or_repeats(self):
        zero = self.frames("zero")
        os.symlink("/dev/zero", os.path.join(zero, "4.pgm"))
        self.refused(("motion", "--video", zero, "--fps", "10"), "not a regular file")
        fifo = self.frames("fifo")
        os.mkfifo(os.path.join(fifo, "4.pgm"))
        self.refused(("motion", "--video", fifo, "--fps", "10"), "not a regular file")
        twice = self.frames("twice")
        with open(os.path.join(twice, "03.pgm"), "wb") as f:
            f.write(b"P5 4 4 255\n" + bytes(16))
        self.refused(("motion", "--video", twice, "--fps", "10"), "frame number 3 again")

    def test_a_frame_is_read_only_as_far_as_its_header_says(self):
        folder = self.frames("long", 2)
        with open(os.path.join(folder, "3.pgm"), "wb") as f:
            f.write(b"P5 4 4 255\n" + bytes(16) + bytes(5_000_000))     # 5 MB of trailing junk
        tracemalloc.start()
        status, _, err = run("motion", "--video", folder, "--fps", "10")
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        self.assertEqual(status, 0, err)
        self.assertLess(peak, 2_000_000)

    def test_links_that_go_nowhere(self):
        loop = os.path.join(self.dir, "loop.y4m")
        os.symlink("loop.y4m", loop)
        self.refused(("motion", "--video", loop), "symlink loop")
        self.refused(("evaluate", loop), "symlink loop")
        dangling = os.path.join(self.dir, "gone.jsonl")
        os.symlink("nothing-here.jsonl", dangling)
        self.refused(("evaluate", dangling), "a symlink to nothing")

    def test_skill_check_reads_a_bounded_amount(self):
        status, out, _ = run("skill", "--check", "--out", "/dev/zero")
        self.assertEqual(status, 1)
        self.assertIn("stale", out)

    def test_evaluate_reads_stdin_like_a_file(self):
        data = (b'{"id": "AO8RW#0", "output": "0 - 6.9 s \xff\xfe", "gt": [0, 6.9]}\n'
                b'\xef\xbb\xbf{"id": "x", "output": "1 - 2 s", "gt": [1, 2]}\n')
        proc = subprocess.run([sys.executable, compiled_main(), "evaluate", "-", "--json"],
                              input=data, capture_output=True, cwd=ROOT)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        doc = json.loads(proc.stdout)
        path = os.path.join(self.dir, "a.jsonl")
        with open(path, "wb") as f:
            f.write(data)
        status, out, _ = run("evaluate", path, "--json")
        self.assertEqual(status, 0)
        self.assertEqual(json.loads(out)["n"], doc["n"])
        self.assertEqual(doc["n"], 2)              # a mark opening a line (joined files) is dropped

    def test_evaluate_takes_a_pipe_by_its_dev_fd_name(self):
        proc = subprocess.run(f'"{sys.executable}" "{compiled_main()}" evaluate /dev/fd/3 --json '
                              f'3< <(printf \'{{"id": "a", "output": "1 - 2 s", "gt": [1, 2]}}\\n\')',
                              shell=True, executable="/bin/bash", capture_output=True, text=True)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(json.loads(proc.stdout)["n"], 1)

    def test_a_file_name_that_is_not_utf8(self):
        name = os.fsdecode(os.fsencode(self.dir) + b"/bad\xff.svg")
        proc = subprocess.run([sys.executable, compiled_main(), "plot", "--out", name],
                              capture_output=True, cwd=ROOT,
                              env={**os.environ, "PYTHONIOENCODING": "utf-8:strict"})
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn(b"wrote", proc.stdout)
        self.assertTrue(os.path.exists(name))


class LateInterruptTests(unittest.TestCase):
    """Ctrl-C at the very end of a run: while an error is reported, or after the work is done
    (a helper's random timings found both: the process died of SIGINT with no line)."""

    def test_an_interrupt_while_an_error_is_reported_is_one_line_and_130(self):
        real = main.error_message

        def interrupted(error):
            raise KeyboardInterrupt
        main.error_message = interrupted
        try:
            status, out, err = run("motion", "--video", "/nonexistent/clip.y4m")
        finally:
            main.error_message = real
        self.assertEqual((status, out, err.strip()), (130, "", "main.py: interrupted"))

    def test_a_whole_run_ends_with_ctrl_c_ignored_a_call_leaves_it_alone(self):
        import signal
        before = signal.getsignal(signal.SIGINT)
        self.addCleanup(signal.signal, signal.SIGINT, before)
        self.assertEqual(run("tokens", "--duration", "10")[0], 0)
        self.assertIs(signal.getsignal(signal.SIGINT), before)     # main(argv): in-process
        argv = sys.argv
        sys.argv = ["main.py", "tokens", "--duration", "10"]
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                self.assertEqual(main.main(), 0)                      # the command line
        finally:
            sys.argv = argv
        self.assertIs(signal.getsignal(signal.SIGINT), signal.SIG_IGN)
