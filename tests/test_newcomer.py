"""What a new user trips on (issue 25): help and output widths, the skill file's one rule,
the .mp4 advice, colour contact sheets, --details in text, counts, legends, summaries that
use what is scored."""

import argparse
import contextlib
import io
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import unittest
import zlib

from support import MAIN_PATH, ROOT, ScratchTest, main, run, run_json


def help_text(*argv):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            main.main([*argv, "--help"])
        except SystemExit:
            pass
    return out.getvalue()


class WidthTests(unittest.TestCase):
    def test_every_help_fits_100_columns_even_on_a_wide_terminal(self):
        previous = os.environ.get("COLUMNS")
        os.environ["COLUMNS"] = "200"                  # what a wide terminal reports
        try:
            parser = main.build_parser()
        finally:
            if previous is None:
                del os.environ["COLUMNS"]
            else:
                os.environ["COLUMNS"] = previous
        subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        for name, sub in [(None, parser)] + list(subparsers.choices.items()):
            with self.subTest(command=name):
                widest = max(sub.format_help().splitlines(), key=len)
                self.assertLessEqual(len(widest), 100, widest)

    def test_schema_and_details_fit(self):
        _, out, _ = run("schema")
        self.assertLessEqual(max(map(len, out.splitlines())), 100)
        _, out, _ = run("evaluate", str(ROOT / "tests/data/answers.jsonl"), "--gt",
                        str(ROOT / "tests/data/charades_test.txt"), "--details")
        self.assertLessEqual(max(map(len, out.splitlines())), 100)


class DetailsTests(unittest.TestCase):
    def test_details_list_each_answer_in_text(self):
        argv = ["evaluate", str(ROOT / "tests/data/answers.jsonl"), "--gt",
                str(ROOT / "tests/data/charades_test.txt")]
        _, plain, _ = run(*argv)
        _, detailed, _ = run(*argv, "--details")
        self.assertNotEqual(plain, detailed)
        self.assertIn("3MSZA#0", detailed)
        self.assertIn("24.3-30.4 s, free_text range", detailed)

    def test_details_show_a_point_answer(self):
        # a point carries time_s, not start_s: the text table once died on it
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "points.jsonl")
            with open(path, "w") as handle:
                handle.write('{"id": "a", "output": "3.5", "gt": [3, 5]}\n'
                             '{"id": "b", "output": "<time>1:05</time>", "gt": [60, 70]}\n')
            status, out, err = run("evaluate", path, "--details")
        self.assertEqual(status, 0, err)
        self.assertIn("at 3.5 s, free_text bare", out)
        self.assertIn("at 65 s, time_tokens", out)


class HelpTests(unittest.TestCase):
    def test_fps_says_when_its_default_applies(self):
        self.assertNotIn("(default 30)", " ".join(help_text("motion").split()))
        self.assertIn("(default 30)", " ".join(help_text("tokens").split()))

    def test_skill_help_states_where_the_file_goes(self):
        self.assertIn("nearest folder", " ".join(help_text("skill").split()))


class SkillPathTests(ScratchTest):
    def test_one_rule_for_script_and_installed_command(self):
        # Outside any folder with outputs/: refused, nothing made. Inside: the nearest one.
        # (default_skill_path is the one rule both read; run here in-process from each folder)
        here = os.getcwd()
        try:
            os.chdir(self.dir)
            status, _, err = run("skill")
            self.assertEqual(status, 2)
            self.assertIn("no outputs/ folder", err)
            self.assertEqual(os.listdir(self.dir), [])
            os.makedirs(os.path.join(self.dir, "outputs"))
            deep = os.path.join(self.dir, "a", "b")
            os.makedirs(deep)
            os.chdir(deep)
            status, _, err = run("skill")
            self.assertEqual(status, 0, err)
        finally:
            os.chdir(here)
        self.assertTrue(os.path.exists(os.path.join(self.dir, "outputs", main.SKILL_FILE)))


class AdviceTests(ScratchTest):
    def test_mp4_advice_streams_first(self):
        clip = os.path.join(self.dir, "clip.mp4")
        with open(clip, "wb") as handle:
            handle.write(b"\x00\x00\x00 ftypisom" + bytes(100))
        status, _, err = run("motion", "--video", clip)
        self.assertEqual(status, 2)
        self.assertIn("-f yuv4mpegpipe - |", err)
        self.assertIn("--video -", err)

    def test_a_clip_is_priced_at_its_own_size_and_says_so(self):
        clip = os.path.join(self.dir, "small.y4m")
        with open(clip, "wb") as handle:
            handle.write(b"YUV4MPEG2 W32 H18 F10:1 Ip A1:1 Cmono\n"
                         + b"".join(b"FRAME\n" + bytes([k]) * 576 for k in range(20)))
        _, out, _ = run("sample", "--video", clip)
        self.assertIn("give the original with --width and --height", " ".join(out.split()))
        _, out, _ = run("sample", "--video", clip, "--width", "1920", "--height", "1080")
        self.assertNotIn("give the original", out)


