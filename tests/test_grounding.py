import json
import math
import os
import tempfile
import unittest

from support import compiled_main, main, run, run_json

I = "interval"
P = "point"

# (answer, duration or None, expected): expected is a list of (kind, start, end, format) or
# the failure reason. Realistic model outputs, including the ones lmms-eval misreads.
CASES = [
    # JSON
    ('{"event": "jump", "start": 4.1, "end": 4.3}', 10, [(I, 4.1, 4.3, "json")]),
    ('[{"event": "a", "start": 1, "end": 2}, {"event": "b", "start": 5, "end": 6}]', 10,
     [(I, 1, 2, "json"), (I, 5, 6, "json")]),
    ('```json\n{"event": "jump", "start": 4.1, "end": 4.3}\n```', 10, [(I, 4.1, 4.3, "json")]),
    ('Here is the answer: {"start_time": 3, "end_time": 7.5} Hope it helps.', 10,
     [(I, 3, 7.5, "json")]),
    ('{"event": "door", "timestamp": [12.0, 14.5]}', 60, [(I, 12, 14.5, "json")]),
    ('{"event": "clap", "time": 8.25}', 60, [(P, 8.25, 8.25, "json")]),
    ('{"label": "jump", "t": 4}', 60, [(P, 4, 4, "json")]),
    ('{"event": "jump", "start": "0:04.1", "end": "4.3s"}', 60, [(I, 4.1, 4.3, "json")]),
    ('{"events": [{"start": 1, "end": 2}]}', 60, [(I, 1, 2, "json")]),
    ('{"event": "jump", "start": 4.1}', 10, "missing_field"),
    ('{"event": "jump"}', 10, "missing_field"),
    ('{"start": 4.1, "end": }', 10, "bad_json"),
    ('```json\n{"start": 4.1,, "end": 5}\n```', 10, "bad_json"),
    ('{"start": NaN, "end": 3}', 10, "not_finite"),
    ('{"start": 1, "end": Infinity}', None, "not_finite"),
    ('{"start": 1, "end": 1e400}', None, "not_finite"),
    ('{"start": 5, "end": 3}', 10, "reversed"),
    ('{"start": -1, "end": 3}', 10, [(I, -1, 3, "json")]),          # flagged, not refused
    ('{"start": 8, "end": 12}', 10, [(I, 8, 12, "json")]),
    ('{"error": "not_found"}', 10, "declined"),
    ('{"start": true, "end": 3}', 10, "missing_field"),
    # time tokens
    ("<time>4.1</time> <time>4.3</time>", 10, [(I, 4.1, 4.3, "time_tokens")]),
    ("The jump is at <time>4.2</time>.", 10, [(P, 4.2, 4.2, "time_tokens")]),
    ("<t>1</t><t>2</t><t>5</t><t>6</t>", 10, [(I, 1, 2, "time_tokens"), (I, 5, 6, "time_tokens")]),
    ("<TIME>00:04</TIME> to <TIME>00:06</TIME>", 10, [(I, 4, 6, "time_tokens")]),
    ("<time>soon</time>", 10, "bad_time_token"),
    ("<time>1</time><time>2</time><time>3</time>", 10, "ambiguous"),
    # free text: ranges
    ("4.1-4.3s", 10, [(I, 4.1, 4.3, "free_text")]),
    ("4.1 – 4.3 seconds", 10, [(I, 4.1, 4.3, "free_text")]),
    ("4.1 — 4.3 seconds", 10, [(I, 4.1, 4.3, "free_text")]),
    ("The event happens in 4.1 ~ 4.3 s.", 10, [(I, 4.1, 4.3, "free_text")]),
    ("from 12 seconds to 16 seconds", 30, [(I, 12, 16, "free_text")]),
    ("It lasts from 12s until 16s.", 30, [(I, 12, 16, "free_text")]),
    ("between 12 and 16", 30, [(I, 12, 16, "free_text")]),
    ("Between the 12 and 16 second marks.", 30, [(I, 12, 16, "free_text")]),
    ("The event starts at 12 seconds and ends at 16 seconds.", 30, [(I, 12, 16, "free_text")]),
    ("Start time: 0.8 seconds\nEnd time: 1.1 seconds", 30, [(I, 0.8, 1.1, "free_text")]),
    ("It begins at 3.5 s and finishes at 6 s.", 30, [(I, 3.5, 6, "free_text")]),
    ("The given query happens in 20.8 - 30.0 seconds.", 60, [(I, 20.8, 30, "free_text")]),
    ("From 1:05 to 1:10.", 100, [(I, 65, 70, "free_text")]),
    ("00:01:05 - 00:01:10", 100, [(I, 65, 70, "free_text")]),
    ("1:05.5 to 1:07.25", 100, [(I, 65.5, 67.25, "free_text")]),
    ("500 ms to 1500 ms", 10, [(I, 0.5, 1.5, "free_text")]),
    ("1-2 min", 300, [(I, 60, 120, "free_text")]),
    ("It happens twice: 1-2 s and 5-6 s.", 10, [(I, 1, 2, "free_text"), (I, 5, 6, "free_text")]),
    ("Answer: 24.3s to 30.1s", 60, [(I, 24.3, 30.1, "free_text")]),
    # free text: points
    ("the cat jumps around the 4-second mark", 10, [(P, 4, 4, "free_text")]),
    ("The cat jumps at 4.2 seconds.", 10, [(P, 4.2, 4.2, "free_text")]),
    ("At 1:05 the door opens.", 100, [(P, 65, 65, "free_text")]),
    ("It happens at 24.3s", 60, [(P, 24.3, 24.3, "free_text")]),
    ("around 7 s", 10, [(P, 7, 7, "free_text")]),
    ("at approximately 2.5 minutes", 300, [(P, 150, 150, "free_text")]),
    ("Person 2 jumps at 4.2 s.", 10, [(P, 4.2, 4.2, "free_text")]),
    ("４.２ seconds", 10, [(P, 4.2, 4.2, "free_text")]),
    # not times
    ("2023-05-01", None, "no_time_found"),
    ("2 people enter the room", 10, "no_time_found"),
    ("version 1.2.3 of the model", 10, "no_time_found"),
    ("1e9 seconds", None, [(P, 1e9, 1e9, "free_text")]),           # read, flagged
    ("the 3rd time", 10, "no_time_found"),
    ("4,5 s", 10, "ambiguous"),
    ("The jump lasts 5 seconds.", 10, "no_time_found"),
    ("I cannot tell.", 10, "declined"),           # it says it cannot tell when (#25)
    ("", 10, "empty"),
    ("   \n ", 10, "empty"),
    ("from -2 to 4 s", 10, [(I, -2, 4, "free_text")]),
    ("5 to 3 seconds", 10, "reversed"),
    ("from 8 to 12 seconds", 10, [(I, 8, 12, "free_text")]),
    ("It happens 50% of the way through.", 10, "no_time_found"),
    # issue 25: classes a careful reader reads as an interval, or as a refusal
    # labelled ends with words between the label and its time (a phrasing models use verbatim)
    ("The start time for this event is 13 seconds, and the end time is 22 seconds.", 30,
     [(I, 13, 22, "free_text")]),
    ("The starting time of the event is 3.5 s and its ending time is 9 s.", 30,
     [(I, 3.5, 9, "free_text")]),
    # labelled ends in separate sentences, bare numbers
    ("The event starts at 5. It ends at 10.", 30, [(I, 5, 10, "free_text")]),
    ("It begins at 7.5. It finishes at 12.", 30, [(I, 7.5, 12, "free_text")]),
    # a point, then an end: the point starts the span
    ("Around 4-second mark the cat jumps; it lands by 6.", 10, [(I, 4, 6, "free_text")]),
    ("At 2 s the ball is thrown and it ends at 3.5 s.", 10, [(I, 2, 3.5, "free_text")]),
    # says it cannot tell when
    ("I cannot determine when this happens", 10, "declined"),
    ("Sorry, I am unable to identify the moment.", 10, "declined"),
    ("The person does not appear in this video.", 10, "declined"),
]


