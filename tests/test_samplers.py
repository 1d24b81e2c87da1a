import contextlib
import io
import math
import random
import unittest

from support import main, motion_from_scores, run_json


def settings(budget=768, **fields):
    return main.SamplerSettings(max_frames=budget, **fields)


def uniform(motion, frames, budget):
    # the plain count, no rate cap (max_fps at the video's own rate)
    return main.uniform_sample(motion.frame_count, motion.fps,
                               settings(budget, uniform_frames=frames, max_fps=motion.fps))


def check_well_formed(testcase, result, budget, windows):
    idx = result.indices
    testcase.assertEqual(list(idx), sorted(set(idx)))
    testcase.assertTrue(all(0 <= i < result.frame_count for i in idx))
    testcase.assertLessEqual(len(idx), budget)
    testcase.assertEqual(sum(main.per_window_counts(idx, windows)), len(idx))


def all_samplers(motion, windows, budget):
    cuts = main.detect_cuts(motion)
    s = settings(budget)
    return [uniform(motion, 16, budget),
            main.dynamic_fps_sample(windows, motion.fps, s),
            main.event_driven_sample(motion, cuts, s),
            main.keyframe_sample(motion.frame_count, motion.fps, cuts, s)]


class BudgetTests(unittest.TestCase):
    def test_caps_hold_for_many_random_motion_curves(self):
        rng = random.Random(2024)
        for trial in range(60):
            frames = rng.randint(1, 900)
            fps = rng.choice((5.0, 10.0, 24.0, 29.97, 30.0))
            scores = [0.0] + [rng.random() ** rng.choice((1, 4, 12)) for _ in range(frames - 1)]
            motion = motion_from_scores(scores, fps)
            windows = main.motion_windows(motion.scores, fps, rng.choice((0.5, 1.0, 2.0)))
            budget = rng.randint(1, 200)
            for result in all_samplers(motion, windows, budget):
                with self.subTest(trial=trial, strategy=result.strategy):
                    check_well_formed(self, result, min(budget, frames), windows)

    def test_dynamic_never_exceeds_its_budget_where_the_lesson_sampler_did(self):
        # The lesson's reference sampler, asked for 12 frames, returned 15.
        rng = random.Random(3)
        scores = [rng.random() for _ in range(600)]
        motion = motion_from_scores(scores, 30.0)
        windows = main.motion_windows(motion.scores, 30.0, 1.0)
        result = main.dynamic_fps_sample(windows, 30.0, settings(12))
        self.assertEqual(len(result.indices), 12)

    def test_zero_motion_degrades_to_uniform_at_min_fps(self):
        motion = motion_from_scores([0.0] * 100, 10.0)
        windows = main.motion_windows(motion.scores, 10.0, 1.0)
        result = main.dynamic_fps_sample(windows, 10.0, settings())
        self.assertEqual(main.per_window_counts(result.indices, windows), (1,) * 10)
        self.assertEqual(result.indices, tuple(range(5, 100, 10)))

    def test_dynamic_gives_every_window_its_min_fps_within_budget(self):
        # 4 s of motion then 4 s still: the still windows once got nothing, the busy windows
        # taking the frames the rounding left over
        # (rates 4, 3.1, 3.1, 3.1, then 1: 17.3 frames asked, 17 given)
        motion = motion_from_scores([0.05] * 25 + [0.035] * 75 + [0.0] * 100, 25.0)
        windows = main.motion_windows(motion.scores, 25.0, 1.0)
        result = main.dynamic_fps_sample(windows, 25.0, settings())
        counts = main.per_window_counts(result.indices, windows)
        self.assertEqual(counts[4:], (1, 1, 1, 1))
        self.assertEqual(sum(counts), 17)

    def test_event_spans_keep_their_rate_and_the_background_its_share(self):
        # one burst of 1 s in 10 s: about 4 frames inside (burst_fps), 4-5 outside (base_fps)
        motion = motion_from_scores([0.0] * 40 + [0.2] * 10 + [0.0] * 50, 10.0)
        result = main.event_driven_sample(motion, (), settings())
        (first, stop), = result.spans
        inside = [i for i in result.indices if first * 10 <= i < stop * 10]
        self.assertLessEqual(len(inside), math.ceil((stop - first) * 4) + 1)
        self.assertGreaterEqual(len(result.indices) - len(inside), 4)

    def test_uniform_takes_segment_centres(self):
        motion = motion_from_scores([0.0] * 100, 10.0)
        windows = main.motion_windows(motion.scores, 10.0, 1.0)
        self.assertEqual(uniform(motion, 4, 768).indices, (12, 37, 62, 87))
        self.assertEqual(len(uniform(motion, 500, 768).indices), 100)

    def test_allocate_counts_is_proportional_and_exact(self):
        self.assertEqual(main.allocate_counts([1, 1, 2], 8, [10, 10, 10]), [2, 2, 4])
        self.assertEqual(main.allocate_counts([1, 0, 0], 5, [2, 10, 10]), [2, 2, 1])
        self.assertEqual(sum(main.allocate_counts([0.3, 0.3, 0.4], 7, [9, 9, 9])), 7)
        self.assertEqual(main.allocate_counts([5, 1, 1], 2, [9, 9, 9], minimum=1), [1, 1, 0])


