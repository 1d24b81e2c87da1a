import itertools
import random
import unittest

from support import main, run_json


def noisy_frames(rng, count, width, height):
    return [bytes(rng.getrandbits(8) for _ in range(width * height)) for _ in range(count)]


class FastDifferenceTests(unittest.TestCase):
    def test_lane_sad_equals_simple_sad_on_random_frames(self):
        rng = random.Random(7)
        for size in (1, 2, 3, 63, 64, 127, 128, 129, 500, 2304, 4097):
            for _ in range(4):
                a = bytes(rng.getrandbits(8) for _ in range(size))
                b = bytes(rng.getrandbits(8) for _ in range(size))
                got = main.sad_lanes(main.to_lanes(a), main.to_lanes(b), size)
                self.assertEqual(got, main.sad_simple(a, b), size)

    def test_lane_sad_extremes(self):
        for size in (1, 130, 1000):
            black, white = bytes(size), b"\xff" * size
            self.assertEqual(main.sad_lanes(main.to_lanes(black), main.to_lanes(white), size),
                             255 * size)
            self.assertEqual(main.sad_lanes(main.to_lanes(white), main.to_lanes(black), size),
                             255 * size)
            self.assertEqual(main.sad_lanes(main.to_lanes(white), main.to_lanes(white), size), 0)

    def test_the_plain_motion_scorer_and_the_fast_pass_agree_exactly(self):
        # motion_scores is the lesson's loop; MotionPass the big-integer version of it
        scene = main.get_preset("cooking-3min")             # a cut at 60 s, motion around it
        frames = list(itertools.islice(main.render_scene(scene), 560, 640))
        width, height = scene.width, scene.height
        for stride in (1, 3, 8):                       # 8: the grid of a 640x360 video
            fast = main.analyze_motion(frames, width, height, scene.fps, stride).scores
            plain = main.motion_scores(frames, width, height, stride)
            self.assertEqual(list(fast), plain, stride)      # the same integers divided alike
        self.assertGreater(max(plain), 0.0)

    def test_grid_sample_keeps_every_kth_pixel_of_every_kth_row(self):
        width, height = 10, 7
        frame = bytes(range(width * height))
        grid = main.grid_sample(frame, width, height, 3)
        expected = bytes(y * width + x for y in range(0, height, 3) for x in range(0, width, 3))
        self.assertEqual(grid, expected)
        self.assertEqual(main.grid_sample(frame, width, height, 1), frame)

    def test_first_frame_scores_zero_and_scores_are_fractions(self):
        rng = random.Random(1)
        motion = main.analyze_motion(noisy_frames(rng, 6, 16, 9), 16, 9, 5.0)
        self.assertEqual(motion.scores[0], 0.0)
        self.assertTrue(all(0.0 <= s <= 1.0 for s in motion.scores))
        self.assertEqual(len(motion.hist_long), 6)

    def test_black_to_white_scores_one(self):
        frames = [bytes(64), b"\xff" * 64]
        motion = main.analyze_motion(frames, 8, 8, 1.0, stride=1)
        self.assertEqual(tuple(motion.scores), (0.0, 1.0))


class WindowAndCutTests(unittest.TestCase):
    def test_windows_cover_every_frame_once(self):
        scores = tuple(float(i) for i in range(25))
        windows = main.motion_windows(scores, 10.0, 1.0)
        self.assertEqual([(w.first, w.stop) for w in windows], [(0, 10), (10, 20), (20, 25)])
        self.assertAlmostEqual(windows[0].motion, 4.5)
        self.assertEqual(windows[-1].end_s, 2.5)

    def test_keyframe_cut_detector_finds_every_sports_cut_within_one_frame(self):
        doc = run_json("motion", "--synth", "sports-60s")
        truth = run_json("synth", "--synth", "sports-60s")["cuts"]
        found = [c["frame"] for c in doc["cuts"]]
        self.assertEqual(len(found), len(truth))
        for cut in truth:
            self.assertTrue(any(abs(f - cut["frame"]) <= 1 for f in found), cut)

    def test_no_cuts_in_a_single_shot(self):
        self.assertEqual(run_json("motion", "--synth", "security-5min")["cuts"], [])

    def test_motion_json_document(self):
        doc = run_json("motion", "--synth", "cat-jump", "--window", "0.5")
        self.assertEqual(set(doc) >= {"fps", "frames", "scores", "windows", "cuts"}, True)
        self.assertEqual(len(doc["scores"]), doc["frames"])
        self.assertEqual(len(doc["windows"]), 20)
        self.assertIsInstance(doc["windows"][0]["start_s"], float)


if __name__ == "__main__":
    unittest.main()
