import json
import os
import tempfile
import unittest

from support import main, run, run_json

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
    ('{"start": -1, "end": 3}', 10, "negative"),
    ('{"start": 8, "end": 12}', 10, "out_of_range"),
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
    ("1e9 seconds", None, "no_time_found"),
    ("the 3rd time", 10, "no_time_found"),
    ("4,5 s", 10, "ambiguous"),
    ("The jump lasts 5 seconds.", 10, "no_time_found"),
    ("I cannot tell.", 10, "no_time_found"),
    ("", 10, "empty"),
    ("   \n ", 10, "empty"),
    ("from -2 to 4 s", 10, "negative"),
    ("5 to 3 seconds", 10, "reversed"),
    ("from 8 to 12 seconds", 10, "out_of_range"),
    ("It happens 50% of the way through.", 10, "no_time_found"),
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

    def test_policies(self):
        swap = main.ParsePolicy(swap_reversed=True)
        self.assertEqual(main.parse_grounding("5 to 3 seconds", 10, swap).predictions[0][1:3], (3, 5))
        clip = main.ParsePolicy(clip=True)
        self.assertEqual(main.parse_grounding("from 8 to 12 s", 10, clip).predictions[0][1:3], (8, 10))
        self.assertIsNone(main.parse_grounding("from 8 to 12 s", None).failure)

    def test_json_event_and_confidence_are_kept(self):
        p = main.parse_grounding('{"event": "jump", "start": 1, "end": 2, "confidence": 0.9}').predictions[0]
        self.assertEqual((p.event, p.confidence), ("jump", 0.9))

    def test_parse_command_json(self):
        doc = run_json("parse", "between 12 and 16")
        self.assertEqual(doc, {"predictions": [{"kind": "interval", "start": 12.0, "end": 16.0,
                                                "format": "free_text", "event": None,
                                                "confidence": None}], "failure": None})
        doc = run_json("parse", "at 4 s")
        self.assertEqual(doc["predictions"][0]["time"], 4.0)
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
        # midpoints: 5 (inside), 7 (1 s off), 6.4 (0.4 s off) -> hits 1 and 3 at 0.5 s
        self.assertAlmostEqual(doc["accuracy"], 0.5)
        self.assertAlmostEqual(doc["mean_abs_error_s"], (0 + 1 + 0.4) / 3)
        self.assertAlmostEqual(doc["miou"], (1 + 0.2 + 0 + 0) / 4)
        self.assertEqual(doc["r1"], {"0.3": 0.25, "0.5": 0.25, "0.7": 0.25})
        self.assertEqual(doc["failures"], {"no_time_found": 1})
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
        self.assertEqual(doc["r1"], {"0.3": 50.0, "0.5": 50.0, "0.7": 50.0})
        self.assertEqual(doc["miou"], 50.0)
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
        self.assertEqual(doc["failures"], {"out_of_range": 1})   # duration comes from the file
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
        schema = run_json("schema")
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
        self.assertEqual(doc["results"][2]["violations"][0]["path"], "$[0]")


if __name__ == "__main__":
    unittest.main()