class ParsingTableTests(unittest.TestCase):
    def test_the_table(self):
        self.assertGreaterEqual(len(CASES), 60)
        for text, duration, expected in CASES:
            with self.subTest(text=text):
                reading = main.parse_grounding(text, duration)
                if isinstance(expected, str):
                    self.assertIsNotNone(reading.failure, reading)
                    self.assertEqual(reading.failure[0], expected)
                    self.assertIn(expected, main.FAILURE_REASONS)
                else:
                    self.assertIsNone(reading.failure, reading.failure)
                    got = [(p.kind, p.start, p.end, p.format) for p in reading.predictions]
                    self.assertEqual(len(got), len(expected))
                    for g, e in zip(got, expected):
                        self.assertEqual((g[0], g[3]), (e[0], e[3]))
                        self.assertAlmostEqual(g[1], e[1])
                        self.assertAlmostEqual(g[2], e[2])

    def test_policies_and_flags(self):
        swap = main.ParsePolicy(swap_reversed=True)
        self.assertEqual(main.parse_grounding("5 to 3 seconds", 10, swap).predictions[0][1:3], (3, 5))
        for text, duration, flags in (("from 8 to 12 s", 10, ("beyond_duration",)),
                                      ("from 8 to 12 s", None, ()),
                                      ("from -2.0 to 4.0 seconds", 10, ("negative_time",)),
                                      ("0 - 99999999", None, ("beyond_duration",)),
                                      ("1e9 - 2e9", 60, ("beyond_duration",)),
                                      ("from -1 to 99 s", 10, ("beyond_duration", "negative_time"))):
            with self.subTest(text=text):
                reading = main.parse_grounding(text, duration)
                self.assertIsNone(reading.failure)
                self.assertEqual(reading.flags, flags)
        for text in ('{"start": NaN, "end": 3}', "1e400 - 1e401"):
            self.assertEqual(main.parse_grounding(text).failure[0], "not_finite")

    def test_json_event_and_confidence_are_kept(self):
        p = main.parse_grounding('{"event": "jump", "start": 1, "end": 2, "confidence": 0.9}').predictions[0]
        self.assertEqual((p.event, p.confidence), ("jump", 0.9))

    def test_parse_command_json(self):
        doc = run_json("parse", "between 12 and 16")
        self.assertEqual(doc.pop("schema_version"), main.SCHEMA_VERSION)
        self.assertEqual(doc, {"predictions": [{"kind": "interval", "start_s": 12.0, "end_s": 16.0,
                                                "format": "free_text", "form": "between",
                                                "event": None, "confidence": None}],
                               "flags": [], "failure": None})
        doc = run_json("parse", "at 4 s")
        self.assertEqual(doc["predictions"][0]["time_s"], 4.0)
        doc = run_json("parse", "nothing here")
        self.assertEqual(doc["failure"]["reason"], "no_time_found")


class LmmsEvalCompatTests(unittest.TestCase):
    # Worked by reading lmms-eval's charades_sta/utils.py extract_time.
    CASES = [
        ("The given query happens in 20.8 - 30.0 seconds.", (20.8, 30.0)),
        ("from 12 to 16", (12.0, 16.0)),                 # "to" -> "-"
        ("from 12 seconds to 16 seconds", None),          # "12 seconds - 16": no pattern fits
        ("between 12 and 16", None),                      # one number per sentence
        ("The event starts at 12 seconds and ends at 16 seconds.", None),
        ('{"event": "jump", "start": 4.1, "end": 4.3}', None),   # one-line JSON
        ('{\n"start": 4.1,\n"end": 4.3\n}', (4.1, 4.3)),          # the same JSON on lines
        ("<time>4.1</time> <time>4.3</time>", None),
        ("4.1 — 4.3 seconds", None),                      # em dash
        ("4.1 – 4.3 seconds", (4.1, 4.3)),                # en dash is accepted
        ("Start: 24.3s\nEnd: 30.1s", (24.0, 30.0)),       # 24.3s read as 24
        ("2023-05-01", (5.0, 2023.0)),                    # a date scores as an interval
        ("16 - 12", (12.0, 16.0)),                        # reversed pairs are swapped
        ("00:01:05 - 00:01:10", (65.0, 70.0)),
        ("a tomato at 3-4", (3.0, 4.0)),                  # "tomato" -> "-ma-" is harmless here
    ]

    def test_extraction(self):
        for text, expected in self.CASES:
            with self.subTest(text=text):
                got = main.lmms_eval_extract(text)
                if expected is None:
                    self.assertIsNone(got)
                else:
                    self.assertAlmostEqual(got[0], expected[0])
                    self.assertAlmostEqual(got[1], expected[1])

    def test_iou_quirks(self):
        self.assertEqual(main.lmms_eval_iou((3, 3), (3, 3)), 0.0)    # zero union -> 0
        self.assertEqual(main.interval_iou((3, 3), (3, 3)), 1.0)     # ours: identical -> 1


def write_jsonl(folder, name, rows):
    path = os.path.join(folder, name)
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(row if isinstance(row, str) else json.dumps(row))
            f.write("\n")
    return path


