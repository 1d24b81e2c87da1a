"""Pooled per frame as released (issue 21): LLaVA-NeXT-Video, LLaVA-OneVision, LLaVA-Video and
InternVL3, their samplers, token arithmetic, text and the hypothetical 3 x 3 pool, worked by
hand from ../shared/reference/pooled-per-frame.md and the repositories it cites."""

import unittest

from support import main, run, run_json

POOLED = ("llava-next-video", "llava-onevision", "llava-video", "internvl3")


def budget(design, frames_total, fps, width=640, height=360, **options):
    video = main.VideoFacts(frames_total, fps, width, height)
    return main.token_cost(design, video, main.DesignOptions(**options))


class TokenArithmeticTests(unittest.TestCase):
    def test_hand_worked_counts_at_two_frame_counts_and_two_sizes(self):
        # per frame: 24/2 squared = 144; ceil(27/2) squared = 196 (+1 newline a video);
        # 14 x (14 + 1) = 210; (448/14)^2 / 4 = 256.
        cases = {"llava-next-video": (lambda n: 144 * n), "llava-onevision": (lambda n: 196 * n + 1),
                 "llava-video": (lambda n: 210 * n), "internvl3": (lambda n: 256 * n)}
        for design, visual in cases.items():
            for frames in (8, 16):
                for width, height in ((640, 360), (1920, 1080)):
                    with self.subTest(design=design, frames=frames, size=(width, height)):
                        b = budget(design, 18000, 30.0, width, height, frames=frames)
                        self.assertEqual(b.frames, frames)
                        self.assertEqual(b.visual_tokens, visual(frames))

    def test_internvl_labels_are_text(self):
        # 'Frame', digits, ':', ' ' = 3 + digits; '<img>', '</img>', '\n' = 3 a frame.
        # 8 frames: 8 x 4 + 24 = 56; 32 frames: 9 x 4 + 23 x 5 + 96 = 247.
        self.assertEqual(budget("internvl3", 18000, 30.0, frames=8).text_tokens, 56)
        self.assertEqual(budget("internvl3", 18000, 30.0, frames=32).text_tokens, 247)

    def test_llava_video_time_instruction(self):
        # 600 s, 64 frames: 35 + 3 ('600') + 2 ('64') + 63 commas + sum(digits + 4).
        b = budget("llava-video", 18000, 30.0)
        times = [i / 30.0 for i in main.numpy_linspace_int(18000, 64)]
        digits = sum(len(str(int(float(f"{t:.2f}")))) + 4 for t in times)
        self.assertEqual(b.text_tokens, 35 + 3 + 2 + 63 + digits)
        self.assertEqual(b.text_tokens, 538)          # the reference's count, 600 s
        text = b.workings["time_instruction"]
        self.assertTrue(text.startswith("The video lasts for 600.00 seconds, and 64 frames"))
        self.assertIn("located at 0.00s,9.50s,19.03s,", text)
        self.assertTrue(text.endswith("599.97s.Please answer the following questions related "
                                      "to this video."))
        self.assertEqual(budget("llava-video", 299, 30000 / 1001).text_tokens, 421)

    def test_ten_minute_1080p_video(self):
        doc = run_json("tokens", "--design", "all", "--duration", "600", "--width", "1920",
                       "--height", "1080")
        by = {d["design"]: d for d in doc["designs"]}
        expected = {"llava-next-video": (32, 144, 4608, 0), "llava-onevision": (32, 196, 6273, 0),
                    "llava-video": (64, 210, 13440, 538), "internvl3": (32, 256, 8192, 247)}
        for design, (frames, per_frame, visual, text) in expected.items():
            with self.subTest(design=design):
                d = by[design]
                self.assertEqual((d["frames"], d["tokens_per_frame"], d["visual_tokens"],
                                  d["text_tokens"]), (frames, per_frame, visual, text))
                self.assertIn("frame_indices", d["workings"])
                self.assertIn("pooled_grid", d["workings"])
                self.assertTrue(d["source"])
                self.assertFalse(d["hypothetical"])

    def test_text_lists_every_new_design(self):
        _, out, _ = run("tokens", "--design", "all", "--duration", "600")
        for design in POOLED:
            self.assertIn(design, out)


