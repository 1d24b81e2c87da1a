import json
import os
import subprocess
import sys
import tempfile
import unittest

from support import MAIN_PATH, ROOT, main, run, run_json


class CompareTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.doc = run_json("compare")
        cls.rows = {r["name"]: r for r in cls.doc["designs"]}

    def acc(self, name, tolerance="0.5"):
        return self.rows[name]["accuracy"][tolerance]

    def test_document_shape(self):
        self.assertEqual(self.doc["suite"], "small")
        for key in ("suite", "seed", "designs", "findings"):
            self.assertIn(key, self.doc)
        for row in self.doc["designs"]:
            for key in ("name", "sampler", "temporal_encoding", "frames", "visual_tokens",
                        "tokens_per_second", "answer_format", "parse_rate", "accuracy",
                        "r1_iou_0_5", "miou", "events_missed"):
                self.assertIn(key, row)
            self.assertEqual(set(row["accuracy"]), {"0.5", "2"})
        self.assertGreaterEqual(len(self.doc["findings"]), 3)

    def test_qwen_beats_llava_beats_llama_within_half_a_second(self):
        self.assertGreater(self.acc("qwen2.5-vl"), self.acc("video-llava"))
        self.assertGreater(self.acc("video-llava"), self.acc("video-llama"))

    def test_index_positions_hurt_only_when_sampling_is_dynamic(self):
        self.assertGreater(self.acc("qwen2.5-vl") - self.acc("ablation-dynamic-index"), 0.2)
        self.assertGreaterEqual(self.acc("ablation-uniform-index"),
                                self.acc("ablation-uniform-absolute") - 0.05)

    def test_video_llama_spends_the_fewest_tokens(self):
        fewest = min(self.rows.values(), key=lambda r: r["visual_tokens"])
        self.assertEqual(fewest["name"], "video-llama")
        self.assertEqual(self.rows["video-llama"]["visual_tokens"], 32)
        self.assertEqual(self.rows["video-llava"]["visual_tokens"], 2048)

    def test_more_frames_miss_fewer_events(self):
        self.assertLess(self.rows["ablation-video-llava-32"]["events_missed"],
                        self.rows["video-llava"]["events_missed"])

    def test_findings_are_computed_from_the_numbers(self):
        text = " ".join(self.doc["findings"])
        q, i = self.acc("qwen2.5-vl"), self.acc("ablation-dynamic-index")
        self.assertIn(f"from {100 * q:.0f}% to {100 * i:.0f}%", text)

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

    def test_help_and_output_say_the_reader_is_simulated(self):
        proc = subprocess.run([sys.executable, str(MAIN_PATH), "compare", "--help"],
                              capture_output=True, text=True, cwd=ROOT)
        self.assertIn("simulated reader", proc.stdout)
        _, out, _ = run("compare", "--design", "video-llama")
        self.assertIn("No VLM runs here", out)


class CompareOnAVideoTests(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.TemporaryDirectory()
        self.addCleanup(self.folder.cleanup)
        self.clip = os.path.join(self.folder.name, "cat.y4m")
        self.assertEqual(run("synth", "--preset", "cat-jump", "--out", self.clip)[0], 0)

    def events(self, data):
        path = os.path.join(self.folder.name, f"events{len(os.listdir(self.folder.name))}.json")
        with open(path, "w") as f:
            f.write(data if isinstance(data, str) else json.dumps(data))
        return path

    def test_a_real_clip_with_user_events(self):
        events = self.events([{"event": "jump", "start": 4.2, "end": 4.5}])
        doc = run_json("compare", "--video", self.clip, "--events", events)
        self.assertEqual((doc["suite"], doc["videos"], doc["events"]), ("video", 1, 1))
        rows = {r["name"]: r for r in doc["designs"]}
        self.assertEqual(rows["qwen2.5-vl"]["events_missed"], 0)

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
        self.assertEqual([v.scene.name for v in small[:4]], list(main.PRESETS))
        durations = [v.scene.duration_s for v in main.benchmark_suite("full", 0)]
        self.assertEqual((min(durations), max(durations)), (10.0, 300.0))
        for video in main.benchmark_suite("full", 3):
            for event in video.scene.events:
                self.assertTrue(0.2 <= round(event.end - event.start, 6) <= 2.0)
                self.assertLessEqual(event.end, video.scene.duration_s)
            self.assertEqual(video.nominal.width, 640)


if __name__ == "__main__":
    unittest.main()
