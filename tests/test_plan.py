import math
import os
import tempfile
import unittest

from support import ROOT, main, run, run_json


class PlanRuleTests(unittest.TestCase):
    def test_each_refusal_rule(self):
        cases = [
            (("--task", "summarization", "--duration", "1200", "--context-tokens", "16000"),
             "long-video-small-context", "hierarchical summarization"),
            (("--task", "temporal-grounding", "--duration", "60", "--target", "frontier"),
             "frontier-with-open-7b", "32B+"),
            (("--task", "monitoring", "--duration", "60", "--max-fps", "10"),
             "fps-cap-too-high", "at most 8 fps"),
        ]
        for argv, key, instead in cases:
            with self.subTest(rule=key):
                status, out, _ = run("plan", *argv)
                self.assertEqual(status, 0)
                self.assertIn("REFUSED", out)
                self.assertIn(instead, " ".join(out.split()))      # prose is wrapped
                doc = run_json("plan", *argv)
                self.assertTrue(doc["refused"])
                rule = next(r for r in main.RULES if r.key == key)
                self.assertTrue(any(rule.when in reason for reason in doc["reasons"]))

    def test_edges_of_the_refusal_rules_give_plans(self):
        for argv in (("--task", "summarization", "--duration", "600", "--context-tokens", "16000"),
                     ("--task", "summarization", "--duration", "1200", "--context-tokens", "32768"),
                     ("--task", "temporal-grounding", "--duration", "60", "--target", "frontier",
                      "--model-size", "32"),
                     ("--task", "monitoring", "--duration", "30", "--max-fps", "10"),
                     ("--task", "monitoring", "--duration", "60", "--max-fps", "8")):
            with self.subTest(argv=argv):
                self.assertFalse(run_json("plan", *argv)["refused"])

    def test_defaults_give_a_plan_for_every_task(self):
        for task in main.TASKS:
            with self.subTest(task=task):
                doc = run_json("plan", "--task", task, "--duration", "300")
                self.assertFalse(doc["refused"])
                for key in ("task", "sampler", "model", "design", "frame_pixels",
                            "temporal_encoding", "output_format", "how_to_feed", "source",
                            "benchmarks", "tokens", "context_fraction", "warnings", "refused",
                            "reasons"):
                    self.assertIn(key, doc)
                self.assertTrue(all(b["arxiv"] for b in doc["benchmarks"]))
                self.assertLessEqual(doc["context_fraction"], 0.40)

    def test_hard_rejects_are_never_proposed(self):
        for task in main.TASKS:
            for duration in (10, 60, 300, 900):
                for content in main.SAMPLER_FOR_CONTENT:
                    plan = main.plan_video(main.PlanRequest(task, duration, context=200000),
                                           main.plan_evidence(), content=content)
                    self.assertFalse(content == "action-heavy" and plan["sampler"] == "uniform")
                    self.assertFalse(plan["design"] in main.ONE_RATE_MODELS
                                     and plan["sampler"] != "uniform")
                    self.assertNotIn(plan["design"], ("video-llama", "video-llava"))
                    if task in main.TIME_TASKS:
                        self.assertNotIn(plan["design"], main.NO_TIME_DESIGNS)
        plan = main.plan_video(main.PlanRequest("agent-replay", 60), main.plan_evidence(),
                               content="action-heavy")
        self.assertEqual((plan["sampler"], plan["design"]), ("event", "qwen3-vl"))

    def test_asking_for_a_model_follows_what_it_supports(self):
        def plan_with(model, *source, task="temporal-grounding"):
            return run_json("plan", "--task", task, *(source or ("--duration", "60")),
                            "--model", model)
        llama = plan_with("video-llama")
        self.assertTrue(llama["refused"])
        self.assertIn("Video-LLaMA for a new project", llama["reasons"][0])
        qwen25 = plan_with("qwen2.5-vl")
        self.assertEqual((qwen25["refused"], qwen25["sampler"]), (False, "uniform"))
        action = plan_with("qwen2.5-vl", "--synth", "sports-60s", task="action-recognition")
        self.assertEqual((action["refused"], action["sampler"], action["frames_per_second"]),
                         (False, "uniform", 2.0))       # at 2 fps: see the test below
        llava = plan_with("video-llava")
        self.assertEqual(llava["output_format"], main.NO_TIME_FORMAT)
        self.assertEqual(llava["frames"], 8)

    def test_uneven_frames_go_to_qwen3_with_their_metadata(self):
        doc = run_json("plan", "--task", "temporal-grounding", "--duration", "120")
        self.assertEqual((doc["sampler"], doc["design"]), ("dynamic", "qwen3-vl"))
        self.assertIn("video_metadata", doc["how_to_feed"])
        self.assertIn("frames_indices", doc["how_to_feed"])

    def test_task_choices(self):
        grounding = run_json("plan", "--task", "temporal-grounding", "--duration", "120")
        self.assertEqual(grounding["sampler"], "dynamic")
        self.assertIn("timestamps", grounding["temporal_encoding"])
        self.assertIn("JSON", grounding["output_format"])
        self.assertIn("Charades-STA", [b["name"] for b in grounding["benchmarks"]])
        summary = run_json("plan", "--task", "summarization", "--duration", "120")
        self.assertEqual(summary["output_format"], "free text")
        clip = run_json("plan", "--task", "action-recognition", "--duration", "10")
        self.assertTrue(clip["output_format"].startswith("a label"))
        replay = run_json("plan", "--task", "agent-replay", "--duration", "60")
        # uniform frames go to the design compare measures best on them (Qwen3-VL, issue 22)
        self.assertEqual((replay["sampler"], replay["design"]), ("uniform", "qwen3-vl"))
        self.assertIsNone(replay["frame_pixels"]["rung_tokens"])      # full detail fits
        self.assertIn("'nframes': 60", replay["how_to_feed"])      # 120 frames would not fit

    def test_token_estimate_equals_the_token_code(self):
        doc = run_json("plan", "--task", "temporal-grounding", "--duration", "120")
        pixels = doc["frame_pixels"]
        facts = main.VideoFacts(3600, 30.0, 640, 360)
        budget = main.token_cost(doc["design"], facts, main.DesignOptions(
            qwen=main.QwenOptions(nframes=doc["frames"], min_pixels=pixels["min_pixels"],
                                  max_pixels=pixels["max_pixels"])))
        self.assertEqual(doc["tokens"], budget.total_tokens)
        self.assertEqual(pixels["resized"], [budget.workings["resized_height"],
                                             budget.workings["resized_width"]])
        self.assertAlmostEqual(doc["context_fraction"], budget.total_tokens / 32768)

    def test_pixels_shrink_to_stay_under_40_percent_and_warns_when_they_cannot(self):
        doc = run_json("plan", "--task", "temporal-grounding", "--duration", "300")
        self.assertLessEqual(doc["context_fraction"], 0.40)
        self.assertIsNotNone(doc["frame_pixels"]["rung_tokens"])
        self.assertLess(doc["frame_pixels"]["max_pixels"], 768 * 32 * 32)
        tight = run_json("plan", "--task", "temporal-grounding", "--duration", "300",
                         "--context-tokens", "100")
        self.assertGreater(tight["context_fraction"], 0.40)
        self.assertTrue(any("40%" in w for w in tight["warnings"]))

    def test_a_plan_by_duration_prices_the_size_given(self):
        wide = run_json("plan", "--task", "temporal-grounding", "--duration", "60")
        tall = run_json("plan", "--task", "temporal-grounding", "--duration", "60",
                        "--width", "360", "--height", "640")
        self.assertEqual(tall["frame_pixels"]["resized"], wide["frame_pixels"]["resized"][::-1])

    def test_a_rate_above_the_cap_is_said(self):
        # a 1 s video at --max-fps 1: the model still takes 2 frames, and the plan says so
        doc = run_json("plan", "--task", "monitoring", "--duration", "1", "--max-fps", "1")
        self.assertGreater(doc["frames"], 1)
        self.assertTrue(any("above --max-fps 1" in w for w in doc["warnings"]), doc["warnings"])
        calm = run_json("plan", "--task", "monitoring", "--duration", "60", "--max-fps", "1")
        self.assertFalse(any("above --max-fps" in w for w in calm["warnings"]))

    def test_measured_video_decides_the_sampler(self):
        expected = {"security-5min": "event", "sports-60s": "event", "cooking-3min": "event"}
        for preset, sampler in expected.items():
            with self.subTest(preset=preset):
                doc = run_json("plan", "--task", "monitoring", "--synth", preset)
                self.assertEqual(doc["sampler"], sampler)
                self.assertIn("decided_by", doc["measurement"])
        sports = run_json("plan", "--task", "action-recognition", "--synth", "sports-60s")
        self.assertEqual(sports["content"], "action-heavy")

    def test_a_plan_without_a_video_says_its_content_is_assumed(self):
        _, out, _ = run("plan", "--task", "temporal-grounding", "--duration", "60")
        self.assertIn("mixed content (assumed for the task: no video was measured",
                      " ".join(out.split()))
        _, out, _ = run("plan", "--task", "temporal-grounding", "--synth", "cat-jump")
        self.assertNotIn("assumed", out.splitlines()[0])

    def test_a_plan_beyond_the_context_is_refused(self):
        for tokens in ("1", "60"):
            doc = run_json("plan", "--task", "temporal-grounding", "--duration", "60",
                           "--context-tokens", tokens)
            self.assertTrue(doc["refused"], tokens)
            self.assertIn("beyond the whole context", " ".join(doc["reasons"]))
        self.assertFalse(run_json("plan", "--task", "temporal-grounding", "--duration", "60",
                                  "--context-tokens", "32768")["refused"])

    def test_the_measurement_a_sampler_cites_is_about_it_and_said_when_against_it(self):
        rows = {r["name"]: r
                for r in run_json("compare", "--suite", main.EVIDENCE_SUITE)["designs"]}
        motion, uniform = (rows[n]["accuracy_by_tolerance"]["0.5"]
                           for n in ("qwen3-vl-motion", "qwen3-vl"))
        for preset in ("cat-jump", "cooking-3min", "sports-60s"):
            plan = run_json("plan", "--task", "temporal-grounding", "--synth", preset)
            reason = " ".join(plan["sampler_reason"].split())
            with self.subTest(preset=preset, sampler=plan["sampler"]):
                if plan["sampler"] == "dynamic":
                    self.assertIn("motion-adaptive frames are right", reason)
                    self.assertEqual("does not bear the rule out" in reason, motion < uniform)
                elif plan["sampler"] != "uniform":
                    self.assertNotIn("motion-adaptive", reason)
                    self.assertIn(f"measures no {plan['sampler']}-sampled design", reason)

    def test_the_pixel_floor_is_per_patch_and_per_frame_in_the_plans_units(self):
        plan = run_json("plan", "--task", "monitoring", "--duration", "3600")
        floor = [w for w in plan["warnings"] if "documented minimum" in w]
        self.assertEqual(len(floor), 1)
        per_frame = main.VIDEO_MIN_TOKENS // main.FRAME_FACTOR
        self.assertIn(f"{main.VIDEO_MIN_TOKENS} tokens a 2-frame patch, {per_frame} a frame",
                      floor[0])
        self.assertLess(plan["tokens_per_frame"], per_frame)      # the warning's own case

    def test_uniform_frames_for_action_are_refused_only_below_two_fps(self):
        # the lesson's aliasing rule holds where frames are further apart than short actions;
        # at qwen-vl-utils' own 2 fps a one-rate model gets its plan
        plan = run_json("plan", "--task", "action-recognition", "--duration", "60",
                        "--model", "qwen2.5-vl")
        self.assertFalse(plan["refused"], plan["reasons"])
        self.assertEqual((plan["sampler"], plan["frames_per_second"]), ("uniform", 2.0))
        plan = run_json("plan", "--task", "action-recognition", "--duration", "1200",
                        "--model", "qwen2.5-vl")
        self.assertTrue(plan["refused"])
        self.assertIn("uniform sampling under 2 fps for action-heavy video", plan["reasons"][0])

    def test_a_plan_prices_its_frames_as_sample_does(self):
        # a list of frames goes to the processor in pairs, the last repeated when odd: the
        # plan's price is the price of that list, the same as `sample` gives the same frames
        plan = run_json("plan", "--task", "temporal-grounding", "--synth", "cooking-3min")
        rows = run_json("sample", "--synth", "cooking-3min")["results"]
        row = next(r for r in rows if r["strategy"] == plan["sampler"])
        self.assertEqual((plan["frames"], plan["tokens"]), (row["frames"], row["tokens"]))
        self.assertEqual(plan["frames"] % 2, 1)
        self.assertEqual(plan["priced_frames"], plan["frames"] + 1)
        plan = run_json("plan", "--task", "action-recognition", "--duration", "10")
        facts = main.nominal_facts(10.0)
        price = main.price_frames(plan["design"], plan["frames"], facts)
        self.assertEqual((plan["tokens"], plan["priced_frames"]),
                         (price.total_tokens, price.frames))
        _, out, _ = run("plan", "--task", "action-recognition", "--duration", "10")
        self.assertIn(f"({plan['priced_frames']} frames: the processor takes frames in pairs",
                      " ".join(out.split()))

    def test_bad_input(self):
        for argv in (("--task", "dancing", "--duration", "10"), ("--task", "monitoring"),
                     ("--task", "monitoring", "--duration", "-5"),
                     ("--task", "monitoring", "--duration", "10", "--context-tokens", "0"),
                     ("--task", "monitoring", "--duration", "10", "--synth", "cat-jump"),
                     ("--task", "monitoring", "--duration", "10", "--model", "gpt-5")):
            with self.subTest(argv=argv):
                status, _, err = run("plan", *argv)
                self.assertEqual(status, 2)
                self.assertEqual(len(err.strip().splitlines()), 1)