class SamplerTests(unittest.TestCase):
    def test_short_clips(self):
        # NeXT-Video takes 1 fps below its cap; OneVision always N frames, repeating on a short
        # clip; LLaVA-Video (force_sample) always 64.
        self.assertEqual(main.next_video_indices(299, 30000 / 1001, 32), list(range(0, 299, 30)))
        self.assertEqual(main.numpy_linspace_int(10, 16),
                         [0, 0, 1, 1, 2, 3, 3, 4, 4, 5, 6, 6, 7, 7, 8, 9])
        b = budget("llava-onevision", 10, 30.0)
        self.assertEqual(b.frames, 32)
        self.assertLess(len(set(b.workings["frame_indices"])), 32)

    def test_29_97_fps(self):
        # The reference's worked indices for a 10 s clip at 30000/1001 fps (299 frames).
        self.assertEqual(main.numpy_linspace_int(299, 32)[:12],
                         [0, 9, 19, 28, 38, 48, 57, 67, 76, 86, 96, 105])
        self.assertEqual(main.numpy_linspace_int(299, 16),
                         [0, 19, 39, 59, 79, 99, 119, 139, 158, 178, 198, 218, 238, 258, 278,
                          298])
        self.assertEqual(main.internvl_indices(299, 8), [18, 55, 92, 130, 167, 204, 242, 279])
        self.assertEqual(main.transformers_internvl_indices(299, 8),
                         [18, 56, 93, 130, 168, 205, 242, 280])

    def test_long_video(self):
        self.assertEqual(main.internvl_indices(18000, 8),
                         [1124, 3374, 5624, 7874, 10124, 12373, 14623, 16873])
        self.assertEqual(main.transformers_internvl_indices(18000, 8),
                         [1125 + 2250 * k for k in range(8)])
        capped = main.next_video_indices(18000, 30.0, 32)
        self.assertEqual((len(capped), capped[:3], capped[-1]), (32, [0, 580, 1161], 17999))

    def test_numpy_linspace_multiplies_the_step(self):
        # numpy computes k * ((n - 1) / (count - 1)), then sets the last value to the end.
        for total, count in ((299, 64), (18000, 32), (7, 7), (2, 5), (1000, 3)):
            step = (total - 1) / (count - 1)
            expected = [int(k * step) for k in range(count - 1)] + [total - 1]
            self.assertEqual(main.numpy_linspace_int(total, count), expected)


class HypotheticalPoolTests(unittest.TestCase):
    def test_three_by_three(self):
        b = budget("llava-next-video", 18000, 30.0, pool=3)
        self.assertEqual(b.tokens_per_frame, 64)               # 24 / 3 = 8, squared
        self.assertIn("hypothetical", b.workings)
        b = budget("llava-onevision", 18000, 30.0, pool=3)
        self.assertEqual(b.tokens_per_frame, 81)               # 27 / 3 = 9, squared
        doc = run_json("tokens", "--design", "llava-next-video", "--pool", "3", "--duration", "60")
        self.assertTrue(doc["designs"][0]["hypothetical"])

    def test_bilinear_and_average_round_apart(self):
        b = budget("llava-onevision", 18000, 30.0)             # released: bilinear, 27 -> 14
        self.assertEqual(b.workings["pooled_grid"], [14, 14])
        self.assertEqual(b.workings["pooled_grid_if_average"], [13, 13])
        b = budget("llava-video", 18000, 30.0, pool=4)         # 27 / 4: ceil 7, floor 6
        self.assertEqual(b.workings["pooled_grid"], [7, 7])
        self.assertEqual(b.tokens_per_frame, 7 * 8)
        self.assertNotIn("pooled_grid_if_bilinear", budget("llava-next-video", 100, 30.0).workings)

    def test_released_designs_are_not_hypothetical_by_default(self):
        for design in POOLED:
            doc = run_json("tokens", "--design", design, "--duration", "30")
            self.assertFalse(doc["designs"][0]["hypothetical"], design)

    def test_pool_is_refused_where_there_is_none(self):
        for design in ("internvl3", "video-llava", "qwen2.5-vl"):
            status, _, err = run("tokens", "--design", design, "--pool", "3", "--duration", "30")
            self.assertEqual(status, 2, design)


class CompareTests(unittest.TestCase):
    def test_released_pooled_rows_and_their_finding(self):
        doc = run_json("compare")
        rows = {r["name"]: r for r in doc["designs"]}
        for name in ("llava-onevision", "llava-video", "llava-video-no-time"):
            self.assertIn(name, rows)
            self.assertTrue(rows[name]["source"])
        self.assertFalse(rows["llava-video"]["hypothetical"])
        self.assertGreater(rows["llava-video"]["tokens"], rows["llava-video-no-time"]["tokens"])
        self.assertTrue(any(f.startswith("Pooled per frame") for f in doc["findings"]))


if __name__ == "__main__":
    unittest.main()
