"""Shot cuts and gradual transitions (issue 24): aliasing of fine moving textures, flashes,
cuts next to transitions, spans, kind names, hue-only cuts. Clips are made here from the
tool's own frames; the ffmpeg cases skip when ffmpeg is absent."""

import json
import os
import random
import shutil
import subprocess
import unittest

from support import ScratchTest, main, run_json

W, H = 640, 360


def checkerboard_frames(period, count, step=2, width=W, height=H):
    """A black/white checkerboard of `period` pixels panned `step` pixels a frame."""
    half = period // 2
    long_row = [bytes(235 if ((x // half) + phase) % 2 else 16 for x in range(width + period))
                for phase in (0, 1)]
    frames = []
    for k in range(count):
        shift = (k * step) % period
        rows = [long_row[(y // half) % 2][shift:shift + width] for y in range(height)]
        frames.append(b"".join(rows))
    return frames


def stripe_frames(period, count, step, width=W, height=H):
    """Vertical black/white stripes `period` pixels apart, panned `step` pixels a frame."""
    row = bytes(235 if (x // (period // 2)) % 2 else 16 for x in range(width + period))
    return [row[(k * step) % period:][:width] * height for k in range(count)]


def diagonal_frames(period, count, step, sign=1, width=W, height=H):
    """Stripes along a diagonal (sign 1: x + y, sign -1: x - y), `period` pixels apart along
    x, panned `step` pixels a frame."""
    line = bytes(235 if (x // (period // 2)) % 2 else 16
                 for x in range(width + height + count * step + period))
    return [b"".join(line[k * step + (y if sign > 0 else height - y):][:width]
                     for y in range(height)) for k in range(count)]


def textured(rng, w, h, base, spread=30):
    return bytes(rng.randrange(base - spread, base + spread) for _ in range(w * h))


def blend(a, b, share):
    return bytes(round(x * (1 - share) + y * share) for x, y in zip(a, b))


def analyse(frames, w, h, fps=25.0):
    motion = main.analyze_motion(frames, w, h, fps)
    transitions = main.detect_gradual(motion)
    cuts = [c.frame for c in main.detect_cuts(motion, transitions=transitions)]
    return cuts, transitions


def y4m_420(frames, w, h, fps=25):
    """A 4:2:0 Y4M stream of (luma, u, v) triples, u and v one value per frame or a plane."""
    out = [f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode()]
    plane = ((w + 1) // 2) * ((h + 1) // 2)
    for luma, u, v in frames:
        u = bytes([u]) * plane if isinstance(u, int) else u
        v = bytes([v]) * plane if isinstance(v, int) else v
        out.append(b"FRAME\n" + luma + u + v)
    return b"".join(out)


class CellAliasingTests(unittest.TestCase):
    def test_rook_cells_do_not_flicker_on_periods_8_and_16(self):
        # across, down (a checkerboard is both) and along either diagonal, at every phase
        unit = main.cell_unit(main.auto_stride(H))
        rooks = main.rook_slices(W, H, unit)
        for period in (8, 16):
            for name, frames in (("checkerboard", checkerboard_frames(period, period, 1)),
                                 ("diagonal", diagonal_frames(period, period, 1)),
                                 ("anti-diagonal", diagonal_frames(period, period, 1, -1))):
                with self.subTest(period=period, texture=name):
                    self.assertEqual(len({main.cell_means(f, rooks) for f in frames}), 1)

    def test_a_panned_fine_texture_is_no_cut_and_no_transition(self):
        for period in (8, 16):
            with self.subTest(period=period):
                cuts, transitions = analyse(checkerboard_frames(period, 60), W, H)
                self.assertEqual(cuts, [])
                self.assertEqual(transitions, ())

    def test_a_coarser_texture_that_moves_changes_cells_not_blocks(self):
        # stripes 32 apart at 640x360 (16 at 320x180) alias in cells 16 (8) pixels wide; the
        # blocks of 4 x 2 cells hold whole periods, so only a real change moves them
        for period, step, w, h in ((32, 1, W, H), (32, 3, W, H), (48, 2, W, H),
                                   (16, 1, 320, 180), (16, 3, 320, 180)):
            with self.subTest(period=period, step=step, size=(w, h)):
                frames = stripe_frames(period, 50, step, w, h)
                motion = main.analyze_motion(frames, w, h, 25.0)
                self.assertGreater(max(motion.cell_change), main.CUT_MIN_SCORE)  # cells alias
                cuts, transitions = analyse(frames, w, h)
                self.assertEqual((cuts, transitions), ([], ()))
        frames = stripe_frames(32, 30, 1) + [bytes([60]) * (W * H)] * 30
        self.assertEqual(analyse(frames, W, H)[0], [30])      # a real cut after them is kept

    def test_diagonal_textures_that_move_are_no_cut_and_no_transition(self):
        for period, step, sign in ((16, 1, 1), (16, 2, -1), (48, 2, 1), (48, 1, -1)):
            with self.subTest(period=period, step=step, sign=sign):
                frames = diagonal_frames(period, 40, step, sign)
                self.assertEqual(analyse(frames, W, H), ([], ()))

    def test_block_means_are_the_plain_means(self):
        rng = random.Random(3)
        for columns, rows in ((40, 11), (9, 10), (3, 4), (41, 7), (4, 1)):
            cells = bytes(rng.randrange(256) for _ in range(columns * rows))
            plain = bytes((sum(cells[(r + d) * columns + c + k] for d in (0, 1) for k in range(4))
                           + 4) // 8 for r in range(0, rows - 1, 2)
                          for c in range(0, columns - 3, 4))
            self.assertEqual(main.block_means(cells, columns), plain)

    def test_a_cut_between_textures_is_still_found(self):
        frames = checkerboard_frames(16, 30) + [bytes([60]) * (W * H)] * 30
        self.assertEqual(analyse(frames, W, H)[0], [30])


class FlashTests(unittest.TestCase):
    def test_single_and_double_flashes_on_moving_footage_are_not_cuts(self):
        scene = main.Scene("flashes", 6.0, 25.0, 160, 96, (), (3.0,), 1.0)
        frames = list(main.render_scene(scene))
        white, black = b"\xeb" * (160 * 96), b"\x10" * (160 * 96)
        for k, flash in ((20, white), (45, black), (95, white), (98, white), (120, black),
                         (122, black)):
            frames[k] = flash
        cuts, transitions = analyse(frames, 160, 96)
        self.assertEqual(cuts, list(scene.cut_frames))
        self.assertEqual(transitions, ())                 # a white flash is no fade either

    def test_an_exposure_flash_of_4_to_6_frames_is_not_two_cuts(self):
        # the picture stays and only brightens: too long for the flash test (P = 3 frames),
        # and each edge is the same picture in another light
        scene = main.Scene("flashes", 4.0, 25.0, 160, 96, (), (), 1.0)
        for length in (4, 5, 6):
            frames = list(main.render_scene(scene))
            for k in range(40, 40 + length):
                frames[k] = bytes(min(235, v + 60) for v in frames[k])
            with self.subTest(length=length):
                self.assertEqual(analyse(frames, 160, 96), ([], ()))


class TransitionTests(unittest.TestCase):
    w, h = 160, 96

    def setUp(self):
        rng = random.Random(24)
        self.shots = [textured(rng, self.w, self.h, base) for base in (60, 120, 180, 90)]

    def test_a_cut_two_frames_after_a_dissolve_is_kept_and_outside_it(self):
        a, b, c = self.shots[:3]
        frames = [a] * 30 + [blend(a, b, k / 15) for k in range(1, 15)] + [b] * 2 + [c] * 30
        cuts, transitions = analyse(frames, self.w, self.h)
        self.assertEqual(cuts, [46])
        self.assertEqual(len(transitions), 1)
        t = transitions[0]
        self.assertLessEqual(abs(t.first_frame - 30), 1)
        self.assertLessEqual(abs(t.end_frame - 44), 1)
        self.assertFalse(any(t.first_frame <= cut < t.end_frame for cut in cuts))

    def test_a_cut_ten_frames_after_a_fade_through_white_or_black_is_its_own_event(self):
        # the windows that hold the fade's second half and the cut must not read as one blend
        a, b, c = self.shots[:3]
        for shade in (235, 16):
            flat = bytes([shade]) * (self.w * self.h)
            frames = ([a] * 30 + [blend(a, flat, k / 12) for k in range(1, 13)]
                      + [blend(flat, b, k / 12) for k in range(1, 13)] + [b] * 10 + [c] * 30)
            with self.subTest(shade=shade):
                cuts, transitions = analyse(frames, self.w, self.h)
                self.assertEqual(cuts, [64])
                self.assertEqual([t.kind for t in transitions],
                                 ["fade-white" if shade == 235 else "fade-black"])
                self.assertLessEqual(abs(transitions[0].first_frame - 30), 2)
                self.assertLessEqual(abs(transitions[0].end_frame - 54), 2)

    def test_spans_never_run_backwards_or_overlap(self):
        rng = random.Random(5)
        for trial in range(6):
            frames, shot = [], 0
            for _ in range(4):
                a, b = self.shots[shot % 4], self.shots[(shot + 1) % 4]
                length = rng.randrange(2, 30)
                frames += [a] * rng.randrange(3, 25)
                frames += [blend(a, b, k / length) for k in range(1, length)]
                shot += 1
            _, transitions = analyse(frames, self.w, self.h)
            for t in transitions:
                self.assertLess(t.first_frame, t.end_frame, trial)
            for one, two in zip(transitions, transitions[1:]):
                self.assertLessEqual(one.end_frame, two.first_frame, trial)

    def picture(self, size, shift, base=40, slope=100):
        """A picture with structure coarser than a cell: a ramp across and squares of `size`."""
        return bytes(base + x * slope // self.w + (60 if ((x + shift) // size + y // size) % 2
                                                    else 0)
                     for y in range(self.h) for x in range(self.w))

    def test_the_light_changing_on_one_picture_is_no_transition(self):
        # brighter by an offset (clipped at video white) or by a gamma, over one second
        pic, other = self.picture(20, 0), self.picture(12, 5, base=100, slope=60)
        ramps = {"brighter": lambda v, s: min(235, v + round(60 * s)),
                 "darker": lambda v, s: max(16, v - round(50 * s)),
                 "gamma": lambda v, s: round(16 + 219 * ((v - 16) / 219) ** (1 + s))}
        for name, light in ramps.items():
            lit = [bytes(light(v, k / 25) for v in pic) for k in range(26)]
            with self.subTest(ramp=name):
                self.assertEqual(analyse([pic] * 30 + lit + [lit[-1]] * 30, self.w, self.h),
                                 ([], ()))
        # a dissolve between two pictures of the same make (a ramp and squares) is still one
        frames = [pic] * 30 + [blend(pic, other, k / 20) for k in range(1, 20)] + [other] * 30
        self.assertEqual([t.kind for t in analyse(frames, self.w, self.h)[1]], ["dissolve"])

    def test_kind_names(self):
        a, b = self.shots[0], self.shots[2]
        black, white = b"\x10" * (self.w * self.h), b"\xeb" * (self.w * self.h)
        ramp = range(1, 20)
        cases = {
            "fade-in-black": [blend(black, a, k / 20) for k in range(20)] + [a] * 30,
            "fade-out-black": [a] * 30 + [blend(a, black, k / 20) for k in ramp] + [black] * 2,
            "fade-white": ([a] * 30 + [blend(a, white, k / 12) for k in range(1, 13)]
                           + [blend(white, b, k / 12) for k in range(1, 13)] + [b] * 30),
            "dissolve": [a] * 30 + [blend(a, b, k / 20) for k in ramp] + [b] * 30,
            "wipe": [a] * 30 + [b"".join(
                (b[y * self.w:y * self.w + x] + a[y * self.w + x:(y + 1) * self.w])
                for y in range(self.h)) for x in range(8, self.w, 8)] + [b] * 30,
        }
        for kind, frames in cases.items():
            with self.subTest(kind=kind):
                cuts, transitions = analyse(frames, self.w, self.h)
                self.assertEqual([t.kind for t in transitions], [kind])
                self.assertEqual(cuts, [])


class ColourTests(ScratchTest):
    def write(self, name, data):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def test_a_hue_only_cut_is_found_from_the_chroma(self):
        scene = main.Scene("hue", 3.0, 25.0, 160, 96, (), (), 0.3)
        lumas = list(main.render_scene(scene))
        plane = 80 * 48
        u1, v1 = bytes(90 + (i % 80) // 2 for i in range(plane)), bytes([170]) * plane
        u2, v2 = bytes([170]) * plane, bytes(170 - (i % 80) // 2 for i in range(plane))
        frames = [(y, u1, v1) if k < 40 else (y, u2, v2) for k, y in enumerate(lumas)]
        doc = run_json("motion", "--video", self.write("hue.y4m", y4m_420(frames, 160, 96)))
        self.assertEqual([c["frame"] for c in doc["cuts"]], [40])
        mono = main.y4m_bytes(lumas, 160, 96, 25.0)            # the same luma, no colour
        doc = run_json("motion", "--video", self.write("mono.y4m", b"".join(mono)))
        self.assertEqual(doc["cuts"], [])

    def test_420_frames_carry_their_chroma_and_read_as_luma(self):
        luma = bytes(range(48)) * 2
        path = self.write("c.y4m", y4m_420([(luma, 1, 2), (luma, 3, 4)], 12, 8))
        frames = list(main.open_video(path).frames)
        self.assertEqual(frames, [luma, luma])
        self.assertEqual([f.chroma for f in frames], [b"\x01" * 24 + b"\x02" * 24,
                                                       b"\x03" * 24 + b"\x04" * 24])


@unittest.skipUnless(shutil.which("ffmpeg"), "ffmpeg is not installed")
class FfmpegTests(ScratchTest):
    def motion(self, graph, frames):
        path = os.path.join(self.dir, "clip.y4m")
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-filter_complex", graph, "-map", "[v]",
                        "-frames:v", str(frames), "-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe",
                        path], check=True)
        doc = run_json("motion", "--video", path)
        return [c["frame"] for c in doc["cuts"]], [
            (t["kind"], t["first_frame"], t["end_frame"] - 1) for t in doc["transitions"]]

    def test_hue_only_cut(self):
        src = "testsrc2=s=640x360:r=25"
        graph = (f"{src},trim=start_frame=0:end_frame=50,setpts=PTS-STARTPTS[a];"
                 f"{src},trim=start_frame=50:end_frame=100,setpts=PTS-STARTPTS,hue=h=90[b];"
                 "[a][b]concat=n=2:v=1:a=0,format=yuv420p[v]")
        self.assertEqual(self.motion(graph, 100), ([50], []))

    def test_a_cut_between_two_near_identical_shots(self):
        # the same source one second later: found by its colour (CHROMA_ROOKS)
        src = "testsrc2=s=320x180:r=25"
        graph = (f"{src},trim=end_frame=75[a];"
                 f"{src},trim=start_frame=25:end_frame=100,setpts=PTS-STARTPTS[b];"
                 "[a][b]concat=n=2:v=1:a=0,format=yuv420p[v]")
        self.assertEqual(self.motion(graph, 150), ([75], []))

    def test_panned_checkerboards(self):
        for period in (8, 16):
            with self.subTest(period=period):
                half = period // 2
                graph = (f"color=c=black:s=640x360:r=25,geq=lum='16+219*mod(floor((X+2*N)/{half})"
                         f"+floor(Y/{half}),2)':cb=128:cr=128,format=yuv420p[v]")
                self.assertEqual(self.motion(graph, 40), ([], []))    # 10 cycles of a 4-frame beat

    def test_transitions_and_their_kinds(self):
        # (xfade name, kind, whether both ends land within 3 frames: a shape wipe's first
        # frames change too small an area to be seen)
        cases = (("fade", "dissolve", True), ("dissolve", "dissolve", True),
                 ("pixelize", "dissolve", True), ("wipeleft", "wipe", True),
                 ("slideright", "wipe", False), ("radial", "wipe", False),
                 ("fadeblack", "fade-black", True), ("fadewhite", "fade-white", True))
        for name, kind, ends in cases:
            with self.subTest(transition=name):
                graph = ("testsrc2=s=640x360:r=25,trim=end_frame=50[a];"
                         "smptebars=s=640x360:r=25,trim=end_frame=50[b];"
                         f"[a][b]xfade=transition={name}:duration=0.8:offset=1.2,"
                         "format=yuv420p[v]")
                cuts, transitions = self.motion(graph, 80)
                self.assertEqual(cuts, [])                   # never a cut inside it
                self.assertEqual(len(transitions), 1)
                got_kind, first, last = transitions[0]
                self.assertEqual(got_kind, kind)
                self.assertLessEqual(first, last)
                if ends:
                    self.assertLessEqual(abs(first - 31), 3)  # xfade: frames 31 .. 49 blend
                    self.assertLessEqual(abs(last - 49), 3)
                else:
                    self.assertTrue(31 <= first and last <= 49)

    def test_a_pan_is_no_cut_and_no_transition(self):
        graph = ("testsrc2=s=1280x360:r=25,crop=640:360:x='640-abs(mod(n*5,1280)-640)':y=0,"
                 "format=yuv420p[v]")
        self.assertEqual(self.motion(graph, 150), ([], []))

    def test_the_light_changing_is_no_transition_and_no_cut(self):
        # a gentle ramp over 2 s on moving testsrc2, a steep one, and a 5-frame exposure flash
        for name, light in (("gentle", "if(between(t,2,4),(t-2)*0.05,if(gt(t,4),0.1,0))"),
                            ("steep", "min(0.3,max(0,(t-1)*0.3))"),
                            ("flash", "0.3*between(n,40,44)")):
            graph = (f"testsrc2=s=320x180:r=25,eq=brightness='{light}':eval=frame,"
                     "format=yuv420p[v]")
            with self.subTest(ramp=name):
                self.assertEqual(self.motion(graph, 150), ([], []))

    def test_high_motion_then_a_cut(self):
        # Game of Life: every frame changes; no "fade" may swallow the cut at its end
        graph = ("life=s=320x180:r=25:mold=10:ratio=0.12:seed=3:death_color=#C83232:"
                 "life_color=#30ff60,scale=640:360:flags=neighbor,trim=end_frame=100,"
                 "setpts=PTS-STARTPTS[a];testsrc2=s=640x360:r=25,trim=end_frame=50[b];"
                 "[a][b]concat=n=2:v=1:a=0,format=yuv420p[v]")
        self.assertEqual(self.motion(graph, 150), ([100], []))


if __name__ == "__main__":
    unittest.main()


class TwoProcessTests(ScratchTest):
    """A long video's pass is split between this process and a forked child
    (scored_in_child); the split is made early here, on small frames."""

    def setUp(self):
        super().setUp()
        for name, value in (("TWO_PROCESSES_AFTER", 12), ("TWO_PROCESSES_PIXELS", 0)):
            self.addCleanup(setattr, main, name, getattr(main, name))
            setattr(main, name, value)
        splits = []
        original = main.scored_in_child
        self.addCleanup(setattr, main, "scored_in_child", original)
        main.scored_in_child = lambda *args: splits.append(1) or original(*args)
        self.splits = splits
        scene = main.Scene("cut", 4.0, 25.0, 160, 96, (), (1.2,), 0.3)
        plane = 80 * 48
        colours = [(bytes([90]) * plane, bytes([170]) * plane),
                   (bytes([170]) * plane, bytes([90]) * plane)]
        frames = [(y, *colours[k >= 70]) for k, y in enumerate(main.render_scene(scene))]
        self.path = os.path.join(self.dir, "clip.y4m")
        with open(self.path, "wb") as f:
            f.write(y4m_420(frames, 160, 96))

    def analyse(self, split: bool, allow_truncated=False):
        main.TWO_PROCESSES_AFTER = 12 if split else 10 ** 9
        notes = []
        video = main.open_video(self.path, None, allow_truncated, notes.append)
        return main.analyze_motion(video.frames, 160, 96, 25.0), notes

    def test_the_split_pass_gives_the_one_pass_result(self):
        one, _ = self.analyse(split=False)
        self.assertEqual(self.splits, [])
        two, _ = self.analyse(split=True)
        self.assertEqual(self.splits, [1])
        self.assertEqual(two, one)
        cuts = [c.frame for c in main.detect_cuts(two)]
        self.assertEqual(cuts, [30, 70])       # the scene's cut, and the colour's

    def test_a_stream_cut_short_after_the_split_is_the_same_error_and_leaves_no_child(self):
        with open(self.path, "r+b") as f:
            f.truncate(os.path.getsize(self.path) - 5000)
        for split in (False, True):
            with self.assertRaises(main.UserError) as caught:
                self.analyse(split)
            self.assertIn("cut short", str(caught.exception))
            with self.assertRaises(ChildProcessError):
                os.waitpid(-1, os.WNOHANG)
        one, notes_one = self.analyse(False, allow_truncated=True)
        two, notes_two = self.analyse(True, allow_truncated=True)
        self.assertEqual((two, notes_two), (one, notes_one))
        self.assertEqual(len(notes_two), 1)


class TwoProcessReadmeTests(unittest.TestCase):
    def test_the_readme_states_when_the_pass_splits(self):
        with open(os.path.join(os.path.dirname(__file__), "..", "README.md")) as f:
            readme = " ".join(f.read().split())
        area = main.TWO_PROCESSES_PIXELS
        sizes = [f"{w}x{area // w}" for w in range(16, 4000, 16)
                 if area % w == 0 and w * 9 == area // w * 16]      # as 16:9
        self.assertIn(f"Past {main.TWO_PROCESSES_AFTER} frames of {sizes[0]} or more", readme)


class SuiteSplitTests(unittest.TestCase):
    """A suite's scenes not yet measured are shared with a forked child (suite_motions)."""

    def setUp(self):
        saved = dict(main.SCENE_MOTIONS)
        self.addCleanup(lambda: (main.SCENE_MOTIONS.clear(), main.SCENE_MOTIONS.update(saved)))
        main.SCENE_MOTIONS.clear()
        self.scenes = [main.Scene(f"s{k}", 2.0, 10.0, 32, 18, (), (1.0,) if k % 2 else (), 0.5,
                                  seed=k) for k in range(5)]

    def test_shared_out_or_not_the_analyses_are_the_same(self):
        split = main.suite_motions(self.scenes, "test")
        self.assertEqual(len(main.SCENE_MOTIONS), 5)              # the child's are kept too
        main.SCENE_MOTIONS.clear()
        alone = [main.scene_motion(s, scores_only=True) for s in self.scenes]
        self.assertEqual(split, alone)
        self.assertEqual(main.suite_motions(self.scenes[::-1], "test"), alone[::-1])
        # the scores alone are the full analysis's scores, to the bit
        for scene, light in zip(self.scenes, alone):
            full = main.scene_motion(scene)
            self.assertEqual(light.scores.tobytes(), full.scores.tobytes())
            self.assertEqual((light.fps, light.stride, light.duration_s),
                             (full.fps, full.stride, full.duration_s))

    def test_a_failure_on_either_side_leaves_no_child(self):
        real = main.render_scene
        self.addCleanup(setattr, main, "render_scene", real)
        for failing in ("s0", "s4"):                              # this process's, the child's
            main.SCENE_MOTIONS.clear()

            def render(scene, failing=failing):
                if scene.name == failing:
                    raise main.UserError("no")
                return real(scene)
            main.render_scene = render
            with self.subTest(failing=failing):
                fds = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else 0
                with self.assertRaises(main.UserError if failing == "s0" else RuntimeError):
                    main.suite_motions(self.scenes, "test")
                with self.assertRaises(ChildProcessError):
                    os.waitpid(-1, os.WNOHANG)
                if fds:                                   # and no pipe left open
                    self.assertEqual(len(os.listdir("/proc/self/fd")), fds)
