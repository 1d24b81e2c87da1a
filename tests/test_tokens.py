import unittest

from support import main, run, run_json

V = main.VideoFacts

# (total_frames, video_fps, keyword options, expected nframes) -- each worked by hand from
# qwen-vl-utils smart_nframes: n = total / fps * 2, clamped to [4, min(768, total) floored to
# even] and to total, floored to even; an explicit count is only rounded to even (half-even).
FRAME_CASES = [
    (300, 30, {}, 20),
    (30, 30, {}, 4),
    (18000, 30, {}, 768),
    (7, 2.5, {}, 4),                      # 5.6 -> floor to even
    (300, 30, {"nframes": 5}, 4),         # round(2.5) = 2 (half to even)
    (100, 30, {"nframes": 7}, 8),         # round(3.5) = 4
    (100, 30, {"nframes": 6}, 6),
    (3, 30, {}, 2),                       # min 4 capped by the video: floor_even(3) = 2
    (8, 30, {"nframes": 9}, 8),           # round(4.5) = 4
    (12, 30, {"nframes": 11}, 12),        # round(5.5) = 6
    (900, 30, {"fps": 1.0}, 30),
    (901, 30, {}, 60),                    # 60.07 -> 60
    (1000, 29.97, {}, 66),                # 66.73 -> 66
    (30, 30, {"min_frames": 5}, 6),       # min rounded up to even
    (600, 30, {"max_frames": 11}, 10),    # max rounded down to even
    (36000, 60, {}, 768),
    (100, 1, {}, 100),                    # 200 wanted, the video has 100
    (99, 1, {}, 98),
    (1800, 30, {"fps": 0.5}, 30),
    (240, 24, {"fps": 4.0}, 40),
]

# (height, width, frames, keyword options, expected (h, w)) -- fetch_video's resize, by hand.
RESIZE_CASES = [
    (1080, 1920, 768, {}, (336, 644)),     # max_pixels = 90316800 / 768 * 2 = 235200
    (1080, 1920, 20, {}, (560, 1008)),     # per-frame bound 768 * 28 * 28 applies
    (360, 640, 120, {}, (364, 644)),       # round to multiples of 28, within bounds
    (36, 64, 4, {}, (252, 448)),           # below min_pixels: scaled up, ceil to 28
    (1080, 1920, 20, {"max_pixels": 200000}, (308, 588)),
    (1080, 1920, 768, {"total_pixels": 1e6}, (224, 420)),   # floor can end below min_pixels
    (720, 1280, 4, {}, (560, 1008)),       # 728 x 1288 is over 602112: scaled, floored
    (480, 640, 100, {}, (476, 644)),       # 17.14 -> 17, 22.86 -> 23
]


class QwenArithmeticTests(unittest.TestCase):
    def test_frame_counts(self):
        for total, fps, kw, expected in FRAME_CASES:
            with self.subTest(total=total, fps=fps, kw=kw):
                self.assertEqual(main.smart_nframes(total, fps, **kw), expected)

    def test_frame_counts_outside_the_reference_range_are_errors(self):
        for total, kw in ((1, {}), (300, {"nframes": 1}), (4, {"nframes": 7})):
            with self.assertRaises(main.UserError):
                main.smart_nframes(total, 30, **kw)
        with self.assertRaisesRegex(main.UserError, "not both"):
            main.smart_nframes(300, 30, fps=2.0, nframes=8)

    def test_resizing(self):
        for h, w, n, kw, expected in RESIZE_CASES:
            with self.subTest(h=h, w=w, n=n, kw=kw):
                total = n if n > 4 else 30
                opts = main.QwenOptions(nframes=n, **kw)
                plan = main.qwen_video_plan(V(max(total, n), 30, w, h), opts)
                self.assertEqual((plan["resized_height"], plan["resized_width"]), expected)

    def test_smart_resize_rounds_half_to_even_and_refuses_extreme_aspect(self):
        self.assertEqual(main.smart_resize(70, 1400), (56, 1400))   # 70 / 28 = 2.5 -> 2
        self.assertEqual(main.smart_resize(42, 1400), (56, 1400))   # 1.5 -> 2
        self.assertEqual(main.smart_resize(300, 500), (308, 504))
        with self.assertRaisesRegex(main.UserError, "over the reference's limit of 200"):
            main.smart_resize(10, 2010)

    def test_explicit_resize_uses_image_defaults(self):
        opts = main.QwenOptions(resized_height=300, resized_width=500)
        plan = main.qwen_video_plan(V(300, 30, 1920, 1080), opts)
        self.assertEqual((plan["resized_height"], plan["resized_width"]), (308, 504))

    def test_ten_minute_1080p_video(self):
        budget = main.token_budget("qwen2.5-vl", V(18000, 30, 1920, 1080))
        self.assertEqual(budget.frames, 768)
        self.assertEqual(budget.details["grid_thw"], [384, 24, 46])
        self.assertEqual(budget.visual_tokens, 105984)
        self.assertAlmostEqual(budget.details["sample_fps"], 1.28)
        self.assertAlmostEqual(budget.details["second_per_grid_t"], 1.5625)

    def test_one_minute_640x360(self):
        budget = main.token_budget("qwen2.5-vl", V(1800, 30, 640, 360))
        self.assertEqual((budget.frames, budget.details["grid_thw"], budget.visual_tokens),
                         (120, [60, 26, 46], 17940))

    def test_frame_indices_follow_float32_linspace(self):
        self.assertEqual(main.linspace_indices(300, 20)[:4], [0, 16, 31, 47])
        self.assertEqual(main.linspace_indices(300, 20)[-1], 299)
        self.assertEqual(main.linspace_indices(30, 4), [0, 10, 19, 29])   # 9.667, 19.333
        # One hour at 30 fps, 768 frames: float32 puts index 412 at exactly 58012.5, which
        # rounds to even; float64 says 58012.5007 -> 58013.
        long = main.linspace_indices(108000, 768)
        self.assertEqual(long[412], 58012)
        self.assertEqual(round(412 * 107999 / 767), 58013)
        self.assertEqual(len(long), 768)
        self.assertEqual(long[-1], 107999)


