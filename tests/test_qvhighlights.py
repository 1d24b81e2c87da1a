"""QVHighlights' official numbers (issue 23): moment retrieval mAP and R1 by window length, and
highlight detection, as jayleicn/moment_detr standalone_eval computes them. Cases worked by
hand (and confirmed with the official script), then a generated file checked against a second,
plain implementation written here from the definitions."""

import contextlib
import io
import json
import os
import random
import unittest

from support import ScratchTest, main, run, run_json


def q(truth, windows, clips=0, saliency=None, predicted=None):
    return main.QvhQuery(tuple(map(tuple, truth)), None if windows is None else
                         tuple(map(tuple, windows)), clips, saliency or {}, predicted)


class HandWorkedTests(unittest.TestCase):
    def test_two_truths_and_a_duplicate_match(self):
        # p2 repeats p1's window: G1 is matched once, so p2 is a false positive.
        aps = main.query_ap([(10, 20), (40, 60)],
                            [(10, 20, .9), (10, 20, .8), (40, 56, .7), (0, 5, .6)])
        for threshold, ap in zip(main.QVH_THRESHOLDS, aps):
            expected = 0.5 + 0.5 * 2 / 3 if threshold <= 0.8 else 0.5
            self.assertAlmostEqual(ap, expected, msg=threshold)
        mr = main.moment_retrieval([q([(10, 20), (40, 60)], [(10, 20, .9), (10, 20, .8),
                                                             (40, 56, .7), (0, 5, .6)])], None)
        self.assertAlmostEqual(mr["map"]["average"], (7 * (0.5 + 1 / 3) + 3 * 0.5) / 10)
        self.assertEqual(main.official_percent(mr["map"]["average"]), 73.33)
        self.assertEqual(mr["r1"]["0.95"], 1.0)

    def test_ties(self):
        # Tied scores keep their listed order (a stable sort); R1 takes the first listed.
        tied = main.moment_retrieval([q([(0, 10)], [(50, 60, .5), (0, 10, .5)])], None)
        self.assertAlmostEqual(tied["map"]["average"], 0.5)
        self.assertEqual(tied["r1"]["0.5"], 0.0)
        # Tied IoUs between true windows: numpy's argsort tries the last-listed first.
        first = main.moment_retrieval([q([(0, 10), (10, 20)], [(0, 20, .9), (10, 20, .8)])],
                                      None)
        swapped = main.moment_retrieval([q([(10, 20), (0, 10)], [(0, 20, .9), (10, 20, .8)])],
                                        None)
        self.assertAlmostEqual(first["map"]["average"], 0.275)
        self.assertAlmostEqual(swapped["map"]["average"], 0.325)

    def test_no_prediction_is_a_miss(self):
        # The official script leaves an empty list out of mAP, then fails on R1; a miss here.
        mr = main.moment_retrieval([q([(0, 10)], [(0, 10, .9)]), q([(20, 30)], None)], None)
        self.assertEqual(mr["queries"], 2)
        self.assertAlmostEqual(mr["map"]["average"], 0.5)
        self.assertEqual(mr["r1"]["0.5"], 0.5)

    def test_highlights_on_five_clips(self):
        saliency = {1: (4, 2, 1), 2: (2, 3, 0), 3: (1, 4, 4)}
        query = q([(2, 8)], [(2, 8, 1)], 5, saliency, (.1, .9, .5, .5, .2, .7))
        fair = main.highlight_detection([query], 2)
        self.assertAlmostEqual(fair["map"], (5 / 6 + 1 + 1 / 3) / 3)
        self.assertEqual(fair["hit1"], 1.0)
        self.assertAlmostEqual(main.highlight_detection([query], 3)["map"], 2 / 3)
        self.assertAlmostEqual(main.highlight_detection([query], 4)["map"], 5 / 9)
        short = q([(2, 8)], [(2, 8, 1)], 5, saliency, (.3, .9))           # padded with zeros
        self.assertAlmostEqual(main.highlight_detection([short], 2)["map"], 1.7 / 3)
        past = q([(2, 8)], [(2, 8, 1)], 5, saliency, (.1, .2, .3, .4, .5, .99))
        self.assertEqual(main.highlight_detection([past], 2)["hit1"], 0.0)  # top clip past the end

    def test_bucket_edges_at_10_and_30_seconds(self):
        queries = [q([(0, 10)], [(0, 10, .9)]),
                   q([(0, 30), (100, 110)], [(0, 30, .9), (100, 110, .8)]),
                   q([(0, 30.5)], [(0, 30, .9)]),
                   q([(50, 60.5)], [(50, 58, .9)])]
        doc = main.qvhighlights_scores(queries, False)["mr"]
        self.assertEqual([doc[b]["queries"] for b in ("full", "short", "middle", "long")],
                         [4, 2, 2, 1])
        self.assertAlmostEqual(doc["short"]["map"]["average"], 0.75)
        self.assertEqual(doc["short"]["r1"]["0.5"], 0.5)
        self.assertAlmostEqual(doc["middle"]["map"]["average"], 0.8)
        self.assertAlmostEqual(doc["long"]["map"]["average"], 1.0)
        self.assertAlmostEqual(doc["full"]["map"]["average"], 0.9)

    def test_official_rounding(self):
        self.assertEqual(main.official_percent(1 / 800), 0.12)     # 0.125 exactly: half to even
        self.assertEqual(main.official_percent(0.73333333), 73.33)


