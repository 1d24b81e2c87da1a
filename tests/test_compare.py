import json
import os
import subprocess
import sys
import tempfile
import unittest

from support import ROOT, compiled_main, main, run, run_json


class CompareTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.doc = run_json("compare")
        cls.rows = {r["name"]: r for r in cls.doc["designs"]}

    def acc(self, name, tolerance="0.5"):
        return self.rows[name]["accuracy_by_tolerance"][tolerance]

    def test_document_shape(self):
        self.assertEqual(self.doc["suite"], "small")
        for key in ("suite", "seed", "designs", "findings", "reader_rules"):
            self.assertIn(key, self.doc)
        for row in self.doc["designs"]:
            for key in ("name", "model", "design", "hypothetical", "source", "frames_rule",
                        "temporal_encoding", "frames", "visual_tokens", "tokens",
                        "tokens_per_second", "answer_format", "parse_rate", "accuracy_by_tolerance",
                        "accuracy_by_kind", "r1", "miou", "events_missed", "event_count"):
                self.assertIn(key, row)
            self.assertEqual(set(row["accuracy_by_tolerance"]), {"0.5", "2"})
            self.assertEqual(set(row["r1"]), {"0.3", "0.5", "0.7"})
            self.assertTrue(row["source"])
        self.assertGreaterEqual(len(self.doc["findings"]), 4)
        self.assertEqual([r["name"] for r in self.doc["designs"] if r["hypothetical"]],
                         ["per-patch-time"])

    def test_released_designs_are_what_their_code_does(self):
        self.assertEqual(self.rows["video-llama"]["tokens"], 32)
        self.assertEqual(self.rows["video-llava"]["tokens"], 2056)
        self.assertEqual(self.rows["video-llama"]["frames"], 8)
        self.assertEqual(self.rows["video-llava"]["frames"], 8)
        fewest = min(self.rows.values(), key=lambda r: r["tokens"])
        self.assertEqual(fewest["name"], "video-llama")
        self.assertIn("one rate per video", self.rows["qwen2.5-vl"]["temporal_encoding"])

    def test_motion_frames_lose_their_times_in_qwen25_and_keep_them_in_qwen3(self):
        self.assertGreater(self.acc("qwen3-vl-motion") - self.acc("qwen2.5-vl-motion"), 0.3)
        # Same frames, so the same events are seen; only the stated times differ.
        self.assertEqual(self.rows["qwen3-vl-motion"]["events_missed"],
                         self.rows["qwen2.5-vl-motion"]["events_missed"])

    def test_index_and_time_agree_at_two_frames_a_second(self):
        # Every video of the small suite is under 384 s, so qwen-vl-utils takes 2 fps and a
        # patch is one second under both encodings.
        self.assertEqual(self.acc("qwen2-vl"), self.acc("qwen2.5-vl"))

    def test_eight_frames_miss_more_than_two_a_second(self):
        for sparse in ("video-llama", "video-llava"):
            self.assertGreater(self.rows[sparse]["events_missed"],
                               self.rows["qwen2.5-vl"]["events_missed"])
            self.assertGreater(self.acc("qwen2.5-vl"), self.acc(sparse))

    def test_events_of_other_kinds_are_in_the_suite(self):
        kinds = set()
        for row in self.doc["designs"]:
            kinds |= set(row["accuracy_by_kind"])
        self.assertEqual(kinds, {"motion", "appear", "fade"})

    def test_findings_are_computed_from_the_numbers(self):
        text = " ".join(self.doc["findings"])
        rows = {r["name"]: r for r in self.doc["designs"]}
        a, b = rows["qwen2.5-vl"], rows["qwen2.5-vl-motion"]
        right = round(a["accuracy_by_tolerance"]["0.5"] * a["event_count"])
        self.assertIn(f"on {right} of {a['event_count']}, {100 * self.acc('qwen2.5-vl'):.0f}%; "
                      "fed motion-adaptive frames, on "
                      f"{round(b['accuracy_by_tolerance']['0.5'] * b['event_count'])} "
                      f"of {b['event_count']}", text)

    def test_every_share_is_a_count_over_a_count(self):
        # Issue 22: "58%" was an unweighted mean of two kinds; the shares are counts.
        rows = {r["name"]: r for r in self.doc["designs"]}
        still = [f for f in self.doc["findings"] if f.startswith("On events that are not")][0]
        for name in ("qwen3-vl-motion", "qwen3-vl"):
            row = rows[name]
            n = sum(row["events_by_kind"].get(k, 0) for k in ("appear", "fade"))
            right = sum(round(row["accuracy_by_kind"][k] * row["events_by_kind"][k])
                        for k in ("appear", "fade") if k in row["events_by_kind"])
            self.assertIn(f"{right} of {n}, {100 * right / n:.0f}%", still)
        eight = [f for f in self.doc["findings"] if f.startswith("Eight frames")][0]
        for name in ("video-llama", "video-llava"):
            self.assertIn(f"misses {rows[name]['events_missed']} of {rows[name]['event_count']}",
                          eight)
        for finding in self.doc["findings"]:
            for match in __import__("re").finditer(r"(\d+)%", finding):
                before = finding[:match.start()]
                self.assertRegex(before, r"(\d+ of \d+, |at least )$", finding)

    def test_the_cheapest_design_named_is_a_useful_one(self):
        for suite in (("--suite", "small"), ("--suite", "full")):
            doc = self.doc if suite[1] == "small" else run_json("compare", *suite)
            rows = {r["model"]: r for r in doc["designs"]}
            cheapest = [f for f in doc["findings"] if f.startswith("Cheapest per correct")]
            self.assertEqual(len(cheapest), 1)
            named = cheapest[0].split("aside: ", 1)[1].split(" (right on")[0]
            self.assertGreaterEqual(rows[named]["accuracy_by_tolerance"]["0.5"], main.USEFUL_ACCURACY)
            self.assertFalse(rows[named]["hypothetical"])
            # the number it gives is the one its words name
            self.assertIn(f"{rows[named]['tokens_per_correct']:,.0f} tokens per correct answer",
                          cheapest[0])
            # ... and its basis, tokens a video x videos / right answers, adds up to it
            row = rows[named]
            right = round(row["accuracy_by_tolerance"]["0.5"] * row["event_count"])
            self.assertIn(f"({row['tokens']:,.0f} tokens a video x {row['video_count']} videos "
                          f"/ {right} right)", " ".join(cheapest[0].split()))
            self.assertAlmostEqual(row["tokens"] * row["video_count"] / right,
                                   row["tokens_per_correct"], places=6)
            self.assertNotIn("released designs", cheapest[0])     # an ablation can be named

    def test_same_seed_same_result_and_seed_changes_the_suite(self):
        self.assertEqual(run_json("compare"), self.doc)
        other = run_json("compare", "--seed", "5")
        self.assertNotEqual(other["designs"], self.doc["designs"])

    def test_design_filter(self):
        doc = run_json("compare", "--design", "qwen2.5-vl", "--design", "video-llava")
        self.assertEqual([r["name"] for r in doc["designs"]], ["qwen2.5-vl", "video-llava"])
        status, _, err = run("compare", "--design", "gpt-5")
        self.assertEqual(status, 2)
        self.assertIn("video-llama", err)

    def test_help_and_output_say_the_reader_is_simulated_and_list_its_rules(self):
        proc = subprocess.run([sys.executable, compiled_main(), "compare", "--help"],
                              capture_output=True, text=True, cwd=ROOT)
        self.assertIn("simulated reader", " ".join(proc.stdout.split()))
        _, out, _ = run("compare", "--design", "video-llama")
        self.assertIn("No VLM runs here", out)
        flat = " ".join(out.split())
        for rule in main.READER_RULES:
            self.assertIn(" ".join(rule.split())[:60], flat)