class DesignBudgetTests(unittest.TestCase):
    def test_lesson_numbers(self):
        minute = V(1800, 30, 640, 360)
        self.assertEqual(main.token_budget("naive", minute).visual_tokens, 352800)
        five = V(9000, 30, 640, 360)
        opts = main.DesignOptions(frames=300, image_size=336)
        self.assertEqual(main.token_budget("pooled", five, opts).visual_tokens, 172800)
        for pool, tokens in ((3, 19200), (6, 4800)):
            opts = main.DesignOptions(frames=300, image_size=336, pool=pool)
            self.assertEqual(main.token_budget("pooled", five, opts).visual_tokens, tokens)

    def test_video_llava_and_video_llama_defaults(self):
        minute = V(1800, 30, 640, 360)
        pooled = main.token_budget("pooled", minute)
        self.assertEqual((pooled.frames, pooled.tokens_per_frame, pooled.visual_tokens), (8, 256, 2048))
        qformer = main.token_budget("qformer", minute)
        self.assertEqual((qformer.frames, qformer.visual_tokens), (16, 32))
        longer = main.token_budget("qformer", minute, main.DesignOptions(frames=64, audio_queries=32))
        self.assertEqual((longer.details["clips"], longer.visual_tokens), (4, 256))

    def test_pool_must_divide_the_grid(self):
        with self.assertRaisesRegex(main.UserError, "does not divide the 16x16"):
            main.token_budget("pooled", V(100, 30, 64, 36), main.DesignOptions(pool=3))


class TokensCommandTests(unittest.TestCase):
    def test_json_list_with_all_designs(self):
        doc = run_json("tokens", "--duration", "60", "--fps", "30")
        self.assertEqual([d["design"] for d in doc], list(main.DESIGNS))
        for d in doc:
            self.assertEqual(set(d) >= {"design", "frames", "tokens_per_frame", "visual_tokens",
                                        "tokens_per_second", "context_fraction", "details"}, True)
        qwen = doc[-1]["details"]
        for key in ("nframes", "frame_indices", "sample_fps", "resized_height", "resized_width",
                    "grid_thw", "second_per_grid_t"):
            self.assertIn(key, qwen)
        self.assertEqual(doc[0]["visual_tokens"], 352800)

    def test_context_warning_and_does_not_fit(self):
        status, out, _ = run("tokens", "--duration", "60", "--design", "qwen2.5-vl")
        self.assertIn("warning: qwen2.5-vl spends 55% of the context", out)
        status, out, _ = run("tokens", "--duration", "600", "--width", "1920", "--height",
                             "1080", "--design", "qwen2.5-vl")
        self.assertEqual(status, 0)
        self.assertIn("do not fit", out)

    def test_from_a_preset_and_from_total_frames(self):
        doc = run_json("tokens", "--synth", "cat-jump", "--design", "naive")
        self.assertEqual(doc[0]["frames"], 300)
        doc = run_json("tokens", "--total-frames", "300", "--fps", "30", "--design", "qwen2.5-vl")
        self.assertEqual(doc[0]["frames"], 20)

    def test_bad_input(self):
        cases = [
            ("tokens", "--duration", "-5"),
            ("tokens", "--duration", "10", "--fps", "0"),
            ("tokens", "--duration", "10", "--width", "0"),
            ("tokens", "--duration", "10", "--context", "0"),
            ("tokens", "--duration", "10", "--pool", "5", "--design", "pooled"),
            ("tokens", "--duration", "10", "--patch", "0"),
            ("tokens", "--duration", "10", "--width", "2010", "--height", "10"),
            ("tokens", "--duration", "10", "--nframes", "1"),
            ("tokens", "--duration", "10", "--nframes", "8", "--sample-fps", "2"),
            ("tokens", "--duration", "10", "--resized-height", "100"),
            ("tokens",),
            ("tokens", "--duration", "10", "--total-frames", "30"),
        ]
        for argv in cases:
            with self.subTest(argv=argv):
                status, out, err = run(*argv)
                self.assertEqual(status, 2)
                self.assertEqual(len(err.strip().splitlines()), 1, err)
                self.assertTrue(err.startswith("main.py: error: "))


if __name__ == "__main__":
    unittest.main()
