"""What the tool says, held to its sources and its own measurements (issue 22): corrected
claims, plans that follow compare and keep their promises, exercises that ask first."""

import os
import re
import unittest

from support import ScratchTest, main, run, run_json


def write_cut_fade_clip(path, fps=10, width=32, height=18):
    """20 s: shots cut at 5 s and 10 s, a fade through black from 14 s to 15 s, a last shot."""
    def shot(k, t):
        return bytes((x * (k + 3) * 7 + y * (11 + 5 * k) + int(t * 3)) % 200 + 30
                     for y in range(height) for x in range(width))
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 Cmono\n".encode())
        for i in range(20 * fps):
            t = i / fps
            k = 0 if t < 5 else 1 if t < 10 else 2 if t < 14.5 else 3
            frame = shot(k, t)
            if 14 <= t < 15:                                    # fade out, then in
                level = abs(t - 14.5) * 2
                frame = bytes(int(v * level) for v in frame)
            out.write(b"FRAME\n" + frame)
    return path


class ClaimTests(unittest.TestCase):
    def test_video_llama_with_audio_states_no_times(self):
        silent = run_json("tokens", "--design", "video-llama", "--duration", "60")
        heard = run_json("tokens", "--design", "video-llama", "--duration", "60", "--audio")
        self.assertIn("sampled at 0.0, 7.5", silent["designs"][0]["workings"]["prompt_text"])
        details = heard["designs"][0]["workings"]
        self.assertFalse(details["prompt_states_times"])
        self.assertTrue(details["prompt_text"].startswith("Close your eyes, open your ears"))
        self.assertNotRegex(details["prompt_text"], r"\d")
        _, out, _ = run("tokens", "--design", "video-llama", "--duration", "60", "--audio")
        self.assertIn("without the frame times", " ".join(out.split()))

    def test_omni_default_steps_25_whatever_the_rate(self):
        doc = run_json("exercise", "2")
        for key in ("closest", "farthest"):
            self.assertEqual(doc["demonstration"][key]["omni_delta"], 25)
        self.assertIn("steps 25 and 25", doc["conclusion"])
        self.assertIn("own rate gets", doc["conclusion"])           # the variant, labelled

    def test_exercise_2_words_match_its_illustration(self):
        demo = run_json("exercise", "2")["demonstration"]
        for key in ("closest", "farthest"):
            stamps = demo[key]["timestamps"]
            shown = main.timestamp_seconds(stamps[1]) - main.timestamp_seconds(stamps[0])
            self.assertAlmostEqual(shown, demo[key]["time_gap_s"], delta=0.1 + 1e-9)

    def test_no_seven_b_qwen3_vl(self):
        for size, name in ((7, "Qwen3-VL-8B"), (3, "Qwen3-VL-2B"), (40, "Qwen3-VL-32B")):
            plan = run_json("plan", "--task", "temporal-grounding", "--duration", "60",
                            "--model-size", str(size))
            self.assertEqual(plan["model"], name)
        _, out, _ = run("plan", "--task", "temporal-grounding", "--duration", "60")
        self.assertNotIn("7B model", out)

    def test_one_rate_rule_says_what_qwen2_vl_does(self):
        rule = {r.key: r for r in main.RULES}["uneven-frames-one-rate"]
        self.assertIn("patch number", rule.reason)
        self.assertNotIn("Qwen2-VL takes", rule.reason)

    def test_tempcompass_is_not_a_grounding_benchmark(self):
        names = main.TASK_BENCHMARKS["temporal-grounding"]
        self.assertNotIn("TempCompass", names)
        self.assertIn("QVHighlights", names)
        self.assertIn("no start or end", main.BENCHMARKS["TempCompass"][1])

    def test_version_notes_are_printed_where_the_numbers_are(self):
        _, out, _ = run("tokens", "--duration", "600", "--width", "1920", "--height", "1080")
        flat = " ".join(out.split())
        self.assertIn("420x224, 46,080 tokens", flat)
        self.assertIn("224x128, 10,752 tokens", flat)
        self.assertIn("1.5625 becomes 1", flat)
        self.assertIn("4.52 to 5.17", flat)        # the cast, then int(), until 5.18

    def test_each_version_note_uses_that_version_s_frame_rule(self):
        # qwen-vl-utils 0.0.8 rounds the frame count to a pair where 0.0.10 floors it:
        # 40.75 s at 30 fps -> 81.5 -> 82 frames there, 80 here
        _, out, _ = run("tokens", "--duration", "40.75", "--design", "qwen2-vl")
        self.assertIn("takes 82 frames at 644x364, 12,259 tokens", " ".join(out.split()))
        # transformers' Qwen3-VL processor alone takes int(10.5 x 2) = 21 frames, unpaired,
        # and pads the last pair: 11 temporal patches of 11 x 20 tokens
        _, out, _ = run("tokens", "--duration", "10.5", "--design", "qwen3-vl")
        self.assertIn("takes 21 frames and the checkpoint's video budget gives 640x352, 2,420 "
                      "tokens", " ".join(out.split()))

    def test_a_tiny_frame_is_scaled_up_as_transformers_does(self):
        # a side under 32 scales both up first; the whole video is held above the floor
        self.assertEqual(main.qwen3_transformers_size(120, 16, 16), (32, 32))
        self.assertEqual(main.qwen3_transformers_size(120, 10, 40), (32, 128))
        self.assertEqual(main.qwen3_transformers_size(2, 32, 32), (64, 64))   # 2 x 32 x 32 < 4096

    def test_per_patch_time_is_read_at_the_middle_of_its_id(self):
        row = main.COMPARE_DESIGNS["per-patch-time"]
        units = main.perceived_units(row, [0.0, 0.1, 1.3, 1.4], 2.0, 2.0)
        self.assertEqual([u.stated_s for u in units], [0.25, 1.25])
        self.assertIn("0.5 s grid", row.change)


