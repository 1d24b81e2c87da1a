import math
import unittest

from support import main, run, run_json


class PositionIdTests(unittest.TestCase):
    def test_text_video_text_worked_by_hand(self):
        # 2 text, <|vision_start|>, 3 x 2 x 2 merged video tokens at 2 s per patch,
        # <|vision_end|>, 3 text. Video starts at position 3; t = k * 2.0 * 2 = 0, 4, 8.
        ids, delta = main.position_ids(main.parse_layout("text:2 video:3x4x4@2.0 text:3"))
        self.assertEqual(ids[0], [0, 1, 2] + [3] * 4 + [7] * 4 + [11] * 4 + [12, 13, 14, 15])
        self.assertEqual(ids[1], [0, 1, 2] + [3, 3, 4, 4] * 3 + [12, 13, 14, 15])
        self.assertEqual(ids[2], [0, 1, 2] + [3, 4, 3, 4] * 3 + [12, 13, 14, 15])
        self.assertEqual(delta, 15 + 1 - 19)

    def test_index_encoding_counts_patches(self):
        ids, delta = main.position_ids(main.parse_layout("text:2 video:3x4x4@2.0 text:3"), "index")
        self.assertEqual(ids[0][3:15], [3] * 4 + [4] * 4 + [5] * 4)
        self.assertEqual(ids[0][15:], [6, 7, 8, 9])
        self.assertEqual(delta, -9)

    def test_text_resumes_after_the_largest_spatial_position(self):
        # A wide image: w positions reach 3 + 4 = 7 > t positions; text resumes at 8.
        ids, _ = main.position_ids(main.parse_layout("text:2 image:1x2x10 text:1"))
        self.assertEqual(ids[0][-2:], [8, 9])
        self.assertEqual(max(ids[2][3:8]), 7)

    def test_float32_time_positions(self):
        # 10 s at 30 fps, 28 frames: 2.8 fps, 0.714... s per patch. Patch 7: float64 says
        # 7 * 0.7142857 * 2 = 9.999999999999998 -> 9; the reference's float32 gives 10.
        second_per_grid_t = 2 / (28 / 300 * 30)     # as the reference computes it
        self.assertEqual(int(7 * second_per_grid_t * 2), 9)
        self.assertEqual(main.absolute_t(7, second_per_grid_t, 2), 10)
        # 36 frames of a 10-minute video: 33.33 s per patch; patch 15 -> 999, not 1000.
        self.assertEqual(main.absolute_t(15, 2 / (36 / 18000 * 30), 2), 999)

    def test_bad_layouts(self):
        for layout in ("", "text:x", "video:3x3x4", "video:0x4x4", "image:2x4x4", "sound:3",
                       "video:3x4x4@-1", "video:3x4x4@nan"):
            with self.subTest(layout=layout):
                status, _, err = run("rope", "--layout", layout)
                self.assertEqual(status, 2)
                self.assertEqual(len(err.strip().splitlines()), 1)


class TemporalEncodingTests(unittest.TestCase):
    def test_positions_for_uneven_timestamps(self):
        patches = main.temporal_positions([0, 0.5, 1, 4, 4.25, 4.5, 9, 9.5], 2, table_rows=6)
        self.assertEqual([p.index_t for p in patches], [0, 1, 2, 3])
        self.assertEqual([p.absolute_t for p in patches], [0, 2, 8, 18])
        self.assertEqual(patches[3].learned_rows, (None, None))
        self.assertEqual(patches[2].learned_rows, (4, 5))

    def test_relative_angle_follows_time_only_under_absolute(self):
        doc = run_json("rope", "--timestamps", "0,0.25,0.5,0.75,1,1.25,5,5.25,9,9.25")
        demo = doc["demonstration"]
        self.assertEqual(demo["closest"]["index_delta"], demo["farthest"]["index_delta"])
        self.assertGreater(demo["farthest"]["absolute_delta"], demo["closest"]["absolute_delta"])
        ratio = demo["farthest"]["absolute_delta"] / demo["closest"]["absolute_delta"]
        gaps = demo["farthest"]["time_gap_s"] / demo["closest"]["time_gap_s"]
        self.assertAlmostEqual(ratio, gaps)
        self.assertIn("distorts time", doc["conclusion"])

    def test_mrope_sections(self):
        doc = run_json("rope", "--timestamps", "0,1,2,3,4,5")
        self.assertEqual(doc["mrope_section"], [16, 24, 24])
        t = doc["sections"][0]
        self.assertEqual(t["pairs"], [0, 15])
        self.assertAlmostEqual(t["slowest_rad_per_position"], 1e6 ** (-30 / 128))
        self.assertEqual(sum(doc["mrope_section"]), 128 // 2)

    def test_rope_on_a_preset_uses_the_dynamic_sampler(self):
        doc = run_json("rope", "--synth", "cat-jump")
        self.assertIn("dynamic", doc["source"])
        self.assertGreater(len(doc["patches"]), 3)

    def test_layout_json(self):
        doc = run_json("rope", "--layout", "text:2 video:3x4x4@2.0 text:3")
        self.assertEqual(doc["mrope_position_delta"], -3)
        self.assertEqual(len(doc["position_ids"]), 3)


if __name__ == "__main__":
    unittest.main()
