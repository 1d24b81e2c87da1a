import unittest

from support import main, run, run_json


def ids(layout, model="qwen2.5-vl"):
    axes, delta = main.position_ids(main.parse_layout(layout, model), model)
    return [list(axis) for axis in axes], delta


class Qwen25PositionTests(unittest.TestCase):
    """transformers 4.49 get_rope_index. The expected lists were worked by hand and agree with
    the reference run on the same token ids (torch 2.13, a tiny model; only the config is read)."""

    def test_text_video_text(self):
        # 3 text, <|vision_start|> (so text:4), a 3 x 4 x 4 video at 2 s a patch (merged 2 x 2),
        # <|vision_end|> and 2 text (text:3). The video starts at 4; t = 4 + k * 2.0 * 2.
        (t, h, w), delta = ids("text:4 video:3x4x4@2.0 text:3")
        self.assertEqual(t, [0, 1, 2, 3] + [4] * 4 + [8] * 4 + [12] * 4 + [13, 14, 15])
        self.assertEqual(h, [0, 1, 2, 3] + [4, 4, 5, 5] * 3 + [13, 14, 15])
        self.assertEqual(w, [0, 1, 2, 3] + [4, 5, 4, 5] * 3 + [13, 14, 15])
        self.assertEqual(delta, 15 + 1 - 19)

    def test_index_positions_of_qwen2_vl(self):
        (t, _, _), delta = ids("text:4 video:3x4x4@2.0 text:3", "qwen2-vl")
        self.assertEqual(t[4:16], [4] * 4 + [5] * 4 + [6] * 4)
        self.assertEqual(t[16:], [7, 8, 9])
        self.assertEqual(delta, -9)

    def test_text_resumes_after_the_largest_position_of_a_block(self):
        # A wide image: w reaches 1 + 3 = 4 > t; the text after it starts at 5.
        (t, _, w), _ = ids("text:1 image:1x2x8 text:3")
        self.assertEqual(max(w[1:5]), 4)
        self.assertEqual(t[-3:], [5, 6, 7])

    def test_float32_time_positions(self):
        # 10 s at 30 fps, 28 frames: 2 / 2.8 = 0.714... s a patch. Patch 7: float64 says
        # 7 * 0.7142857 * 2 = 9.999999999999998 -> 9; the reference's float32 gives 10.
        second_per_grid = 2 / (28 / 300 * 30)
        self.assertEqual(int(7 * second_per_grid * 2), 9)
        self.assertEqual(main.time_position(7, second_per_grid, 2), 10)
        # fps 3: 0.6666666865 s a patch in float32: t offsets 0, 1, 2, 4.
        (t, _, _), _ = ids("text:2 video:4x2x2@0.6666666666666666 text:2")
        self.assertEqual(t[2:6], [2, 3, 4, 6])
        # 1.1 s a patch: float32 puts patch 5 at 11 (float64: 10.999999999999998 -> 10).
        (t, _, _), _ = ids("text:2 video:6x2x2@1.1 text:2")
        self.assertEqual(t[2:8], [2, 4, 6, 8, 10, 13])


class Qwen3PositionTests(unittest.TestCase):
    """modeling_qwen3_vl.py get_rope_index (transformers 5.24): each temporal patch is its own
    block, t = the block's start; the time is in the timestamp text. Worked by hand, and equal
    to the reference run on the same ids."""

    def test_two_patches_after_their_timestamps(self):
        # 5.x prompt: text 3, outer <|vision_start|>, '<0.3 seconds>' (6), <|vision_start|>,
        # 4 pads, <|vision_end|>, '<1.3 seconds>' (6), <|vision_start|>, 4 pads,
        # <|vision_end|>, outer <|vision_end|>, text 2.
        (t, h, w), delta = ids("text:11 video:1x4x4 text:8 video:1x4x4 text:4", "qwen3-vl")
        self.assertEqual(t[11:15], [11] * 4)
        self.assertEqual(h[11:15], [11, 11, 12, 12])
        self.assertEqual(w[11:15], [11, 12, 11, 12])
        self.assertEqual(t[15:23], list(range(13, 21)))   # text resumes at block max + 1
        self.assertEqual(t[23:27], [21] * 4)
        self.assertEqual(t[27:], [23, 24, 25, 26])
        self.assertEqual(delta, 26 + 1 - 31)

    def test_an_image_then_a_video(self):
        (t, _, w), delta = ids("text:3 image:1x4x6 text:9 video:1x4x4 text:8 video:1x4x4 text:2",
                               "qwen3-vl")
        self.assertEqual(w[3:9], [3, 4, 5, 3, 4, 5])
        self.assertEqual(delta, -7)

    def test_qwen3_refuses_a_time_axis(self):
        for layout in ("text:2 video:2x4x4 text:1", "text:2 video:1x4x4@2.0 text:1"):
            with self.assertRaisesRegex(main.UserError, "carries time as text"):
                main.parse_layout(layout, "qwen3-vl")