class CompareOnAVideoTests(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.TemporaryDirectory()
        self.addCleanup(self.folder.cleanup)
        self.clip = os.path.join(self.folder.name, "cat.y4m")
        self.assertEqual(run("synth", "--synth", "cat-jump", "--out", self.clip)[0], 0)

    def events(self, data):
        path = os.path.join(self.folder.name, f"events{len(os.listdir(self.folder.name))}.json")
        with open(path, "w") as f:
            f.write(data if isinstance(data, str) else json.dumps(data))
        return path

    def test_a_real_clip_with_user_events(self):
        events = self.events([{"event": "jump", "start": 4.2, "end": 4.5}])
        doc = run_json("compare", "--video", self.clip, "--events", events)
        self.assertEqual((doc["suite"], doc["video_count"], doc["event_count"]), ("video", 1, 1))
        rows = {r["name"]: r for r in doc["designs"]}
        self.assertEqual(rows["qwen2.5-vl"]["events_missed"], 0)
        self.assertEqual(rows["video-llava"]["tokens"], 2056)
        # your events have no kind, and the suite's rule about its events is not about them
        _, out, _ = run("compare", "--video", self.clip, "--events", events)
        flat = " ".join(out.split())
        self.assertIn("1 event; one question each", flat)
        self.assertNotIn(" ".join(main.SUITE_RULE.split())[:40], flat)
        self.assertNotIn("1 events", flat)
        self.assertIn("misses 1 of 1 event and", flat)             # Video-LLaMA's 8 frames
        _, out, _ = run("compare")
        self.assertIn(" ".join(main.SUITE_RULE.split())[:40], " ".join(out.split()))

    def test_no_findings_no_heading(self):
        doc = run_json("compare", "--design", "llava-video", "--design", "llava-video-no-time",
                       "--seed", "3")
        self.assertEqual(doc["findings"], [])
        _, out, _ = run("compare", "--design", "llava-video", "--design", "llava-video-no-time",
                        "--seed", "3")
        self.assertNotIn("Findings:", out)
        self.assertIn("Findings:", run("compare")[1])

    def test_bad_events_and_missing_pairs(self):
        cases = [
            (("--video", self.clip), "needs --events"),
            (("--events", self.events([])), "goes with --video"),
            (("--video", self.clip, "--events", self.events("not json")), "not valid JSON"),
            (("--video", self.clip, "--events", self.events([{"start": 1, "end": 2}])), "event"),
            (("--video", self.clip, "--events", self.events([{"event": "x", "start": 3, "end": 2}])),
             "start <= end"),
            (("--video", self.clip, "--events", self.events([{"event": "x", "start": 3, "end": 30}])),
             "after the 10 s video"),
        ]
        for argv, message in cases:
            with self.subTest(message=message):
                status, _, err = run("compare", *argv)
                self.assertEqual(status, 2)
                self.assertIn(message, err)
                self.assertEqual(len(err.strip().splitlines()), 1)


class SuiteTests(unittest.TestCase):
    def test_suites(self):
        small = main.benchmark_suite("small", 0)
        self.assertEqual([v.scene.name for v in small[:len(main.PRESETS)]], list(main.PRESETS))
        durations = [v.scene.duration_s for v in main.benchmark_suite("full", 0)]
        self.assertEqual((min(durations), max(durations)), (10.0, 300.0))
        for video in main.benchmark_suite("full", 3):
            for event in video.scene.events:
                self.assertTrue(0.2 <= round(event.end - event.start, 6) <= 2.0)
                self.assertLessEqual(event.end, video.scene.duration_s)
            self.assertEqual(video.nominal.width, 640)


if __name__ == "__main__":
    unittest.main()
