import json
import io
import os
import random
import subprocess
import sys
import tempfile
import tracemalloc
import unittest

from support import ROOT, compiled_main, main, run, run_json


def y4m(header, frames_payload):
    return header + b"".join(b"FRAME\n" + p for p in frames_payload)


def read_all(data, **kw):
    video = main.open_y4m(io.BytesIO(data), "test.y4m", **kw)
    return video, list(video.frames)


class Y4MReaderTests(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.TemporaryDirectory()
        self.addCleanup(self.folder.cleanup)

    def path(self, name):
        return os.path.join(self.folder.name, name)

    def test_round_trip_synth_to_y4m_to_reader(self):
        out = self.path("cat.y4m")
        status, _, err = run("synth", "--synth", "cat-jump", "--out", out)
        self.assertEqual(status, 0, err)
        scene = main.get_preset("cat-jump")
        video = main.open_video(out)
        self.assertEqual((video.width, video.height, video.fps), (64, 36, 30.0))
        self.assertEqual(list(video.frames), list(main.render_scene(scene)))

    def test_each_colour_tag_gives_the_luma_plane(self):
        w, h = 5, 3
        luma = bytes(range(10, 10 + w * h))
        for tag, (bits, chroma) in main.Y4M_COLOURS.items():
            with self.subTest(tag=tag):
                size = 1 if bits == 8 else 2
                if size == 1:
                    plane = luma
                    expected = luma
                else:
                    values = [v << (bits - 8) | 1 for v in luma]   # low bits must be dropped
                    plane = b"".join(v.to_bytes(2, "little") for v in values)
                    expected = luma
                rest = b"\x80" * (chroma(w, h) * size)
                data = y4m(f"YUV4MPEG2 W{w} H{h} F25:1 C{tag}\n".encode(), [plane + rest] * 2)
                video, frames = read_all(data)
                self.assertEqual(frames, [expected, expected])

    def test_odd_size_420_uses_ceiling_chroma(self):
        w, h = 161, 91
        self.assertEqual(main.chroma_420(w, h), 2 * 81 * 46)
        rng = random.Random(5)
        lumas = [bytes(rng.getrandbits(8) for _ in range(w * h)) for _ in range(3)]
        data = y4m(b"YUV4MPEG2 W161 H91 F30000:1001 It A0:0 C420mpeg2 XYSCSS=420MPEG2\n",
                   [l + bytes(2 * 81 * 46) for l in lumas])
        video, frames = read_all(data)
        self.assertEqual(frames, lumas)
        self.assertAlmostEqual(video.fps, 29.97002997)

    def test_missing_colour_tag_means_420jpeg_and_tags_in_any_order(self):
        data = y4m(b"YUV4MPEG2 XCOMMENT=hi F10:1 H2 W2 Ip\n", [b"\x01\x02\x03\x04" + b"\x00\x00"])
        _, frames = read_all(data)
        self.assertEqual(frames, [b"\x01\x02\x03\x04"])

    def test_sixteen_bit_saturates_instead_of_wrapping(self):
        plane = (0x0400).to_bytes(2, "little") + (0x03FF).to_bytes(2, "little")
        data = y4m(b"YUV4MPEG2 W2 H1 F1:1 Cmono10\n", [plane])
        self.assertEqual(read_all(data)[1], [bytes([255, 255])])

    def test_stream_from_a_pipe(self):
        frames = list(main.render_scene(main.get_preset("cat-jump")))
        data = b"".join(main.y4m_bytes(frames, 64, 36, 30.0))
        proc = subprocess.run([sys.executable, compiled_main(), "motion", "--video", "-", "--json"],
                              input=data, capture_output=True, cwd=ROOT)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        import json
        self.assertEqual(json.loads(proc.stdout)["frames"], 300)

    def test_reader_keeps_no_frames(self):
        w, h, n = 64, 36, 2000
        data = y4m(b"YUV4MPEG2 W64 H36 F30:1 Cmono\n", [bytes([k % 256]) * (w * h) for k in range(n)])
        stream = io.BytesIO(data)
        tracemalloc.start()
        try:
            video = main.open_y4m(stream, "long.y4m")
            count = 0
            for frame in video.frames:
                count += 1
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        self.assertEqual(count, n)
        self.assertLess(peak, 20 * w * h)   # a few frames, not 2000 of them

    def test_truncated_stream_fails_or_warns(self):
        good = y4m(b"YUV4MPEG2 W4 H2 F1:1 Cmono\n", [b"abcdefgh"] * 3)
        cut = good[:-3]
        with self.assertRaisesRegex(main.UserError, r"frame 2 cut short .*2 whole frames read"):
            read_all(cut)
        # the stream may also stop inside the next frame's marker
        inside = good[:len(b"YUV4MPEG2 W4 H2 F1:1 Cmono\n") + 2 * 14 + 3]
        with self.assertRaisesRegex(main.UserError, "ends inside frame 2's marker; 2 whole"):
            read_all(inside)
        self.assertEqual(len(read_all(inside, allow_truncated=True, report=[].append)[1]), 2)
        # with no whole frame, --allow-truncated would not help, so it is not suggested
        with self.assertRaises(main.UserError) as caught:
            read_all(good[:len(b"YUV4MPEG2 W4 H2 F1:1 Cmono\nFRAME\n") + 3])
        self.assertIn("0 whole frames read", str(caught.exception))
        self.assertNotIn("--allow-truncated", str(caught.exception))
        warnings = []
        _, frames = read_all(cut, allow_truncated=True, report=warnings.append)
        self.assertEqual(len(frames), 2)
        self.assertEqual(len(warnings), 1)
        path = self.path("cut.y4m")
        with open(path, "wb") as f:
            f.write(cut)
        status, out, err = run("motion", "--video", path, "--allow-truncated", "--json")
        self.assertEqual(status, 0)
        self.assertIn("warning", err)
        self.assertEqual(len(err.strip().splitlines()), 1)

    def test_seekable_file_detects_truncation_in_skipped_chroma(self):
        data = y4m(b"YUV4MPEG2 W4 H2 F1:1 C444\n", [bytes(24)] * 2)[:-5]
        path = self.path("short.y4m")
        with open(path, "wb") as f:
            f.write(data)
        status, _, err = run("motion", "--video", path)
        self.assertEqual(status, 2)
        self.assertIn("frame 1 cut short", err)

    BAD = [
        (b"", "empty file"),
        (b"YUV4MPEG3 W4 H2 F1:1\nFRAME\n", "not a YUV4MPEG2"),
        (b"YUV4MPEG2 H2 F1:1\n", "field W is missing"),
        (b"YUV4MPEG2 W4 F1:1\n", "field H is missing"),
        (b"YUV4MPEG2 W4 H2\n", "field F is missing"),
        (b"YUV4MPEG2 W0 H2 F1:1\n", "field W must be"),
        (b"YUV4MPEG2 W-4 H2 F1:1\n", "field W must be"),
        (b"YUV4MPEG2 Wfour H2 F1:1\n", "field W must be"),
        (b"YUV4MPEG2 W99999 H2 F1:1\n", "field W must be 1..16384"),
        (b"YUV4MPEG2 W4 H2 F0:1\n", "field F has a zero"),
        (b"YUV4MPEG2 W4 H2 F30:0\n", "field F has a zero"),
        (b"YUV4MPEG2 W4 H2 F30\n", "field F must be N:D"),
        (b"YUV4MPEG2 W4 H2 F1:1 Crgb\n", "unknown colour tag"),
        (b"YUV4MPEG2 W4 H2 F1:1 Cmono", "header has no newline"),
        (b"YUV4MPEG2 W4 H2 F1:1 Cmono\nFRAME\nabcdefghFRAM\nabcdefgh", "frame 1: expected FRAME"),
        (b"YUV4MPEG2 W4 H2 F1:1 Cmono\nFRAMEabcdefgh", "frame 0: expected FRAME"),
        (b"YUV4MPEG2 W4 H2 F1:1 Cmono\nabcdefgh", "frame 0: expected FRAME"),
        (b"YUV4MPEG2 W4 H2 F1:1 Cmono\nFRAME\nabcdefghXY", "frame 1: expected FRAME"),
        (b"YUV4MPEG2 W4 H2 F1:1 Cmono\nFRAME\nabc", "frame 0 cut short"),
    ]

    def test_each_bad_stream_is_one_line_naming_the_problem(self):
        for n, (data, message) in enumerate(self.BAD):
            with self.subTest(data=data):
                path = self.path(f"bad{n}.y4m")
                with open(path, "wb") as f:
                    f.write(data)
                status, out, err = run("motion", "--video", path)
                self.assertEqual(status, 2)
                self.assertEqual(out, "")
                self.assertEqual(len(err.strip().splitlines()), 1, err)
                self.assertIn(message, err)
                self.assertIn(path, err)

    def test_paths_that_are_not_videos(self):
        for argv, message in ((("--video", self.path("missing.y4m")), "no such file"),
                              (("--video", self.folder.name), "needs --fps"),
                              (("--video", self.folder.name, "--fps", "10"), "no .pgm or .ppm")):
            status, _, err = run("motion", *argv)
            self.assertEqual(status, 2)
            self.assertIn(message, err)

    def test_synth_out_into_missing_folder_writes_nothing(self):
        target = self.path("nope/clip.y4m")
        status, _, err = run("synth", "--out", target)
        self.assertEqual(status, 2)
        self.assertFalse(os.path.exists(os.path.dirname(target)))
        self.assertEqual(os.listdir(self.folder.name), [])


def pnm(magic, w, h, maxval, samples, comment=b"# made by a test\n"):
    header = magic + b"\n" + comment + f"{w}  \t{h}\n{maxval}\n".encode()
    if magic in (b"P2", b"P3"):
        return header + " ".join(map(str, samples)).encode() + b"\n"
    if maxval > 255:
        return header + b"".join(v.to_bytes(2, "big") for v in samples)
    return header + bytes(samples)


class FrameFolderTests(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.TemporaryDirectory()
        self.addCleanup(self.folder.cleanup)

    def write(self, name, data):
        with open(os.path.join(self.folder.name, name), "wb") as f:
            f.write(data)

    def frames(self, fps=10.0):
        return list(main.open_video(self.folder.name, fps).frames)

    def test_p5_frames_in_natural_order(self):
        for k in (1, 2, 10, 3, 4, 5, 6, 7, 8, 9):
            self.write(f"f{k}.pgm", pnm(b"P5", 2, 2, 255, [k] * 4))
        self.assertEqual([f[0] for f in self.frames()], list(range(1, 11)))

    def test_p6_uses_bt601_luma(self):
        rgb = [255, 0, 0, 0, 255, 0, 0, 0, 255, 200, 100, 50]
        self.write("0.ppm", pnm(b"P6", 4, 1, 255, rgb))
        self.assertEqual(self.frames()[0], bytes([76, 150, 29, 124]))

    def test_ascii_and_sixteen_bit_and_small_maxval(self):
        self.write("1.pgm", pnm(b"P2", 2, 1, 255, [0, 255]))
        self.write("2.pgm", pnm(b"P5", 2, 1, 65535, [0, 65535]))
        self.write("3.pgm", pnm(b"P5", 2, 1, 1, [0, 1]))
        self.write("4.pgm", pnm(b"P2", 2, 1, 1000, [500, 1000]))
        self.assertEqual(self.frames(), [bytes([0, 255]), bytes([0, 255]), bytes([0, 255]),
                                         bytes([128, 255])])

    def test_p3_ascii_rgb(self):
        self.write("1.ppm", pnm(b"P3", 1, 1, 255, [255, 255, 255]))
        self.assertEqual(self.frames(), [bytes([255])])

    def test_gap_size_change_and_garbage_name_the_file(self):
        cases = [
            ({"1.pgm": pnm(b"P5", 2, 2, 255, [0] * 4), "3.pgm": pnm(b"P5", 2, 2, 255, [0] * 4)},
             "3.pgm", "gap"),
            ({"1.pgm": pnm(b"P5", 2, 2, 255, [0] * 4), "2.pgm": pnm(b"P5", 3, 2, 255, [0] * 6)},
             "2.pgm", "differs"),
            ({"1.pgm": pnm(b"P5", 2, 2, 255, [0] * 4), "2.pgm": b"P7 junk"}, "2.pgm", "magic"),
            ({"1.pgm": pnm(b"P5", 2, 2, 255, [0] * 3)}, "1.pgm", "raster"),
            ({"1.pgm": pnm(b"P5", 2, 2, 10, [0, 1, 2, 200])}, "1.pgm", "exceeds maxval"),
            ({"1.pgm": b"P5\n2 2\n"}, "1.pgm", "maxval"),
        ]
        for files, culprit, message in cases:
            with self.subTest(message=message):
                for name in os.listdir(self.folder.name):
                    os.unlink(os.path.join(self.folder.name, name))
                for name, data in files.items():
                    self.write(name, data)
                status, out, err = run("motion", "--video", self.folder.name, "--fps", "5")
                self.assertEqual(status, 2)
                self.assertIn(culprit, err)
                self.assertIn(message, err)
                self.assertEqual(len(err.strip().splitlines()), 1)


def textured(rng, w, h, base, spread=30):
    return bytes(rng.randrange(base - spread, base + spread) for _ in range(w * h))


def shifted(texture, w, h, dx):
    return b"".join(texture[y * w:(y + 1) * w][dx:] + texture[y * w:(y + 1) * w][:dx]
                    for y in range(h))


def transitions_of(frames, w=48, h=32, fps=30.0):
    motion = main.analyze_motion(frames, w, h, fps)
    gradual = main.detect_gradual(motion)
    return [c.frame for c in main.detect_cuts(motion, transitions=gradual)], gradual


def cuts_of(frames, w=48, h=32, fps=30.0):
    return transitions_of(frames, w, h, fps)[0]


class HonestCutTests(unittest.TestCase):
    W, H = 48, 32

    def setUp(self):
        self.rng = random.Random(11)
        self.a = textured(self.rng, self.W, self.H, 90)
        self.b = textured(self.rng, self.W, self.H, 150)

    def test_cut_right_after_violent_motion_is_found(self):
        n = self.W * self.H
        frames = [bytes(self.rng.choice((20, 200)) for _ in range(n)) for _ in range(40)]
        frames += [bytes(self.rng.choice((40, 220)) for _ in range(n)) for _ in range(40)]
        motion = main.analyze_motion(frames, self.W, self.H, 30.0)
        around = max(motion.scores[30:39])
        self.assertLessEqual(motion.scores[40], around * 1.2)   # the difference alone is no help
        self.assertEqual(cuts_of(frames), [40])

    def test_flash_to_white_is_not_a_cut(self):
        for length in (1, 2):
            frames = [self.a] * 20 + [b"\xff" * (self.W * self.H)] * length + [self.a] * 20
            self.assertEqual(cuts_of(frames), [], length)

    def test_a_dissolve_is_one_gradual_transition_and_no_cut(self):
        for length in (12, 24, 30):
            with self.subTest(length=length):
                blend = [bytes(round(x * (1 - k / length) + y * k / length)
                               for x, y in zip(self.a, self.b)) for k in range(1, length)]
                frames = [self.a] * 30 + blend + [self.b] * 30
                cuts, gradual = transitions_of(frames)
                self.assertEqual(cuts, [])
                self.assertEqual([t.kind for t in gradual], ["dissolve"])
                self.assertLessEqual(abs(gradual[0].first_frame - 30), 2)
                self.assertLessEqual(abs(gradual[0].end_frame - (30 + length - 1)), 2)

    def test_a_fade_out_and_in_is_one_fade(self):
        out = [bytes(round(x * (1 - k / 24)) for x in self.a) for k in range(1, 25)]
        into = [bytes(round(x * k / 24) for x in self.b) for k in range(1, 25)]
        cuts, gradual = transitions_of([self.a] * 30 + out + into + [self.b] * 30)
        self.assertEqual(cuts, [])
        # the kind says through what (#24); stop is the first frame of the new shot (77 is b)
        self.assertEqual([(t.kind, t.first_frame, t.end_frame) for t in gradual], [("fade-black", 30, 77)])
        scenes = main.scene_list(108, 30.0, (), gradual)
        self.assertEqual([(s.first_frame, s.end_frame) for s in scenes], [(0, 53), (53, 108)])

    def test_hard_cuts_survive_next_to_gradual_ones(self):
        blend = [bytes(round(x * (1 - k / 24) + y * k / 24) for x, y in zip(self.a, self.b))
                 for k in range(1, 24)]
        c = textured(self.rng, self.W, self.H, 200)
        frames = [self.a] * 30 + blend + [self.b] * 30 + [c] * 30
        cuts, gradual = transitions_of(frames)
        self.assertEqual(cuts, [83])
        self.assertEqual(len(gradual), 1)

    def test_freeze_is_not_a_cut(self):
        moving = [shifted(self.a, self.W, self.H, 3 * k) for k in range(30)]
        frames = moving + [moving[-1]] * 30
        self.assertEqual(cuts_of(frames), [])

    def test_small_fast_objects_are_not_cuts(self):
        frames = []
        for _ in range(60):
            frame = bytearray(self.a)
            x, y = self.rng.randrange(self.W - 4), self.rng.randrange(self.H - 4)
            for r in range(4):
                frame[(y + r) * self.W + x:(y + r) * self.W + x + 4] = b"\xff" * 4
            frames.append(bytes(frame))
        self.assertEqual(cuts_of(frames), [])

    def test_scene_list_csv_like_pyscenedetect(self):
        scenes = main.scene_list(100, 25.0, (main.Cut(40, 1.6, 0.5),), ())
        text = main.scenes_csv(scenes).splitlines()
        self.assertEqual(text[0], "Timecode List:,00:00:01.600")
        self.assertTrue(text[1].startswith("Scene Number,Start Frame,Start Timecode"))
        self.assertEqual(text[2], "1,1,00:00:00.000,0.000,40,00:00:01.600,1.600,40,00:00:01.600,1.600")
        self.assertEqual(text[3], "2,41,00:00:01.600,1.600,100,00:00:04.000,4.000,60,00:00:02.400,2.400")
        self.assertEqual(main.timecode(3725.5), "01:02:05.500")

    def test_plain_hard_cut_between_similar_exposures(self):
        first = textured(random.Random(98), self.W, self.H, 90, spread=60)
        other = textured(random.Random(99), self.W, self.H, 90, spread=60)
        frames = [first] * 30 + [other] * 30
        self.assertEqual(cuts_of(frames), [30])


if __name__ == "__main__":
    unittest.main()


class StatedRateTests(unittest.TestCase):
    def test_another_fps_for_a_y4m_is_ignored_with_a_warning(self):
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "clip.y4m")
            self.assertEqual(run("synth", "--synth", "cat-jump", "--out", path)[0], 0)
            status, out, err = run("motion", "--video", path, "--fps", "50", "--json")
            self.assertEqual(status, 0)
            self.assertEqual(json.loads(out)["fps"], 30.0)
            self.assertEqual(err.strip(), f"main.py: warning: --fps 50 is ignored: {path} "
                                          "states its own rate, 30 fps")
            self.assertEqual(run("motion", "--video", path, "--fps", "30")[2], "")