class OmniPositionTests(unittest.TestCase):
    """modeling_qwen2_5_omni.py get_rope_index with audio in video (transformers 5.24): 25 ids
    a second, 50-id chunks, V0 A0 V1 A1 ..., both start tokens share one id, both end tokens
    the last chunk's largest id + 1. Worked by hand from ../shared/reference section 3."""

    def test_two_second_chunks(self):
        # 4 patches of 2 x 2 merged tokens at 1 s a patch (t = 0, 25, 50, 75) and 4 s of audio
        # (100 tokens): V8 (patches 0, 1) A50 V8 (patches 2, 3) A50.
        segment = main.parse_layout("av:4x4x4@1.0+100", "qwen2.5-omni")[0]
        self.assertEqual(main.av_pattern(segment), "V8 A50 V8 A50")
        (t, h, w), delta = ids("text:3 av:4x4x4@1.0+100 text:2", "qwen2.5-omni")
        self.assertEqual(t[3:5], [3, 3])                       # both start tokens
        self.assertEqual(t[5:13], [4] * 4 + [29] * 4)          # s = 4; t = s + 25 k
        self.assertEqual(h[5:9], [4, 4, 5, 5])
        self.assertEqual(t[13:63], list(range(4, 54)))         # audio m at s + m
        self.assertEqual(t[63:71], [54] * 4 + [79] * 4)
        self.assertEqual(t[121:123], [104, 104])               # after audio 54..103
        self.assertEqual(t[123:], [105, 106])
        self.assertEqual(delta, 106 + 1 - 125)

    def test_below_one_frame_a_second_chunks_jump(self):
        # fps 0.5: 4 s a patch, t = 0, 100, 200: each jump past one chunk leaves a one-token
        # chunk behind it (the chunk counter moves one per token). 3 patches of 12 x 12 merged
        # tokens, 12 s of audio.
        segment = main.parse_layout("av:3x24x24@4.0+300", "qwen2.5-omni")[0]
        self.assertEqual(main.av_pattern(segment),
                         "V144 A50 V1 A50 V143 A50 V1 A50 V143 A50 A50")

    def test_short_audio_last_puts_the_end_below_the_video(self):
        # One patch 2 x 44 (w up to s + 21) and 10 audio tokens: V A; the end tokens follow
        # the audio chunk (s + 9 + 1), below the video's largest w.
        (t, _, w), _ = ids("av:1x2x44@1.0+10", "qwen2.5-omni")
        self.assertEqual(max(w), 1 + 21)
        self.assertEqual(t[-2:], [1 + 10, 1 + 10])

    def test_cases_from_the_reference_run(self):
        # Layouts the real processor built and the positions the real model gave them
        # (transformers 5.24, a tiny model): deltas -14 (fps 0.5), 48 (short audio after
        # video), -12 (fps 9/7 at float32 1.5555555820).
        self.assertEqual(ids("text:3 av:3x4x4@4.0+300 text:1", "qwen2.5-omni")[1], -14)
        self.assertEqual(ids("text:3 av:4x4x4@1.0+10 text:1", "qwen2.5-omni")[1], 48)
        segment = main.parse_layout("av:10x2x2@1.5555555820465088+400", "qwen2.5-omni")[0]
        # The model's chunks; the processor's float64 values (349.99999999999994 for the last
        # patch) wrote "... V2 A50 A50" into the prompt instead.
        self.assertEqual(main.av_pattern(segment),
                         "V2 A50 V1 A50 V1 A50 V2 A50 V1 A50 V1 A50 V1 A50 V1 A50")
        self.assertEqual(ids("text:3 av:10x2x2@1.5555555820465088+400 text:1",
                             "qwen2.5-omni")[1], -12)

    def test_video_and_audio_alone(self):
        (t, _, _), _ = ids("text:1 video:3x2x2@1.0 text:1 audio:3 text:1", "qwen2.5-omni")
        self.assertEqual(t[1:4], [1, 26, 51])
        self.assertEqual(t[4:], [52, 53, 54, 55, 56])


class LayoutLimitTests(unittest.TestCase):
    def test_bad_layouts(self):
        for model, layout in (("qwen2.5-vl", ""), ("qwen2.5-vl", "text:x"),
                              ("qwen2.5-vl", "video:3x3x4"), ("qwen2.5-vl", "video:0x4x4"),
                              ("qwen2.5-vl", "image:2x4x4"), ("qwen2.5-vl", "sound:3"),
                              ("qwen2.5-vl", "video:3x4x4@-1"), ("qwen2.5-vl", "video:3x4x4@nan"),
                              ("qwen2.5-vl", "audio:5"), ("qwen2-vl", "av:1x2x2@1+4"),
                              ("qwen2.5-vl", "text:3000000"), ("qwen3-vl", "video:2x2x2"),
                              ("qwen2.5-omni", "av:1x2x2@1+-4")):
            with self.subTest(model=model, layout=layout):
                status, _, err = run("rope", "--model", model, "--layout", layout)
                self.assertEqual(status, 2)
                self.assertEqual(len(err.strip().splitlines()), 1)

    def test_time_is_linear_in_the_layout(self):
        import time
        timings = []
        for size in (40000, 160000):
            start = time.perf_counter()
            ids(f"text:{size} video:{size // 4}x2x2@1.0", "qwen2.5-omni")
            timings.append(time.perf_counter() - start)
        self.assertLess(timings[1], 12 * timings[0] + 0.05)