class PlanFollowsCompareTests(ScratchTest):
    def test_the_model_plan_picks_is_the_one_compare_measures_best(self):
        doc = run_json("compare", "--suite", main.EVIDENCE_SUITE)
        rows = {r["name"]: r for r in doc["designs"]}
        best = max(main.UNIFORM_CANDIDATES,
                   key=lambda n: (rows[n]["accuracy_by_tolerance"]["0.5"], -rows[n]["tokens"]))
        plan = run_json("plan", "--task", "agent-replay", "--duration", "60")
        self.assertEqual(plan["sampler"], "uniform")
        self.assertEqual(plan["design"], best)
        right = round(rows[best]["accuracy_by_tolerance"]["0.5"] * rows[best]["event_count"])
        self.assertIn(f"{right} of {rows[best]['event_count']}", plan["model_reason"])
        self.assertIn(main.evidence_command(main.UNIFORM_CANDIDATES), plan["model_reason"])
        skill = main.render_skill(main.plan_evidence())
        self.assertIn(f"for evenly spaced frames {main.DESIGNS[best].model}", skill)

    def test_plans_keep_their_promises(self):
        clip = write_cut_fade_clip(os.path.join(self.dir, "cuts.y4m"))
        sources = [("--synth", name) for name in ("cooking-3min", "security-5min",
                                                   "sports-60s")] + [("--video", clip)]
        # every task on the clip with cuts and a fade; on the presets (whose measured content
        # decides the sampler whatever the task), a task that asks when and one that does not
        runs = [(task, ("--video", clip)) for task in main.TASKS] + [
            (task, source) for task in ("temporal-grounding", "summarization")
            for source in sources[:-1]]
        for task, source in runs:
            if True:
                with self.subTest(task=task, source=source[1]):
                    plan = run_json("plan", "--task", task, *source)
                    if plan["refused"]:
                        continue
                    indices = plan["frame_indices"]
                    self.assertEqual(len(indices), plan["frames"])
                    warned = " ".join(plan["warnings"])
                    rate = plan["frames_per_second"]
                    if task in main.TIME_TASKS and rate < main.PLAN_MIN_GROUNDING_FPS:
                        self.assertIn("fewer than one per", warned)
        plan = run_json("plan", "--task", "temporal-grounding", "--video", clip)
        self.assertEqual(plan["sampler"], "keyframe")
        times = [i / 10 for i in plan["frame_indices"]]
        for first, stop in ((0, 5), (5, 10), (10, 14), (15, 20)):      # every shot has a frame
            self.assertTrue(any(first <= t < stop for t in times), (first, stop, times))
        self.assertGreater(max(times), 15.0)
        # a task that asks when sees every part of every shot: no stretch longer than the
        # grounding minimum's spacing without a frame (a keyframe per shot left 42% unseen)
        step = 1 / main.PLAN_MIN_GROUNDING_FPS
        edges = [0.0] + times + [20.0]                          # the clip is 20 s
        self.assertLessEqual(max(b - a for a, b in zip(edges, edges[1:])), step + 0.1, times)
        self.assertNotIn("dropped", " ".join(plan["warnings"]))
        for task in ("summarization", "action-recognition"):   # neither asks when (20 s clip)
            other = run_json("plan", "--task", task, "--video", clip)
            self.assertNotIn("asks when", other["sampler_reason"], task)
        # when fewer frames fit, the plan says how far short of its promise it falls
        tight = run_json("plan", "--task", "temporal-grounding", "--video", clip,
                         "--context-tokens", "600")
        self.assertIn("would reach across the longest shot, but only", tight["sampler_reason"])

    def test_long_and_small_plans_warn(self):
        hour = run_json("plan", "--task", "temporal-grounding", "--duration", "3600")
        warned = " ".join(hour["warnings"])
        self.assertIn("fewer than one per 2 s", warned)
        self.assertIn("became", warned)                      # 1-4 fps is not what it delivers
        summary = run_json("plan", "--task", "summarization", "--duration", "1200")
        self.assertIn("documented minimum", " ".join(summary["warnings"]))
        _, out, _ = run("plan", "--task", "summarization", "--duration", "1200")
        self.assertIn("warning: frames shrink", out)

    def test_shot_spans_and_promises(self):
        cuts = (main.Cut(50, 5.0, 0.9), main.Cut(100, 10.0, 0.9))
        fades = (main.Transition("fade", 140, 150, 14.0, 15.0),)
        shots = main.shot_spans(200, cuts, fades)
        self.assertEqual(shots, [(0, 50), (50, 100), (100, 140), (150, 200)])
        warnings = main.plan_promises([0, 10, 60, 105], 10.0, 200, shots)
        self.assertTrue(any("1 of 4 shots get no frame" in w for w in warnings))
        self.assertTrue(any("dropped" in w for w in warnings))


