"""The shape of code/main.py as a lesson: Part I on its own, each concept in one place."""

import ast
import re
import unittest

from support import MAIN_PATH, main

SOURCE = MAIN_PATH.read_text(encoding="utf-8")
LINES = SOURCE.splitlines()
TREE = ast.parse(SOURCE)
DEFS = {n.name: n for n in TREE.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
CONCEPTS = ("uniform sampler", "dynamic-FPS sampler", "motion scorer", "Qwen2.5-VL video tokens",
            "tolerance grounding evaluator")
PART_I_MAX_LINES = 2200
REACH_MAX_DEFINITIONS, REACH_MAX_LINES = 6, 120


def banner(pattern: str) -> int:
    return next(i + 1 for i, line in enumerate(LINES) if re.match(pattern, line))


def top_level_names(node: ast.AST) -> set:
    """Names of the file's own functions and classes that `node` mentions (annotations too)."""
    return {x.id for x in ast.walk(node) if isinstance(x, ast.Name) and x.id in DEFS}


def reach(name: str) -> list:
    """`name` and every top-level function or class it reaches, transitively."""
    seen, todo = [], [name]
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.append(current)
            todo += sorted(top_level_names(DEFS[current]) - set(seen))
    return seen


def lines_of(node: ast.AST) -> int:
    first = min([node.lineno] + [d.lineno for d in node.decorator_list])
    return node.end_lineno - first + 1


def lesson_map() -> dict:
    doc = ast.get_docstring(TREE)
    found = {}
    for concept in CONCEPTS:
        m = re.search(rf"^{re.escape(concept)}: (\w+)\(\)$", doc, re.M)
        found[concept] = m and m.group(1)
    return found


class PartOneTests(unittest.TestCase):
    def test_part_one_is_short_and_refers_to_nothing_below_it(self):
        start, end = banner(r"# PART I\b(?!I)"), banner(r"# PART II\b(?!I)")
        self.assertLessEqual(end - start, PART_I_MAX_LINES)
        below = {name for name, node in DEFS.items() if node.lineno >= end}
        for node in TREE.body:
            if start <= node.lineno < end:
                leaks = {x.id for x in ast.walk(node)
                         if isinstance(x, ast.Name) and x.id in below}
                self.assertFalse(leaks, getattr(node, "name", node.lineno))

    def test_each_concept_of_the_map_reads_in_two_screens(self):
        end = banner(r"# PART II\b(?!I)")
        for concept, name in lesson_map().items():
            with self.subTest(concept=concept):
                self.assertIn(name, DEFS, "the lesson map names no function for it")
                self.assertLess(DEFS[name].lineno, end, "it lives in Part I")
                reached = reach(name)
                self.assertLessEqual(len(reached), REACH_MAX_DEFINITIONS, reached)
                self.assertLessEqual(sum(lines_of(DEFS[n]) for n in reached), REACH_MAX_LINES)

    def test_every_function_fits_on_a_screen_and_every_line_in_100_columns(self):
        for node in ast.walk(TREE):
            if isinstance(node, ast.FunctionDef):
                self.assertLessEqual(node.end_lineno - node.lineno + 1, 50, node.name)
        wide = [k + 1 for k, line in enumerate(LINES) if len(line) > 100]
        self.assertEqual(wide, [])

    def test_each_sampler_is_one_function_of_the_settings(self):
        for name in ("uniform_sample", "dynamic_fps_sample", "event_driven_sample",
                     "keyframe_sample"):
            args = [a.arg for a in DEFS[name].args.args]
            self.assertEqual(args[-1], "s", name)
            self.assertEqual(DEFS[name].args.args[-1].annotation.id, "SamplerSettings")
            samplers = top_level_names(DEFS[name]) & {"uniform_sample", "dynamic_fps_sample",
                                                       "event_driven_sample", "keyframe_sample"}
            self.assertEqual(samplers, set(), "a sampler calls no other sampler")


if __name__ == "__main__":
    unittest.main()