class PatchTimeTests(unittest.TestCase):
    def test_uneven_frames_under_each_design(self):
        times = [0, 0.5, 1, 4, 4.25, 4.5, 9, 9.5]
        patches = main.patch_times(times, len(times) / 9.5, table_rows=6)
        self.assertEqual([p.index_t for p in patches], [0, 1, 2, 3])
        # Qwen2.5-VL: one rate (8 / 9.5 fps), 2.375 s a patch: evenly spaced, 0 4 9 14.
        self.assertEqual([p.aligned_t for p in patches], [0, 4, 9, 14])
        # Qwen3-VL: each pair's own mean; 4.375 is a binary tie and rounds to even.
        self.assertEqual([p.timestamp for p in patches],
                         ["<0.2 seconds>", "<2.5 seconds>", "<4.4 seconds>", "<9.2 seconds>"])
        self.assertEqual(patches[3].table_row_ids, (None, None))
        self.assertEqual(patches[2].table_row_ids, (4, 5))
        demo = main.rope_demonstration(patches)
        self.assertEqual(demo["frames_past_table"], 2)
        # an odd list repeats its last frame for the pair; that copy is no frame of the video
        odd = main.rope_demonstration(main.patch_times(times[:7], 7 / 9.5, table_rows=6))
        self.assertEqual(odd["frames_past_table"], 1)
        self.assertTrue(demo["uneven"])
        self.assertGreater(demo["aligned_max_error_s"], 1.0)
        self.assertLessEqual(demo["timestamp_max_error_s"], 0.05 + 1e-9)

    def test_the_table_sentence_when_every_frame_has_a_row(self):
        _, out, _ = run("rope", "--model", "qwen3-vl", "--timestamps", "0,0.5,1,4,4.25")
        flat = " ".join(out.split())
        self.assertIn("a row for each of these frames", flat)
        self.assertNotIn("no row for 0", flat)
        _, out, _ = run("rope", "--model", "qwen3-vl", "--timestamps", "0,0.5,1,4,4.25",
                        "--table-rows", "2")
        self.assertIn("no row for 3 of these frames", " ".join(out.split()))

    def test_rope_command_on_timestamps(self):
        doc = run_json("rope", "--timestamps", "0,0.25,0.5,0.75,1,1.25,5,5.25,9,9.25")
        demo = doc["demonstration"]
        self.assertEqual(demo["closest"]["index_delta"], demo["farthest"]["index_delta"])
        self.assertEqual(demo["closest"]["aligned_delta"], demo["farthest"]["aligned_delta"])
        self.assertNotEqual(demo["closest"]["timestamps"], demo["farthest"]["timestamps"])
        self.assertIn("can express uneven spacing within one video", doc["conclusion"])
        self.assertEqual(doc["mrope_section"], [16, 24, 24])

    def test_rope_on_a_preset(self):
        doc = run_json("rope", "--synth", "cat-jump")
        self.assertIn("own frames", doc["frames_from"])
        self.assertEqual(len(doc["patches"]), 10)
        self.assertLess(doc["demonstration"]["aligned_max_error_s"], 0.5)
        self.assertEqual(doc["layout"], "text:1 video:10x26x46@1.0 text:1")
        self.assertEqual(len(doc["position_ids"][0]), doc["sequence_length"])
        qwen3 = run_json("rope", "--synth", "cat-jump", "--model", "qwen3-vl")
        self.assertEqual(qwen3["layout"].count("video:1x22x40"), 10)
        omni = run_json("rope", "--synth", "cat-jump", "--model", "qwen2.5-omni")
        self.assertTrue(omni["layout"].startswith("av:10x26x46@1.0+250"))

    def test_encoding_alias(self):
        self.assertEqual(run_json("rope", "--layout", "text:1 video:2x2x2", "--encoding",
                                  "index")["model"], "qwen2-vl")
        status, _, err = run("rope", "--layout", "text:1", "--encoding", "index", "--model",
                             "qwen3-vl")
        self.assertEqual(status, 2)


if __name__ == "__main__":
    unittest.main()


class ProseFollowsConstantsTests(unittest.TestCase):
    def test_the_rope_sentences_take_their_rates_from_the_constants(self):
        for name, value in (("OMNI_POSITIONS_PER_SECOND", 30), ("OMNI_SECONDS_PER_CHUNK", 3.0),
                            ("TOKENS_PER_SECOND", 4)):
            self.addCleanup(setattr, main, name, getattr(main, name))
            setattr(main, name, value)
        flat = " ".join(run("rope")[1].split())
        for said in ("(30 ids a second)", "3-second chunks", "(4 ids a second)"):
            self.assertIn(said, flat)

    def test_the_qwen3_sentence_says_which_route_keeps_the_times(self):
        flat = " ".join(run("rope")[1].split())
        self.assertIn("when the frames reach its processor with their own indices and fps as "
                      "video_metadata", flat)
