import os
import tempfile
import unittest
import xml.etree.ElementTree as ET

from support import ROOT, ScratchTest, main, run, run_json

SVG = "{http://www.w3.org/2000/svg}"


def parse(text):
    return ET.fromstring(text)


def with_class(root, name):
    return [e for e in root.iter() if e.get("class") == name]


class TimelinePictureTests(ScratchTest):
    def plot(self, *argv):
        status, out, err = run("plot", *argv, "--out", "-")
        self.assertEqual(status, 0, err)
        return out

    def test_well_formed_with_viewbox_title_and_no_external_references(self):
        text = self.plot("--synth", "cat-jump")
        root = parse(text)
        self.assertEqual(root.tag, SVG + "svg")
        self.assertIn("viewBox", root.attrib)
        self.assertIsNotNone(root.find(SVG + "title"))
        self.assertNotIn("href", text)
        self.assertEqual(text.count("http"), 1)          # the xmlns only
        sizes = [float(e.get("font-size", 13)) for e in root.iter(SVG + "text")]
        self.assertGreaterEqual(min(sizes), 12)

    def test_marks_bands_and_cut_lines_match_the_numbers(self):
        for preset in ("cat-jump", "sports-60s"):
            with self.subTest(preset=preset):
                root = parse(self.plot("--synth", preset))
                doc = run_json("sample", "--synth", preset)
                marks = with_class(root, "sample")
                strips = with_class(root, "density")
                for k, result in enumerate(doc["results"]):
                    # each frame is a marker, or the row is one density strip that counts them
                    drawn = sum(1 for m in marks if m.get("data-row") == str(k))
                    drawn += sum(int(g.get("data-frames")) for g in strips
                                 if g.get("data-row") == str(k))
                    self.assertEqual(drawn, result["frames"])
                truth = run_json("synth", "--synth", preset)
                self.assertEqual(len(with_class(root, "event")), len(truth["events"]))
                cuts = run_json("motion", "--synth", preset)["cuts"]
                self.assertEqual(len(with_class(root, "cut")), len(cuts))
                self.assertEqual(len(with_class(root, "motion")), 1)

    def test_dense_rows_become_density_strips_whose_bars_add_up(self):
        root = parse(self.plot("--synth", "security-5min"))
        doc = run_json("sample", "--synth", "security-5min")
        strips = {g.get("data-row"): g for g in with_class(root, "density")}
        for k, result in enumerate(doc["results"]):
            if result["frames"] > 100:      # hundreds of frames on 900 px cannot be markers
                self.assertIn(str(k), strips)
                bars = list(strips[str(k)].iter(SVG + "rect"))
                self.assertGreater(len(bars), 50)
                heights = {float(b.get("height")) for b in bars}
                self.assertGreater(len(heights), 1, "density must vary where events are")
        self.assertIn("peak rate", "".join(root.itertext()))

    def test_legend_lists_only_what_is_drawn(self):
        text = "".join(parse(self.plot("--synth", "cat-jump")).itertext())
        self.assertIn("true events", text)
        self.assertNotIn("strips", text)
        status, _, err = run("synth", "--synth", "cat-jump", "--out", os.path.join(self.dir, "c.y4m"))
        self.assertEqual(status, 0, err)
        text = "".join(parse(self.plot("--video", os.path.join(self.dir, "c.y4m"))).itertext())
        self.assertNotIn("true events", text)       # a real file has no ground truth

    def test_only_the_chosen_strategies(self):
        root = parse(self.plot("--synth", "cat-jump", "--strategy", "uniform", "event"))
        rows = {m.get("data-row") for m in with_class(root, "sample")}
        self.assertEqual(rows, {"0", "1"})

    def test_hostile_labels_are_escaped(self):
        scene = main.get_preset("cat-jump")
        motion = main.analyze_motion(main.render_scene(scene), 64, 36, 30.0)
        windows = main.motion_windows(motion.scores, 30.0, 1.0)
        hostile = '<script>alert("x")</script> & </svg>'
        svg = main.timeline_svg(hostile, motion, windows, (),
                                (main.Event(hostile, 1.0, 2.0),), [(hostile, (0.5,))])
        root = parse(svg)
        texts = [e.text for e in root.iter(SVG + "text")]
        self.assertIn(hostile, texts)
        self.assertNotIn("<script>", svg)

    def test_five_minutes_stay_small_and_render_the_same_twice(self):
        first = self.plot("--synth", "security-5min")
        self.assertLess(len(first.encode()), 200_000)
        self.assertEqual(first, self.plot("--synth", "security-5min"))
        path = [e for e in parse(first).iter() if e.get("class") == "motion"][0].get("d")
        self.assertLessEqual(path.count("L") + 1, 2 * 960)

    def test_bad_paths_write_nothing(self):
        with tempfile.TemporaryDirectory() as folder:
            for target, message in ((os.path.join(folder, "missing", "a.svg"), "does not exist"),
                                    (os.path.join(folder, "a.png"), "ending in .svg"),
                                    (folder + os.sep, "ending in .svg")):
                with self.subTest(target=target):
                    status, out, err = run("plot", "--synth", "cat-jump", "--out", target)
                    self.assertEqual(status, 2)
                    self.assertIn(message, err)
            self.assertEqual(os.listdir(folder), [])
            status, _, err = run("plot", "--out", "-", "--json")
            self.assertEqual(status, 2)

    def test_json_describes_what_was_written(self):
        with tempfile.TemporaryDirectory() as folder:
            target = os.path.join(folder, "t.svg")
            doc = run_json("plot", "--synth", "cat-jump", "--out", target)
            self.assertEqual(doc["bytes"], os.path.getsize(target))
            self.assertEqual([r["strategy"] for r in doc["rows"]], list(main.STRATEGIES))


class CommittedPictureTests(unittest.TestCase):
    def regenerate(self, *argv):
        with tempfile.TemporaryDirectory() as folder:
            target = os.path.join(folder, "p.svg")
            status, _, err = run(*argv, target)
            self.assertEqual(status, 0, err)
            with open(target, encoding="utf-8") as f:
                return f.read()

    def committed(self, name):
        with open(os.path.join(ROOT, "outputs", name), encoding="utf-8") as f:
            return f.read()

    def test_committed_pictures_are_current(self):
        self.assertEqual(self.committed("cat-jump-timeline.svg"),
                         self.regenerate("plot", "--synth", "cat-jump", "--out"),
                         "outputs/cat-jump-timeline.svg is stale: run "
                         "python code/main.py plot --synth cat-jump --out outputs/cat-jump-timeline.svg")
        self.assertEqual(self.committed("compare.svg"), self.regenerate("compare", "--out"),
                         "outputs/compare.svg is stale: run "
                         "python code/main.py compare --svg outputs/compare.svg")

    def test_compare_picture_has_a_row_per_design_and_bars(self):
        root = parse(self.committed("compare.svg"))
        self.assertEqual(len(with_class(root, "bar-accuracy")), len(main.COMPARE_DESIGNS))
        self.assertEqual(len(with_class(root, "event")), 1)
        self.assertGreaterEqual(len(with_class(root, "answer")), 3)


if __name__ == "__main__":
    unittest.main()