class BehaviourOnPresetsTests(unittest.TestCase):
    def test_dynamic_puts_more_frames_where_motion_is_high(self):
        uniform = run_json("sample", "--synth", "cooking-3min", "--strategy", "uniform",
                           "--uniform-frames", "60")["results"][0]
        dynamic = run_json("sample", "--synth", "cooking-3min", "--strategy", "dynamic",
                           "--max-frames", "60")["results"][0]
        self.assertEqual(dynamic["frames"], 60)
        motion = dynamic["window_motion"]
        busy = sorted(range(len(motion)), key=lambda k: -motion[k])[:10]
        self.assertGreater(sum(dynamic["frames_per_window"][k] for k in busy),
                           sum(uniform["frames_per_window"][k] for k in busy))

    def test_event_sampling_hits_every_security_event_and_uniform_misses_most(self):
        event = run_json("sample", "--synth", "security-5min", "--strategy", "event")["results"][0]
        uniform = run_json("sample", "--synth", "security-5min", "--strategy", "uniform")["results"][0]
        self.assertEqual(event["events_hit"], event["event_count"])
        for truth in event["events"]:     # each event lies inside a detected action span
            self.assertTrue(any(span["start_s"] <= truth["start_s"] and truth["end_s"] <= span["end_s"]
                                for span in event["spans"]), truth)
        self.assertLessEqual(uniform["events_hit"], 1)
        self.assertEqual(uniform["frames"], 16)

    def test_keyframe_sampler_anchors_on_each_cut(self):
        doc = run_json("sample", "--synth", "sports-60s", "--strategy", "keyframe",
                       "--keyframe-context", "0")["results"][0]
        truth = [c["frame"] for c in run_json("synth", "--synth", "sports-60s")["cuts"]]
        frames = doc["frame_indices"]
        self.assertEqual(len(frames), len(truth) + 1)
        self.assertEqual(frames[0], 0)
        for cut in truth:
            self.assertTrue(any(abs(f - cut) <= 1 for f in frames))

    def test_sample_json_document(self):
        whole = run_json("sample", "--synth", "cat-jump", "--strategy", "dynamic")
        self.assertIsInstance(whole["duration_s"], float)
        self.assertEqual(whole["priced_as"], {"design": "qwen3-vl", "width": 640, "height": 360,
                                              "size_from": "preset"})
        doc = whole["results"][0]
        for key in ("strategy", "frames", "frame_indices", "frame_times_s", "frames_per_window",
                    "events_hit", "event_count", "tokens"):
            self.assertIn(key, doc)
        self.assertEqual(doc["strategy"], "dynamic")
        self.assertEqual(doc["frames"], len(doc["frame_indices"]))
        self.assertAlmostEqual(doc["frame_times_s"][1], doc["frame_indices"][1] / 30)
        everything = run_json("sample", "--synth", "cat-jump")
        self.assertEqual([r["strategy"] for r in everything["results"]], list(main.STRATEGIES))

    def test_same_seed_same_output(self):
        self.assertEqual(run_json("sample", "--synth", "cat-jump", "--seed", "4"),
                         run_json("sample", "--synth", "cat-jump", "--seed", "4"))


if __name__ == "__main__":
    unittest.main()


class HelpTests(unittest.TestCase):
    def test_the_burst_rate_help_says_the_cap_holds_it_down(self):
        effective = min(main.DEFAULT_BURST_FPS, main.DEFAULT_MAX_FPS)
        self.assertLess(effective, main.DEFAULT_BURST_FPS)      # the case the help must state
        with contextlib.redirect_stdout(io.StringIO()) as out, self.assertRaises(SystemExit):
            main.main(["rope", "--help"])
        flat = " ".join(out.getvalue().split())
        self.assertIn(f"the default cap's {effective:g} in effect", flat)
        event = run_json("sample", "--synth", "cat-jump", "--strategy", "event")["results"][0]
        self.assertIn(f"{effective:g} fps inside", event["notes"][0])
