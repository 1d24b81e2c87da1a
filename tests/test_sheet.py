"""Contact sheets: a valid PNG (checked by decoding it with zlib), each thumbnail the documented
downscale of its source frame, the marks where they belong, bounded memory, the same bytes on
every run, and the committed sheet current."""

import json
import os
import struct
import tracemalloc
import unittest
import zlib

from support import ROOT, ScratchTest, main, run

COMMITTED = ROOT / "outputs" / "cooking-3min-sheet.png"
COMMITTED_COMMAND = ("sample", "--synth", "cooking-3min", "--sheet")


def decode_png(data):
    """(width, height, channels, rows) of an 8-bit grey or RGB PNG, checking every CRC."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "PNG signature"
    pos, idat, header = 8, b"", None
    kinds = []
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        crc, = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc, f"CRC of {kind}"
        kinds.append(kind)
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND", kinds
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (0, 2) and interlace == 0, header
    channels = 1 if colour == 0 else 3
    raw = zlib.decompress(idat)
    stride = 1 + width * channels
    assert len(raw) == stride * height
    rows = []
    for r in range(height):
        assert raw[r * stride] == 0, "only filter 0 is written"
        rows.append(raw[r * stride + 1:(r + 1) * stride])
    return width, height, channels, rows


def crop(rows, channels, x, y, width, height):
    return b"".join(rows[y + r][x * channels:(x + width) * channels] for r in range(height))


def reference_thumbnail(frame, width, height, channels):
    """The documented downscale, written the slow, obvious way: every `stride`-th pixel of
    every stride-th row, then the mean of each 2x2 block rounded half up; or each pixel
    repeated for a frame under half the box."""
    box_w, box_h = main.SHEET_BOX
    need = max(-(-width // box_w), -(-height // box_h))
    out = bytearray()
    if need <= 1:
        factor = max(1, min(box_w // width, box_h // height))
        for y in range(height * factor):
            for x in range(width * factor):
                p = ((y // factor) * width + x // factor) * channels
                out += frame[p:p + channels]
        return out
    stride = -(-need // 2)
    small_w, small_h = -(-width // stride), -(-height // stride)
    for y in range(small_h // 2):
        for x in range(small_w // 2):
            for c in range(channels):
                total = sum(frame[((2 * y + dy) * stride * width + (2 * x + dx) * stride)
                                  * channels + c] for dy in (0, 1) for dx in (0, 1))
                out.append((total + 2) // 4)
    return bytes(out)


def write_y4m(path, width, height, count, fps=10):
    # A textured picture, shifted a little each frame (slicing, so long clips are quick).
    size = width * height
    texture = bytes((x * 7 + y * 3 + (x * y) % 17) % 256
                    for y in range(height + 1) for x in range(width))
    frames = []
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 Cmono\n".encode())
        for k in range(count):
            shift = (k * 37) % width
            frame = texture[shift:shift + size]
            frames.append(frame)
            f.write(b"FRAME\n" + frame)
    return frames


def write_ppm_folder(folder, width, height, count):
    os.mkdir(folder)
    frames = []
    for k in range(count):
        frame = bytes((x * (c + 3) + y * 5 + k * 30) % 256
                      for y in range(height) for x in range(width) for c in range(3))
        frames.append(frame)
        with open(os.path.join(folder, f"{k + 1}.ppm"), "wb") as f:
            f.write(f"P6 {width} {height} 255\n".encode() + frame)
    return frames


class SheetTests(ScratchTest):
    def sheet(self, *argv):
        path = os.path.join(self.dir, "sheet.png")
        status, out, err = run(*argv, "--sheet", path, "--json")
        self.assertEqual(status, 0, err)
        doc = json.loads(out)
        with open(path, "rb") as f:
            data = f.read()
        return doc, data

    def assert_thumbnails_match(self, doc, data, frames, width, height, channels):
        sheet = doc["sheet"]
        png_w, png_h, png_channels, rows = decode_png(data)
        self.assertEqual((png_w, png_h, png_channels), (sheet["width"], sheet["height"], channels))
        self.assertEqual(sheet["bytes"], len(data))
        self.assertGreater(len(sheet["cells"]), 0)
        for cell in sheet["cells"]:
            expected = reference_thumbnail(frames[cell["frame"]], width, height, channels)
            got = crop(rows, channels, cell["x"], cell["y"], cell["width"], cell["height"])
            self.assertEqual(got, expected, f"frame {cell['frame']} ({cell['strategy']})")

    def test_grey_y4m_each_thumbnail_is_the_downscaled_frame(self):
        clip = os.path.join(self.dir, "clip.y4m")
        frames = write_y4m(clip, 320, 180, 24)               # stride 1: a full 2x2 box
        doc, data = self.sheet("sample", "--video", clip)
        self.assert_thumbnails_match(doc, data, frames, 320, 180, 1)
        clip = os.path.join(self.dir, "big.y4m")
        frames = write_y4m(clip, 648, 362, 6)                # stride 3, odd sizes
        doc, data = self.sheet("sample", "--video", clip, "--strategy", "uniform")
        self.assert_thumbnails_match(doc, data, frames, 648, 362, 1)

    def test_rgb_ppm_frames_give_an_rgb_sheet(self):
        folder = os.path.join(self.dir, "frames")
        frames = write_ppm_folder(folder, 200, 120, 12)
        doc, data = self.sheet("sample", "--video", folder, "--fps", "4")
        self.assertEqual(doc["sheet"]["channels"], 3)
        self.assert_thumbnails_match(doc, data, frames, 200, 120, 3)

    def test_small_frames_are_enlarged_and_marks_sit_where_they_belong(self):
        doc, data = self.sheet("sample", "--synth", "cooking-3min")
        scene = main.get_preset("cooking-3min")
        frames = list(main.render_scene(scene))
        self.assert_thumbnails_match(doc, data, frames, scene.width, scene.height, 1)
        _, _, _, rows = decode_png(data)
        cut_frames = {c["frame"] for c in main.scene_truth(scene)["cuts"]}
        for cell in doc["sheet"]["cells"]:
            t = cell["frame"] / scene.fps
            self.assertEqual(cell["in_event"], any(e.start <= t < e.end for e in scene.events))
            border = rows[cell["y"] - 2][cell["x"] - 2:cell["x"] + cell["width"] + 2]
            self.assertEqual(set(border) == {0}, cell["in_event"], cell)   # thick black frame
        on_cuts = [c for c in doc["sheet"]["cells"] if c["on_cut"]]
        self.assertTrue(on_cuts)
        self.assertTrue(all(c["frame"] in cut_frames for c in on_cuts))

    def test_rows_follow_the_samplers_and_long_rows_show_a_subset(self):
        doc, _ = self.sheet("sample", "--synth", "security-5min")
        counts = {r["strategy"]: r["frames"] for r in doc["results"]}
        shown = {}
        for cell in doc["sheet"]["cells"]:
            shown.setdefault(cell["strategy"], []).append(cell["frame"])
        self.assertEqual(list(shown), list(counts))
        for strategy, frames in shown.items():
            self.assertEqual(frames, sorted(frames), "time order")
            self.assertEqual(len(frames), min(counts[strategy], main.SHEET_MAX_THUMBS))
        self.assertGreater(counts["dynamic"], main.SHEET_MAX_THUMBS)
        only, _ = self.sheet("sample", "--synth", "security-5min", "--strategy", "event")
        self.assertEqual({c["strategy"] for c in only["sheet"]["cells"]}, {"event"})

    def test_the_same_input_gives_the_same_bytes(self):
        _, first = self.sheet("sample", "--synth", "cat-jump")
        _, second = self.sheet("sample", "--synth", "cat-jump")
        self.assertEqual(first, second)

    def test_plan_shows_its_planned_frames(self):
        doc, data = self.sheet("plan", "--task", "temporal-grounding", "--synth", "cooking-3min")
        decode_png(data)
        cells = doc["sheet"]["cells"]
        self.assertEqual({c["strategy"] for c in cells}, {doc["sampler"]})
        self.assertEqual(len(cells), min(doc["frames"], main.SHEET_MAX_THUMBS))

    def test_refusals(self):
        path = os.path.join(self.dir, "s.png")
        cases = [(("sample", "--video", "-", "--sheet", path), "stdin"),
                 (("sample", "--sheet", os.path.join(self.dir, "s.jpg")), ".png"),
                 (("plan", "--task", "monitoring", "--duration", "60", "--sheet", path),
                  "--video or --synth")]
        for argv, said in cases:
            with self.subTest(argv=argv):
                status, _, err = run(*argv)
                self.assertEqual(status, 2)
                self.assertIn(said, err)
                self.assertFalse(os.path.exists(path))

    def test_memory_holds_thumbnails_not_frames(self):
        peaks = []
        for count in (60, 240):
            clip = os.path.join(self.dir, f"c{count}.y4m")
            write_y4m(clip, 320, 180, count, fps=30)
            args = main.build_parser().parse_args(["sample", "--video", clip, "--sheet",
                                                   os.path.join(self.dir, "m.png")])
            video = main.load_video(args)
            results = [main.run_sampler(s, video, main.sampler_settings(args))
                       for s in main.STRATEGIES]
            tracemalloc.start()
            main.write_sheet(args, video, results)
            peaks.append(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
        self.assertLess(peaks[1], 2.5 * peaks[0], peaks)      # 4 times the frames

    def test_the_font_draws_every_character_the_sheet_uses(self):
        used = set("0123456789. s:;,()-_/+=e" + "abcdefghijklmnopqrstuvwxyz")
        self.assertEqual(used - set(main.FONT_ROWS), set())
        for char, rows in main.FONT_ROWS.items():
            self.assertEqual([len(r) for r in rows.split()], [5] * 7, char)

    def test_committed_sheet_is_current(self):
        path = os.path.join(self.dir, "sheet.png")
        status, _, err = run(*COMMITTED_COMMAND, path)
        self.assertEqual(status, 0, err)
        with open(path, "rb") as fresh, open(COMMITTED, "rb") as committed:
            self.assertEqual(fresh.read(), committed.read(),
                             "outputs/cooking-3min-sheet.png is stale: run python code/main.py "
                             + " ".join(COMMITTED_COMMAND) + " outputs/cooking-3min-sheet.png")


if __name__ == "__main__":
    unittest.main()