def png_pixels(path):
    """(width, height, channels, rows) of an 8-bit PNG the tool wrote (filter 0 rows)."""
    with open(path, "rb") as handle:
        data = handle.read()
    pos, chunks = 8, {}
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunks.setdefault(kind, b"")
        chunks[kind] += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    width, height, _, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    channels = {0: 1, 2: 3}[colour]
    raw = zlib.decompress(chunks[b"IDAT"])
    stride = width * channels + 1
    return width, height, channels, [raw[r * stride + 1:(r + 1) * stride] for r in range(height)]


class ColourSheetTests(ScratchTest):
    def test_a_colour_y4m_gives_colour_thumbnails(self):
        # 4:2:0, BT.601 limited range: Y 81, U 90, V 240 is red (about 255, 0, 0).
        w, h = 64, 36
        frame = bytes([81]) * (w * h) + bytes([90]) * (w * h // 4) + bytes([240]) * (w * h // 4)
        clip = os.path.join(self.dir, "red.y4m")
        with open(clip, "wb") as handle:
            handle.write(f"YUV4MPEG2 W{w} H{h} F10:1 Ip A1:1 C420jpeg\n".encode()
                         + (b"FRAME\n" + frame) * 12)
        sheet = os.path.join(self.dir, "s.png")
        status, _, err = run("sample", "--video", clip, "--strategy", "uniform", "--sheet", sheet)
        self.assertEqual(status, 0, err)
        _, _, channels, rows = png_pixels(sheet)
        self.assertEqual(channels, 3)
        pixels = {bytes(row[i:i + 3]) for row in rows for i in range(0, len(row), 3)}
        self.assertTrue(any(p[0] > 240 and p[1] < 15 and p[2] < 15 for p in pixels))
        self.assertEqual(main.yuv_to_rgb(bytes([235, 128, 128])), bytes([255, 255, 255]))
        self.assertEqual(main.yuv_to_rgb(bytes([16, 128, 128])), bytes([0, 0, 0]))


class CountAndLegendTests(unittest.TestCase):
    def test_one_number_format_and_singulars(self):
        _, out, _ = run("sample", "--synth", "cooking-3min")
        self.assertIn("28,903", out)
        self.assertEqual(main.counted(1, "scene"), "1 scene")
        self.assertEqual(main.counted(28903, "frame"), "28,903 frames")

    def test_counts_have_separators_and_singulars_in_every_output(self):
        # a count of a thousand or more is written 1,800, and one of anything is singular
        nouns = r"(?:frames|tokens|answers|lines|items|videos|scenes|events|predictions|keys)"
        for argv in (("sample", "--synth", "cooking-3min"), ("motion", "--synth", "security-5min"),
                     ("synth", "--synth", "security-5min"), ("rope", "--synth", "security-5min"),
                     ("tokens", "--design", "all", "--duration", "3600")):
            flat = " ".join(run(*argv)[1].split())
            with self.subTest(argv=argv):
                self.assertRegex(flat, r"\d,\d{3} ")          # the check below has counts to see
                self.assertIsNone(re.search(rf"(?<![\d,.])\d{{4,}} {nouns}\b", flat))
                self.assertIsNone(re.search(rf"(?<![\d,.])1 {nouns}\b", flat))

    def test_one_of_anything_is_singular_where_a_run_can_make_one(self):
        nouns = r"(?:frames|tokens|spans|changes|thumbnails|segments|context frames)"
        for argv in (("rope", "--layout", "text:1"), ("sample", "--synth", "cat-jump"),
                     ("sample", "--synth", "cat-jump", "--strategy", "uniform",
                      "--uniform-frames", "1", "--sheet", os.devnull),
                     ("sample", "--synth", "sports-60s", "--strategy", "keyframe",
                      "--keyframe-context", "1")):
            with self.subTest(argv=argv):
                status, out, err = run(*argv)
                self.assertEqual(status, 0, err)
                self.assertIsNone(re.search(rf"(?<![\d,.])1 {nouns}\b", " ".join(out.split())))

    def test_plot_text_has_a_legend(self):
        _, out, _ = run("plot", "--synth", "cat-jump", "--out", os.devnull)
        self.assertIn("frames each sampler took", " ".join(out.split()))


class SummaryTests(ScratchTest):
    def test_absurd_answers_do_not_ruin_the_summary(self):
        path = os.path.join(self.dir, "a.jsonl")
        with open(path, "w") as handle:
            for k in range(40):
                output = "0 to 1e+08 seconds" if k < 3 else f"from {k % 10} to {k % 10 + 2} s"
                handle.write(json.dumps({"id": str(k), "output": output,
                                         "gt": [k % 10, k % 10 + 2], "duration": 30}) + "\n")
        doc = run_json("evaluate", path)
        self.assertLess(doc["mean_abs_error_s"], 30)       # clipped into the 30 s video
        self.assertEqual(doc["median_abs_error_s"], 0.0)
        self.assertEqual(doc["clipped"], 3)
        _, text, _ = run("evaluate", path)
        self.assertIn("median", text)
        self.assertEqual(doc["clipped_unknown_length"], 0)     # every line gives its duration

    def test_clipped_at_a_week_when_the_length_is_unknown_and_said_so(self):
        path = os.path.join(self.dir, "a.jsonl")
        with open(path, "w") as handle:
            handle.write(json.dumps({"id": "0", "output": "0 to 1e+08 seconds", "gt": [2, 4]}))
            handle.write("\n" + json.dumps({"id": "1", "output": "0 to 1e+08 seconds",
                                            "gt": [2, 4], "duration": 30}) + "\n")
        doc = run_json("evaluate", path)
        self.assertEqual((doc["clipped"], doc["clipped_unknown_length"]), (2, 1))
        week = main.MAX_TIME_S
        self.assertAlmostEqual(doc["mean_abs_error_s"], ((week - 4) + (30 - 4)) / 2)
        flat = " ".join(run("evaluate", path)[1].split())
        self.assertIn("(2 answers clipped; 1 at a week, the video's length unknown: "
                      "--duration-file gives lengths)", flat)
        with open(path, "w") as handle:                   # one answer: singular
            handle.write(json.dumps({"id": "0", "output": "0 to 1e+08 seconds", "gt": [2, 4]}))
        self.assertIn("1 answer clipped;", " ".join(run("evaluate", path)[1].split()))

    def test_predictions_without_truth_are_counted_past_those_shown(self):
        path = os.path.join(self.dir, "a.jsonl")
        extra = main.MAX_BAD_LINES_SHOWN + 7
        with open(path, "w") as handle:
            handle.write(json.dumps({"id": "3MSZA#0", "output": "from 24 to 30 s"}) + "\n")
            for k in range(extra):
                handle.write(json.dumps({"id": f"none{k}#0", "output": "from 1 to 2 s"}) + "\n")
        gt = str(ROOT / "tests" / "data" / "charades_test.txt")
        doc = run_json("evaluate", path, "--gt", gt)
        self.assertEqual(doc["predictions_without_truth_count"], extra)
        self.assertEqual(len(doc["predictions_without_truth"]), main.MAX_BAD_LINES_SHOWN)
        self.assertIn(f"{extra} predictions have no ground truth",
                      " ".join(run("evaluate", path, "--gt", gt)[1].split()))


if __name__ == "__main__":
    unittest.main()


class SecondLookTests(ScratchTest):
    """What a second newcomer's pass found (issue 25's promises, checked again)."""

    def test_control_characters_never_break_a_line(self):
        status, _, err = run("evaluate", os.path.join(self.dir, "a\nb.jsonl"))
        self.assertEqual((status, err.count("\n")), (2, 1))
        self.assertIn("a\\nb.jsonl", err)
        path = os.path.join(self.dir, "ids.jsonl")
        with open(path, "w") as handle:
            handle.write(json.dumps({"id": "a\nb", "output": "3 to 5 s", "gt": [3, 5]}) + "\n")
        _, out, _ = run("evaluate", path, "--details")
        self.assertIn("a\\nb", out)
        self.assertFalse(any(line.strip() == "b" for line in out.splitlines()))

    def test_sources_that_exclude_each_other_are_refused(self):
        for argv in (("rope", "--synth", "cat-jump", "--layout", "text:1"),
                     ("rope", "--timestamps", "0,1", "--layout", "text:1"),
                     ("compare", "--draw", ""), ("compare", "--draw", "", "--out", "x.svg")):
            with self.subTest(argv=argv):
                status, _, err = run(*argv)
                self.assertEqual(status, 2)
                self.assertEqual(err.count("\n"), 1)

    def test_synth_writes_the_seeded_video_motion_analyses(self):
        path = os.path.join(self.dir, "s5.y4m")
        self.assertEqual(run("synth", "--synth", "cat-jump", "--seed", "5", "--out", path)[0], 0)
        from_file = run_json("motion", "--video", path)["scores"]
        self.assertEqual(from_file, run_json("motion", "--synth", "cat-jump", "--seed", "5")["scores"])
        self.assertNotEqual(from_file, run_json("motion", "--synth", "cat-jump")["scores"])

    def test_a_failure_is_not_said_twice(self):
        _, out, _ = run("parse", "")
        self.assertEqual(out.strip(), "not read: empty, the answer is empty")

    def test_synth_events_feed_compare_events_as_they_are(self):
        video, events = os.path.join(self.dir, "v.y4m"), os.path.join(self.dir, "ev.json")
        doc = run_json("synth", "--synth", "cat-jump", "--out", video)
        with open(events, "w") as handle:
            json.dump(doc["events"], handle)                   # start_s and end_s
        status, out, err = run("compare", "--video", video, "--events", events)
        self.assertEqual(status, 0, err)
        self.assertIn("your --video", " ".join(out.split()))
