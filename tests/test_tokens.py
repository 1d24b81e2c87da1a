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


class VideoLlamaIndexTests(unittest.TestCase):
    # Video-LLaMA load_video: np.arange(0, n, n / count).astype(int), figures from numpy 2.
    def test_float_steps_truncate_as_numpy_does(self):
        self.assertEqual(main.video_llama_indices(392, 24)[14:16], [228, 244])   # not 245
        self.assertEqual(main.video_llama_indices(300, 8), [0, 37, 75, 112, 150, 187, 225, 262])
        self.assertEqual(main.video_llama_indices(15, 13),
                         [0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14])         # one more

    def test_one_past_the_last_frame_is_refused_and_one_more_is_priced(self):
        with self.assertRaisesRegex(main.UserError, "frame 17, one past its last"):
            main.token_cost("video-llama", V(17, 30, 640, 360), main.DesignOptions(frames=7))
        cost = main.token_cost("video-llama", V(15, 30, 640, 360), main.DesignOptions(frames=13))
        self.assertEqual(cost.frames, 14)
        self.assertEqual(cost.visual_tokens, main.VIDEO_LLAMA_VIDEO_QUERIES)


class QwenArithmeticTests(unittest.TestCase):
    def test_frame_counts(self):
        for total, fps, kw, expected in FRAME_CASES:
            with self.subTest(total=total, fps=fps, kw=kw):
                self.assertEqual(main.smart_nframes(total, fps, main.QwenOptions(**kw)), expected)

    def test_frame_counts_outside_the_reference_range_are_errors(self):
        for total, kw in ((1, {}), (300, {"nframes": 1}), (4, {"nframes": 7})):
            with self.assertRaises(main.UserError):
                main.qwen_video_plan(V(total, 30, 640, 360), main.QwenOptions(**kw))
        with self.assertRaisesRegex(main.UserError, "not both"):
            main.qwen_video_plan(V(300, 30, 640, 360), main.QwenOptions(fps=2.0, nframes=8))

    def test_resizing(self):
        for h, w, n, kw, expected in RESIZE_CASES:
            with self.subTest(h=h, w=w, n=n, kw=kw):
                total = n if n > 4 else 30
                opts = main.QwenOptions(nframes=n, **kw)
                plan = main.qwen_video_plan(V(max(total, n), 30, w, h), opts)
                self.assertEqual((plan["resized_height"], plan["resized_width"]), expected)

    def test_smart_resize_rounds_half_to_even_and_refuses_extreme_aspect(self):
        image = (28, 4 * 28 * 28, 16384 * 28 * 28)               # the image bounds
        self.assertEqual(main.smart_resize(70, 1400, *image), (56, 1400))   # 2.5 -> 2
        self.assertEqual(main.smart_resize(42, 1400, *image), (56, 1400))   # 1.5 -> 2
        self.assertEqual(main.smart_resize(300, 500, *image), (308, 504))
        with self.assertRaisesRegex(main.UserError, "over qwen-vl-utils' limit of 200"):
            main.qwen_video_plan(V(300, 30, 2010, 10))
        with self.assertRaisesRegex(main.UserError, "below min_pixels"):
            main.qwen_video_plan(V(300, 30, 640, 360), main.QwenOptions(min_pixels=200000,
                                                                        max_pixels=100000))

    def test_a_thin_frame_can_be_floored_to_nothing_as_the_reference_does(self):
        # qwen-vl-utils 0.0.10-0.0.14: the max-pixels branch floors each side with no lower
        # bound. 100 x 20000 at 105,369 pixels: beta = sqrt(2e6 / 105369) = 4.357; 100 / 4.357
        # = 22.95 -> 0 x 28; 20000 / 4.357 = 4590 -> 4564.
        self.assertEqual(main.smart_resize(100, 20000, 28, 100352, 105369), (0, 4564))
        with self.assertRaisesRegex(main.UserError, "floors a side to 0"):
            main.qwen_video_plan(V(1800, 30, 20000, 100), main.QwenOptions(nframes=1800))

    def test_explicit_resize_uses_image_defaults(self):
        opts = main.QwenOptions(resized_height=300, resized_width=500)
        plan = main.qwen_video_plan(V(300, 30, 1920, 1080), opts)
        self.assertEqual((plan["resized_height"], plan["resized_width"]), (308, 504))

    def test_ten_minute_1080p_video(self):
        budget = main.token_cost("qwen2.5-vl", V(18000, 30, 1920, 1080))
        self.assertEqual(budget.frames, 768)
        self.assertEqual(budget.workings["grid_thw"], [384, 24, 46])
        self.assertEqual(budget.visual_tokens, 105984)
        self.assertAlmostEqual(budget.workings["sample_fps"], 1.28)
        self.assertAlmostEqual(budget.workings["second_per_grid_t"], 1.5625)

    def test_one_minute_640x360(self):
        budget = main.token_cost("qwen2.5-vl", V(1800, 30, 640, 360))
        self.assertEqual((budget.frames, budget.workings["grid_thw"], budget.visual_tokens),
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
        # The second half counts back from the end, each value rounded to float32 once:
        # 107999 - 241 * 140.80703735 = 74065.50 -> 74065 (rounding the product first gives
        # 74064.5 -> 74064).
        self.assertEqual(long[526], 74065)


class DesignBudgetTests(unittest.TestCase):
    def test_lesson_numbers_with_the_naive_baseline(self):
        minute = V(1800, 30, 640, 360)
        self.assertEqual(main.token_cost("naive", minute).visual_tokens, 352800)   # 14 x 14
        five = V(9000, 30, 640, 360)
        for pool, tokens in ((1, 172800), (3, 19200), (6, 4800)):     # 24 x 24 at 336 / 14
            opts = main.DesignOptions(frames=300, image_size=336, patch=14, pool=pool)
            self.assertEqual(main.token_cost("naive", five, opts).visual_tokens, tokens)
        self.assertTrue(main.DESIGNS["naive"].hypothetical)

    def test_video_llava_keeps_the_cls_token(self):
        # (224 / 14)^2 + 1 = 257 a frame, 8 frames: 2,056 (processing_video_llava.py).
        llava = main.token_cost("video-llava", V(1800, 30, 640, 360))
        self.assertEqual((llava.frames, llava.tokens_per_frame, llava.visual_tokens), (8, 257, 2056))
        # np.linspace(0, 1799, 8, dtype=int): 1799 * k / 7, truncated.
        self.assertEqual(llava.workings["frame_indices"], [0, 257, 514, 771, 1028, 1285, 1542, 1799])

    def test_video_llama_as_released(self):
        clip = V(300, 30, 640, 360)
        llama = main.token_cost("video-llama", clip)
        self.assertEqual((llama.frames, llama.visual_tokens, llama.audio_tokens), (8, 32, 0))
        # np.arange(0, 300, 37.5).astype(int) and round(i / 30, 1), as its load_video writes them.
        self.assertEqual(llama.workings["frame_indices"], [0, 37, 75, 112, 150, 187, 225, 262])
        self.assertIn("sampled at 0.0, 1.2, 2.5, 3.7, 5.0, 6.2, 7.5, 8.7 seconds.",
                      llama.workings["prompt_text"])
        audio = main.token_cost("video-llama", clip, main.DesignOptions(audio=True))
        self.assertEqual(audio.total_tokens, 40)
        lesson = main.token_cost("video-llama", clip, main.DesignOptions(frames=16))
        self.assertEqual((lesson.frames, lesson.visual_tokens), (16, 32))
        with self.assertRaisesRegex(main.UserError, "32 rows"):
            main.token_cost("video-llama", clip, main.DesignOptions(frames=33))

    def test_qwen3_vl_frames_sizes_and_timestamps(self):
        # qwen-vl-utils 0.0.14 with patch 16 (factor 32) and the processor's timestamp text;
        # the three cases of ../shared/reference/qwen3-vl-and-omni.md section 1b.
        ten = main.token_cost("qwen3-vl", V(300, 30, 1920, 1080))
        d = ten.workings
        self.assertEqual((d["nframes"], d["resized_height"], d["resized_width"], d["grid_thw"]),
                         (20, 640, 1152, [10, 40, 72]))
        self.assertEqual(ten.visual_tokens, 7200)
        self.assertEqual(d["timestamps"][0], "<0.3 seconds>")      # (0 + 16) / 30 / 2 = 0.2667
        self.assertEqual(d["timestamps"][-1], "<9.7 seconds>")     # (283 + 299) / 60 = 9.7
        self.assertEqual(d["timestamp_tokens"], 60)                 # ten of 5 + 1 digit
        self.assertEqual(d["segment_tokens"], 7282)                 # 2 + 10 x (6 + 2 + 720)
        long = main.token_cost("qwen3-vl", V(215784, 29.97, 3840, 2160)).workings
        self.assertEqual((long["nframes"], long["resized_height"], long["resized_width"],
                          long["grid_thw"]), (768, 384, 736, [384, 24, 46]))
        self.assertEqual((long["timestamps"][0], long["timestamps"][-1]),
                         ("<4.7 seconds>", "<7195.3 seconds>"))
        self.assertEqual(long["segment_tokens"], 110149)
        tiny = main.token_cost("qwen3-vl", V(48, 24, 160, 90))
        self.assertEqual((tiny.workings["grid_thw"], tiny.visual_tokens, tiny.workings["segment_tokens"]),
                         ([2, 18, 32], 288, 306))
        self.assertEqual(tiny.workings["timestamps"], ["<0.3 seconds>", "<1.6 seconds>"])

    def test_timestamp_text_rounds_the_binary_value(self):
        for seconds, text in ((0.125, "<0.1 seconds>"), (0.375, "<0.4 seconds>"),
                              (0.25, "<0.2 seconds>"), (0.35, "<0.3 seconds>"),
                              (0.45, "<0.5 seconds>"), (9.96, "<10.0 seconds>")):
            self.assertEqual(main.timestamp_text(seconds), text)
        self.assertEqual([main.timestamp_tokens(t) for t in (0.3, 9.96, 3597.6)], [6, 7, 9])
        # An odd list repeats its last index; each patch is the mean of its pair at native fps.
        self.assertEqual(main.qwen3_timestamps([0, 10, 20], 10.0), [0.5, 2.0])

    def test_omni_counts_audio(self):
        for seconds, tokens in ((0.02, 0), (0.0200625, 1), (1.0, 25), (4.0, 100), (60.0, 1500),
                                (400.0, 7500)):           # 30,000 mel frames at most: 300 s
            with self.subTest(seconds=seconds):
                self.assertEqual(main.audio_tokens(seconds), tokens)
        omni = main.token_cost("qwen2.5-omni", V(1800, 30, 640, 360), main.DesignOptions(audio=True))
        self.assertEqual((omni.visual_tokens, omni.audio_tokens), (17940, 1500))

    def test_options_belong_to_their_design(self):
        with self.assertRaisesRegex(main.UserError, "does not divide the 14x14"):
            main.token_cost("naive", V(100, 30, 64, 36), main.DesignOptions(pool=5))
        with self.assertRaisesRegex(main.UserError, "--nframes"):
            main.token_cost("qwen3-vl", V(100, 30, 64, 36), main.DesignOptions(frames=8))
        with self.assertRaisesRegex(main.UserError, "no pooling"):
            main.token_cost("video-llava", V(100, 30, 64, 36), main.DesignOptions(pool=2))

    def test_price_frames_matches_the_budget_of_that_many_frames(self):
        video = V(1800, 30, 640, 360)
        self.assertEqual(main.price_frames("qwen2.5-vl", 121, video).visual_tokens,
                         main.token_cost("qwen2.5-vl", video, main.DesignOptions(
                             qwen=main.QwenOptions(nframes=122))).visual_tokens)
        self.assertEqual(main.price_frames("video-llava", 3, video).visual_tokens, 3 * 257)


class TokensCommandTests(unittest.TestCase):
    def test_json_list_with_all_designs(self):
        doc = run_json("tokens", "--duration", "60", "--fps", "30")["designs"]
        self.assertEqual([d["design"] for d in doc], list(main.DESIGNS))
        for d in doc:
            self.assertEqual(set(d) >= {"design", "frames", "tokens_per_frame", "visual_tokens",
                                        "tokens", "tokens_per_second", "context_fraction",
                                        "workings", "source", "hypothetical"}, True)
            self.assertTrue(d["source"])
        rows = {d["design"]: d for d in doc}
        qwen = rows["qwen2.5-vl"]["workings"]
        for key in ("nframes", "frame_indices", "sample_fps", "resized_height", "resized_width",
                    "grid_thw", "second_per_grid_t"):
            self.assertIn(key, qwen)
        for key in ("nframes", "frame_indices", "resized_height", "resized_width", "grid_thw",
                    "timestamps", "timestamp_tokens"):
            self.assertIn(key, rows["qwen3-vl"]["workings"])
        self.assertEqual(rows["naive"]["visual_tokens"], 352800)
        self.assertEqual([d["design"] for d in doc if d["hypothetical"]], ["naive"])

    def test_context_warning_and_does_not_fit(self):
        status, out, _ = run("tokens", "--duration", "60", "--design", "qwen2.5-vl")
        self.assertIn("warning: qwen2.5-vl spends 55% of the context", out)
        status, out, _ = run("tokens", "--duration", "600", "--width", "1920", "--height",
                             "1080", "--design", "qwen2.5-vl")
        self.assertEqual(status, 0)
        self.assertIn("do not fit", out)

    def test_from_a_preset_and_from_total_frames(self):
        doc = run_json("tokens", "--synth", "cat-jump", "--design", "naive")["designs"]
        self.assertEqual(doc[0]["frames"], 300)
        # A preset's small frames stand for the nominal 640x360 capture, as in sample and compare.
        doc = run_json("tokens", "--synth", "cat-jump", "--design", "qwen2.5-vl")["designs"]
        self.assertEqual(doc[0]["tokens_per_frame"], 149.5)
        doc = run_json("tokens", "--total-frames", "300", "--fps", "30",
                       "--design", "qwen2.5-vl")["designs"]
        self.assertEqual(doc[0]["frames"], 20)

    def test_bad_input(self):
        cases = [
            ("tokens", "--duration", "-5"),
            ("tokens", "--duration", "10", "--fps", "0"),
            ("tokens", "--duration", "10", "--width", "0"),
            ("tokens", "--duration", "10", "--context-tokens", "0"),
            ("tokens", "--duration", "10", "--pool", "5", "--design", "naive"),
            ("tokens", "--duration", "10", "--pool", "2", "--design", "video-llava"),
            ("tokens", "--duration", "10", "--frames", "8", "--design", "qwen3-vl"),
            ("tokens", "--duration", "10", "--frames", "40", "--design", "video-llama"),
            ("tokens", "--duration", "10", "--design", "qwen3-vl", "--nframes", "1"),
            ("tokens", "--duration", "10", "--design", "qformer"),
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


class Qwen3TextNoteTests(unittest.TestCase):
    def test_the_note_adds_up_to_the_text_column(self):
        argv = ("tokens", "--duration", "600", "--width", "1920", "--height", "1080",
                "--design", "qwen3-vl")
        row = run_json(*argv)["designs"][0]
        flat = " ".join(run(*argv)[1].split())
        self.assertIn(f"({row['workings']['timestamp_tokens']:,} tokens, and", flat)
        self.assertIn(f": text {row['text_tokens']:,})", flat)
        self.assertGreater(row["text_tokens"], row["workings"]["timestamp_tokens"])


class SourcesBesideTests(unittest.TestCase):
    def test_each_design_in_the_text_names_its_source(self):
        doc = run_json("tokens", "--duration", "60")
        flat = " ".join(run("tokens", "--duration", "60")[1].split())
        for row in doc["designs"]:
            with self.subTest(design=row["design"]):
                self.assertIn(f"source: {' '.join(row['source'].split())}", flat)

    def test_the_skill_file_cites_nothing_outside_the_repository(self):
        self.assertNotIn("../shared", main.render_skill(main.plan_evidence()))


class RepeatedDesignTests(unittest.TestCase):
    def test_each_design_named_is_counted_once_in_order(self):
        doc = run_json("tokens", "--duration", "60", "--design", "video-llama",
                       "--design", "qwen3-vl", "--design", "video-llama")
        self.assertEqual([r["design"] for r in doc["designs"]], ["video-llama", "qwen3-vl"])
        every = run_json("tokens", "--duration", "60", "--design", "qwen3-vl", "--design", "all")
        self.assertEqual(len(every["designs"]), len(main.DESIGNS))
        self.assertEqual(run_json("tokens", "--duration", "60"), every)


class ShortClipTests(unittest.TestCase):
    def test_a_clip_shorter_than_the_released_count_repeats_frames(self):
        # Video-LLaVA: np.linspace(0, 4, 8, dtype=int); Video-LLaMA: np.arange(0, 5, 5 / 8)
        for design, indices, tokens in (("video-llava", [0, 0, 1, 1, 2, 2, 3, 4], 8 * 257),
                                        ("video-llama", [0, 0, 1, 1, 2, 3, 3, 4], 32)):
            with self.subTest(design=design):
                row = run_json("tokens", "--design", design, "--total-frames", "5")["designs"][0]
                self.assertEqual((row["frames"], row["workings"]["frame_indices"], row["tokens"]),
                                 (8, indices, tokens))


class Transformers5RateTests(unittest.TestCase):
    def test_qwen25_says_what_transformers_5_does_without_metadata(self):
        row = run_json("tokens", "--design", "qwen2.5-vl", "--duration", "60")["designs"][0]
        note = [n for n in row["workings"]["version_notes"] if "video_metadata" in n]
        self.assertEqual(len(note), 1)
        assumed = main.FRAME_FACTOR / main.TRANSFORMERS_UNKNOWN_FPS
        self.assertIn(f"assumes 24 fps, {assumed:.4g} s a patch (0 where", note[0])
        self.assertEqual(main.TRANSFORMERS_UNKNOWN_FPS, 24)   # video_utils.py: self.fps or 24