class SkillTests(unittest.TestCase):
    def test_committed_skill_file_is_current(self):
        status, out, _ = run("skill", "--check")
        self.assertEqual(status, 0, out)
        with open(os.path.join(ROOT, "outputs", main.SKILL_FILE), encoding="utf-8") as f:
            self.assertEqual(f.read(), main.render_skill(main.plan_evidence()))

    def test_skill_content(self):
        text = main.render_skill(main.plan_evidence())
        self.assertTrue(text.startswith("---\nname: video-vlm-frame-planner\n"))
        for fact in ("phase: 12", "lesson: 17", "2502.13923", "2306.02858", "2311.10122",
                     "2511.21631", "2503.20215", "2,056", "n_frms: 8"):
            self.assertIn(fact, text)
        for rule in main.RULES:
            self.assertIn(f"`{rule.key}`", text)
        self.assertEqual(text, main.render_skill(main.plan_evidence()))

    def test_check_reports_a_stale_file_and_out_writes_elsewhere(self):
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "skill.md")
            self.assertEqual(run("skill", "--out", path)[0], 0)
            self.assertEqual(run("skill", "--check", "--out", path)[0], 0)
            with open(path, "a", encoding="utf-8") as f:
                f.write("edited by hand\n")
            status, out, _ = run("skill", "--check", "--out", path)
            self.assertEqual(status, 1)
            self.assertIn("stale", out)
            status, _, _ = run("skill", "--check", "--out", os.path.join(folder, "none.md"))
            self.assertEqual(status, 1)
            status, _, err = run("skill", "--out", os.path.join(folder, "no", "x.md"))
            self.assertEqual(status, 2)