class ExerciseTests(unittest.TestCase):
    def test_each_exercise_asks_before_it_answers(self):
        for number in range(1, 6):
            with self.subTest(exercise=number):
                _, question, _ = run("exercise", str(number))
                self.assertTrue(question.startswith(f"Exercise {number}."))
                self.assertIn("--answer", question)
                self.assertRegex(question, r"Helps: `")
                _, answered, _ = run("exercise", str(number), "--answer")
                head, _, answer = answered.partition("\n\nAnswer:\n")
                self.assertEqual(" ".join(head.split()),
                                 " ".join(question.split("\n\n")[0].split()))
                self.assertTrue(answer.strip())
                doc = run_json("exercise", str(number))
                self.assertEqual(doc["question"], main.EXERCISE_QUESTIONS[number])

    def test_exercise_1_accepts_the_options_it_suggests(self):
        _, out, _ = run("exercise", "1", "--answer")
        suggested = re.search(r"`exercise 1 ([^`]*)`", " ".join(out.split())).group(1)
        self.assertIn("--design", suggested)
        doc = run_json("exercise", "1", "--design", "qwen2.5-vl", "--width", "1280",
                       "--height", "720")
        self.assertEqual(doc["priced_as"], {"design": "qwen2.5-vl", "width": 1280,
                                            "height": 720})
        self.assertEqual(run("exercise", "2", "--design", "qwen2.5-vl")[0], 2)

    def test_exercise_5_default_table_has_current_open_models(self):
        doc = run_json("exercise", "5")
        qwen3 = [r for r in doc["rows"] if r["model"].startswith("Qwen3-VL-")]
        self.assertGreaterEqual(len({r["params_b"] for r in qwen3}), 2)
        self.assertEqual(doc["scale_family"], "Qwen3-VL")
        self.assertIsNotNone(doc["scale_points_per_doubling"])
        self.assertTrue(all(re.search(r"20\d\d", r["source"]) for r in doc["rows"]))


if __name__ == "__main__":
    unittest.main()