class ScoringTests(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.TemporaryDirectory()
        self.addCleanup(self.folder.cleanup)

    def test_iou_by_hand_including_float_boundaries(self):
        self.assertAlmostEqual(main.interval_iou((0, 10), (5, 15)), 5 / 15)
        self.assertEqual(main.interval_iou((0, 1), (2, 3)), 0.0)
        self.assertEqual(main.interval_iou((2, 2), (0, 4)), 0.0)
        # By hand the IoU of (0.1, 0.4) and (0, 0.3) is 0.2 / 0.4 = 0.5; in floating point
        # it is 0.49999999999999994. The 1e-9 epsilon makes it count at IoU 0.5.
        iou = main.interval_iou((0.1, 0.4), (0.0, 0.3))
        self.assertLess(iou, 0.5)
        reading = main.parse_grounding('{"start": 0.1, "end": 0.4}')
        score = main.score_item(reading, main.GroundTruth(0.0, 0.3), (0.5,))
        tally = main.Tally((0.5,))
        tally.add(score)
        self.assertEqual(tally.summary()["r1"]["0.5"], 1.0)
        self.assertEqual(main.lmms_eval_iou((0.0, 0.3), (0.1, 0.4)) >= 0.5, False)

    def test_metrics_on_a_small_set(self):
        rows = [
            {"id": "1", "output": "from 4 to 6 seconds", "gt": [4, 6]},          # IoU 1, hit
            {"id": "2", "output": '{"start": 5, "end": 9}', "gt": [4, 6]},       # IoU 1/5
            {"id": "3", "output": "at 6.4 s", "gt": [4, 6]},                     # point, 0.4 off
            {"id": "4", "output": "no idea", "gt": [4, 6]},                      # failure
        ]
        path = write_jsonl(self.folder.name, "p.jsonl", rows)
        doc = run_json("evaluate", path)
        self.assertEqual((doc["n"], doc["parsed"]), (4, 3))
        self.assertAlmostEqual(doc["parse_rate"], 0.75)
        # ends 0 s off; 5-9 against 4-6 is 3 s off at its end; the point 6.4 lies 0.4 s
        # outside the span -> hits 1 and 3 at 0.5 s
        self.assertAlmostEqual(doc["accuracy"], 0.5)
        self.assertAlmostEqual(doc["mean_abs_error_s"], (0 + 3 + 0.4) / 3)
        self.assertAlmostEqual(doc["miou"], (1 + 0.2 + 0 + 0) / 4)
        self.assertEqual(doc["r1"], {"0.3": 0.25, "0.5": 0.25, "0.7": 0.25})
        self.assertEqual(doc["failure_counts"], {"no_time_found": 1})
        self.assertEqual(doc["by_format"]["json"]["n"], 1)
        doc = run_json("evaluate", path, "--point-as-interval", "2")
        # the point 6.4 becomes (5.4, 7.4): overlap 0.6 over a union of 3.4
        self.assertAlmostEqual(doc["miou"], (1 + 0.2 + 0.6 / 3.4 + 0) / 4)

    def test_recall_at_k(self):
        rows = [{"id": "1", "output": "1-2 s or maybe 4-6 s", "gt": [4, 6]}]
        doc = run_json("evaluate", write_jsonl(self.folder.name, "p.jsonl", rows))
        self.assertEqual(doc["recall_at_k_iou_0_5"], {"1": 0.0, "3": 1.0, "5": 1.0})

    def test_bad_lines_are_reported_and_skipped(self):
        rows = [{"id": "1", "output": "4-6 s", "gt": [4, 6]}, "not json", "[1, 2]",
                {"id": "2", "output": 5, "gt": [1, 2]}, {"id": "3", "gt": [1, 2]},
                {"id": "4", "output": "1-2 s", "gt": [3, 1]}]
        doc = run_json("evaluate", write_jsonl(self.folder.name, "p.jsonl", rows))
        self.assertEqual(doc["n"], 1)
        self.assertEqual([b["line"] for b in doc["bad_lines"]], [2, 3, 4, 5, 6])

    def test_a_bad_inline_duration_is_a_bad_line_not_ignored(self):
        rows = [{"id": str(k), "output": "3 to 5 s", "gt": gt, "duration": duration}
                for k, (gt, duration) in enumerate([([3, 5], "10"), ([3, 5], -5), ([3, 5], 0),
                                                    ([3, 5], math.nan), ([3, 50], 10),
                                                    ([3, 5], 10)])]
        doc = run_json("evaluate", write_jsonl(self.folder.name, "p.jsonl", rows))
        self.assertEqual(doc["n"], 1)
        reasons = [b["reason"] for b in doc["bad_lines"]]
        self.assertEqual(len(reasons), 5)
        self.assertIn('got "10"', reasons[0])
        self.assertIn("after the video's 10 s duration", reasons[4])

    def test_ids_twice_durations_too_short_and_no_match_are_said(self):
        folder = self.folder.name
        truth = os.path.join(folder, "ch.txt")
        with open(truth, "w") as handle:
            handle.write("vidA 3.0 5.0##a person opens a door\nvidA 10.0 12.5##a person sits\n")
        twice = write_jsonl(folder, "twice.jsonl", [{"id": "vidA#0", "output": "3 to 5 s"},
                                                     {"id": "vidA#0", "output": "30 to 50 s"}])
        doc = run_json("evaluate", twice, "--gt", truth)
        self.assertEqual(doc["n"], 1)
        self.assertIn("again (first on line 1)", doc["bad_lines"][0]["reason"])
        lengths = os.path.join(folder, "lengths.json")
        with open(lengths, "w") as handle:
            handle.write('{"vidA": 11}')
        late = write_jsonl(folder, "late.jsonl", [{"id": "vidA#1", "output": "10 to 12 s"}])
        status, _, err = run("evaluate", late, "--gt", truth, "--duration-file", lengths)
        self.assertEqual(status, 2)
        self.assertIn("after the video's 11 s in --duration-file", err)
        other = write_jsonl(folder, "other.jsonl", [{"id": "x#0", "output": "3 to 5 s"}])
        status, _, err = run("evaluate", other, "--gt", truth)
        self.assertIn("no id matches one in --gt: 'x#0' here, 'vidA#0'", err)
        # a lengths file keyed by other ids is said, not silently unused
        with open(lengths, "w") as handle:
            handle.write('{"x": 11}')
        status, _, err = run("evaluate", twice, "--gt", truth, "--duration-file", lengths)
        self.assertEqual(status, 2)
        self.assertIn("none of the 1 id in it names a prediction", err)
        with open(lengths, "w") as handle:
            handle.write('{"vidA": 60}')
        self.assertEqual(run_json("evaluate", twice, "--gt", truth, "--duration-file",
                                  lengths)["duration_file_matches"], 1)

    def test_a_file_with_no_usable_line_is_an_error(self):
        path = write_jsonl(self.folder.name, "p.jsonl", ["garbage", "more garbage"])
        status, _, err = run("evaluate", path)
        self.assertEqual(status, 2)
        self.assertIn("no usable prediction line", err)
        status, _, err = run("evaluate", self.folder.name)
        self.assertEqual((status, "is a folder" in err), (2, True))

    def test_compat_mode_reports_lmms_eval_percentages(self):
        rows = [{"id": "1", "output": "from 4 to 6", "gt": [4, 6]},
                {"id": "2", "output": "between 4 and 6", "gt": [4, 6]}]
        doc = run_json("evaluate", write_jsonl(self.folder.name, "p.jsonl", rows),
                       "--compat", "lmms-eval")
        # fractions in JSON, as every other JSON number (#25); the text shows percentages
        self.assertEqual(doc["r1"], {"0.3": 0.5, "0.5": 0.5, "0.7": 0.5})
        self.assertEqual(doc["miou"], 0.5)
        self.assertEqual(doc["parse_rate"], 0.5)
        _, text, _ = run("evaluate", write_jsonl(self.folder.name, "p.jsonl", rows),
                         "--compat", "lmms-eval")
        self.assertIn("50.00", text)
        ours = run_json("evaluate", write_jsonl(self.folder.name, "q.jsonl", rows))
        self.assertEqual(ours["miou"], 1.0)


class GroundTruthFormatTests(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.TemporaryDirectory()
        self.addCleanup(self.folder.cleanup)

    def path(self, name, text):
        path = os.path.join(self.folder.name, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def test_charades_sta(self):
        gt = self.path("charades.txt", "AO8RW 0.0 6.9##a person is putting a book on a shelf.\n"
                                       "AO8RW 8.2 12.9##person begins to play on a phone.\n")
        preds = write_jsonl(self.folder.name, "p.jsonl", [
            {"id": "AO8RW#0", "output": "0 - 6.9 seconds"},
            {"id": "AO8RW#1", "output": "8.2 to 12.9 s"},
            {"id": "ZZZ#0", "output": "1-2 s"}])
        doc = run_json("evaluate", preds, "--gt", gt)
        self.assertEqual((doc["gt_format"], doc["n"], doc["miou"]), ("charades", 2, 1.0))
        self.assertEqual(doc["predictions_without_truth"], ["ZZZ#0"])

    def test_activitynet_captions(self):
        gt = self.path("anet.json", json.dumps({"v_abc": {"duration": 20.0, "timestamps": [[1, 5], [6, 9]],
                                                          "sentences": ["one", "two"]}}))
        preds = write_jsonl(self.folder.name, "p.jsonl", [
            {"id": "v_abc#1", "output": "6 to 9 s"}, {"id": "v_abc#0", "output": "at 25 s"}])
        doc = run_json("evaluate", preds, "--gt", gt)
        self.assertEqual(doc["gt_format"], "activitynet")
        # "at 25 s" is past the 20 s video (the duration comes from the file): flagged, and
        # clipped to 20 s for scoring.
        self.assertEqual(doc["flag_counts"], {"beyond_duration": 1})
        self.assertEqual(doc["clipped"], 1)
        self.assertEqual(doc["truth_without_predictions_count"], 0)

    def test_qvhighlights(self):
        gt = self.path("qvh.jsonl", json.dumps({"qid": 7, "query": "a dog", "duration": 150,
                                                "relevant_windows": [[10, 20], [40, 50]]}) + "\n"
                       + json.dumps({"qid": 8, "query": "a cat", "duration": 150,
                                     "relevant_windows": [[0, 4]]}) + "\n")
        preds = write_jsonl(self.folder.name, "p.jsonl", [
            {"qid": 7, "pred_relevant_windows": [[40, 50, 0.9], [0, 2, 0.1]]}])
        doc = run_json("evaluate", preds, "--gt", gt)
        self.assertEqual((doc["gt_format"], doc["miou"]), ("qvhighlights", 1.0))
        self.assertEqual(doc["truth_without_predictions"], ["8"])

    def test_bad_ground_truth_files(self):
        preds = write_jsonl(self.folder.name, "p.jsonl", [{"id": "a#0", "output": "1-2 s"}])
        for name, text in (("bad.txt", "AO8RW zero 6.9##x\n"), ("bad.jsonl", '{"qid": 1}\n'),
                           ("empty.txt", "")):
            with self.subTest(name=name):
                status, _, err = run("evaluate", preds, "--gt", self.path(name, text))
                self.assertEqual(status, 2)
                self.assertIn(name, err)
                self.assertEqual(len(err.strip().splitlines()), 1)


class SchemaTests(unittest.TestCase):
    def test_schema_document(self):
        schema = run_json("schema")["schema"]
        self.assertEqual(schema["$schema"], "https://json-schema.org/draft/2020-12/schema")
        self.assertEqual(schema["$defs"]["event"]["required"], ["event", "start", "end", "confidence"])

    def test_validator_reports_paths(self):
        schema = main.GROUNDING_SCHEMA
        ok = [{"event": "jump", "start": 4.1, "end": 4.3, "confidence": 0.9}]
        self.assertEqual(main.validate(ok, schema, schema), [])
        self.assertEqual(main.validate({"error": "not_found"}, schema, schema), [])
        bad = [{"event": "jump", "start": 5, "end": 4, "confidence": 2, "extra": 1}]
        problems = dict(main.validate(bad, schema, schema))
        self.assertIn("$[0].confidence", problems)
        self.assertIn("$[0].extra", problems)
        self.assertIn("after end", problems["$[0]"])
        self.assertEqual(main.validate([], schema, schema), [("$", "needs at least 1 item(s)")])
        self.assertIn("$.error", dict(main.validate({"error": "x"}, schema, schema)))
        self.assertTrue(main.validate([{"event": "a", "start": "1", "end": 2, "confidence": 1}],
                                      schema, schema)[0][0] == "$[0].start")

    def test_validate_command(self):
        with tempfile.TemporaryDirectory() as folder:
            path = write_jsonl(folder, "a.jsonl", [
                [{"event": "jump", "start": 1, "end": 2, "confidence": 0.5}],
                {"output": "```json\n{\"error\": \"ambiguous\"}\n```"},
                {"output": "[{\"event\": \"x\", \"start\": 3, \"end\": 1, \"confidence\": 1}]"},
                "not json"])
            status, out, _ = run("schema", "--validate", path, "--json")
            doc = json.loads(out)
            self.assertEqual(status, 1)
            only_valid = write_jsonl(folder, "b.jsonl", ['{"error": "not_found"}'])
            self.assertEqual(run("schema", "--validate", only_valid)[0], 0)
        self.assertEqual((doc["valid"], doc["invalid"]), (2, 2))
        self.assertEqual([(v["line"], v["path"]) for v in doc["violations"]][:1], [(3, "$[0]")])


if __name__ == "__main__":
    unittest.main()


# Classes of answers real models write (issue 13), several variants each: (answer, duration,
# expected top-1 (kind, start, end), number of predictions or None to skip that check).
CLASSES = {
    "bare arrays and tuples": [
        ("[12.5, 17.0]", 60, (I, 12.5, 17.0), 1), ("[12.0s, 16.0s]", 60, (I, 12, 16), 1),
        ("(12.0, 16.0)", 60, (I, 12, 16), 1), ("[[13, 22]]", 60, (I, 13, 22), 1),
        ('{"answer": [13, 22]}', 60, (I, 13, 22), 1), ('{"span": [[13, 22]]}', 60, (I, 13, 22), 1),
        ("The answer is [3.5, 7]", 60, (I, 3.5, 7), 1), ("[[1, 2], [5, 6]]", 60, (I, 1, 2), 2),
        ("[0:12, 0:16]", 60, (I, 12, 16), 1)],
    "other keys and string values": [
        ('{"timestamps": [20, 30]}', 60, (I, 20, 30), 1),
        ('{"timestamp": "from 20.0 to 30.0"}', 60, (I, 20, 30), 1),
        ('{"segment": [20, 30]}', 60, (I, 20, 30), 1),
        ('{"interval": "00:12-00:16"}', 60, (I, 12, 16), 1),
        ('{"time_range": "12 - 16 seconds"}', 60, (I, 12, 16), 1),
        ('{"start_time": "12s", "end_time": "16s"}', 60, (I, 12, 16), 1),
        ('{"begin": 5, "finish": 9}', 60, (I, 5, 9), 1),
        ('{"result": {"start": 5, "end": 9}}', 60, (I, 5, 9), 1),
        ('{"description": "The event happens between 5 and 9 seconds."}', 60, (I, 5, 9), 1)],
    "labelled lines in any order": [
        ("Start: 20.0\nEnd: 30.0", 60, (I, 20, 30), 1), ("End: 9\nStart: 5", 60, (I, 5, 9), 1),
        ("The event ends at 9 seconds and starts at 5 seconds.", 60, (I, 5, 9), 1),
        ("start time: 3.2s, end time: 4.8s", 60, (I, 3.2, 4.8), 1),
        ("Ending: 14\nBeginning: 11", 60, (I, 11, 14), 1)],
    "compound and unusual writing": [
        ("1 min 5 s - 1 min 12 s", 100, (I, 65, 72), 1), ("1m5s", 100, (P, 65, 65), 1),
        ("1m5s to 1m12s", 100, (I, 65, 72), 1), ("t=80 to t=100", 120, (I, 80, 100), 1),
        (".5 - 2.5", 10, (I, 0.5, 2.5), 1), ("5. - 7.", 10, (I, 5, 7), 1),
        ("5 - 9 seonds", 10, (I, 5, 9), 1), ("5 secs to 9 secs", 10, (I, 5, 9), 1),
        ("from 5 sec. to 9 sec.", 10, (I, 5, 9), 1), ("1 minute and 5 seconds", 100, (P, 65, 65), 1),
        ("1h2m3s", None, (P, 3723, 3723), 1)],
    "Chinese": [
        ("5.0 至 9.0 秒", 10, (I, 5, 9), 1), ("从5秒到9秒", 10, (I, 5, 9), 1),
        ("1分5秒", 100, (P, 65, 65), 1), ("事件发生在 3.5 至 10.0 秒。", 20, (I, 3.5, 10), 1),
        ("１分５秒到１分１２秒", 100, (I, 65, 72), 1)],
    "echoed prompt examples": [
        ("A specific example is : 20.8 - 30.0 seconds. The event happens in 80 - 100 seconds.",
         120, (I, 80, 100), 1),
        ("Event A: 1 - 2 seconds\nThe event happens in 13 - 22 seconds.", 60, (I, 13, 22), 2),
        ("For example, the event 'person turn a light on' happens in the 24.3 - 30.4 seonds. "
         "The event happens in 5.1 - 9.9 seconds.", 60, (I, 5.1, 9.9), 1),
        ("e.g. 1 - 2 s. Here it occurs at 7 - 8 s.", 60, (I, 7, 8), 1)],
    "numbers outside the video": [
        ("from -2.0 to 4.0 seconds", 10, (I, -2, 4), 1), ("0 - 99999999", 60, (I, 0, 99999999), 1),
        ("1e9 - 2e9", 60, (I, 1e9, 2e9), 1), ("-1.5 to 3", 60, (I, -1.5, 3), 1)],
    "a bare number": [
        ("80", 100, (P, 80, 80), 1), ("24.3", 60, (P, 24.3, 24.3), 1), ("24.3.", 60, (P, 24.3, 24.3), 1),
        ("  7  ", 60, (P, 7, 7), 1), ("5.", 60, (P, 5, 5), 1)],
    # found by a newcomer's check: each was a point, two points or nothing
    "labels on one line, no separator": [
        ("Start: 3.0 End: 5.0", 60, (I, 3, 5), 1), ("start=3 end=5", 60, (I, 3, 5), 1),
        ("Begin 3 finish 5", 60, (I, 3, 5), 1)],
    "arrows": [
        ("3 -> 5 seconds", 60, (I, 3, 5), 1), ("3 --> 5", 60, (I, 3, 5), 1),
        ("00:00:03.000 --> 00:00:05.000", 60, (I, 3, 5), 1), ("3 → 5 s", 60, (I, 3, 5), 1)],
    "hedges and marks around the range word": [
        ("from around 3 to around 5 seconds", 60, (I, 3, 5), 1),
        ("from ~3 to ~5 s", 60, (I, 3, 5), 1),
        ("around 3 seconds to about 5 seconds", 60, (I, 3, 5), 1),
        ("From second 3 to second 5", 60, (I, 3, 5), 1),
        ("from the 3-second mark to the 5-second mark", 60, (I, 3, 5), 1)],
    "Chinese labels and ordinals": [
        ("开始时间：3秒，结束时间：5秒", 60, (I, 3, 5), 1), ("第3秒到第5秒", 60, (I, 3, 5), 1),
        ("从3秒开始到5秒结束", 60, (I, 3, 5), 1), ("从第3秒开始，到第5秒结束", 60, (I, 3, 5), 1),
        ("在第3秒到第5秒之间", 60, (I, 3, 5), 1),
        # the label after the time, and a full-width comma before the second time
        ("12秒开始，17秒结束", 60, (I, 12, 17), 1), ("在第12秒开始，在第17秒结束", 60, (I, 12, 17), 1),
        ("大约在第12秒开始，第17秒结束。", 60, (I, 12, 17), 1)],
    "a duration after the answer": [
        ("from 3.5 s to 5 s (duration: 1.5 s)", 60, (I, 3.5, 5), 1)],
    # each read the time it ruled out as the answer
    "a time the answer rules out": [
        ("It does not start at 5 s; it starts at 8 s and ends at 12 s.", 60, (I, 8, 12), 1),
        ("Not at 5 seconds but at 8 seconds.", 60, (P, 8, 8), 1),
        ("not at 3-5 s but at 7-9 s", 60, (I, 7, 9), 1),
        ("The jump is not between 2 and 4 s, it is between 6 and 9 s.", 60, (I, 6, 9), 1),
        ("It happens at 8 s, not 5 s.", 60, (P, 8, 8), 1),
        ("The answer isn't 12.5 s; it is 14 s.", 60, (P, 14, 14), 1),
        ("It happens at 20 s rather than 10 s.", 60, (P, 20, 20), 1),
        ("The cat jumps from 2.5 to 4 s, not from 6 to 7 s.", 60, (I, 2.5, 4), 1)],
    # a fourth newcomer's check: each was two points, a point first, or a failure
    "markdown bold": [
        ("The event occurs from approximately **12.5 seconds** to **17 seconds**.", 60,
         (I, 12.5, 17), 1),
        ("The event occurs between **12.5** and **17** seconds.", 60, (I, 12.5, 17), 1),
        ("**Start:** 3 s **End:** 5 s", 60, (I, 3, 5), 1)],
    "a range in brackets without a comma": [
        ("[00:12 - 00:17]", 60, (I, 12, 17), 1), ("[0:12-0:17]", 60, (I, 12, 17), 1),
        ("[12.5s - 17s]", 60, (I, 12.5, 17), 1), ("(12.5 to 17 s)", 60, (I, 12.5, 17), 1)],
    "the video's length beside the answer": [
        ("The video is 30 seconds long. The man jumps between 12 and 17 seconds.", 60,
         (I, 12, 17), 1),
        ("In this 60-second video, the cat jumps between 12 and 17 seconds.", 60, (I, 12, 17), 1),
        ("The 30 s clip shows the jump at 12-17 s.", 60, (I, 12, 17), 1)],
    "frame numbers beside the seconds": [
        ("The event occurs from frame 25 to frame 34, i.e., 12.5 to 17 seconds.", 60,
         (I, 12.5, 17), 1),
        ("The event occurs at 12.5-17 seconds (frames 25-34).", 60, (I, 12.5, 17), 1)],
    "labels written other ways": [
        ("Starting time: 12.5 Ending time: 17", 60, (I, 12.5, 17), 1),
        ("from 12.5 seconds up to 17 seconds", 60, (I, 12.5, 17), 1),
        ("begins at 12.5 s, concludes at 17 s", 60, (I, 12.5, 17), 1),
        ("<start>12.5</start><end>17.0</end>", 60, (I, 12.5, 17), 1),
        ("The event starts at 8 s. It does not end at 20 s; it ends at 12 s.", 60, (I, 8, 12), 1)],
    "SRT timestamps": [
        ("00:00:12,500 --> 00:00:17,000", 60, (I, 12.5, 17), 1),
        ("starts at 00:00:12,500 and ends at 00:00:17,000", 60, (I, 12.5, 17), 1)],
    "near-JSON and other keys": [
        ("{'start': 12.5, 'end': 17.0}", 60, (I, 12.5, 17), 1),
        ('{"start": 12.5, "end": 17.0,}', 60, (I, 12.5, 17), 1),
        ('{"relevant_windows": [[12.5, 17.0]]}', 60, (I, 12.5, 17), 1),
        ('{"moments": [[12.5, 17.0]]}', 60, (I, 12.5, 17), 1)],
    "Qwen3-VL's own time text": [
        ("<12.5 seconds> to <17.0 seconds>", 60, (I, 12.5, 17), 1)],
    # a fifth check: each was dropped as ruled out, or not read, by the first version of the
    # rules above
    "a negation about something else than the time": [
        ("The car is not visible from 10 to 15 s.", 60, (I, 10, 15), 1),
        ("The cat does not move from 3 to 9 seconds.", 60, (I, 3, 9), 1),
        ("The person opens the door (not the window) from 12 to 17 s.", 60, (I, 12, 17), 1),
        ("The man uses a knife instead of scissors from 30 to 45 s.", 60, (I, 30, 45), 1),
        ("The baby is crying rather than laughing from 12 to 17 seconds.", 60, (I, 12, 17), 1),
        ("The person won't stop dancing from 12 to 17 s.", 60, (I, 12, 17), 1),
        ('{"answer": "The cat does not move from 12 to 17 seconds"}', 60, (I, 12, 17), 1)],
    "a moment beside the words video, clip or frame": [
        ("The goal is scored at 0:45 video time.", 60, (P, 45, 45), 1),
        ("At 45 s clip time, the goal is scored.", 60, (P, 45, 45), 1),
        ("In the frame 12.5 s to 17 s, the cat jumps.", 60, (I, 12.5, 17), 1)],
    "a start and a length": [
        ("The event starts at 12 seconds and lasts 5 seconds.", 60, (I, 12, 17), 1),
        ("It starts at 12 s and lasts for about 5 seconds.", 60, (I, 12, 17), 1),
        ("At 12 s, lasting 5 s.", 60, (I, 12, 17), 1),
        ("The jump happens at 12 s for 2 s.", 60, (I, 12, 14), 1)],
    "labels after the time, and more Chinese": [
        ("12.5 s (start) - 17 s (end)", 60, (I, 12.5, 17), 1),
        ("Timestamp: 12.5 s (start), 17.0 s (end)", 60, (I, 12.5, 17), 1),
        ("12.5秒时开始，17秒时结束", 60, (I, 12.5, 17), 1),
        ("12秒左右开始，17秒左右结束", 60, (I, 12, 17), 1),
        ("起点12.5秒，终点17秒", 60, (I, 12.5, 17), 1),
        ("不是在5秒，而是在12秒到17秒。", 60, (I, 12, 17), 1),
        ("这个60秒的视频中，猫在20秒到25秒之间跳起。", 60, (I, 20, 25), 1)],
    "a negation that gives the time": [
        ("It doesn't begin until 5 s and ends at 8 s.", 60, (I, 5, 8), 1),
        ("I cannot tell exactly, but it starts at 5 s and ends at 7 s.", 60, (I, 5, 7), 1),
        ("It is not later than 5 s.", 60, (P, 5, 5), 1),
        ("It happens at 5 s, not just once.", 60, (P, 5, 5), 1),
        ("I am not sure it is 5 s.", 60, (P, 5, 5), 1),
        ("The cat is not visible at first and jumps at 5 s.", 60, (P, 5, 5), 1),
        ("The event does not occur until 5 seconds.", 60, (P, 5, 5), 1),
        ("I don't know exactly, it starts at 5 s and ends at 7 s.", 60, (I, 5, 7), 1)],
}
STILL_NOT_TIMES = ["frames 30-45", "from frame 30 to frame 45", "2023-05-01", "version 1.2.3 of the model", "the 3rd time", "2 people enter",
                   "The jump lasts 5 seconds.", "It happens 50% of the way through.",
                   "For example, it happens in 24.3 - 30.4 seconds."]


class AnswerClassTests(unittest.TestCase):
    def test_each_class(self):
        for name, cases in CLASSES.items():
            for text, duration, (kind, start, end), count in cases:
                with self.subTest(cls=name, text=text):
                    reading = main.parse_grounding(text, duration)
                    self.assertIsNone(reading.failure, reading.failure)
                    top = reading.predictions[0]
                    self.assertEqual(top.kind, kind)
                    self.assertAlmostEqual(top.start, start)
                    self.assertAlmostEqual(top.end, end)
                    if count is not None:
                        self.assertEqual(len(reading.predictions), count)

    def test_only_ruled_out_times_are_no_answer(self):
        for text in ("It does not happen at 5 s.", "Never between 2 and 4 seconds.",
                     "It is not at 00:05."):
            with self.subTest(text=text):
                self.assertEqual(main.parse_grounding(text, 60).failure[0], "negated")

    def test_still_not_times(self):
        for text in STILL_NOT_TIMES:
            with self.subTest(text=text):
                self.assertIsNotNone(main.parse_grounding(text, 60).failure)

    def test_generated_answers_round_trip(self):
        import random
        rng = random.Random(13)
        templates = [
            "[{a}, {b}]", "[{a}s, {b}s]", "({a}, {b})", "[[{a}, {b}]]", '{{"answer": [{a}, {b}]}}',
            '{{"span": "from {a} to {b}"}}', '{{"start_time": "{a}s", "end_time": "{b}s"}}',
            "Start: {a}\nEnd: {b}", "End: {b}\nStart: {a}",
            "The event ends at {b} seconds and starts at {a} seconds.", "t={a} to t={b}",
            "{a} - {b} seonds", "{a} 至 {b} 秒", "从{a}秒到{b}秒",
            "A specific example is : 20.8 - 30.0 seconds. The event happens in {a} - {b} seconds.",
            "Event A: 1 - 2 seconds\nThe event happens in {a} - {b} seconds.",
            "<time>{a}</time> <time>{b}</time>", "between {a} and {b}",
            "{ma} min {sa} s - {mb} min {sb} s", "{ma}m{sa}s to {mb}m{sb}s"]
        for k in range(2000):
            template = templates[k % len(templates)]
            a = round(rng.uniform(0, 50), 1)
            b = round(a + rng.uniform(0.5, 30), 1)
            ma, sa = divmod(int(a), 60)
            mb, sb = divmod(int(b) + 1, 60)
            text = template.format(a=a, b=b, ma=ma + 1, sa=sa, mb=mb + 1, sb=sb)
            if "{ma}" in template:
                a, b = (ma + 1) * 60 + sa, (mb + 1) * 60 + sb
            with self.subTest(text=text):
                reading = main.parse_grounding(text, None)
                self.assertIsNone(reading.failure, (text, reading.failure))
                top = reading.predictions[0]
                self.assertEqual((top.kind, round(top.start, 6), round(top.end, 6)),
                                 ("interval", a, b), text)


class ToleranceTests(unittest.TestCase):
    def score(self, text, truth):
        return main.score_item(main.parse_grounding(text), main.GroundTruth(*truth), (0.5,))

    def test_a_wide_interval_cannot_game_the_tolerance(self):
        # 0-25 s for a true 10-15 s has the right midpoint but is 10 s off at both ends.
        self.assertFalse(self.score("0 - 25 s", (10, 15)).hit[0])
        self.assertEqual(self.score("0 - 25 s", (10, 15)).abs_error_s, 10)
        self.assertTrue(self.score("10.4 - 14.6 s", (10, 15)).hit[0])
        self.assertFalse(self.score("10.4 - 15.6 s", (10, 15)).hit[0])

    def test_a_point_is_right_within_the_tolerance_of_the_span(self):
        self.assertTrue(self.score("at 12 s", (10, 15)).hit[0])
        self.assertTrue(self.score("at 15.5 s", (10, 15)).hit[0])
        self.assertFalse(self.score("at 15.6 s", (10, 15)).hit[0])
        self.assertTrue(self.score("at 4.2 s", (4.0, 4.0)).hit[0])

    def test_the_rule_is_stated(self):
        self.assertIn("both of its ends", main.TOLERANCE_RULE)
        import subprocess
        import sys
        out = subprocess.run([sys.executable, compiled_main(), "evaluate", "--help"],
                             capture_output=True, text=True).stdout
        self.assertIn("both of its ends", " ".join(out.split()))

    def test_clipping_for_scoring(self):
        reading = main.parse_grounding("from -2 to 4 s", 10)
        score = main.score_item(reading, main.GroundTruth(0, 4), (0.5,), None, 10)
        self.assertTrue(score.clipped)
        self.assertEqual((score.iou, score.hit[0]), (1.0, True))


DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
SAMPLES = os.path.join(DATA, "20260812_101530_samples_temporal_grounding_charades.jsonl")
RESULTS = os.path.join(DATA, "20260812_101530_results.json")


class LmmsSamplesTests(unittest.TestCase):
    # The example file follows ../shared/reference/lmms-eval-logs.md (0.7.3 lines). lmms-eval's
    # own aggregation (charades_sta/utils.py, run on this file) gives IOU@3/5/7 40.0 and mIOU
    # 39.00603171612552: 15 items, since line 15 repeats line 0's key.
    def test_side_by_side_with_the_results_file(self):
        doc = run_json("evaluate", SAMPLES, "--lmms-results", RESULTS)
        self.assertEqual((doc["input"], doc["task"], doc["lines"], doc["n"], doc["duplicates"]),
                         ("lmms-eval samples", "charades", 16, 15, 1))
        self.assertEqual(doc["lmms_eval"]["numbers_from"], "results file")
        self.assertEqual(doc["lmms_eval"]["r1"], {"0.3": 0.4, "0.5": 0.4, "0.7": 0.4})
        self.assertEqual(doc["lmms_eval"]["recomputed"]["r1"], doc["lmms_eval"]["r1"])
        self.assertAlmostEqual(doc["lmms_eval"]["miou"], 0.3900603171612552)
        self.assertGreater(doc["r1"]["0.5"], doc["lmms_eval"]["r1"]["0.5"])
        self.assertEqual(doc["rescued"]["count"], 6)
        self.assertEqual(sum(doc["rescued"]["by_reason"].values()), 6)
        self.assertTrue(doc["truth"]["float16"])
        for key in ("n", "r1", "miou", "failure_counts"):
            self.assertIn(key, doc)

    def test_compat_equals_the_harness_exactly(self):
        doc = run_json("evaluate", SAMPLES, "--compat", "lmms-eval")
        self.assertEqual(doc["r1"], {"0.3": 0.4, "0.5": 0.4, "0.7": 0.4})
        # The harness prints two decimals of a percent; its last float digit depends on its
        # Python's sum(), so compare after the same rounding.
        self.assertEqual(round(100 * doc["miou"], 2), 39.01)
        self.assertEqual(doc["n"], 15)

    def test_gt_round_undoes_float16(self):
        self.assertEqual(main.tool_truth("[24.296875, 30.40625]", 0.1)[:2], (24.3, 30.4))
        self.assertEqual(main.tool_truth("[24.296875, 30.40625]", None)[:2], (24.296875, 30.40625))
        plain = run_json("evaluate", SAMPLES)
        rounded = run_json("evaluate", SAMPLES, "--gt-round", "0.1")
        self.assertNotEqual(rounded["miou"], plain["miou"])
        self.assertFalse(rounded["truth"]["float16"])
        self.assertEqual(rounded["lmms_eval"], plain["lmms_eval"])
        _, out, _ = run("evaluate", SAMPLES)
        self.assertIn("float16", out)

    def test_older_lines_and_bad_truth(self):
        folder = tempfile.mkdtemp()
        self.addCleanup(__import__("shutil").rmtree, folder)
        key = "V1.mp4>>>a cup>>>[np.float16(2.0), np.float16(5.0)]"
        rows = [  # 0.4-0.6: filtered_resps a one-item list, the `submission` field
            {"doc_id": 0, "target": "[2.0, 5.0]", "filtered_resps": ["from 2 to 5 seconds"],
             "submission": {"V0.mp4>>>a dog>>>[2.0, 5.0]": "from 2 to 5 seconds"}},
            {"doc_id": 1, "target": key.split(">>>")[-1], "filtered_resps": "2 - 5 s",
             "charades_sta_mIOU": {key: "2 - 5 s"}}]
        path = write_jsonl(folder, "x_samples_temporal_grounding_charades.jsonl", rows)
        doc = run_json("evaluate", path)
        # lmms-eval reads "from 2 - 5 seconds" but cannot read the np.float16 truth: 0, kept.
        self.assertEqual(doc["lmms_eval"]["n"], 2)
        self.assertEqual(doc["lmms_eval"]["miou"], 0.5)
        self.assertEqual(doc["miou"], 1.0)
        self.assertEqual(doc["lmms_eval"]["unreadable_truth"], 1)      # and the text says so
        self.assertIn("could not read 1 truth (np.float16", " ".join(run("evaluate", path)[1].split()))
        # numpy 2's repr: the "16" of float16 is not a time (#25)
        self.assertEqual(main.tool_truth("[np.float16(24.3), np.float16(30.4)]", None)[:2],
                         (24.3, 30.4))

    def test_timelens_reads_its_own_way(self):
        folder = tempfile.mkdtemp()
        self.addCleanup(__import__("shutil").rmtree, folder)
        rows = [
            {"doc_id": 0, "target": "[[3.0, 9.5]]", "filtered_resps": "9.5 - 3.0",
             "timelens_mIOU": {"a.mp4>>>q>>>[[3.0, 9.5]]": "9.5 - 3.0"}},        # not swapped
            {"doc_id": 1, "target": "[[1.0, 2.0], [5.0, 6.0]]", "filtered_resps": "5 to 6",
             "timelens_mIOU": {"b.mp4>>>q>>>[[1.0, 2.0], [5.0, 6.0]]": "5 to 6"}},  # span[0]
            {"doc_id": 2, "target": "nan", "filtered_resps": "1 - 2",
             "timelens_mIOU": {"c.mp4>>>q>>>(1, 2)": "1 - 2"}}]                   # dropped
        path = write_jsonl(folder, "x_samples_timelens_charades.jsonl", rows)
        doc = run_json("evaluate", path, "--compat", "lmms-eval")
        self.assertEqual((doc["task"], doc["n"], doc["miou"]), ("timelens", 2, 0.0))
        self.assertEqual(main.timelens_extract("24.3s and then 30.1s"), (24.0, 30.0))
        self.assertEqual(main.timelens_extract("00:01:05 to 00:01:10"), (65.0, 70.0))

    def test_options_that_need_a_samples_file(self):
        answers = os.path.join(DATA, "answers.jsonl")
        truth = os.path.join(DATA, "charades_test.txt")
        for argv in (("--lmms-results", RESULTS), ("--gt-round", "0.1")):
            status, _, err = run("evaluate", answers, "--gt", truth, *argv)
            self.assertEqual(status, 2)
            self.assertIn("samples file", err)
        status, _, err = run("evaluate", SAMPLES, "--gt", truth)
        self.assertEqual(status, 2)
        status, _, err = run("evaluate", SAMPLES, "--lmms-results", answers)
        self.assertEqual(status, 2)
        self.assertIn("results", err)


class LazyPatternTests(unittest.TestCase):
    def test_a_pattern_compiles_on_first_use_and_then_is_the_compiled_one(self):
        import re
        main.TEST_ONLY_PATTERN = main.LazyPattern(r"a+", re.ASCII)
        self.addCleanup(delattr, main, "TEST_ONLY_PATTERN")
        kept = main.TEST_ONLY_PATTERN                   # a copy held elsewhere
        self.assertNotIsInstance(kept, re.Pattern)
        self.assertEqual(main.TEST_ONLY_PATTERN.search("caab").group(), "aa")
        self.assertIsInstance(main.TEST_ONLY_PATTERN, re.Pattern)    # the module's name
        self.assertEqual(main.TEST_ONLY_PATTERN.flags & re.ASCII, re.ASCII)
        self.assertEqual(kept.findall("a ba"), ["a", "a"])          # the copy still works