def plain_ap(truth, windows, threshold):
    """A second implementation, from the definitions: greedy matching by score, every GT once,
    interpolated precision summed over recall steps (no ties among IoUs in the data below)."""
    ranked = sorted(windows[:10], key=lambda w: -w[2])
    used, hits, curve = set(), 0, []
    for k, w in enumerate(ranked, 1):
        options = [(main.window_iou(w, t), j) for j, t in enumerate(truth) if j not in used]
        best = max(options, default=(0, None))
        if best[1] is not None and best[0] >= threshold:
            used.add(best[1])
            hits += 1
        curve.append((hits / len(truth), hits / k))
    ap, previous = 0.0, 0.0
    for recall, _ in curve:
        if recall > previous:
            ap += (recall - previous) * max(p for r, p in curve if r >= recall)
            previous = recall
    return ap


class GeneratedFileTests(ScratchTest):
    def test_a_few_hundred_queries_against_a_second_implementation(self):
        rng = random.Random(7)
        truth_rows, prediction_rows, expected = [], [], []
        for qid in range(300):
            duration = 150
            starts = rng.sample(range(0, 140, 12), rng.randint(1, 3))
            truth = [[s, s + rng.choice((4, 8, 12))] for s in sorted(starts)]
            windows = [[round(rng.uniform(0, 140), 3), 0, round(rng.random(), 6)]
                       for _ in range(rng.randint(1, 12))]
            for w in windows:
                w[1] = round(w[0] + rng.uniform(1, 10), 3)
            truth_rows.append({"qid": qid, "duration": duration, "relevant_windows": truth})
            prediction_rows.append({"qid": qid, "pred_relevant_windows": windows})
            expected.append([plain_ap(truth, windows, t) for t in main.QVH_THRESHOLDS])
        gt = os.path.join(self.dir, "gt.jsonl")
        predictions = os.path.join(self.dir, "pred.jsonl")
        with open(gt, "w") as handle:
            handle.writelines(json.dumps(r) + "\n" for r in truth_rows)
        with open(predictions, "w") as handle:
            handle.writelines(json.dumps(r) + "\n" for r in prediction_rows)
        doc = run_json("evaluate", predictions, "--gt", gt)["qvhighlights"]
        for k, threshold in enumerate(main.QVH_THRESHOLDS):
            mean = sum(row[k] for row in expected) / len(expected)
            self.assertAlmostEqual(doc["mr"]["full"]["map"][f"{threshold:g}"], mean, places=12)
        self.assertEqual(doc["mr"]["full"]["queries"], 300)
        self.assertNotIn("hl", doc)                              # no saliency to judge

    def test_a_line_that_is_not_qvhighlights_says_the_shape(self):
        with self.assertRaises(main.UserError) as caught:
            main.qvhighlights_truths('{"qid": 1, "duration": 10}\n', "gt.jsonl")
        self.assertIn("({qid, duration, relevant_windows})", str(caught.exception))

    def test_text_json_and_misses(self):
        gt = os.path.join(self.dir, "gt.jsonl")
        with open(gt, "w") as handle:
            for qid, window in ((1, [0, 8]), (2, [20, 44]), (3, [60, 100])):
                handle.write(json.dumps({"qid": qid, "duration": 150, "relevant_windows": [window],
                                         "relevant_clip_ids": [window[0] // 2],
                                         "saliency_scores": [[4, 3, 2]]}) + "\n")
        predictions = os.path.join(self.dir, "pred.jsonl")
        with open(predictions, "w") as handle:
            handle.write('{"qid": 1, "pred_relevant_windows": [[0, 8, 0.9]], '
                         '"pred_saliency_scores": [1, 0]}\n')
            handle.write('{"qid": 2, "output": "From 20 to 44 seconds, or maybe 50 to 60."}\n')
            handle.write('{"qid": 9, "pred_relevant_windows": [[1, 2, 0.5]]}\n')
            handle.write('{"qid": 3, "pred_relevant_windows": [[5, "x", 1]]}\n')
        status, out, err = run("evaluate", predictions, "--gt", gt, "--json")
        self.assertEqual(status, 0, err)
        doc = json.loads(out)
        qv = doc["qvhighlights"]
        self.assertEqual(set(qv["mr"]), {"full", "short", "middle", "long"})
        self.assertEqual(set(qv["mr"]["full"]["map"]), {f"{t:g}" for t in main.QVH_THRESHOLDS}
                         | {"average"})
        self.assertEqual(set(qv["hl"]), {"fair", "good", "very_good"})
        self.assertEqual(qv["without_windows"], 1)               # qid 3's window is malformed
        self.assertAlmostEqual(qv["mr"]["full"]["r1"]["0.5"], 2 / 3)
        self.assertIn("9", doc["predictions_without_truth"])
        _, text, _ = run("evaluate", predictions, "--gt", gt)
        self.assertIn("MR-mAP", text)
        self.assertIn("HIT@1", text)
        self.assertIn("Counted as misses", text)
        out = io.StringIO()
        with contextlib.redirect_stdout(out), self.assertRaises(SystemExit):
            main.main(["evaluate", "--help"])
        self.assertIn("MR mAP", " ".join(out.getvalue().split()))


if __name__ == "__main__":
    unittest.main()