class ExerciseTests(unittest.TestCase):
    def test_exercise_1_prices_with_a_design_that_takes_such_lists(self):
        # 180 and 251 frames: an 8-frame design (Video-LLaVA) cannot take them
        status, _, err = run("exercise", "1", "--answer", "--design", "video-llava")
        self.assertEqual(status, 2)
        self.assertEqual(len(err.strip().splitlines()), 1)
        self.assertIn("qwen3-vl", err)
        self.assertEqual(run("exercise", "1", "--answer", "--design", "qwen2.5-vl")[0], 0)

    def test_exercise_5_names_where_its_sources_are(self):
        _, out, _ = run("exercise", "5", "--answer")
        self.assertIn("from the source its CSV names in its last column", " ".join(out.split()))
        _, csv_text, _ = run("exercise", "5", "--example-csv")
        self.assertEqual(csv_text.splitlines()[0].split(",")[-1], "source")

    def test_every_command_an_exercise_quotes_runs(self):
        quoted = set()
        for number in "12345":
            for extra in ((), ("--answer",)):
                _, out, _ = run("exercise", number, *extra)
                quoted.update(" ".join(out.split()).split("`")[1::2])
        commands = [q.removeprefix("python code/main.py ").split() for q in quoted]
        names = {entry[0] for entry in main.COMMANDS}
        commands = [c for c in commands if c[0] in names
                    and not any(word.isupper() for word in c)]        # FILE, NAME: to fill in
        self.assertGreaterEqual(len(commands), 6)
        for argv in commands:
            with self.subTest(argv=argv):
                status, _, err = run(*argv)
                self.assertEqual(status, 0, err)

    def test_exercise_1_numbers_match_the_samplers(self):
        doc = run_json("exercise", "1")
        rows = {r["sampler"]: r for r in doc["options"]}
        dynamic = run_json("sample", "--synth", "cooking-3min", "--strategy", "dynamic")
        dynamic = dynamic["results"][0]
        self.assertEqual(rows["dynamic 1-4 fps"]["frames"], dynamic["frames"])
        self.assertEqual(rows["dynamic 1-4 fps"]["events_hit"], dynamic["events_hit"])
        self.assertEqual(doc["pick_for_when"], "dynamic 1-4 fps")
        self.assertIn(doc["pick_for_what"], rows)
        facts = main.VideoFacts(1800, 10.0, 640, 360)
        self.assertEqual(rows["dynamic 1-4 fps"]["tokens"],
                         main.price_frames("qwen3-vl", dynamic["frames"], facts).total_tokens)
        self.assertEqual(dynamic["tokens"], rows["dynamic 1-4 fps"]["tokens"])

    def test_exercise_2_quotes_the_rope_demonstration(self):
        doc = run_json("exercise", "2")
        rope = run_json("rope", "--synth", "cooking-3min", "--strategy", "dynamic")
        self.assertEqual(doc["conclusion"], rope["conclusion"])
        self.assertLess(doc["uniform_demonstration"]["aligned_max_error_s"], 0.5)
        self.assertGreater(doc["demonstration"]["aligned_max_error_s"], 2.0)
        self.assertTrue(doc["omni_av_layout"]["pattern"].startswith("V598 A50 V598 A50"))

    def test_exercise_3_validates_examples(self):
        doc = run_json("exercise", "3")
        self.assertEqual([e["valid"] for e in doc["examples"]], [True, True, False, False, False])

    def test_exercise_4_explains_with_the_tools_numbers(self):
        doc = run_json("exercise", "4")
        self.assertIn("projecting", doc["question"])
        self.assertEqual(doc["video_llava"], {"image_tokens": 256, "frames": 8,
                                              "tokens_per_frame": 257, "video_tokens": 2056})
        self.assertEqual(doc["video_llama"]["video_tokens"], 32)
        by = {d["design"]: d for d in doc["designs"]}
        for name in main.DESIGNS:
            if not main.DESIGNS[name].hypothetical:
                facts = main.VideoFacts(9000, 30.0, 640, 360)
                self.assertEqual(by[name]["tokens"], main.token_cost(name, facts).total_tokens)
        self.assertEqual(doc["lesson_pooled"]["tokens"], 19200)
        _, out, _ = run("exercise", "4", "--answer")
        self.assertIn("19,200", out)
        self.assertIn("LLaVA-NeXT-Video", out)

    def test_exercise_5_gap_from_a_csv(self):
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "scores.csv")
            with open(path, "w", encoding="utf-8") as f:
                # Made-up numbers for the arithmetic only.
                f.write("model,access,params_b,temporal_encoding,videomme,source\n"
                        "A,proprietary,,unknown,80,test\nB-7B,open,7,time-aligned,60,test\n"
                        "B-72B,open,72,time-aligned,70,test\nC-7B,open,7,index,55,test\n")
            doc = run_json("exercise", "5", "--scores", path)
            self.assertEqual((doc["best_open"], doc["gap"]), ("B-72B", 10.0))
            self.assertAlmostEqual(doc["encoding_points"], 5.0)
            self.assertAlmostEqual(doc["scale_points_per_doubling"], 10 / math.log2(72 / 7))
            with open(path, "w", encoding="utf-8") as f:
                f.write("model,score\nA,1\n")
            status, _, err = run("exercise", "5", "--scores", path)
            self.assertEqual(status, 2)
            self.assertIn("missing column", err)
        shipped = run_json("exercise", "5")
        self.assertTrue(all(row["source"] for row in shipped["rows"]))
        self.assertEqual((shipped["best_proprietary"], shipped["best_open"]),
                         ("Gemini 2.5 Pro", "Qwen3-VL-32B"))
        self.assertAlmostEqual(shipped["gap"], 85.1 - 76.6)
        self.assertIsNone(shipped["gap_subs"])        # Gemini 2.5 Pro's row has no +subs score
        self.assertEqual(shipped["encoding_pairs"], [{"time_aligned": "Qwen2.5-VL-72B",
                                                      "index": "Qwen2-VL-72B",
                                                      "points": 73.3 - 71.2}])
        # the scale answer works on the default table: Qwen3-VL at four sizes (issue 22)
        xs = [math.log2(p) for p in (32, 8, 4, 2)]
        ys = [76.6, 71.4, 69.3, 61.9]
        mx, my = sum(xs) / 4, sum(ys) / 4
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
        self.assertAlmostEqual(shipped["scale_points_per_doubling"], slope)
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "table.csv")
            with open(path, "w", encoding="utf-8") as f:
                f.write(run_json("exercise", "5", "--example-csv")["csv"])
            self.assertEqual(run_json("exercise", "5", "--scores", path)["gap"], shipped["gap"])

    def test_bad_exercise_numbers(self):
        for argv in (("exercise", "0"), ("exercise", "6"), ("exercise", "1", "--scores", "x.csv")):
            self.assertEqual(run(*argv)[0], 2)


if __name__ == "__main__":
    unittest.main()
