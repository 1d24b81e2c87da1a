import random
import unittest

from support import main, run, run_json


class SyntheticVideoTests(unittest.TestCase):
    def test_presets_have_the_promised_truth(self):
        cat = main.get_preset("cat-jump")
        self.assertEqual((cat.duration_s, cat.events), (10.0, (main.Event("jump", 4.2, 4.5),)))
        self.assertEqual(main.get_preset("cooking-3min").duration_s, 180.0)
        self.assertEqual(main.get_preset("security-5min").duration_s, 300.0)
        self.assertEqual(main.get_preset("sports-60s").duration_s, 60.0)
        self.assertGreaterEqual(len(main.get_preset("sports-60s").cut_times), 3)

    def test_frames_have_the_right_size_and_count(self):
        scene = main.get_preset("cat-jump")
        frames = list(main.render_scene(scene))
        self.assertEqual(len(frames), scene.frame_count)
        self.assertTrue(all(len(f) == scene.width * scene.height for f in frames))

    def test_rendering_is_deterministic_and_seeded(self):
        scene = main.get_preset("cat-jump")
        self.assertEqual(list(main.render_scene(scene)), list(main.render_scene(scene)))
        other = scene._replace(seed=5)
        self.assertNotEqual(list(main.render_scene(scene))[:5], list(main.render_scene(other))[:5])

    def test_grain_is_drawn_as_randrange_draws_it(self):
        # render_scene's draws must stay randrange's on every Python: same numbers, same state
        for n, seed in ((3, 0), (3, 7919), (1, 4), (17, 2), (64, 9)):
            expected, fast = random.Random(seed), random.Random(seed)
            draws = main.randrange_draws(fast, n)
            self.assertEqual([next(draws) for _ in range(500)],
                             [expected.randrange(n) for _ in range(500)])
            self.assertEqual(fast.getstate(), expected.getstate())

    def test_event_frames_move_and_calm_frames_do_not(self):
        scene = main.get_preset("cat-jump")
        motion = main.analyze_motion(main.render_scene(scene), scene.width, scene.height, scene.fps)
        inside = [s for i, s in enumerate(motion.scores) if 4.25 <= i / scene.fps < 4.5]
        calm = [s for i, s in enumerate(motion.scores) if 1 <= i / scene.fps < 4]
        self.assertGreater(min(inside), 5 * sorted(calm)[len(calm) // 2])

    def test_synth_json_document(self):
        doc = run_json("synth", "--synth", "sports-60s")
        self.assertEqual(set(doc), {"schema_version", "video", "fps", "width", "height", "frames", "duration_s", "activity",
                                    "events", "cuts"})
        self.assertEqual(doc["cuts"][2], {"frame": 999, "time_s": 33.3})
        self.assertIsInstance(doc["duration_s"], float)
        self.assertEqual(doc["events"][0], {"event": "shot", "start_s": 12.0, "end_s": 12.8,
                                            "kind": "motion"})

    def test_events_that_are_not_motion_bursts(self):
        scene = main.get_preset("desk-2min")
        frames = list(main.render_scene(scene))
        fps, w = scene.fps, scene.width
        top = scene.height // main.FADE_ROWS_DIVISOR * w

        def frame_at(t):
            return frames[round(t * fps)]
        # The cup is there only while its event lasts, and it does not move.
        before, during, after = frame_at(23.5), frame_at(25.0), frame_at(26.5)
        calm = main.sad_simple(frame_at(24.5), during)           # sensor grain only
        self.assertGreater(main.sad_simple(before, during), 3 * calm)
        self.assertGreater(main.sad_simple(during, after), 3 * calm)
        # The lamp lifts the top rows by FADE_LUMA over two seconds and stays on.
        lift = sum(frame_at(61.0)[:top]) - sum(frame_at(57.0)[:top])
        self.assertGreater(lift, 0.8 * main.FADE_LUMA * top)
        motion = main.analyze_motion(iter(frames), w, scene.height, fps)
        fade = [s for i, s in enumerate(motion.scores) if 58.1 <= i / fps < 60]
        reach = [s for i, s in enumerate(motion.scores) if 95.1 <= i / fps < 96]
        self.assertLess(max(fade), min(sorted(reach)[len(reach) // 2:]))   # slow, not a burst
        self.assertEqual([e.kind for e in scene.events], ["appear", "fade", "motion"])

    def test_unknown_preset_lists_known_ones(self):
        status, out, err = run("synth", "--synth", "nope")
        self.assertEqual(status, 2)
        self.assertIn("cat-jump", err)
        self.assertEqual(len(err.strip().splitlines()), 1)


if __name__ == "__main__":
    unittest.main()
