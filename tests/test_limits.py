"""Every parser is linear in its input, shown on adversarial series (n against 4n), and every
limit is refused in one line and stated in the --help of the subcommands it touches."""

import io
import json
import os
import random
import re
import tempfile
import time
import unittest

from support import main, motion_from_scores, run

# Quadratic growth would make 4n take 16 times as long as n, cubic 64 times; linear about 4.
RATIO_LIMIT = 9.0
FLOOR_S = 0.003          # times below this are noise, not growth


def best_time(function, argument, repeats=3) -> float:
    """The fastest of a few runs; a refusal (UserError) counts, it must be linear too."""
    best = None
    for _ in range(repeats):
        start = time.perf_counter()
        try:
            function(argument)
        except main.UserError:
            pass
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    return best


class LinearTimeTests(unittest.TestCase):
    def assert_linear(self, name, make, function, n):
        small, large = make(n), make(4 * n)
        best_time(function, small, 1)                    # warm caches and compiled patterns
        ratios = []
        for _ in range(3):          # a busy machine can slow one measurement; growth is steady
            ratios.append(best_time(function, large) / max(best_time(function, small), FLOOR_S))
            if ratios[-1] < RATIO_LIMIT:
                break
        self.assertLess(min(ratios), RATIO_LIMIT,
                        f"{name}: 4n took {min(ratios):.1f} times as long as n")

    def test_answer_parser(self):
        # n and 4n stay under MAX_ANSWER_CHARS, so the parser really reads them
        n = main.MAX_ANSWER_CHARS // 5
        series = {
            "unclosed <time> and spaces": lambda k: "<time>" + " " * k,
            "many <time> tags": lambda k: "<time>" * (k // 6),
            "unclosed code fence": lambda k: "```json\n" + " " * k + "{",
            "a run of digits": lambda k: "1" * k,
            "digits and dots": lambda k: "1." * (k // 2),
            "open brackets": lambda k: "[" * k,
            "open braces": lambda k: "{" * k,
            "quotes": lambda k: '"' * k,
            "range words": lambda k: "from 1 to " * (k // 10),
            "between and": lambda k: "between " * (k // 8),
            "dashes": lambda k: "1 - " * (k // 4),
            "colons": lambda k: "1:" * (k // 2),
            "chinese": lambda k: "从5秒到" * (k // 4),
            "example cues": lambda k: "for example 1 s. " * (k // 17),
            "json keys": lambda k: '{"start": ' * (k // 10),
        }
        for name, make in series.items():
            with self.subTest(series=name):
                self.assert_linear(name, make, lambda t: main.parse_grounding(t, 60.0), n)

    def test_lmms_eval_readers(self):
        series = {
            "a run of digits": lambda k: "1" * k,
            "digits then spaces": lambda k: "1" + " " * k + "x",
            "digits, spaces, s": lambda k: "1" * (k // 2) + " " * (k // 2) + "s x",
            "decimals": lambda k: "1." * (k // 2),
            "dashes": lambda k: "1-" * (k // 2),
            "clocks": lambda k: "1:00 " * (k // 5),
        }
        for name, make in series.items():
            for reader in (main.lmms_eval_extract, main.timelens_extract):
                with self.subTest(series=name, reader=reader.__name__):
                    self.assert_linear(name, make, reader, 5000)

    def test_lmms_eval_patterns_find_what_the_published_ones_find(self):
        # lmms-eval 0.7.3, tasks/charades_sta/utils.py and tasks/timelens/utils.py, as published
        published = {
            "LMMS_RANGE": r"(\d+(?:\.\d+)?)\s*[–-]\s*(\d+(?:\.\d+)?)",
            "LMMS_FALLBACK": r"(\d+(?:\.\d+)?)\s*s?\s*[–-]\s*(\d+(?:\.\d+)?)\s*s?",
            "TIMELENS_NUMBER": r"\b\d+\.?\d*\b",
        }
        timelens = [r"(\d+\.?\d*)\s*-\s*(\d+\.?\d*)", r"(\d+\.?\d*)\s+to\s+(\d+\.?\d*)"]
        rng = random.Random(15)
        alphabet = "0123456789..--– s  stoa:\n"
        for _ in range(20000):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
            for name, pattern in published.items():
                self.assertEqual(getattr(main, name).findall(text), re.findall(pattern, text),
                                 (name, text))
            for mine, pattern in zip(main.TIMELENS_RANGES, timelens):
                self.assertEqual(mine.findall(text), re.findall(pattern, text), text)

    def test_layout_and_timestamps(self):
        self.assert_linear("layout items", lambda k: "text:1 " * k, main.parse_layout, 5000)
        self.assert_linear("layout digits", lambda k: "text:" + "0" * k + "1",
                           lambda t: main.parse_layout(t), 20000)

    def test_truth_files(self):
        def charades(k):
            return "".join(f"v{i % 50} {i % 7}.0 {i % 7 + 1}.5##q\n" for i in range(k))

        def qvhighlights(k):
            return "".join(json.dumps({"qid": i, "duration": 100, "relevant_windows": [[1, 2]]})
                           + "\n" for i in range(k))

        def activitynet(k):
            return json.dumps({f"v{i}": {"duration": 9, "timestamps": [[1, 2]], "sentences": ["s"]}
                               for i in range(k)})
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "gt")

            def load(text):
                with open(path, "w", encoding="utf-8") as handle:
                    handle.write(text)
                main.load_ground_truth(path)
            for name, make in (("charades", charades), ("qvhighlights", qvhighlights),
                               ("activitynet", activitynet)):
                with self.subTest(format=name):
                    self.assert_linear(name, make, load, 2000)

    def test_prediction_lines(self):
        def lines(k):
            return [(i + 1, json.dumps({"id": str(i), "output": f"{i % 9} - {i % 9 + 1} s",
                                        "gt": [1, 2]})) for i in range(k)]
        self.assert_linear("jsonl", lines, lambda ls: main.evaluate_lines(
            ls, None, {}, main.EvalOptions()), 1000)

    def test_cut_detection_on_alternating_frames(self):
        def frames(k):
            return [bytes([255 * (i % 2)]) * 64 for i in range(k)]

        def detect(fs):
            motion = main.analyze_motion(fs, 8, 8, 30.0)
            main.detect_cuts(motion, transitions=main.detect_gradual(motion))
        self.assert_linear("alternating", frames, detect, 1000)   # 5 rings of 200

    def test_strongest_in_reach(self):
        # a strobe (every frame a candidate of equal strength) is one cut, where it starts
        self.assertEqual(list(main.strongest_in_reach(((i, 1.0) for i in range(10000)), 3)),
                         [(0, 1.0)])
        # candidates further apart than the reach are all kept; a stronger neighbour wins
        found = [(0, 0.5), (4, 0.5), (8, 0.5), (10, 0.9), (11, 0.3)]
        self.assertEqual(list(main.strongest_in_reach(iter(found), 3)),
                         [(0, 0.5), (4, 0.5), (10, 0.9)])

    def test_strongest_in_reach_holds_a_window_not_the_video(self):
        def candidates(k):
            for i in range(k):
                yield i, (i * 7919) % 1000 / 1000      # strengths all over the place
        windows = []
        real_deque = main.collections.deque

        class Watched(real_deque):
            def append(self, item):
                super().append(item)
                windows.append(len(self))
        main.collections.deque = Watched
        self.addCleanup(setattr, main.collections, "deque", real_deque)
        list(main.strongest_in_reach(candidates(20000), 3))
        self.assertLessEqual(max(windows), 2 * 3 + 2)


class LimitTests(unittest.TestCase):
    def test_limits_are_refused_in_one_line(self):
        cases = [
            (("rope", "--layout", f"text:{main.MAX_LAYOUT_TOKENS + 1}"), "limit"),
            (("rope", "--layout", "text:" + "9" * 5000), "5,005 characters"),
            (("sample", "--uniform-frames", "9" * 5000), "5,000 characters"),
            (("parse", "1 - 2 s " * (main.MAX_ANSWER_CHARS // 8 + 1)), "too_long"),
        ]
        # a long unknown name, argparse's choices and the tool's own lists alike
        long_name = "a" * 5000
        cases += [(argv, "5,000 characters") for argv in (
            ("synth", "--synth", long_name), ("plan", "--task", long_name),
            ("sample", "--design", long_name), ("sample", "--strategy", long_name),
            ("compare", "--design", long_name), ("rope", "--model", long_name),
            ("compare", "--draw", long_name, "--out", "never-written.svg"))]
        for argv, said in cases:
            with self.subTest(argv=argv[:2]):
                status, out, err = run(*argv)
                text = out + err
                self.assertIn(said, text)
                self.assertLessEqual(len(err.strip().splitlines()), 1)
                self.assertLess(len(err), 400, "an error echoes at most a slice of the input")

    def test_a_line_longer_than_the_limit_is_skipped_and_reported(self):
        keep = main.MAX_LINE_CHARS
        main.MAX_LINE_CHARS = 1000
        self.addCleanup(setattr, main, "MAX_LINE_CHARS", keep)
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "a.jsonl")
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(json.dumps({"id": "1", "output": "x" * 5000, "gt": [1, 2]}) + "\n")
                handle.write(json.dumps({"id": "2", "output": "1 - 2 s", "gt": [1, 2]}) + "\n")
            status, out, err = run("evaluate", path, "--json")
            self.assertEqual(status, 0, err)
            doc = json.loads(out)
            self.assertEqual(doc["n"], 1)
            self.assertIn("longer than 1,000 characters", doc["bad_lines"][0]["reason"])

    def test_video_frame_limit(self):
        keep = main.MAX_VIDEO_FRAMES
        main.MAX_VIDEO_FRAMES = 10
        self.addCleanup(setattr, main, "MAX_VIDEO_FRAMES", keep)
        with self.assertRaises(main.UserError) as caught:
            main.analyze_motion([bytes(16)] * 11, 4, 4, 30.0)
        self.assertIn("more than 10 frames", str(caught.exception))

    def test_help_states_the_limits_of_what_each_subcommand_reads(self):
        for name in main.COMMAND_LIMITS:
            with self.subTest(command=name):
                self.assertIn("Limits:", help_text(name))
        self.assertIn(f"{main.MAX_LAYOUT_TOKENS:,}", help_text("rope"))
        self.assertIn(f"{main.MAX_ANSWER_CHARS:,}", help_text("evaluate"))


def help_text(name):
    parser = main.build_parser()
    out = io.StringIO()
    for action in parser._actions:
        if hasattr(action, "choices") and isinstance(action.choices, dict) and name in action.choices:
            action.choices[name].print_help(out)
    return " ".join(out.getvalue().split())


class WindowTests(unittest.TestCase):
    def test_windows_shorter_than_a_frame_are_skipped_not_divided_by(self):
        windows = main.motion_windows([0.1, 0.2, 0.3], 0.5, 1.0)     # a frame every 2 s
        self.assertEqual([(w.first, w.stop) for w in windows], [(0, 1), (1, 2), (2, 3)])
        self.assertAlmostEqual(sum(w.end_s - w.start_s for w in windows), 6.0)

    def test_slow_video_in_compare_and_a_too_short_window_elsewhere(self):
        with tempfile.TemporaryDirectory() as folder:
            clip = os.path.join(folder, "slow.y4m")
            with open(clip, "wb") as handle:
                handle.write(b"YUV4MPEG2 W8 H8 F1:2 Ip A1:1 Cmono\n")
                for k in range(10):
                    handle.write(b"FRAME\n" + bytes([k * 20]) * 64)
            events = os.path.join(folder, "events.json")
            with open(events, "w", encoding="utf-8") as handle:
                json.dump([{"event": "x", "start": 4, "end": 8}], handle)
            status, _, err = run("compare", "--video", clip, "--events", events)
            self.assertEqual(status, 0, err)
            for command in ("motion", "sample", "plot", "rope"):
                with self.subTest(command=command):
                    argv = [command, "--video", clip] + (["--out", os.path.join(folder, "p.svg")]
                                                         if command == "plot" else [])
                    status, _, err = run(*argv)
                    self.assertEqual(status, 2)
                    self.assertIn("give --window 2 or more", err)
                    self.assertEqual(run(*argv, "--window", "2")[0], 0)


if __name__ == "__main__":
    unittest.main()
