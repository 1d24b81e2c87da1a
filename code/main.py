"""video-vlm-lab: how video-language models turn video into tokens and say "at what second".

A teaching and measuring tool for the lesson on Video-LLaMA, Video-LLaVA and Qwen2.5-VL, with
the LLaVA-NeXT line (pooled per frame), InternVL3, Qwen2-VL, Qwen3-VL and Qwen2.5-Omni beside
them, each as its released code behaves. Standard library only: run `python code/main.py` for
an overview, `--help` for every subcommand, or `pip install .` for the same program as the
`video-vlm-lab` command.

Lesson map: the function that holds each concept; it and what it calls fit on two screens
uniform sampler: uniform_sample()
dynamic-FPS sampler: dynamic_fps_sample()
motion scorer: motion_scores()
Qwen2.5-VL video tokens: qwen_video_tokens()
tolerance grounding evaluator: score_item()
(and beside them in Part I, the event-driven and keyframe samplers, event_driven_sample() and
keyframe_sample(); the shot-change detector, detect_cuts(); the Q-former per clip,
video_llama_cost(); pooled per frame, onevision_cost(); time-aligned positions, position_ids())

Part I, the lesson, in the order it teaches (pure functions; nothing in it refers below it)
    §1  Sampling          uniform, dynamic FPS, event-driven, keyframe+context    sample, plot
    §2  Motion            mean |luma change| per frame, windows, hard cuts,       motion
                          dissolves and fades
    §3  Tokens            one Design per model: its frames, its token cost        tokens
                          function and its source (DESIGNS)
    §4  Positions         index vs time-aligned M-RoPE vs text timestamps;        rope
                          Qwen2.5-Omni's TMRoPE; exercise 2's demonstration
    §5  Grounding         scoring an answer: IoU, R@1, both-ends tolerance,       evaluate
                          recall@k, the running tally
Part II, the machinery, and the runs built from the lesson
    §6  Reading answers   free text (TIME_PATTERN), JSON, <time> tags, brackets   parse
    §7  Synthetic video   seeded scenes with exact events and cuts                synth
    §8  Video files       Y4M and PGM/PPM, read streaming; Y4M written
    §9  Fast pixels       the big-integer lanes behind motion_scores, the one-pass
                          analysis, cells, the box filter
    §10 Evaluation files  text input, GT_FORMATS, lmms-eval logs, QVHighlights'   evaluate,
                          official numbers, the JSON Schema                       schema
    §11 Compare           the simulated reader, its assumptions, the findings     compare
    §12 Plan              the rule table, the skill file, exercises 1-5           plan, skill,
                                                                                  exercise
    §13 Output            careful file writes, tables and prose, SVG, PNG sheets
Part III, the command line
    §14 Subcommands       one block each: its handler and its text                bench too
    §15 The program       OPTIONS (every option once), COMMANDS, build_parser() and main(),
                          the one place that writes to stdout

Vocabulary of the lesson
    frame budget   the most frames a model is given (`--max-frames`); a sampler never exceeds it
    dynamic FPS    the lesson: a frame rate that rises with motion (1-4 fps); Qwen2.5-VL's paper
                   means a rate chosen per video, evenly spaced inside it (the dynamic sampler
                   here is the lesson's idea; Qwen3-VL's text timestamps can carry its times)
    temporal patch two consecutive frames that the Qwen models encode together
    M-RoPE         3-axis rotary positions (t, h, w); index (Qwen2-VL) or time-aligned, one
                   seconds-per-patch per video (Qwen2.5-VL)
    TMRoPE         Qwen2.5-Omni's time-aligned M-RoPE, 25 ids a second, audio interleaved in
                   2-second chunks (the lesson gives the name to Qwen2.5-VL)
    hypothetical   a design no released model has (the naive baseline, per-patch time)
    event          a labelled action with exact start/end seconds (the ground truth)
    shot cut       a frame where the whole picture changes at once (a hard cut); the keyframe
                   sampler anchors on cuts
    transition     a gradual shot change over a span of frames: a fade through black or white,
                   a wipe (region by region) or a dissolve (a cross-fade)
    hit            a sampled frame whose timestamp lies inside an event, [start, end); in
                   scoring, an answer within the tolerance
    R@1 IoU t      share of questions whose top answer overlaps the truth with IoU >= t
    contact sheet  the sampled frames as thumbnails in time order, a row per sampler

Exit status
    0    done                        1    `schema --validate` or `skill --check` found a
    2    bad input: one line on           difference (or the reader of stdout left early)
         stderr, main.py: error: ...  130  Ctrl-C
                                      143  SIGTERM or SIGHUP while writing a file
"""

from __future__ import annotations

import os
import signal
import sys


def interrupted_at_start(number, frame) -> None:
    """Ctrl-C before main() runs (while Python imports and defines what follows): one line,
    status 130. Before this line runs, Python is still starting or compiling this file, and
    Ctrl-C is Python's own: `KeyboardInterrupt`, status 1 (a shorter file, or the installed
    command, narrows that window)."""
    os.write(2, f"{os.path.basename(sys.argv[0])}: interrupted\n".encode())
    os._exit(130)


if __name__ == "__main__" and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
    signal.signal(signal.SIGINT, interrupted_at_start)

import argparse   # modules only one path needs (ast, csv, fractions, html, subprocess,
import bisect     # tempfile) are imported where they are used: start-up pays for the rest
import collections
import contextlib
import errno
import functools
import io
import itertools
import json
import math
import operator
import random
import re
import shutil
import stat
import struct
import textwrap
import threading
import time
import unicodedata
import zlib
from array import array
from collections import Counter
from dataclasses import asdict, dataclass, replace
from typing import Callable, Iterable, Iterator, NamedTuple, Sequence


__version__ = "0.2.0"
INSTALLED_NAME = "video-vlm-lab"     # the command `pip install .` puts on PATH
PROG = INSTALLED_NAME if os.path.basename(sys.argv[0]) == INSTALLED_NAME else "main.py"


DEFAULT_SEED = 0

# Limits that keep absurd input from eating the machine.
MAX_FRAME_COUNT = 1_000_000       # frames a sampler or token count may be asked for
MAX_SIDE = 16384
MAX_VIDEO_FRAMES = 10_000_000     # frames read from one video: 3.8 days at 30 fps, ~1.3 GB


class UserError(ValueError):
    """Bad input a user can fix; main() prints it as one line and exits 2."""


def quoted(text: str, limit: int = 40) -> str:
    """A user's text inside an error message: quoted, and cut short if long."""
    if len(text) <= limit:
        return repr(text)
    return repr(text[:limit]) + f"... ({len(text):,} characters)"


def ceil_div(a: int, b: int) -> int:
    """a / b rounded up, in integers."""
    return -(-a // b)


def ascii_number(text: str) -> bool:
    """The one meaning of "a number" in names: ASCII digits only (str.isdigit takes "²")."""
    return text.isascii() and text.isdigit()


def counted(n: int, noun: str) -> str:
    """'1 frame', '28,903 frames': a count with its noun, the one number format for counts."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def sum_in_order(values: Iterable[float]) -> float:
    """Floats added left to right, as sum() did before Python 3.12 (3.12 compensates, so the
    last digit of a sum would depend on the Python that runs the tool)."""
    total = 0
    for value in values:
        total += value
    return total


def mean(values: Sequence[float]) -> float:
    """The arithmetic mean, added in order (sum_in_order)."""
    return sum_in_order(values) / len(values)


# ==============================================================================================
# PART I: THE LESSON
# Functions over plain values and frozen records, in the order the lesson teaches. Each
# section opens with its constants (sources cited); records sit before the code that uses them.
# ==============================================================================================


# ----------------------------------------------------------------------------------------------
# §1 Sampling
# Which frames a model sees: uniform, dynamic FPS (rate rises with motion), event-driven
# (bursts in action spans) and keyframe + context (cuts and their neighbours). SAMPLERS.
# ----------------------------------------------------------------------------------------------

# Samplers. The 1-4 fps range is the lesson's dynamic-FPS range. They read a video through
# §2's records, defined just below: MotionAnalysis (per-frame scores), its Windows, its Cuts.
DEFAULT_UNIFORM_FRAMES = 16      # the lesson's figure (Video-LLaMA's release takes 8, §3)
# The frame budget: qwen-vl-utils vision_process.py FPS_MIN_FRAMES, FPS_MAX_FRAMES.
FPS_MIN_FRAMES, FPS_MAX_FRAMES = 4, 768
DEFAULT_MIN_FPS = 1.0
DEFAULT_MAX_FPS = 4.0
DEFAULT_BURST_FPS = 8.0
DEFAULT_BASE_FPS = 0.5
DEFAULT_KEYFRAME_CONTEXT = 2
DEFAULT_CONTEXT_GAP_S = 0.5
EVENT_SIGMAS = 4.0               # event detector enters this many robust sigmas above the median
EVENT_LOW_FRACTION = 0.5         # ... and leaves below half that height above the median
EVENT_MIN_MOTION = 0.004         # entry threshold never below this (static-camera noise)
EVENT_MIN_S = 0.15               # spans shorter than this are flickers, not actions
EVENT_PAD_S = 0.25               # dense sampling starts this much before a span and ends after


@dataclass(frozen=True)
class SampleResult:
    """What one sampler chose: sorted, unique, in-range frame indices, its notes in words and
    its spans (action spans or cuts, in seconds)."""
    strategy: str
    fps: float
    frame_count: int
    indices: tuple[int, ...]           # sorted, unique, in range
    notes: tuple[str, ...]             # how the sampler decided, in words
    spans: tuple[tuple[float, float], ...] = ()  # action spans (event) or cuts (keyframe), seconds

    @property
    def times(self) -> tuple[float, ...]:
        return tuple(i / self.fps for i in self.indices)


@dataclass(frozen=True)
class SamplerSettings:
    """What the samplers are asked for. max_fps caps the uniform, dynamic and event samplers'
    rates (uniform takes at most duration x max_fps frames; the keyframe sampler's spacing is
    keyframe_gap_s); max_frames is the frame budget none exceeds."""
    uniform_frames: int = DEFAULT_UNIFORM_FRAMES
    max_frames: int = FPS_MAX_FRAMES
    min_fps: float = DEFAULT_MIN_FPS       # never above max_fps (checked where options are read)
    max_fps: float = DEFAULT_MAX_FPS
    burst_fps: float = DEFAULT_BURST_FPS
    base_fps: float = DEFAULT_BASE_FPS
    keyframe_context: int = DEFAULT_KEYFRAME_CONTEXT
    keyframe_gap_s: float = DEFAULT_CONTEXT_GAP_S


def spread_in_range(first: int, stop: int, count: int) -> list[int]:
    """`count` distinct frames at the centres of equal segments of [first, stop)."""
    length = stop - first
    count = min(count, length)
    return [first + int((k + 0.5) * length / count) for k in range(count)]


def uniform_sample(frame_count: int, fps: float, s: SamplerSettings) -> SampleResult:
    """Evenly over the whole video: the centre frame of each of N equal segments."""
    # Step 1: N is the frames asked for, held to duration x max_fps (at least one) ...
    asked = min(s.uniform_frames, max(1, math.floor(frame_count / fps * s.max_fps + 1e-9)))
    # Step 2: ... and to the frame budget and the frames that exist.
    count = min(asked, s.max_frames, frame_count)
    notes = [f"{count:,} frames at the centres of {count:,} equal segments" if count != 1
             else "1 frame, at the centre of the video"]
    if count < asked:
        notes.append(f"asked for {asked}, capped at {count} (budget or frames that exist)")
    return SampleResult("uniform", fps, frame_count,
                        tuple(spread_in_range(0, frame_count, count)), tuple(notes))


def allocate_counts(weights: list[float], total: int, capacities: list[int],
                    minimum: int = 0) -> list[int]:
    """Split `total` whole frames by weight within capacities: each item first gets up to
    `minimum` (heaviest first); then, round by round, every item below its capacity gets the
    whole part of its share of what is left, and when no share is whole the rest go one at a
    time to the largest shares. The rounds favour heavy items (5 frames for weights 3.2 and
    1.8 give 4 and 1, where largest remainder would give 3 and 2)."""
    counts = [0] * len(weights)
    total = min(total, sum(capacities))
    given = 0                      # sum(counts), kept as we go: the loops stay linear
    for k in sorted(range(len(weights)), key=lambda k: (-weights[k], k)):
        counts[k] = max(0, min(minimum, capacities[k], total - given))
        given += counts[k]
    while given < total:
        open_items = [k for k in range(len(weights)) if counts[k] < capacities[k]]
        remaining = total - given
        weight_sum = math.fsum(weights[k] for k in open_items)
        if weight_sum <= 0:
            shares = {k: remaining / len(open_items) for k in open_items}
        else:
            shares = {k: remaining * weights[k] / weight_sum for k in open_items}
        progressed = False
        for k in open_items:
            whole = min(int(shares[k]), capacities[k] - counts[k])
            if whole > 0:
                counts[k] += whole
                given += whole
                progressed = True
        if not progressed:   # hand out the remainders one by one, largest first
            for k in sorted(open_items, key=lambda k: (-(shares[k] - int(shares[k])), k)):
                if given >= total:
                    break
                counts[k] += 1
                given += 1
    return counts


def dynamic_fps_sample(windows: tuple[Window, ...], fps: float, s: SamplerSettings
                       ) -> SampleResult:
    """Each motion window gets a rate from min_fps to max_fps rising with its motion (relative
    to the busiest window); if the total exceeds the budget every window is scaled down."""
    # Step 1: a rate per window, in proportion to its motion over the busiest window's.
    peak = max((w.motion for w in windows), default=0.0)
    rates = [s.min_fps + (s.max_fps - s.min_fps) * (w.motion / peak if peak > 0 else 0.0)
             for w in windows]
    # Step 2: the frames each rate asks for in its window; all of them, if the budget allows.
    wanted = [rate * (w.end_s - w.start_s) for rate, w in zip(rates, windows)]
    total = math.fsum(wanted)
    budget = min(s.max_frames, round(total))
    # Step 3: whole frames by what each window asked (allocate_counts), at most what it holds;
    # first the min_fps frames of every window, when the budget has room for them all.
    holds = [w.stop - w.first for w in windows]
    floors = [min(n, math.floor(s.min_fps * (w.end_s - w.start_s) + 1e-9))
              for n, w in zip(holds, windows)]
    if sum(floors) > max(1, budget):
        floors = [0] * len(windows)                    # over budget: every window scaled down
    counts = [f + n for f, n in zip(floors, allocate_counts(
        [max(0.0, x - f) for x, f in zip(wanted, floors)], max(1, budget) - sum(floors),
        [n - f for n, f in zip(holds, floors)]))]
    # Step 4: each window's frames spread evenly inside it.
    indices = [i for w, n in zip(windows, counts) for i in spread_in_range(w.first, w.stop, n)]
    notes = ("zero motion everywhere: uniform at min fps" if peak <= 0 else
             f"rate per window = {s.min_fps:g} + ({s.max_fps:g} - {s.min_fps:g}) x motion / "
             "peak motion",
             f"wanted {total:.1f} frames, budget {s.max_frames}, gave {sum(counts)}")
    frame_count = windows[-1].stop if windows else 0
    return SampleResult("dynamic", fps, frame_count, tuple(indices), notes)


def detect_action_spans(motion: MotionAnalysis, cuts: tuple[Cut, ...]
                        ) -> tuple[tuple[int, int], ...]:
    """Frame spans [first, stop) of sustained motion. Thresholds are robust z-scores: the
    median motion plus EVENT_SIGMAS times 1.4826 x the median absolute deviation (a sigma
    that outliers cannot inflate), so busy footage needs a real burst and calm footage a
    small one. Hysteresis (enter high, leave at half the height), cut frames ignored, spans
    shorter than EVENT_MIN_S dropped."""
    cut_frames = {c.frame for c in cuts}
    scores = [0.0 if i in cut_frames else s for i, s in enumerate(motion.scores)]
    ordered = sorted(scores)
    median = ordered[len(ordered) // 2] if ordered else 0.0
    deviations = sorted(abs(s - median) for s in scores)
    sigma = 1.4826 * deviations[len(deviations) // 2] if deviations else 0.0
    high = max(EVENT_MIN_MOTION, median + EVENT_SIGMAS * sigma)
    low = median + (high - median) * EVENT_LOW_FRACTION
    min_frames = max(2, math.ceil(EVENT_MIN_S * motion.fps))
    spans, start = [], None
    for i, s in enumerate(scores + [0.0]):
        if start is None and s >= high:
            start = i
        elif start is not None and s < low:
            if i - start >= min_frames:
                spans.append((start, i))
            start = None
    return tuple(spans)


def event_driven_sample(motion: MotionAnalysis, cuts: tuple[Cut, ...], s: SamplerSettings
                        ) -> SampleResult:
    """Dense inside detected action spans (padded by EVENT_PAD_S), sparse elsewhere, both
    rates held under max_fps. Over budget, each span gets a frame (the busiest first) before
    the background gets any."""
    fps, count = motion.fps, motion.frame_count
    burst, base = min(s.burst_fps, s.max_fps), min(s.base_fps, s.max_fps)
    # Step 1: the action spans, padded, overlapping ones merged; the gaps between them.
    pad = round(EVENT_PAD_S * fps)
    spans = []
    for first, stop in detect_action_spans(motion, cuts):
        first, stop = max(0, first - pad), min(count, stop + pad)
        if spans and first <= spans[-1][1]:
            spans[-1] = (spans[-1][0], stop)
        else:
            spans.append((first, stop))
    gaps, cursor = [], 0
    for first, stop in spans + [(count, count)]:
        if first > cursor:
            gaps.append((cursor, first))
        cursor = stop
    # Step 2: frames asked for at each rate; the spans get their share of the budget (all
    # they ask within it), a frame each at least, and the background the rest.
    span_wanted = [max(1.0, (stop - first) / fps * burst) for first, stop in spans]
    gap_wanted = [(stop - first) / fps * base for first, stop in gaps]
    asked = math.fsum(span_wanted + gap_wanted)
    budget = min(s.max_frames, max(1, round(asked)))
    span_total = min(budget, max(len(spans), round(math.fsum(span_wanted) * budget / asked)))
    span_counts = allocate_counts(span_wanted, span_total, [b - a for a, b in spans], minimum=1)
    gap_counts = allocate_counts(gap_wanted, budget - sum(span_counts), [b - a for a, b in gaps])
    # Step 3: each span's and gap's frames spread evenly inside it.
    indices = [i for (a, b), n in zip(spans + gaps, span_counts + gap_counts)
               for i in spread_in_range(a, b, n)]
    notes = (f"{counted(len(spans), 'action span')} found; {burst:g} fps inside, {base:g} fps "
             "outside",
             f"{counted(sum(span_counts), 'frame')} in spans, {sum(gap_counts):,} elsewhere "
             f"(budget {s.max_frames})")
    return SampleResult("event", fps, count, tuple(sorted(set(indices))), notes,
                        tuple((a / fps, b / fps) for a, b in spans))


def keyframe_sample(frame_count: int, fps: float, cuts: tuple[Cut, ...], s: SamplerSettings
                    ) -> SampleResult:
    """The first frame and a frame at each shot cut (the keyframes), plus keyframe_context
    neighbours either side spaced keyframe_gap_s apart. Over budget: the strongest keyframes
    first, then context frames nearest their keyframe first."""
    gap = max(1, round(s.keyframe_gap_s * fps))
    # Step 1: the keyframes, strongest first (the first frame outranks every cut).
    anchors = [(float("inf"), 0)] + [(c.score, c.frame) for c in cuts]
    ranked = [frame for _, frame in sorted(anchors, key=lambda a: (-a[0], a[1]))]
    # Step 2: then their neighbours, the nearest ring of every keyframe before the next ring.
    wanted = list(ranked)
    for distance in range(1, s.keyframe_context + 1):
        for frame in ranked:
            wanted += [frame - distance * gap, frame + distance * gap]
    # Step 3: in that order, the frames that exist, until the budget is spent.
    chosen: list[int] = []
    seen: set[int] = set()
    for i in wanted:
        if 0 <= i < frame_count and i not in seen and len(chosen) < s.max_frames:
            seen.add(i)
            chosen.append(i)
    notes = (f"{counted(len(cuts), 'shot change')} + first frame as keyframes, "
             f"{counted(s.keyframe_context, 'context frame')} either side every {gap / fps:g} s",
             f"{len(chosen):,} frame{'s' * (len(chosen) != 1)} (budget {s.max_frames})")
    return SampleResult("keyframe", fps, frame_count, tuple(sorted(chosen)), notes,
                        tuple((c.time_s, c.time_s) for c in cuts))


def events_hit(indices: Iterable[int], fps: float, events: tuple[Event, ...]) -> list[bool]:
    """For each event, whether some sampled frame's timestamp lies in [start, end)."""
    times = [i / fps for i in indices]
    return [any(e.start <= t < e.end for t in times) for e in events]


# The four samplers by name, each called with what it reads: adding one is one entry here.
SAMPLERS = {
    "uniform": lambda motion, windows, cuts, s: uniform_sample(motion.frame_count, motion.fps, s),
    "dynamic": lambda motion, windows, cuts, s: dynamic_fps_sample(windows, motion.fps, s),
    "event": lambda motion, windows, cuts, s: event_driven_sample(motion, cuts, s),
    "keyframe": lambda motion, windows, cuts, s: keyframe_sample(motion.frame_count, motion.fps,
                                                                 cuts, s)}
STRATEGIES = tuple(SAMPLERS)


# ----------------------------------------------------------------------------------------------
# §2 Motion
# Mean |luma change| between frames in plain Python (motion_scores: the definition), motion
# per window, hard cuts that persist, and gradual transitions (dissolves, fades).
# ----------------------------------------------------------------------------------------------

LUMA_MAX = 255

# Motion scoring.
DEFAULT_WINDOW_S = 1.0
MOTION_GRID_ROWS = 45            # auto stride keeps about this many rows (640x360 -> stride 8)
HISTOGRAM_BINS = 16              # coarse luma histogram for the cut detector

# Gradual transitions: dissolves, wipes and fades (see MotionPass.gradual_windows and
# detect_gradual). All their measures compare cells (cell_means in §9), not pixels.
GRADUAL_MAX_S = 2.0              # a transition up to this long is seen whole by one window
GRADUAL_SCALE_STEP = 1.6         # half-windows of 2, 3, 5, 8, 13, 21, ... frames up to the above
GRADUAL_SCALE_EVERY = 3          # a half-window of h frames is looked at every h / 3 frames
GRADUAL_MIN_CHANGE = 0.06        # a window's ends differ by this much (cells, 0..1) at least
GRADUAL_DIRECTED = 0.5           # ... and by this share of all the frame-to-frame changes
                                 # between them: 1 for a blend or a wipe, far less for motion,
                                 # which wanders
GRADUAL_MAX_SHARE = 0.5          # no single frame may carry this much of the change (a cut)
GRADUAL_LINE = 0.9               # ... or the middle frame lies between them: |a - m|^2 +
                                 # |m - b|^2 at most this times |a - b|^2 (a blend: 1/2 at
                                 # its middle; motion: about 2)
GRADUAL_SLOPE = 0.015            # a transition's frames move its progress (progress_span) at
                                 # least this much each: it takes at most about 70 frames
GRADUAL_EDGE = 0.25              # ... and at its ends this share of its fastest frame's move
GRADUAL_PIECES = 1.2             # two spans P frames apart are one transition when the frames
                                 # between lie this near the line between their outer shots
GRADUAL_PIECE_MIN = 0.1          # ... and each span carries this share of the change
GRADUAL_LONGEST = 1.2            # a span longer than this x GRADUAL_MAX_S is a camera move
GRADUAL_COARSE = 24              # a run longer than this is first looked at every other frame
WIPE_APART = 24                  # cells whose two shots differ by this much (of 255) show
                                 # how a transition hands the picture over (MotionPass.sweep)
WIPE_SWEEP = 0.4                 # a transition is a wipe when its cells change hands over at
                                 # least this share of its frames (a blend: all at once) ...
WIPE_COHERENT = 0.75             # ... in a region: this share of neighbouring cells agree
WIPE_GAP = 2                     # two wipes this few frames apart are one (MotionPass.add_span)
EXPOSURE_MATCH = 0.8             # a window whose two ends' cells correlate by this much is one
                                 # picture made brighter or darker: not a transition (ramps on
                                 # testsrc2, whose own motion costs 0.1: 0.88 and more; the
                                 # corpus: none affected down to 0.8, some from 0.7) ...
EXPOSURE_MIN_SPREAD = 8          # ... when both ends have this much contrast (spread of cell
                                 # means, of 255): a fade ends flat, black or white
FADE_STEP = 0.5                  # a fading frame's mean luma moves at least this much a frame
FADE_HOLD_S = 0.25               # a fade through black or white may rest on it this long
FLAT_SHARE = 0.9                 # a frame this much below luma 32 (video black is 16) or above
                                 # 223 (video white is 235) is flat: black or white
# Shot cuts (see detect_cuts for the rule these feed).
CUT_MIN_SCORE = 0.10             # a cell difference below 10% of full scale is never a cut
CUT_MEDIAN_RATIO = 3.0           # ... and it must stand this many times above the local median
CUT_HIST_MIN = 0.30              # histogram distance (0..1) that marks a change of scene
CUT_CHROMA_MIN = 0.05            # a colour change (mean |U, V change|, 0..1) that can be a cut
CUT_PERSIST = 0.6                # after the change, no frame within P may come back nearer to
                                 # the frames before than this share of the change itself
CUT_MEDIAN_WINDOW_S = 1.0        # local median over this span around the frame
FLASH_MAX_FRAMES = 3             # a change undone within this many frames is a flash, not a cut
BLOCK_CELLS = (4, 2)             # a block: 4 x 2 cells (64 x 64 pixels at 640x360) ...
BLOCK_SHARE = 0.35               # ... whose change is at least this share of the cells' when
                                 # shots change (the corpus: 0.51 to 1.03), where a texture
                                 # coarser than a cell that moves changes cells, not blocks (0.26)
GRADUAL_BLOCK_SHARE = 0.15       # ... and across a gradual window (the corpus: 0.2 and more;
                                 # stripes 32 pixels apart, moving: 0.01)


@dataclass(frozen=True)
class Event:
    """A true event of a video: its label, [start, end) in seconds, and its kind (motion: a burst
    of movement; appear: a still object shows; fade: the light changes)."""
    label: str
    start: float
    end: float
    kind: str = "motion"     # motion: a burst of movement; appear: a still object; fade: light


@dataclass(frozen=True)
class Cut:
    """A hard cut: the frame where the new shot starts, its time in seconds, and its strength
    (the largest of its histogram distance, cell difference and colour change, 0 to 1)."""
    frame: int
    time_s: float
    score: float


@dataclass(frozen=True)
class Transition:
    """A gradual change of shot: a dissolve (cross-fade), a wipe, or a fade through, in from or
    out to black or white."""
    kind: str            # dissolve, wipe, fade-black, fade-in-black, fade-out-black, fade-white,
                         # fade-in-white or fade-out-white
    first_frame: int     # first frame of the change
    end_frame: int       # one past its last frame
    start_s: float
    end_s: float

    @property
    def middle(self) -> int:
        return (self.first_frame + self.end_frame) // 2


@dataclass(frozen=True)
class SceneSpan:
    """One scene of the scene list: frames [first_frame, end_frame), as a Transition's."""
    number: int
    first_frame: int
    end_frame: int       # one past its last frame
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Window:
    """One window of the motion series: [start_s, end_s) in seconds, frames [first, stop), and
    the mean per-frame motion score inside it."""
    start_s: float
    end_s: float
    first: int      # first frame index in the window
    stop: int       # one past the last frame index
    motion: float   # mean per-frame motion score in the window


@dataclass(frozen=True)
class MotionAnalysis:
    """Everything one streaming pass over the frames measures."""
    fps: float
    width: int
    height: int
    stride: int
    # The per-frame series are arrays of doubles (any sequence of floats will do). Everything
    # but `scores` compares cells (cell_means in §9), which a fine moving texture cannot alias.
    scores: Sequence[float]        # mean |luma difference| to the previous frame, 0..1
    hist_short: Sequence[float]    # cell histogram distance to the previous frame, 0..1
    hist_long: Sequence[float]     # ... and the least of it between a frame before i and one
                                   # after, within P (MotionPass.persistence; 0: not measured)
    diff_long: Sequence[float | None]   # the same for the cell difference (None: not measured)
    gradual: bytes = b""           # 1 where a window of a gradual change is centred
    cell_change: Sequence[float] = ()   # mean |cell change| from frame i-1, 0..1
    flat: bytes = b""              # 1 where the frame is nearly all black or all white
    brightness: Sequence[float] = ()    # mean luma of the cells, 0..255
    chroma_change: Sequence[float] = ()  # mean |U, V cell change| from frame i-1 (0: no colour)
    chroma_long: Sequence[float | None] = ()  # its least across the frame, as hist_long
    gradual_spans: tuple[tuple[int, int, float], ...] = ()   # (first, stop, sweep) of each
                                   # gradual change MotionPass.close_run found
    block_change: Sequence[float] = ()  # mean |block change| from frame i-1 (BLOCK_CELLS)
    relit: bytes = b""             # 1 where frame i is frame i-1 in another light (measured
                                   # where a cut signal fires; EXPOSURE_MATCH)

    @property
    def frame_count(self) -> int:
        return len(self.scores)

    @property
    def duration_s(self) -> float:
        return self.frame_count / self.fps


def sad_simple(a: bytes, b: bytes) -> int:
    """The plain sum of absolute differences of two byte strings."""
    return sum(map(abs, map(operator.sub, a, b)))


def motion_scores(frames: Iterable[bytes], width: int, height: int, stride: int) -> list[float]:
    """The motion score of each frame, the definition in plain Python: the mean |luma change|
    from the previous frame over every stride-th pixel of every stride-th row, as a share of
    full scale (0 for the first frame). MotionPass (§9) computes the same numbers with
    big-integer lanes, many times faster (`bench` times it against a plain loop over every
    pixel); the tests hold the two equal."""
    scores, previous = [], None
    for frame in frames:
        # Step 1: the grid, every stride-th pixel of every stride-th row of the luma plane.
        grid = b"".join(frame[y * width:(y + 1) * width:stride] for y in range(0, height, stride))
        if previous is None:
            scores.append(0.0)                  # nothing to compare the first frame with
        else:
            # Step 2: |this pixel - the same pixel a frame ago|, added over the grid ...
            total = sad_simple(grid, previous)
            # Step 3: ... over what it could be at most: 0 still, 1 black to white everywhere.
            scores.append(total / (len(grid) * LUMA_MAX))
        previous = grid
    return scores


def motion_windows(scores: tuple[float, ...], fps: float, window_s: float) -> tuple[Window, ...]:
    """Mean motion over consecutive windows of window_s seconds (the last may be shorter). A
    window that no frame starts in (a window shorter than the gap between frames) is skipped:
    its time belongs to its neighbours, so the windows still tile the video."""
    per = window_s * fps                      # frames per window (boundaries need not be whole)
    windows, first = [], 0
    while first < len(scores):
        # Step 1: the window frame `first` starts in (1e-9: float error never moves a frame).
        k = math.floor(first / per + 1e-9)
        # Step 2: it ends where window k + 1 begins, and holds at least this frame; the loop
        # steps from frame to frame, so empty windows cost nothing.
        stop = min(len(scores), max(first + 1, math.ceil((k + 1) * per - 1e-9)))
        windows.append(Window(first / fps, stop / fps, first, stop, mean(scores[first:stop])))
        first = stop
    return tuple(windows)


def local_median(values: tuple[float, ...], center: int, radius: int) -> float:
    """The median of the values within `radius` of `center`, the centre itself left out (the
    upper middle of an even count); 0.0 when there are none."""
    around = sorted(values[max(0, center - radius): center]
                    + values[center + 1: center + 1 + radius])
    return around[len(around) // 2] if around else 0.0


def gradual_scales(fps: float) -> tuple[int, ...]:
    """The half-windows (frames) MotionPass looks across: 2, 3, 5, 8, 13, ... growing by
    GRADUAL_SCALE_STEP up to half of GRADUAL_MAX_S, so a transition of any length up to that
    has a window about its own size, and no window much longer than it (motion would add up)."""
    top = max(2, round(GRADUAL_MAX_S * fps / 2))
    scales, h = [], 2.0
    while round(h) < top:
        if not scales or round(h) > scales[-1]:
            scales.append(round(h))
        h *= GRADUAL_SCALE_STEP
    return tuple(scales + [top])


def detect_gradual(motion: MotionAnalysis) -> tuple[Transition, ...]:
    """Gradual transitions: dissolves, wipes and fades.

    Where: MotionPass marked the centres of windows whose two ends differ like two shots
    while the frames between walked there directly, a step at a time, and are not one
    picture in another light (EXPOSURE_MATCH; gradual_windows), and
    for each run of marks found the frames that have left the shot before and not yet
    reached the shot after (transitions_between). A span that touches a black or white frame
    is widened over the rest of the fade (fade_reach): a fade out can be too quick for a
    window, and it belongs to the fade in after it. Spans that overlap, touch or leave one
    frame between are one transition; a span never runs backwards; and a span longer than
    GRADUAL_LONGEST x GRADUAL_MAX_S, longer than any window looked, is a camera move (a pan
    over a changing scene walks as straight as a wipe), not an edit.

    What (transition_kind): a fade when a flat black or white frame lies in or at the edge of
    the span (in from black or white when the span starts on it, out to it when it ends on
    it, through it when it lies only inside; flat at both edges but not throughout is a
    dissolve between two dark or two bright shots); else a wipe when its cells change hands
    over a good part of it, region by region (MotionPass.sweep); else a dissolve
    (cross-fade)."""
    spans: list[list] = []
    for first, stop, sweep in sorted(motion.gradual_spans):
        first, stop = fade_reach(motion, first, stop)
        if spans and first <= spans[-1][1] + 1:       # overlaps, touches, or one frame apart
            spans[-1][1] = max(stop, spans[-1][1])
            spans[-1][2] = max(sweep, spans[-1][2])
        else:
            spans.append([first, max(stop, first + 1), sweep])
    longest = GRADUAL_LONGEST * GRADUAL_MAX_S * motion.fps
    return tuple(Transition(transition_kind(motion, first, stop, sweep), first, stop,
                            first / motion.fps, stop / motion.fps)
                 for first, stop, sweep in spans if stop - first <= longest)


def fade_reach(motion: MotionAnalysis, first: int, stop: int) -> tuple[int, int]:
    """[first, stop) widened over a fade it touches: across the flat (black or white) frames
    at either edge, when they last at most FADE_HOLD_S, and across the frames beyond whose
    mean luma moves steadily into them (FADE_STEP a frame or more); and, for a fade through
    black or white inside it, over the first and last steps of its ramps, which move the
    picture too little for progress_span's edges."""
    flat, light, count = motion.flat, motion.brightness, motion.frame_count
    hold = max(FLASH_MAX_FRAMES, round(FADE_HOLD_S * motion.fps))
    j = first if flat[first] else first - 1           # the flat frames the span opens on
    if j >= 0 and flat[j]:
        while j > 0 and flat[j - 1] and first - j < hold:
            j -= 1
        if not (j > 0 and flat[j - 1]):               # the flat run is short: a fade through
            toward = 1 if light[j] < LUMA_MAX / 2 else -1   # into black is darker
            ramp = j
            while ramp > 0 and toward * (light[ramp - 1] - light[ramp]) > FADE_STEP:
                ramp -= 1
            first = min(first, ramp + 1 if ramp < j else j)
    j = stop - 1 if flat[stop - 1] else stop          # the flat frames the span ends on
    if j < count and flat[j]:
        while j < count - 1 and flat[j + 1] and j - stop < hold:
            j += 1
        if not (j < count - 1 and flat[j + 1]):
            toward = 1 if light[j] < LUMA_MAX / 2 else -1
            ramp = j
            while ramp < count - 1 and toward * (light[ramp + 1] - light[ramp]) > FADE_STEP:
                ramp += 1
            stop = max(stop, ramp if ramp > j else j + 1)
    inside = [k for k in range(first, stop) if flat[k]]
    if inside:                                      # a fade through: its ramps are its own
        toward = 1 if light[inside[0]] < LUMA_MAX / 2 else -1
        while first > 1 and toward * (light[first - 2] - light[first - 1]) > FADE_STEP:
            first -= 1
        while stop < count - 1 and toward * (light[stop + 1] - light[stop]) > FADE_STEP:
            stop += 1
    return first, stop


def transition_kind(motion: MotionAnalysis, first: int, stop: int, sweep: float) -> str:
    """dissolve, wipe, or fade-[in-|out-]black/white (see detect_gradual)."""
    count = motion.frame_count
    edge_before, edge_after = max(0, first - 1), min(count - 1, stop)
    flat = [k for k in range(edge_before, edge_after + 1) if motion.flat[k]]
    if flat:
        shade = "black" if motion.brightness[flat[0]] < LUMA_MAX / 2 else "white"
        starts = flat[0] == edge_before or flat[0] == first == 0
        ends = flat[-1] == edge_after or flat[-1] == stop - 1 == count - 1
        if starts and ends:
            return "dissolve" if len(flat) < edge_after - edge_before + 1 else f"fade-{shade}"
        return f"fade-in-{shade}" if starts else f"fade-out-{shade}" if ends else f"fade-{shade}"
    return "wipe" if sweep >= WIPE_SWEEP else "dissolve"


# Shot cuts: a change of scene that is sudden, stands out, and persists.
#
# A frame i is a candidate when one of three signals fires, all on cells (§9), so a fine
# texture that moves does not alias into a flicker:
#   histogram: its cell histogram differs from frame i-1's by at least CUT_HIST_MIN, and its
#     cells change by CUT_PERSIST x min_score at least (a near-flat frame whose cells all
#     cross a bin edge changes its histogram a lot and its picture not at all). Motion
#     inside a shot moves things around but keeps the histogram, so a cut right after
#     violent motion is still found (a frame-difference threshold misses it there);
#   difference: its cell difference is at least min_score and median_ratio times the
#     local median (for cuts between shots of similar exposure);
#   colour: its chroma cells change by CUT_CHROMA_MIN and median_ratio times the local
#     median (a cut that keeps the brightness; only when the video has colour).
# The histogram and the difference count only when blocks of cells (BLOCK_CELLS) change by
# BLOCK_SHARE of the cells' change: a texture coarser than a cell that moves (stripes 32
# pixels apart at 640x360) changes cells every few frames, and their histogram, not blocks.
# The signal must persist: no frame within P = FLASH_MAX_FRAMES after i may come back
# nearer to a frame within P before it than CUT_PERSIST of the change at i
# (MotionPass.persistence); and when the histogram fired, it must persist whatever else
# fired (it alone ignores motion). So a flash to white and back, or two flashes a few
# frames apart, is rejected even while the picture moves; and a change that leaves the same
# picture in another light (an exposure flash, a lamp switched on: MotionAnalysis.relit) is
# no cut, unless the colour changed too (a hue-only cut). A cross-dissolve changes the
# picture a little per frame, so no signal fires on a single frame, and a candidate inside
# a reported gradual transition [first, stop) belongs to it: a cut is never reported
# inside one. A freeze has no difference at all. Among candidates within P frames of each
# other only the strongest is kept (strongest_in_reach: one pass, memory bounded by the
# last 2P+1 frames).
def cut_floors(min_score: float) -> tuple[float, float, float]:
    """The floors of the three cut signals, difference, histogram and colour: min_score
    (--cut-threshold) moves them alike, in proportion to their defaults."""
    scale = min_score / CUT_MIN_SCORE
    return min_score, CUT_HIST_MIN * scale, CUT_CHROMA_MIN * scale


def detect_cuts(motion: MotionAnalysis, min_score: float = CUT_MIN_SCORE,
                median_ratio: float = CUT_MEDIAN_RATIO,
                transitions: tuple[Transition, ...] = ()) -> tuple[Cut, ...]:
    """Shot cuts, by the rule above, strongest within FLASH_MAX_FRAMES of each other."""
    spans = sorted((t.first_frame, t.end_frame) for t in transitions)
    radius = max(2, round(CUT_MEDIAN_WINDOW_S * motion.fps / 2))
    _, hist_floor, colour_floor = cut_floors(min_score)
    change = motion.cell_change or motion.scores     # an analysis made by hand has no cells
    blocks = motion.block_change or change
    chroma = motion.chroma_change
    colour_long = motion.chroma_long or [None] * motion.frame_count

    def lasts(short: float, long: float | None) -> bool:
        return long is not None and long >= CUT_PERSIST * short

    def candidates() -> Iterator[tuple[int, float]]:
        span = 0                                # spans are sorted: one pointer walks them
        for i in range(1, motion.frame_count):
            while span < len(spans) and spans[span][1] <= i:
                span += 1
            if span < len(spans) and spans[span][0] <= i:
                continue                        # inside a gradual transition
            if motion.relit and motion.relit[i]:
                continue                        # the light changed, not the shot
            fired = [(motion.hist_short[i], motion.hist_long[i])
                     if motion.hist_short[i] >= hist_floor else None,
                     (change[i], motion.diff_long[i]) if change[i] >= min_score else None,
                     (chroma[i], colour_long[i]) if chroma and chroma[i] >= colour_floor
                     else None]
            if fired[0] is not None and not lasts(*fired[0]):
                continue                        # the histogram came back: a flash
            coarse = blocks[i] >= BLOCK_SHARE * change[i]     # not a texture moving
            by_histogram = fired[0] is not None and change[i] >= CUT_PERSIST * min_score and coarse
            by_difference = (fired[1] is not None and lasts(*fired[1]) and coarse and
                             change[i] >= median_ratio * local_median(change, i, radius))
            by_colour = (fired[2] is not None and lasts(*fired[2]) and
                         chroma[i] >= median_ratio * local_median(chroma, i, radius))
            if by_histogram or by_difference or by_colour:
                yield i, max(motion.hist_short[i], change[i], chroma[i] if chroma else 0.0)
    return tuple(Cut(i, i / motion.fps, round(strength, 6))
                 for i, strength in strongest_in_reach(candidates(), FLASH_MAX_FRAMES))


def strongest_in_reach(candidates: Iterable[tuple[int, float]], reach: int
                       ) -> Iterator[tuple[int, float]]:
    """The (frame, strength) candidates that beat every other candidate within `reach` frames
    (on a tie the earlier frame wins), in frame order. One pass that holds only the candidates
    of the last 2 x reach + 1 frames: time and memory do not grow with how many there are."""
    recent: collections.deque = collections.deque()
    undecided = 0                               # recent[undecided:] still wait for neighbours

    def beats_neighbours(k: int) -> bool:
        frame, strength = recent[k]
        return not any(abs(f - frame) <= reach and (s > strength or (s == strength and f < frame))
                       for f, s in recent if f != frame)

    for frame, strength in candidates:
        recent.append((frame, strength))
        while recent[undecided][0] + reach < frame:      # all its neighbours are known
            if beats_neighbours(undecided):
                yield recent[undecided]
            undecided += 1
        while recent[0][0] < recent[undecided][0] - reach:
            recent.popleft()
            undecided -= 1
    for k in range(undecided, len(recent)):
        if beats_neighbours(k):
            yield recent[k]


def scene_list(frame_count: int, fps: float, cuts: tuple[Cut, ...],
               transitions: tuple[Transition, ...]) -> tuple[SceneSpan, ...]:
    """Scenes between the boundaries: each hard cut, and the middle of each gradual
    transition that does not touch either end (a fade in from black starts the first scene)."""
    inner = {t.middle for t in transitions if t.first_frame > 0 and t.end_frame < frame_count}
    bounds = sorted({c.frame for c in cuts} | inner - {0})
    edges = [0] + [b for b in bounds if 0 < b < frame_count] + [frame_count]
    return tuple(SceneSpan(k + 1, a, b, a / fps, b / fps)
                 for k, (a, b) in enumerate(zip(edges, edges[1:])) if b > a)


# ----------------------------------------------------------------------------------------------
# §3 Tokens
# What a video costs under each design, counted the way its released code counts: one
# Design record per model with its source, and one cost function per design.
# ----------------------------------------------------------------------------------------------

# The Qwen family's vision arithmetic, from qwen-vl-utils src/qwen_vl_utils/vision_process.py.
# Qwen2-VL, Qwen2.5-VL and Qwen2.5-Omni use 14-pixel patches (0.0.10/0.0.11: IMAGE_FACTOR 28,
# VIDEO_MIN_PIXELS 128*28*28, VIDEO_MAX_PIXELS 768*28*28, VIDEO_TOTAL_PIXELS 128000*28*28*0.9);
# Qwen3-VL uses 16-pixel patches (0.0.14 with image_patch_size=16: the same numbers of tokens
# times 32*32 pixels). A side of `factor` pixels is one token after the 2x2 merge.
QWEN_MERGE = 2                           # 2x2 spatial merge: 4 patches -> 1 token
FRAME_FACTOR = 2                         # frames per temporal patch
QWEN2_PATCH, QWEN3_PATCH = 14, 16
QWEN_FPS = 2.0                           # frames per second taken by default
MAX_RATIO = 200                          # longest side / shortest side
IMAGE_MIN_TOKENS, IMAGE_MAX_TOKENS = 4, 16384      # per image, in merged tokens
# A video frame's pixel bounds in tokens' worth (pixels / factor^2): a 2-frame patch of frames
# that size is that many tokens, so 768 is 384 tokens a frame.
VIDEO_MIN_TOKENS, VIDEO_MAX_TOKENS = 128, 768
VIDEO_TOTAL_TOKENS = 128000 * 0.9        # the whole video's pixel budget, in tokens
# Qwen2.5-VL config.json (vision_config.tokens_per_second of the released checkpoints; the
# transformers class default differs, so the checkpoint's value is the one that counts):
TOKENS_PER_SECOND = 2
# Qwen3-VL: transformers processing_qwen3_vl.py writes "<{t:.1f} seconds>" before each
# temporal patch; with the Qwen tokenizer that is '<', one token per integer digit, '.', one
# digit, ' seconds', '>' (../shared/reference/qwen3-vl-and-omni.md, section 1b).
TIMESTAMP_FIXED_TOKENS = 5
# Qwen2.5-Omni audio (transformers feature_extraction_whisper.py and processing_qwen2_5_omni.py):
# 16 kHz audio, a mel frame every 160 samples, at most 30,000 mel frames (chunk_length 300 s);
# two stride-2 steps turn 100 mel frames per second into 25 audio tokens per second.
AUDIO_SAMPLE_RATE = 16000
AUDIO_HOP = 160
AUDIO_MAX_MEL = 30000
# Qwen2.5-Omni thinker config (configuration_qwen2_5_omni.py): position_id_per_seconds 25 and
# seconds_per_chunk 2, so TMRoPE gives 25 position ids a second and interleaves in 50-id chunks.
OMNI_POSITIONS_PER_SECOND = 25
OMNI_SECONDS_PER_CHUNK = 2.0
# processing_qwen2_5_omni.py: "default fps not saved in official ckpt, hardcode" 2.0, used when
# the caller passes no fps, as Qwen2.5-Omni's README does: 2 / 2.0 = 1 s a patch, 25 ids.
OMNI_PROCESSOR_FPS = 2.0

DEFAULT_CONTEXT_TOKENS = 32768
CONTEXT_WARN_FRACTION = 0.40             # the lesson's rule: above 40% of context, rethink
# Video-LLaVA (arXiv 2311.10122; transformers processing_video_llava.py): 8 frames through the
# LanguageBind video encoder (ViT-L/14 at 224: 16x16 patches); for video the CLS token is kept,
# so (256 + 1) tokens per frame, 2,056 per video (config video_seq_length 2056). Frames are
# np.linspace(0, total - 1, 8, dtype=int) (languagebind/video/processing_video.py).
VIDEO_LLAVA_FRAMES = 8
VIDEO_LLAVA_PATCH, VIDEO_LLAVA_SIZE, VIDEO_LLAVA_CLS = 14, 224, 1
# Video-LLaMA (arXiv 2306.02858; DAMO-NLP-SG/Video-LLaMA eval_configs/*.yaml n_frms: 8 and
# video_llama/models/video_llama.py): each frame goes through the BLIP-2 Q-former (32 queries),
# a learned frame position embedding (max_frame_pos 32 rows) is added, and the video Q-former
# turns all 8 x 32 into 32 tokens; the audio branch adds 8 more (num_audio_query_token).
VIDEO_LLAMA_FRAMES = 8
VIDEO_LLAMA_FRAME_QUERIES = 32
VIDEO_LLAMA_VIDEO_QUERIES = 32
VIDEO_LLAMA_AUDIO_QUERIES = 8
VIDEO_LLAMA_MAX_FRAME_POS = 32
# conversation_video.py upload_video: the prompt when audio is loaded (a backslash-continued
# string, so the source's indentation, 17 and 18 spaces, is inside it); no frame times.
VIDEO_LLAMA_AUDIO_PROMPT = (
    "Close your eyes, open your ears and you imagine only based on the sound that: <ImageHere>."
    + " " * 17 + "Close your ears, open your eyes and you see that <Video><ImageHere></Video>."
    + " " * 18 + "Now answer my question based on what you have just seen and heard.")
NAIVE_PATCH, NAIVE_SIZE = 16, 224        # the lesson's naive baseline: ViT-B/16 at 224
# Pooled per frame: each frame is an image of its own, its patch grid pooled (the LLaVA-NeXT
# line) or pixel-shuffled (InternVL3), the frames laid end to end. Read from transformers 5.25.0
# and the original repositories (../shared/reference/pooled-per-frame.md, with line numbers).
CLIP336_GRID = 336 // 14            # LLaVA-NeXT-Video: CLIP ViT-L/14, 336 px crop -> 24 x 24
SIGLIP384_GRID = 384 // 14          # OneVision, LLaVA-Video: SigLIP at 384 x 384 -> 27 x 27
LLAVA_POOL_STRIDE = 2               # LLaVA-NeXT llava_arch.py get_2dPool(stride=2)
NEXT_VIDEO_MAX_FRAMES = 32          # docs/LLaVA-NeXT-Video.md "Sampled frames: 32" (video_demo.py
                                    # for_get_frames_num, default 4 there): a cap on 1 fps
ONEVISION_FRAMES = 32               # lmms-eval llava_onevision.py max_frames_num (tutorial: 16)
LLAVA_VIDEO_FRAMES = 64             # train script: --frames_upbound 64 --force_sample True
INTERNVL_FRAMES = 32                # InternVL load_video(num_segments=32); its README calls 8
INTERNVL_TILE = 448                # InternVL's tile side, pixels
INTERNVL_TILE_TOKENS = (INTERNVL_TILE // 14) ** 2 // 4   # 32 x 32 patches, pixel shuffle 0.5 -> 256
# LLaVA-Video's time instruction, the text before the question (LLaVA-NeXT train.py:1202).
# Its tokens with the Qwen2 tokenizer, which splits digits one by one: 35 fixed, one per digit
# of the length's and of the frame count's whole part, each time "12.34s" its whole digits + 4
# ('.', 2 decimals, 's'), and a comma between times: a rule checked on 24 cases against the
# Qwen tokenizer rebuilt from its BPE ranks (qwen.tiktoken).
LLAVA_VIDEO_INSTRUCTION = ("The video lasts for {length} seconds, and {count} frames are "
                           "uniformly sampled from it. These frames are located at {times}."
                           "Please answer the following questions related to this video.")
LLAVA_VIDEO_FIXED_TOKENS = 35


NOMINAL_WIDTH, NOMINAL_HEIGHT, NOMINAL_FPS = 640, 360, 30.0   # capture size for token counts

DEFAULT_PRICING_DESIGN = "qwen3-vl"   # sample/plot price frames as Qwen3-VL: it keeps their times


@dataclass(frozen=True)
class VideoFacts:
    """What the token arithmetic needs of a video: its frame count, frame rate (fps) and frame
    size in pixels; duration_s follows from them."""
    total_frames: int
    fps: float
    width: int
    height: int

    @property
    def duration_s(self) -> float:
        return self.total_frames / self.fps


@dataclass(frozen=True)
class TokenCost:
    """One design's token cost for one video: frames taken, visual, text and audio tokens, the
    video's seconds and the context; workings hold the intermediate numbers. Properties give
    the total, tokens per frame and per second, and the share of the context."""
    design: str
    frames: int
    visual_tokens: int               # vision placeholders (<|video_pad|>, query tokens, ...)
    text_tokens: int                 # text the design writes into the video (timestamps)
    audio_tokens: int
    duration_s: float
    context: int
    workings: dict

    @property
    def total_tokens(self) -> int:
        return self.visual_tokens + self.text_tokens + self.audio_tokens

    @property
    def tokens_per_frame(self) -> float:
        """The design's own count a frame where it has one (OneVision's 196, not its 196 and
        a newline shared out), else visual tokens over frames."""
        return self.workings.get("tokens_per_frame", self.visual_tokens / self.frames)

    @property
    def tokens_per_second(self) -> float:
        return self.total_tokens / self.duration_s

    @property
    def context_fraction(self) -> float:
        return self.total_tokens / self.context


def f32(value: float) -> float:
    """Round to the nearest float32, as a torch float32 tensor would hold it."""
    return struct.unpack("<f", struct.pack("<f", value))[0]


def linspace_indices(total_frames: int, count: int) -> list[int]:
    """torch.linspace(0, total - 1, count).round() in float32, half to even: the reference's
    frame indices. torch's CPU kernel fills the first half forward (step * i) and the second
    half backward from the end (end - step * (count - 1 - i)); its vectorised kernels (AVX2,
    AVX512) fuse each product with its addition, so each value is rounded to float32 once.
    Worked example: 108,000 frames, 768 samples: step = f32(107999 / 767) = 140.80703735;
    element 526 = f32(107999 - 241 * step) = 74064.5078 -> 74065. torch's plain fallback
    kernel (ATEN_CPU_CAPABILITY=default) rounds the product first and gives 74064."""
    if count == 1:
        return [0]
    end = f32(total_frames - 1)
    step = f32(end / (count - 1))
    halfway = count // 2
    return [round(f32(step * k)) if k < halfway else round(f32(end - step * (count - 1 - k)))
            for k in range(count)]


@dataclass(frozen=True)
class QwenOptions:
    """The reference's per-video options; None means the reference's default."""
    fps: float | None = None
    nframes: int | None = None
    min_frames: int | None = None
    max_frames: int | None = None
    min_pixels: float | None = None
    max_pixels: float | None = None
    total_pixels: float | None = None
    resized_height: int | None = None
    resized_width: int | None = None


def smart_nframes(total_frames: int, video_fps: float, options: QwenOptions,
                  to_even: Callable[[float], int] = math.floor) -> int:
    """Frames the Qwen preprocessing takes from a video (qwen-vl-utils smart_nframes):
    2 per second by default, at least 4 (where the video has them), at most 768, always an even
    number (to_even=round: 0.0.8's rule, Qwen2-VL's release, which rounds where 0.0.10 floors).
    Its round_by_factor, ceil_by_factor and floor_by_factor are written out where used."""
    if options.nframes is not None:
        return round(options.nframes / FRAME_FACTOR) * FRAME_FACTOR   # half to even, as theirs
    fps = QWEN_FPS if options.fps is None else options.fps
    low = FPS_MIN_FRAMES if options.min_frames is None else options.min_frames
    high = min(FPS_MAX_FRAMES, total_frames) if options.max_frames is None else options.max_frames
    low = math.ceil(low / FRAME_FACTOR) * FRAME_FACTOR
    high = math.floor(high / FRAME_FACTOR) * FRAME_FACTOR
    wanted = total_frames / video_fps * fps
    return to_even(min(max(wanted, low), high, total_frames) / FRAME_FACTOR) * FRAME_FACTOR


def smart_resize(height: int, width: int, factor: int, min_pixels: float, max_pixels: float
                 ) -> tuple[int, int]:
    """qwen-vl-utils smart_resize (its *_by_factor helpers written out): sides divisible by
    factor, pixels within bounds, aspect kept. Its edge behaviour is kept too: the max-pixels
    branch floors each side, so the result can fall below min_pixels, and a very thin frame
    gets a side of 0."""
    h_bar = max(factor, round(height / factor) * factor)
    w_bar = max(factor, round(width / factor) * factor)
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt((height * width) / max_pixels)
        h_bar = math.floor(height / beta / factor) * factor
        w_bar = math.floor(width / beta / factor) * factor
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = math.ceil(height * beta / factor) * factor
        w_bar = math.ceil(width * beta / factor) * factor
    return h_bar, w_bar


def qwen_video_tokens(video: VideoFacts, options: QwenOptions = QwenOptions(),
                      patch: int = QWEN2_PATCH) -> dict:
    """A video's tokens as the Qwen preprocessing counts them (Qwen2.5-VL: 14-pixel patches,
    qwen-vl-utils vision_process.py fetch_video), with the numbers on the way."""
    factor = patch * QWEN_MERGE                 # one merged token is factor x factor pixels
    # Step 1: how many frames (2 a second, 4 to 768 where the video has them, even), and the
    # rate that makes.
    nframes = smart_nframes(video.total_frames, video.fps, options)
    sample_fps = nframes / video.total_frames * video.fps
    # Step 2: each frame's pixel bounds: the whole video's pixels shared out, at most 768
    # tokens' worth a frame (768 tokens a 2-frame patch), at least 1.05 x the minimum (an
    # explicit size uses the image bounds).
    if options.resized_height is not None:
        low, high = IMAGE_MIN_TOKENS * factor ** 2, IMAGE_MAX_TOKENS * factor ** 2
        height, width, bounds = options.resized_height, options.resized_width, (None, None)
    else:
        low = VIDEO_MIN_TOKENS * factor ** 2 if options.min_pixels is None else options.min_pixels
        total = (VIDEO_TOTAL_TOKENS * factor ** 2 if options.total_pixels is None
                 else options.total_pixels)
        high = max(min(VIDEO_MAX_TOKENS * factor ** 2, total / nframes * FRAME_FACTOR),
                   int(low * 1.05))
        high = high if options.max_pixels is None else min(options.max_pixels, high)
        height, width, bounds = video.height, video.width, (low, high)
    # Step 3: the frame size, sides multiples of `factor`, pixels within the bounds.
    height, width = smart_resize(height, width, factor, low, high)
    # Step 4: patches of 2 frames x patch x patch pixels; the 2x2 merge makes 4 patches 1 token.
    grid = (nframes // FRAME_FACTOR, height // patch, width // patch)
    return {"nframes": nframes, "sample_fps": sample_fps, "min_pixels": bounds[0],
            "max_pixels": bounds[1], "resized_height": height, "resized_width": width,
            "grid_thw": list(grid), "second_per_grid_t": FRAME_FACTOR / sample_fps,
            "visual_tokens": grid[0] * grid[1] * grid[2] // (QWEN_MERGE * QWEN_MERGE)}


def qwen_refusal(video: VideoFacts, options: QwenOptions, patch: int) -> str | None:
    """Why qwen-vl-utils refuses these options for this video (it raises or asserts), or None."""
    factor = patch * QWEN_MERGE
    if options.fps is not None and options.nframes is not None:
        return "give a sample fps or a frame count (--nframes), not both"
    if (options.resized_height is None) != (options.resized_width is None):
        return "--resized-height and --resized-width go together"
    nframes = smart_nframes(video.total_frames, video.fps, options)
    if video.total_frames < FRAME_FACTOR:
        return (f"the video has {counted(video.total_frames, 'frame')}; the reference needs "
                f"at least {FRAME_FACTOR} (--total-frames, or --duration x --fps)")
    if not FRAME_FACTOR <= nframes <= video.total_frames:
        given = (f"--nframes {options.nframes:,} rounds to {nframes:,}"
                 if options.nframes is not None
                 else f"--sample-fps, --min-frames and --max-frames give {nframes:,}")
        return (f"{given} frames; the reference takes {FRAME_FACTOR} to {video.total_frames:,} "
                "from this video (its length in frames)")
    sides = ((options.resized_height, options.resized_width)
             if options.resized_height is not None else (video.height, video.width))
    if max(sides) / min(sides) > MAX_RATIO:
        return (f"a {sides[1]}x{sides[0]} frame (--width/--height, or the video's) has an "
                f"aspect ratio of {max(sides) / min(sides):.1f}, over qwen-vl-utils' limit of "
                f"{MAX_RATIO} (MAX_RATIO)")
    low = (VIDEO_MIN_TOKENS * factor ** 2 if options.min_pixels is None
           else options.min_pixels)
    if options.resized_height is None and options.max_pixels is not None and \
            options.max_pixels < low:
        return (f"max_pixels {options.max_pixels:g} is below min_pixels {low:g}; the "
                "reference refuses that (qwen-vl-utils 0.0.14 asserts)")
    return None


def qwen_video_plan(video: VideoFacts, options: QwenOptions = QwenOptions(),
                    patch: int = QWEN2_PATCH) -> dict:
    """qwen_video_tokens with the frame indices the reference takes. What it refuses, and a
    frame its pixel cap floors to a side of 0 (no tokens), is a UserError that says why."""
    refusal = qwen_refusal(video, options, patch)
    if refusal:
        raise UserError(refusal)
    plan = qwen_video_tokens(video, options, patch)
    if not plan["resized_height"] or not plan["resized_width"]:
        raise UserError(f"the reference resizes this {video.width}x{video.height} video to "
                        f"{plan['resized_width']}x{plan['resized_height']}: its pixel cap floors "
                        "a side to 0, which gives no tokens")
    return {"nframes": plan["nframes"],
            "frame_indices": linspace_indices(video.total_frames, plan["nframes"]), **plan}


def qwen3_timestamps(indices: list[int], native_fps: float) -> list[float]:
    """Seconds Qwen3-VL writes before each temporal patch (processing_qwen3_vl.py
    _calculate_timestamps): an odd list repeats its last index, then each patch is the mean
    of its two frames' times, index / native fps (the video's own rate, not the sample rate)."""
    padded = indices + indices[-1:] * (len(indices) % FRAME_FACTOR)
    times = [i / native_fps for i in padded]
    return [(times[k] + times[k + 1]) / 2 for k in range(0, len(times), FRAME_FACTOR)]


def timestamp_text(seconds: float) -> str:
    """'<12.3 seconds>': Python's correctly rounded .1f, exact binary ties to even."""
    return f"<{seconds:.1f} seconds>"


def timestamp_tokens(seconds: float) -> int:
    """Tokens of timestamp_text: 5 plus one per integer digit ('<0.3 seconds>' is 6)."""
    return TIMESTAMP_FIXED_TOKENS + len(f"{seconds:.1f}".split(".")[0])


def audio_tokens(seconds: float) -> int:
    """Qwen2.5-Omni audio tokens for `seconds` of audio: mel frames, then two halvings
    (((mel - 1) // 2 + 1 - 2) // 2 + 1); 25 per second, none for 320 samples or fewer."""
    samples = round(seconds * AUDIO_SAMPLE_RATE)
    mel = min(ceil_div(samples, AUDIO_HOP), AUDIO_MAX_MEL)
    return max(0, ((mel - 1) // 2 + 1 - 2) // 2 + 1)


@dataclass(frozen=True)
class DesignOptions:
    """The options a token count takes: frames for the fixed-frame designs, the naive
    baseline's image size, patch and pooling, whether audio counts, the context in tokens,
    and the Qwen preprocessing options."""
    frames: int | None = None          # fixed-frame designs: frames taken (default per design)
    image_size: int = NAIVE_SIZE       # naive: encoder input side
    patch: int = NAIVE_PATCH           # naive: patch side
    pool: int | None = None            # k x k pooling: naive (default 1), LLaVA designs (2)
    audio: bool = False                # count the audio branch (Video-LLaMA, Qwen2.5-Omni)
    context: int = DEFAULT_CONTEXT_TOKENS
    qwen: QwenOptions = QwenOptions()


def patch_grid_side(image_size: int, patch: int) -> int:
    """Patches per side of an `image_size`-pixel square cut into `patch`-pixel patches; a size
    that is not a multiple of the patch is a UserError."""
    if image_size % patch:
        raise UserError(f"--image-size {image_size} is not a multiple of --patch {patch}")
    return image_size // patch


def pooled_side(side: int, pool: int) -> int:
    """The side of a `side` x `side` patch grid after `pool` x `pool` pooling; a pool that does
    not divide the side is a UserError listing the divisors."""
    if pool > side or side % pool:
        raise UserError(f"--pool {pool} does not divide the {side}x{side} patch grid "
                        "(divisors: "
                        f"{', '.join(str(k) for k in range(1, side + 1) if side % k == 0)})")
    return side // pool


def cost_of(design: str, video: VideoFacts, options: DesignOptions, frames: int,
            visual: int, workings: dict, text: int = 0, audio: int = 0) -> TokenCost:
    """A TokenCost of `design` for `video`, with the video's duration and the options'
    context filled in."""
    return TokenCost(design, frames, visual, text, audio, video.duration_s, options.context,
                     workings)


def naive_cost(video: VideoFacts, options: DesignOptions) -> TokenCost:
    """The lesson's baseline: every frame (or --frames of them) through a ViT, k x k pooled."""
    frames = min(options.frames or video.total_frames, video.total_frames)
    side = patch_grid_side(options.image_size, options.patch)
    pool = options.pool or 1
    pooled = pooled_side(side, pool)
    return cost_of("naive", video, options, frames, frames * pooled * pooled,
                   {"patch_grid": [side, side], "pool": pool,
                    "pooled_grid": [pooled, pooled], "tokens_per_frame": pooled * pooled})


def fixed_frame_count(name: str, options: DesignOptions, released: int, video: VideoFacts) -> int:
    """Frames a fixed-frame design takes: --frames, else its `released` count, even from a
    shorter clip (np.linspace and np.arange then repeat frames: Video-LLaVA's processing_video.py,
    Video-LLaMA's load_video). --pool is a UserError (the design has no pooling in its
    release)."""
    if options.pool not in (None, 1):
        raise UserError(f"--pool is for the naive and LLaVA designs; {name} has no pooling in "
                        "its release")
    return options.frames or released


def video_llama_cost(video: VideoFacts, options: DesignOptions) -> TokenCost:
    """32 video-query tokens for the whole clip, whatever the frame count (+8 audio tokens)."""
    asked = fixed_frame_count("video-llama", options, VIDEO_LLAMA_FRAMES, video)
    indices = video_llama_indices(video.total_frames, asked)
    frames = len(indices)                  # np.arange's float step can give one more
    more = f" (np.arange gives {frames} here)" if frames != asked else ""
    if indices[-1] >= video.total_frames:
        raise UserError(f"--frames {asked}{more}: Video-LLaMA's load_video asks this "
                        f"{video.total_frames}-frame video for frame {indices[-1]}, one past "
                        "its last")
    if frames > VIDEO_LLAMA_MAX_FRAME_POS:
        raise UserError(f"--frames {asked}{more}: Video-LLaMA's frame position embedding has "
                        f"{VIDEO_LLAMA_MAX_FRAME_POS} rows (max_frame_pos)")
    times = ", ".join(str(round(i / video.fps, 1)) for i in indices)
    audio = VIDEO_LLAMA_AUDIO_QUERIES if options.audio else 0
    # The vision-only demo (demo_video.py: upload_video_without_audio) writes the times; with
    # audio (demo_audiovideo.py: upload_video) the prompt is a fixed text without them.
    prompt = (VIDEO_LLAMA_AUDIO_PROMPT if options.audio else
              f"The video contains {len(indices)} frames sampled at {times} seconds. ")
    return cost_of("video-llama", video, options, frames, VIDEO_LLAMA_VIDEO_QUERIES,
                   {"frame_indices": indices, "frame_queries": VIDEO_LLAMA_FRAME_QUERIES,
                    "video_queries": VIDEO_LLAMA_VIDEO_QUERIES, "audio_queries": audio,
                    "prompt_text": prompt, "prompt_states_times": not options.audio,
                    # LLaMA's SentencePiece tokenizer is not carried here: not in text_tokens
                    "prompt_tokens": None}, audio=audio)


def video_llava_cost(video: VideoFacts, options: DesignOptions) -> TokenCost:
    """257 tokens per frame (16 x 16 patches and the CLS token), 8 frames."""
    frames = fixed_frame_count("video-llava", options, VIDEO_LLAVA_FRAMES, video)
    side = VIDEO_LLAVA_SIZE // VIDEO_LLAVA_PATCH
    per_frame = side * side + VIDEO_LLAVA_CLS
    return cost_of("video-llava", video, options, frames, frames * per_frame,
                   {"frame_indices": video_llava_indices(video.total_frames, frames),
                    "patch_grid": [side, side], "cls_tokens": VIDEO_LLAVA_CLS,
                    "tokens_per_frame": per_frame})


def video_llama_indices(total_frames: int, count: int) -> list[int]:
    """Video-LLaMA load_video(sampling="uniform"): np.arange(0, n, n / count).astype(int), k
    times a float64 step, truncated, ceil(n / step) of them. The step is exact when count is a
    power of two (the released 8). Otherwise k x step can fall just short of a whole number
    (392 frames, 24 asked: the 16th is 244, not 245), and float rounding can make the list one
    longer: one frame more than asked (15 frames, 13 asked: 14), or frame n itself, one past
    the last (17 frames, 7 asked)."""
    step = total_frames / count
    return [int(k * step) for k in range(math.ceil(total_frames / step))]


def video_llava_indices(total_frames: int, count: int) -> list[int]:
    """Video-LLaVA: np.linspace(0, total - 1, count, dtype=int) (numpy_linspace_int)."""
    return numpy_linspace_int(total_frames, count)


def numpy_linspace_int(total_frames: int, count: int) -> list[int]:
    """np.linspace(0, total - 1, count, dtype=int): k x step in float64, the last value the
    end itself, truncated toward zero; a clip shorter than `count` repeats frames."""
    if count == 1:
        return [0]
    step = (total_frames - 1) / (count - 1)
    return [int(k * step) for k in range(count - 1)] + [total_frames - 1]


def next_video_indices(total_frames: int, fps: float, cap: int) -> list[int]:
    """LLaVA-NeXT-Video's demo (video_demo.py load_video): a frame every round(fps) frames
    (1 fps); only when that gives more than `cap`, `cap` frames by numpy_linspace_int."""
    step = max(1, round(fps))          # round(): Python's, half to even, as the demo calls it
    indices = list(range(0, total_frames, step))
    return numpy_linspace_int(total_frames, cap) if len(indices) > cap else indices


def internvl_indices(total_frames: int, count: int) -> list[int]:
    """InternVL's get_index without a bound: the middle of `count` equal segments of
    [0, total - 1], int(seg / 2 + np.round(seg * i)) with seg = (total - 1) / count."""
    seg = (total_frames - 1) / count
    return [int(seg / 2 + round(seg * i)) for i in range(count)]


def transformers_internvl_indices(total_frames: int, count: int) -> list[int]:
    """transformers' InternVLVideoProcessor.sample_frames: torch.arange(N / n / 2, N, N / n)
    in float32, truncated; it starts from N, not N - 1, and so disagrees on most videos."""
    step = total_frames / count
    values = (f32(step / 2 + k * step) for k in range(math.ceil((total_frames - step / 2) / step)))
    return [int(v) for v in values][:count]


def pooled_grid(grid: int, stride: int, mode: str) -> int:
    """The side of a grid x grid patch grid pooled by `stride`: bilinear interpolation to
    ceil(grid / stride) (get_2dPool, 'bilinear'), average pooling to floor (avg_pool2d)."""
    return ceil_div(grid, stride) if mode == "bilinear" else grid // stride


def pooling_workings(grid: int, stride: int, mode: str) -> dict:
    """The pooled grid of a LLaVA design, and the other mode's where they round apart."""
    side = pooled_grid(grid, stride, mode)
    workings = {"patch_grid": [grid, grid], "pool_stride": stride, "pool_mode": mode,
                "pooled_grid": [side, side]}
    other = "average" if mode == "bilinear" else "bilinear"
    if pooled_grid(grid, stride, other) != side:
        workings[f"pooled_grid_if_{other}"] = [pooled_grid(grid, stride, other)] * 2
    return workings


def llava_stride(options: DesignOptions) -> int:
    """--pool as a LLaVA design's pooling stride: the released 2 unless asked (hypothetical)."""
    return LLAVA_POOL_STRIDE if options.pool is None else options.pool


def hypothetical_stride(workings: dict, stride: int) -> dict:
    """Mark a cost whose stride is not the released one (the lesson's 3 x 3 is one)."""
    if stride != LLAVA_POOL_STRIDE:
        workings["hypothetical"] = (f"pool stride {stride}: no released model; the release "
                                    f"pools with stride {LLAVA_POOL_STRIDE}")
    return workings


def next_video_cost(video: VideoFacts, options: DesignOptions) -> TokenCost:
    """24 x 24 CLIP patches average-pooled 2 x 2: 144 a frame, no newline tokens."""
    stride = llava_stride(options)
    indices = next_video_indices(video.total_frames, video.fps,
                                 options.frames or NEXT_VIDEO_MAX_FRAMES)
    workings = pooling_workings(CLIP336_GRID, stride, "average")
    side = workings["pooled_grid"][0]
    workings.update(frame_indices=indices, tokens_per_frame=side * side,
                    # the original code's mm_newline_position options (llava_arch.py), not in
                    # transformers: what each would add to this video
                    newline_options={"no_token": 0, "grid": side * len(indices),
                                     "frame": len(indices), "one_token": 1})
    return cost_of("llava-next-video", video, options, len(indices),
                   side * side * len(indices), hypothetical_stride(workings, stride))


def onevision_cost(video: VideoFacts, options: DesignOptions) -> TokenCost:
    """27 x 27 SigLIP patches, bilinear to 14 x 14: 196 a frame, and one newline a video."""
    stride = llava_stride(options)
    indices = numpy_linspace_int(video.total_frames, options.frames or ONEVISION_FRAMES)
    workings = pooling_workings(SIGLIP384_GRID, stride, "bilinear")
    side = workings["pooled_grid"][0]
    workings.update(frame_indices=indices, tokens_per_frame=side * side, newline_tokens=1)
    return cost_of("llava-onevision", video, options, len(indices),
                   side * side * len(indices) + 1, hypothetical_stride(workings, stride))


def llava_video_instruction(video: VideoFacts, indices: list[int]) -> tuple[str, int]:
    """LLaVA-Video's time instruction for these frames, and its tokens (the rule above)."""
    length, times = f"{video.duration_s:.2f}", [f"{i / video.fps:.2f}s" for i in indices]
    digits = len(length.split(".")[0]) + len(str(len(indices)))
    tokens = (LLAVA_VIDEO_FIXED_TOKENS + digits + len(times) - 1
              + sum(len(t.split(".")[0]) + 4 for t in times))
    text = LLAVA_VIDEO_INSTRUCTION.format(length=length, count=len(indices),
                                          times=",".join(times))
    return text, tokens


def llava_video_cost(video: VideoFacts, options: DesignOptions) -> TokenCost:
    """OneVision's 14 x 14 a frame plus a newline at the end of each row (210), and the time
    instruction as text."""
    stride = llava_stride(options)
    indices = numpy_linspace_int(video.total_frames, options.frames or LLAVA_VIDEO_FRAMES)
    workings = pooling_workings(SIGLIP384_GRID, stride, "bilinear")
    side = workings["pooled_grid"][0]
    text, text_tokens = llava_video_instruction(video, indices)
    workings.update(frame_indices=indices, tokens_per_frame=side * (side + 1),
                    newline_tokens=side * len(indices), time_instruction=text,
                    time_instruction_tokens=text_tokens)
    return cost_of("llava-video", video, options, len(indices), side * (side + 1) * len(indices),
                   hypothetical_stride(workings, stride), text=text_tokens)


def internvl_cost(video: VideoFacts, options: DesignOptions) -> TokenCost:
    """448 x 448 (one tile), pixel shuffle: 256 a frame, each wrapped as 'FrameN: <img>...</img>'
    and a newline, text tokens counted as LLaVA-Video's are."""
    if options.pool not in (None, 1):
        raise UserError("--pool: InternVL3's pixel shuffle is fixed (256 tokens a tile)")
    count = options.frames or INTERNVL_FRAMES
    indices = internvl_indices(video.total_frames, count)
    # 'Frame', the digits, ':', ' ' (3 + digits), '<img>', '</img>' and '\n' per frame
    labels = sum(3 + len(str(i + 1)) for i in range(count)) + 3 * count
    workings = {"frame_indices": indices, "tokens_per_frame": INTERNVL_TILE_TOKENS,
                "pooled_grid": [16, 16], "tiles_per_frame": 1, "frame_label_tokens": labels,
                "transformers_frame_indices": transformers_internvl_indices(video.total_frames,
                                                                            count)}
    return cost_of("internvl3", video, options, count, INTERNVL_TILE_TOKENS * count, workings,
                   text=labels)


def qwen_cost(name: str, video: VideoFacts, options: DesignOptions, patch: int) -> TokenCost:
    """A Qwen design's TokenCost, by qwen_video_plan with `patch`-pixel patches (the plan as
    workings); --frames or --pool is a UserError (use --nframes, --sample-fps, --max-pixels)."""
    if options.frames is not None or options.pool not in (None, 1):
        raise UserError(f"{name} takes frames by qwen-vl-utils' rules: use --nframes or "
                        "--sample-fps, and --max-pixels instead of --pool")
    plan = qwen_video_plan(video, options.qwen, patch)
    plan["version_notes"] = qwen_version_notes(name, video, plan, options.qwen)
    return cost_of(name, video, options, plan["nframes"], plan.pop("visual_tokens"), plan)


# Where a version changes the numbers (../shared/reference and the packages' own files):
QWEN2_VL_UTILS_TOTAL_PIXELS = 24576 * 28 * 28   # qwen-vl-utils 0.0.8, Qwen2-VL's release
# transformers 5.x: processing_qwen2_5_vl.py takes the rate from video_metadata.sampled_fps, not
# the fps argument, and video_utils.py's default metadata (no fps) gives `self.fps or 24`.
TRANSFORMERS_UNKNOWN_FPS = 24
# transformers' Qwen3VLVideoProcessor without qwen-vl-utils: the checkpoint's
# video_preprocessor_config.json size.longest_edge, a pixel budget for all frames together
# (as third-party copies of the hub file give it; the class default is 768 x 32 x 32).
QWEN3_HF_LONGEST_EDGE = 25165824
QWEN3_HF_SHORTEST_EDGE = 4096                    # ... and its floor (size.shortest_edge)
QWEN3_HF_PATCH_FACTOR = 32


def qwen3_transformers_frames(video: VideoFacts) -> int:
    """Frames Qwen3-VL's video processor takes by itself (video_processing_qwen3_vl.py
    sample_frames): int(seconds x 2), at least 4, at most 768 and the video's frames. An odd
    count stays odd; patchify repeats the last frame to fill the last pair."""
    wanted = int(video.total_frames / video.fps * QWEN_FPS)
    return min(max(wanted, FPS_MIN_FRAMES), FPS_MAX_FRAMES, video.total_frames)


def qwen3_transformers_size(frames: int, height: int, width: int) -> tuple[int, int]:
    """Qwen3-VL's frame size through transformers alone: one beta for all frames together,
    so that frames x height x width lies between QWEN3_HF_SHORTEST_EDGE and
    QWEN3_HF_LONGEST_EDGE (video_processing_qwen3_vl.py smart_resize: a side under the factor
    first scales both up, int() of each; the frame count rounds to a pair, half to even)."""
    factor = QWEN3_HF_PATCH_FACTOR
    if min(height, width) < factor:
        scale = max(factor / height, factor / width)
        height, width = int(height * scale), int(width * scale)
    h, w = round(height / factor) * factor, round(width / factor) * factor
    t = round(frames / FRAME_FACTOR) * FRAME_FACTOR
    if t * h * w > QWEN3_HF_LONGEST_EDGE:
        beta = math.sqrt(frames * height * width / QWEN3_HF_LONGEST_EDGE)
        h = max(factor, math.floor(height / beta / factor) * factor)
        w = max(factor, math.floor(width / beta / factor) * factor)
    elif t * h * w < QWEN3_HF_SHORTEST_EDGE:
        beta = math.sqrt(QWEN3_HF_SHORTEST_EDGE / (frames * height * width))
        h, w = math.ceil(height * beta / factor) * factor, math.ceil(width * beta / factor) * factor
    return h, w


def qwen_version_notes(name: str, video: VideoFacts, plan: dict,
                       qwen: QwenOptions = QwenOptions()) -> list[str]:
    """What another version of the model's code gives for this video, where it differs."""
    notes = []
    if name == "qwen2-vl":
        frames = smart_nframes(video.total_frames, video.fps, qwen, to_even=round)
        old = qwen_video_plan(video, replace(
            qwen, fps=None, min_frames=None, max_frames=None, nframes=frames,
            total_pixels=qwen.total_pixels or QWEN2_VL_UTILS_TOTAL_PIXELS))
        if (old["nframes"], old["visual_tokens"]) != (plan["nframes"], plan["visual_tokens"]):
            notes.append(f"qwen-vl-utils 0.0.8 (Qwen2-VL's release; VIDEO_TOTAL_PIXELS 24576 x "
                         f"28^2, frames rounded to a pair, not floored) takes {old['nframes']} "
                         f"frames at {old['resized_width']}x{old['resized_height']}, "
                         f"{old['visual_tokens']:,} tokens")
    if name == "qwen2.5-vl" and plan["second_per_grid_t"] != int(plan["second_per_grid_t"]):
        notes.append(f"transformers 4.52 to 5.17 truncate second_per_grid_t to an integer: "
                     f"{plan['second_per_grid_t']:g} becomes {int(plan['second_per_grid_t'])}, "
                     "and the time ids with it")
    if name == "qwen2.5-vl":
        assumed = FRAME_FACTOR / TRANSFORMERS_UNKNOWN_FPS
        notes.append(f"transformers 5.0 and later read the rate from video_metadata, not the fps "
                     f"argument: called as the Qwen2.5-VL README calls it (no metadata) it "
                     f"assumes {TRANSFORMERS_UNKNOWN_FPS} fps, {assumed:.4g} s a patch ("
                     f"{int(assumed)} where 5.0 to 5.17 truncate it), so pass video_metadata "
                     "with the frames' own fps")
    if name == "qwen3-vl":
        frames = qwen3_transformers_frames(video)
        h, w = qwen3_transformers_size(frames, video.height, video.width)
        tokens = ceil_div(frames, FRAME_FACTOR) * (h // QWEN3_HF_PATCH_FACTOR) * (
            w // QWEN3_HF_PATCH_FACTOR)
        if tokens != plan["visual_tokens"]:
            notes.append(f"through transformers alone (no qwen-vl-utils) it takes {frames} "
                         f"frames and the checkpoint's video budget gives {w}x{h}, "
                         f"{tokens:,} tokens")
    return notes


def qwen2_cost(video: VideoFacts, options: DesignOptions) -> TokenCost:
    """Qwen2-VL's tokens: the qwen-vl-utils arithmetic with 14-pixel patches."""
    return qwen_cost("qwen2-vl", video, options, QWEN2_PATCH)


def qwen25_cost(video: VideoFacts, options: DesignOptions) -> TokenCost:
    """Qwen2.5-VL's tokens: the same qwen-vl-utils arithmetic as Qwen2-VL, 14-pixel patches."""
    return qwen_cost("qwen2.5-vl", video, options, QWEN2_PATCH)


def qwen3_cost(video: VideoFacts, options: DesignOptions) -> TokenCost:
    """Qwen2.5-VL's sampling with 16-pixel patches, plus a timestamp before each patch."""
    result = qwen_cost("qwen3-vl", video, options, QWEN3_PATCH)
    workings = result.workings
    seconds = qwen3_timestamps(workings["frame_indices"], video.fps)
    stamp_tokens = sum(map(timestamp_tokens, seconds))
    blocks = len(seconds)
    workings.update(timestamps=[timestamp_text(t) for t in seconds], timestamp_tokens=stamp_tokens,
                    # transformers 5.x keeps the template's outer <|vision_start|>..<|vision_end|>
                    # and gives every patch its own pair; 4.57 drops the outer pair (2 fewer).
                    segment_tokens=2 + stamp_tokens + 2 * blocks + result.visual_tokens)
    return replace(result, text_tokens=stamp_tokens + 2 * blocks)


def omni_cost(video: VideoFacts, options: DesignOptions) -> TokenCost:
    """Qwen2.5-VL's vision arithmetic, plus 25 audio tokens per second when audio is counted."""
    result = qwen_cost("qwen2.5-omni", video, options, QWEN2_PATCH)
    audio = audio_tokens(video.duration_s) if options.audio else 0
    result.workings.update(audio_tokens=audio, position_ids_per_second=OMNI_POSITIONS_PER_SECOND,
                           seconds_per_chunk=OMNI_SECONDS_PER_CHUNK,
                           # processing_qwen2_5_omni.py: second_per_grid = 2 / fps, where fps is
                           # the processor's fps argument, 2.0 when the caller passes none.
                           processor_second_per_grid=FRAME_FACTOR / OMNI_PROCESSOR_FPS)
    return replace(result, audio_tokens=audio)


@dataclass(frozen=True)
class Design:
    """One way of turning video into tokens, as its released code does it (or, when
    hypothetical, as nobody has released it)."""
    name: str                      # the one name every subcommand uses
    model: str
    frames: str                    # which frames it takes
    tokens: str                    # how it counts tokens
    temporal_encoding: str         # what tells the language model when a frame was taken
    answer_format: str             # what to ask it for: json (start/end seconds) or free_text
    source: str                    # repository and file, or arXiv id
    cost: Callable[[VideoFacts, DesignOptions], TokenCost]
    hypothetical: bool = False


QWEN_SAMPLER = f"uniform, {QWEN_FPS:g} fps ({FPS_MIN_FRAMES} to {FPS_MAX_FRAMES} frames)"
DESIGNS: dict[str, Design] = {d.name: d for d in (
    Design("naive", "every frame through a ViT", "every frame (or --frames)",
           "(size / patch)^2 per frame, k x k pooled", "none", "free_text",
           "the lesson's baseline; no released model", naive_cost, hypothetical=True),
    Design("video-llama", "Video-LLaMA", "8 frames, evenly spaced from the first",
           "32 video-query tokens per video (+8 audio)",
           "learned frame position embedding (32 rows) before the video Q-former; the "
           "vision-only demo writes the sampled seconds into the prompt (with audio, not)",
           "free_text",
           "DAMO-NLP-SG/Video-LLaMA video_llama/models/video_llama.py, eval_configs/*.yaml, "
           "conversation_video.py; arXiv 2306.02858", video_llama_cost),
    Design("video-llava", "Video-LLaVA", "8 frames, first to last",
           "257 per frame (16 x 16 patches + CLS)",
           "temporal embedding and attention inside the LanguageBind video encoder; nothing "
           "marks time at the LLM input", "free_text",
           "PKU-YuanGroup/Video-LLaVA llava_arch.py, languagebind/video/modeling_video.py; "
           "transformers processing_video_llava.py; arXiv 2311.10122", video_llava_cost),
    Design("llava-next-video", "LLaVA-NeXT-Video", "1 fps; 32 evenly spaced when 1 fps gives more",
           "144 per frame (24 x 24 CLIP patches, 2 x 2 average pool); no newline tokens",
           "none: frames in order, nothing marks their times", "free_text",
           "LLaVA-VL/LLaVA-NeXT inference branch playground/demo/video_demo.py, "
           "llavavid/model/llava_arch.py; transformers configuration_llava_next_video.py, "
           "processing_llava_next_video.py", next_video_cost),
    Design("llava-onevision", "LLaVA-OneVision", "32 evenly spaced (lmms-eval; tutorial 16)",
           "196 per frame (27 x 27 SigLIP patches, bilinear to 14 x 14), + 1 newline a video",
           "none: frames in order, nothing marks their times", "free_text",
           "LLaVA-VL/LLaVA-NeXT llava/model/llava_arch.py; lmms-eval llava_onevision.py; "
           "transformers processing_llava_onevision.py; arXiv 2408.03326", onevision_cost),
    Design("llava-video", "LLaVA-Video", "64 evenly spaced (force_sample=True)",
           "210 per frame (14 x 14 bilinear + a newline per row), plus a time instruction",
           "text: 'The video lasts for X seconds ... located at 0.00s,...' before the question",
           "free_text", "LLaVA-VL/LLaVA-NeXT llava/train/train.py (time instruction), "
           "llava/model/llava_arch.py, scripts/video/train/SO400M_Qwen2_7B_ov_to_video_am9.sh; "
           "arXiv 2410.02713", llava_video_cost),
    Design("internvl3", "InternVL3", "32 segment middles (load_video; README calls 8)",
           "256 per frame (448 x 448, pixel shuffle), 'FrameN: <img>...</img>' as text",
           "text: a 'FrameN:' label per frame (order, not seconds)", "free_text",
           "OpenGVLab/InternVL README.md load_video/get_index, internvl_chat/internvl/model/"
           "internvl_chat/modeling_internvl_chat.py; transformers processing_internvl.py; "
           "arXiv 2504.10479", internvl_cost),
    Design("qwen2-vl", "Qwen2-VL", QWEN_SAMPLER,
           "(h / 28) x (w / 28) per 2-frame patch", "index M-RoPE: temporal id = patch number",
           "json", "arXiv 2409.12191; transformers 4.49 Qwen2-VL get_rope_index; "
           "qwen-vl-utils 0.0.10 vision_process.py", qwen2_cost),
    Design("qwen2.5-vl", "Qwen2.5-VL", QWEN_SAMPLER,
           "(h / 28) x (w / 28) per 2-frame patch",
           f"time-aligned M-RoPE: temporal id = seconds x {TOKENS_PER_SECOND}, one rate per "
           "video", "json",
           "arXiv 2502.13923; qwen-vl-utils 0.0.10 vision_process.py; transformers 4.49 "
           "Qwen2.5-VL get_rope_index", qwen25_cost),
    Design("qwen3-vl", "Qwen3-VL", QWEN_SAMPLER,
           "(h / 32) x (w / 32) per 2-frame patch, plus '<t seconds>' text before it",
           "text timestamps before each 2-frame patch; the temporal id carries no time", "json",
           "arXiv 2511.21631; qwen-vl-utils 0.0.14 (patch 16); transformers "
           "processing_qwen3_vl.py, modeling_qwen3_vl.py get_rope_index", qwen3_cost),
    Design("qwen2.5-omni", "Qwen2.5-Omni", QWEN_SAMPLER,
           f"Qwen2.5-VL's video tokens, plus {AUDIO_SAMPLE_RATE // AUDIO_HOP // 4} audio tokens "
           "a second",
           f"TMRoPE: {OMNI_POSITIONS_PER_SECOND} ids a second, video and audio interleaved in "
           f"{OMNI_SECONDS_PER_CHUNK:g}-second chunks", "json",
           "arXiv 2503.20215; transformers processing_qwen2_5_omni.py, modeling_qwen2_5_omni.py "
           "get_rope_index", omni_cost),
)}
QWEN_DESIGNS = ("qwen2-vl", "qwen2.5-vl", "qwen3-vl", "qwen2.5-omni")
POOLED_DESIGNS = ("llava-next-video", "llava-onevision", "llava-video", "internvl3")


def token_cost(design: str, video: VideoFacts, options: DesignOptions = DesignOptions()
                 ) -> TokenCost:
    """Tokens of `video` under one design, with the intermediate numbers in its workings."""
    if design not in DESIGNS:
        raise UserError(f"unknown design {quoted(design)}; known: {', '.join(DESIGNS)}")
    return DESIGNS[design].cost(video, options)


def price_frames(design: str, frames: int, video: VideoFacts,
                 context: int = DEFAULT_CONTEXT_TOKENS) -> TokenCost:
    """Tokens of `frames` frames chosen from `video` by some sampler, priced by the design's
    own arithmetic: a fixed-frame design takes that many frames; a Qwen design prices a video
    of that many frames (nframes; a list of odd length is padded to even, as the reference
    pads it) at the video's size."""
    if design in QWEN_DESIGNS:
        if video.total_frames < FRAME_FACTOR:
            raise UserError(f"{design} needs a video of at least {FRAME_FACTOR} frames")
        options = DesignOptions(context=context,
                                qwen=QwenOptions(nframes=paired_frames(frames, video)))
    else:
        options = DesignOptions(frames=frames, context=context)
    return token_cost(design, video, options)


def paired_frames(frames: int, video: VideoFacts) -> int:
    """A list of `frames` frames as a Qwen processor takes it: in pairs, an odd list padded
    with its last frame (at least one pair, and no more frames than the video has)."""
    even = min(frames + frames % FRAME_FACTOR, video.total_frames // FRAME_FACTOR * FRAME_FACTOR)
    return max(even, FRAME_FACTOR)


def nominal_facts(duration_s: float) -> VideoFacts:
    """The nominal capture of a `duration_s`-second video for token counts: 640x360 at 30 fps,
    at least one frame."""
    return VideoFacts(max(1, round(duration_s * NOMINAL_FPS)), NOMINAL_FPS, NOMINAL_WIDTH,
                      NOMINAL_HEIGHT)


# ----------------------------------------------------------------------------------------------
# §4 Positions
# Where each token sits, as each model's get_rope_index puts it: index and time-aligned
# M-RoPE, Qwen3-VL's text timestamps, Qwen2.5-Omni's TMRoPE; the rope demonstration.
# ----------------------------------------------------------------------------------------------

DEFAULT_ROPE_MODEL = "qwen2.5-vl"

# Qwen2.5-VL config.json: rope_scaling.mrope_section [16, 24, 24] of the 64 rotary frequency
# pairs of a 128-dim head, rope_theta 1e6: pairs 0-15 turn with t, 16-39 with h, 40-63 with w.
# (Qwen3-VL interleaves them instead, THW x 20 then TTTT, modeling_qwen3_vl.py; the relative
# angle per position step is the same idea.)
MROPE_SECTION = (16, 24, 24)
HEAD_DIM = 128
ROPE_THETA = 1_000_000.0
# Longer prompts are refused before anything is built: 256K tokens is Qwen3-VL's native context
# (arXiv 2511.21631), beyond any of these models' windows; their ids take 3 x 8 bytes each.
MAX_LAYOUT_TOKENS = 262_144
LEARNED_TABLE_ROWS = VIDEO_LLAVA_FRAMES  # LanguageBind's temporal embedding: one row per frame
ROPE_MODELS = ("qwen2-vl", "qwen2.5-vl", "qwen3-vl", "qwen2.5-omni")


def inverse_frequency(pair: int) -> float:
    """The rotary frequency of frequency pair `pair`, radians per position step:
    ROPE_THETA ** (-2 * pair / HEAD_DIM)."""
    return ROPE_THETA ** (-2 * pair / HEAD_DIM)


def rope_angle(position_delta: float, pair: int) -> float:
    """Relative rotation (radians) that a position difference gives one frequency pair."""
    return position_delta * inverse_frequency(pair)


def time_position(patch: int, second_per_grid: float, per_second: float) -> int:
    """trunc(k x second_per_grid x ids_per_second) in the reference's float32 tensors
    (Qwen2.5-VL: 2 ids a second; Qwen2.5-Omni: 25). Worked example: 28 frames of a 10 s,
    30 fps clip give 0.7142857 s per patch; patch 7 in float64 is 9.999999999999998 -> 9,
    in float32 it is exactly 10.0 -> 10."""
    return int(f32(f32(f32(patch) * f32(second_per_grid)) * per_second))


class Segment(NamedTuple):
    """One piece of a prompt layout; a vision or audio segment is its pad tokens alone (an av
    segment also owns its two start and two end tokens)."""
    kind: str                                  # text, image, video, audio or av
    count: int = 0                             # text or audio tokens
    grid: tuple[int, int, int] = (0, 0, 0)     # t, h, w patches before the 2x2 merge
    second_per_grid: float = 1.0

    @property
    def vision_tokens(self) -> int:
        return self.grid[0] * self.grid[1] * self.grid[2] // (QWEN_MERGE * QWEN_MERGE)

    @property
    def tokens(self) -> int:
        return self.count + self.vision_tokens + (4 if self.kind == "av" else 0)


def temporal_offsets(segment: Segment, model: str) -> list[int]:
    """The temporal id of each temporal patch of a vision segment, relative to its start."""
    t = segment.grid[0]
    if segment.kind == "image" or model in ("qwen2-vl", "qwen3-vl"):
        return list(range(t)) if model == "qwen2-vl" else [0] * t
    per_second = TOKENS_PER_SECOND if model == "qwen2.5-vl" else OMNI_POSITIONS_PER_SECOND
    return [time_position(k, segment.second_per_grid, per_second) for k in range(t)]


def vision_positions(segment: Segment, model: str, start: int) -> tuple[array, array, array]:
    """(t, h, w) ids of a vision segment's merged tokens, row-major in each temporal patch."""
    _, h, w = segment.grid
    h, w = h // QWEN_MERGE, w // QWEN_MERGE
    axes = (array("q"), array("q"), array("q"))
    rows = array("q", [start + i for i in range(h) for _ in range(w)])
    cols = array("q", range(start, start + w)) * h
    for offset in temporal_offsets(segment, model):
        axes[0].extend(array("q", [start + offset]) * (h * w))
        axes[1].extend(rows)
        axes[2].extend(cols)
    return axes


# The model chunks truncated float32 ids; the processor that wrote the prompt chunked float64
# values, and at a few rates (fps 9/7: 349.99999999999994 against 350) the two disagree, so
# later positions land on the wrong tokens. This follows the model.
def chunk_bounds(values: array, per_chunk: int) -> list[tuple[int, int]]:
    """Qwen2.5-Omni get_chunked_index: cut where a value reaches the next multiple of
    per_chunk; the chunk counter advances one per token, so a jump of several chunks leaves
    one-token chunks behind it (the reference's behaviour below 1 fps)."""
    bounds, start, current = [], 0, 1
    for i, value in enumerate(values):
        if value >= current * per_chunk:
            bounds.append((start, i))
            start, current = i, current + 1
    bounds.append((start, len(values)))
    return bounds


def av_pieces(segment: Segment) -> list[tuple[str, int, int]]:
    """The order in which Qwen2.5-Omni lays out a video with its audio: ("video" or "audio",
    first, stop) token ranges, chunk by chunk, V0 A0 V1 A1 ... (empty chunks skipped)."""
    per_chunk = int(OMNI_POSITIONS_PER_SECOND * OMNI_SECONDS_PER_CHUNK)
    t, h, w = segment.grid
    per_patch = (h // QWEN_MERGE) * (w // QWEN_MERGE)
    relative = array("q")
    for offset in temporal_offsets(segment._replace(kind="video"), "qwen2.5-omni"):
        relative.extend(array("q", [offset]) * per_patch)
    video = chunk_bounds(relative, per_chunk)
    audio = chunk_bounds(array("q", range(segment.count)), per_chunk)
    pieces = []
    for c in range(max(len(video), len(audio))):
        for kind, bounds in (("video", video), ("audio", audio)):
            if c < len(bounds) and bounds[c][0] < bounds[c][1]:
                pieces.append((kind, *bounds[c]))
    return pieces


def av_positions(segment: Segment, start: int) -> tuple[array, array, array]:
    """Qwen2.5-Omni video with its audio: both start tokens share `start`; video and audio
    follow in 2-second chunks (av_pieces); both end tokens share the last chunk's largest id
    + 1 (the last chunk's, not the whole segment's)."""
    s = start + 1
    video = vision_positions(segment._replace(kind="video"), "qwen2.5-omni", s)
    audio = array("q", range(s, s + segment.count))
    axes = (array("q", [start, start]), array("q", [start, start]), array("q", [start, start]))
    last = start
    for kind, a, b in av_pieces(segment):
        pieces = video if kind == "video" else (audio, audio, audio)
        for axis, piece in zip(axes, pieces):
            axis.extend(piece[a:b])
        last = max(max(piece[a:b]) for piece in pieces)
    for axis in axes:
        axis.extend((last + 1, last + 1))
    return axes


def av_pattern(segment: Segment) -> str:
    """'V144 A50 V1 A50 ...': the chunk sizes of an interleaved video and audio."""
    return " ".join(f"{kind[0].upper()}{b - a}" for kind, a, b in av_pieces(segment))


def position_ids(segments: list[Segment], model: str = "qwen2.5-vl"
                 ) -> tuple[tuple[array, array, array], int]:
    """3-axis (t, h, w) position ids of a prompt and mrope_position_delta (max + 1 - length).
    Text counts on from the previous piece's largest id + 1, the same on all three axes; a
    vision block starts there, with t = start + its temporal offset, h = start + row,
    w = start + column. (That is Qwen2.5-VL's rule as released, transformers 4.49; from 5.3 its
    text resumes at start + max(h, w) / 2 instead, below a long video's largest t;
    ../shared/reference/qwen3-vl-and-omni.md.)"""
    axes = (array("q"), array("q"), array("q"))
    next_id = 0
    for segment in segments:
        if segment.kind in ("text", "audio"):
            piece = array("q", range(next_id, next_id + segment.count))
            pieces = (piece, piece, piece)
        elif segment.kind == "av":
            pieces = av_positions(segment, next_id)
        else:
            pieces = vision_positions(segment, model, next_id)
        for axis, piece in zip(axes, pieces):
            axis.extend(piece)
        if len(pieces[0]):
            next_id = (pieces[0][-1] if segment.kind == "av" else
                       max(max(piece) for piece in pieces)) + 1
    top = max((max(axis) for axis in axes if len(axis)), default=-1)
    return axes, top + 1 - len(axes[0])


class PatchTimes(NamedTuple):
    """One 2-frame temporal patch of sampled frames, and the time each design gives it."""
    patch: int
    frame_times: tuple[float, ...]     # the true seconds of its frames
    index_t: int                       # Qwen2-VL: the patch number
    aligned_t: int                     # Qwen2.5-VL: k x seconds-per-patch x 2, one rate per video
    aligned_s: float                   # the second that temporal id stands for (id / 2)
    timestamp: str                     # Qwen3-VL: the text written before the patch
    omni_t: int                        # Qwen2.5-Omni: k x 25 (its processor's 2 fps: 1 s a patch)
    omni_fps_t: int                    # ... when the caller passes the frames' own rate
    table_row_ids: tuple[int | None, ...]  # Video-LLaVA: temporal-embedding row of each frame

    @property
    def true_s(self) -> float:
        return self.frame_times[0]


def patch_times(times: list[float], rate_fps: float,
                table_rows: int = LEARNED_TABLE_ROWS) -> tuple[PatchTimes, ...]:
    """The temporal patches of sampled frames (their true seconds, sorted) under each design.
    Qwen2.5-VL gets one frame rate for the whole video, rate_fps (the sample rate of the
    reference's own uniform frames, or the fps a caller passes with a list of frames), so its
    patches are evenly spaced whatever the frames were; so does Qwen2.5-Omni, at its
    processor's 2 fps (omni_t) or at rate_fps when the caller passes it (omni_fps_t); Qwen3-VL's
    text carries each pair's own mean time. An odd list repeats its last frame, as the reference."""
    padded = list(times) + list(times[-1:]) * (len(times) % FRAME_FACTOR)
    second_per_grid = FRAME_FACTOR / rate_fps
    patches = []
    for k in range(len(padded) // FRAME_FACTOR):
        pair = tuple(padded[FRAME_FACTOR * k: FRAME_FACTOR * (k + 1)])
        aligned = time_position(k, second_per_grid, TOKENS_PER_SECOND)
        rows = tuple(i if i < table_rows else None      # the repeated last frame is not one
                     for i in range(FRAME_FACTOR * k, min(FRAME_FACTOR * (k + 1), len(times))))
        patches.append(PatchTimes(k, pair, k, aligned, aligned / TOKENS_PER_SECOND,
                                  timestamp_text(mean(pair)),
                                  time_position(k, FRAME_FACTOR / OMNI_PROCESSOR_FPS,
                                                OMNI_POSITIONS_PER_SECOND),
                                  time_position(k, second_per_grid, OMNI_POSITIONS_PER_SECOND),
                                  rows))
    return tuple(patches)


def timestamp_seconds(text: str) -> float:
    """The seconds in a Qwen3-VL timestamp text: '<12.3 seconds>' -> 12.3."""
    return float(text[1:].split(" ")[0])


def rope_demonstration(patches: tuple[PatchTimes, ...]) -> dict | None:
    """What each design tells the model about the closest and the farthest-apart neighbouring
    patches, and how far Qwen2.5-VL's ids and Qwen3-VL's text are from the true times at
    worst."""
    if len(patches) < 3:
        return None
    # The gap between two patches is between their mean times, the times Qwen3-VL writes.
    gaps = [(mean(patches[k + 1].frame_times) - mean(patches[k].frame_times), k)
            for k in range(len(patches) - 1)]
    (short_gap, a), (long_gap, b) = min(gaps), max(gaps)

    def pair(k: int, gap: float) -> dict:
        p, q = patches[k], patches[k + 1]
        return {"patches": [p.patch, q.patch], "time_gap_s": gap,
                "index_delta": q.index_t - p.index_t, "aligned_delta": q.aligned_t - p.aligned_t,
                "timestamps": [p.timestamp, q.timestamp], "omni_delta": q.omni_t - p.omni_t,
                "omni_fps_delta": q.omni_fps_t - p.omni_fps_t,
                "aligned_angle_rad": rope_angle(q.aligned_t - p.aligned_t, 0)}
    aligned_errors = [(abs(p.aligned_s - p.true_s), p.patch) for p in patches]
    text_errors = [abs(timestamp_seconds(p.timestamp) - mean(p.frame_times))
                   for p in patches]
    worst, worst_patch = max(aligned_errors)
    return {"closest": pair(a, short_gap), "farthest": pair(b, long_gap),
            "uneven": long_gap - short_gap > 1e-6,
            "aligned_max_error_s": worst, "aligned_worst_patch": worst_patch,
            "timestamp_max_error_s": max(text_errors),
            "frames_past_table": sum(r is None for p in patches for r in p.table_row_ids)}


def expanded_layout(model: str, patches: tuple[PatchTimes, ...], facts: VideoFacts,
                    rate_fps: float) -> str:
    """The prompt layout of a video as `model` receives it, in rope --layout's grammar: each
    vision segment is its pads, its start and end tokens are text (Qwen3-VL: a timestamp and a
    pair of markers around every patch, inside an outer pair; Omni: `av` owns its four)."""
    frames = sum(len(p.frame_times) for p in patches)
    _, h, w = price_frames(model, frames, facts).workings["grid_thw"]
    second_per_grid = FRAME_FACTOR / rate_fps
    if model == "qwen3-vl":
        parts, pending = [], 1                       # the outer <|vision_start|>
        for p in patches:                            # timestamp, then the patch's own start
            stamp = timestamp_tokens(timestamp_seconds(p.timestamp))
            parts += [f"text:{pending + stamp + 1}", f"video:1x{h}x{w}"]
            pending = 1                              # this patch's <|vision_end|>
        return " ".join(parts + [f"text:{pending + 1}"])
    if model == "qwen2.5-omni":                      # the processor's default: 1 s a patch
        return (f"av:{len(patches)}x{h}x{w}@{FRAME_FACTOR / OMNI_PROCESSOR_FPS!r}"
                f"+{audio_tokens(facts.duration_s)}")
    return f"text:1 video:{len(patches)}x{h}x{w}@{second_per_grid!r} text:1"


# ----------------------------------------------------------------------------------------------
# §5 Grounding
# Scoring an "at what second?" answer once it is read (§6 reads it): both-ends tolerance, IoU,
# R@1 and recall@k, per answer (score_item) and summed over a run (Tally).
# ----------------------------------------------------------------------------------------------

# Why an answer could not be read. A fixed set, so that reports can be compared across runs.
FAILURE_REASONS = {
    "empty": "the answer is empty",
    "too_long": "the answer is longer than this tool reads (MAX_ANSWER_CHARS)",
    "no_time_found": "no time expression in the answer",
    "echoed_example": "the only times are in a sentence introduced as an example",
    "ambiguous": "times that cannot be read one way only (decimal comma, thousands, odd pairs)",
    "reversed": "an interval ends before it starts (--swap-reversed accepts it)",
    "not_finite": "NaN or infinity",
    "bad_json": "the answer looks like JSON but does not parse",
    "missing_field": "JSON without a usable start/end or time field",
    "bad_time_token": "a <time> token whose content is not a time",
    "declined": "the model said it could not answer (e.g. {\"error\": \"not_found\"})",
    "negated": "the only times are ones the answer rules out (\"not at 5 s\")",
}
# Read as written, flagged, and clipped into the video for scoring.
FLAG_REASONS = {
    "negative_time": "a time before 0 s",
    "beyond_duration": "a time past the video's duration (or past a week when it is unknown)",
}
DEFAULT_TOLERANCE_S = 0.5              # the lesson's tolerance
TOLERANCE_RULE = ("a point answer is right if it lies within the tolerance of the true span; "
                  "an interval answer is right only if both of its ends are within the "
                  "tolerance of the true ends")
IOU_THRESHOLDS = (0.3, 0.5, 0.7)
IOU_EPSILON = 1e-9                     # 0.3 computed as 0.29999999999999998 still counts
RECALL_KS = (1, 3, 5)
MAX_TIME_S = 7 * 24 * 3600.0           # a week: past this, a time is past any video
MAX_ANSWER_CHARS = 20_000              # one answer; longer ones fail as too_long
MAX_PREDICTIONS = 100                  # predictions kept per answer (recall@k needs 5)
MAX_JSON_STARTS = 20                   # brackets tried as the start of a JSON value
MAX_JSON_DEPTH = 4                     # objects searched inside objects

class Prediction(NamedTuple):
    """One predicted interval or point. This and the other per-answer records (Reading,
    ItemScore) are named tuples rather than frozen dataclasses: evaluate makes hundreds of
    thousands of them, and a tuple is several times cheaper to build."""
    kind: str                    # "interval" or "point"
    start: float                 # for a point, start == end == the time
    end: float
    format: str                  # json, time_tokens, bracket, free_text or windows
    event: str | None = None
    confidence: float | None = None
    form: str = ""               # the construct it was read from (range, labelled, object, ...)

    def as_dict(self) -> dict:
        """The prediction as JSON: a point's time or an interval's ends, and how it was written."""
        place = ({"start_s": self.start, "end_s": self.end} if self.kind == "interval"
                 else {"time_s": self.start})
        return {"kind": self.kind, **place, "format": self.format, "form": self.form,
                "event": self.event, "confidence": self.confidence}


class Reading(NamedTuple):
    """How one answer was read: its predictions in the answer's order, or the (reason, detail)
    of its failure, with the format it came in and the FLAG_REASONS that apply."""
    predictions: tuple[Prediction, ...]
    failure: tuple[str, str] | None = None     # (reason, detail)
    format: str | None = None                  # the shape the answer came in, if any
    flags: tuple[str, ...] = ()                # FLAG_REASONS that apply

    def as_dict(self) -> dict:
        """The reading as JSON: its predictions, its flags, and the failure if there is one."""
        return {"predictions": [p.as_dict() for p in self.predictions],
                "flags": list(self.flags),
                "failure": None if self.failure is None else
                {"reason": self.failure[0], "detail": self.failure[1]}}


# Scoring ---------------------------------------------------------------------------------------


def interval_iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Temporal IoU. Two zero-length intervals: 1 if they coincide, else 0 (no 0/0)."""
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    if union <= 0:
        return 1.0 if a == b else 0.0
    return inter / union


class GroundTruth(NamedTuple):
    """The truth of one grounding question: its span in seconds, the event or query when known,
    the video's duration when known, and all true spans when there are several
    (QVHighlights)."""
    start: float
    end: float
    event: str | None = None
    duration: float | None = None
    spans: tuple[tuple[float, float], ...] = ()     # several true spans (QVHighlights)
    saliency: tuple[tuple[int, tuple[int, ...]], ...] = ()   # (clip id, 3 scores), QVHighlights

    def all_spans(self) -> tuple[tuple[float, float], ...]:
        """Every true span: QVHighlights' several, or the one (start, end)."""
        return self.spans or ((self.start, self.end),)


def median_of(values: Sequence[float]) -> float:
    """The median (the mean of the middle two of an even count)."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


class ItemScore(NamedTuple):
    """How one answer scored: its format, whether it was read (else the failure), a hit per
    tolerance, its error in seconds, the top answer's IoU, the best IoU within the first k
    answers per RECALL_KS, its flags, and whether times were clipped into the video."""
    format: str | None
    parsed: bool
    failure: str | None
    hit: tuple[bool, ...]          # one per tolerance, in order
    abs_error_s: float | None      # point: distance to the span; interval: the worse end
    iou: float
    recall: tuple[float, ...]      # per RECALL_KS: best IoU among the first k answers
    flags: tuple[str, ...] = ()
    clipped: bool = False


def score_item(reading: Reading, truth: GroundTruth, tolerances: tuple[float, ...],
               point_as_interval: float | None = None, duration: float | None = None
               ) -> ItemScore:
    """Score one reading against the truth by TOLERANCE_RULE and IoU; an unread answer scores 0
    everywhere. Times outside the video, [0, duration] (a week when unknown), are clipped."""
    if reading.failure is not None or not reading.predictions:
        return ItemScore(reading.format, False, reading.failure[0] if reading.failure else
                         "no_time_found", (False,) * len(tolerances), None, 0.0,
                         (0.0,) * len(RECALL_KS))
    half = None if point_as_interval is None else point_as_interval / 2
    if len(reading.predictions) == 1 and not truth.spans and not reading.flags:
        p, s, e = reading.predictions[0], truth.start, truth.end  # the common case, kept fast
        if p.kind == "point":
            error = max(0.0, s - p.start, p.start - e)
            iou = 0.0 if half is None else interval_iou((p.start - half, p.start + half), (s, e))
        else:
            error = max(abs(p.start - s), abs(p.end - e))
            iou = interval_iou((p.start, p.end), (s, e))
        return ItemScore(reading.format, True, None,
                         tuple([error <= t + IOU_EPSILON for t in tolerances]), error, iou,
                         (iou,) * len(RECALL_KS))
    true_spans = truth.all_spans()
    high = MAX_TIME_S if duration is None else duration
    ious, error, clipped = [], None, False
    for p in reading.predictions:
        # Step 1: the answer moved into the video (times were flagged when read).
        span = (p.start, p.end)
        if reading.flags:
            span = (min(max(p.start, 0.0), high), min(max(p.end, 0.0), high))
            clipped = clipped or span != (p.start, p.end)
        # Step 2: the top answer's error. A point: its distance to the nearest true span; an
        # interval: the worse of its two ends (0-25 s for a true 10-15 s is 10 s off).
        if error is None:
            error = min(max(0.0, s - span[0], span[0] - e) if p.kind == "point" else
                        max(abs(span[0] - s), abs(span[1] - e)) for s, e in true_spans)
        # Step 3: each answer's IoU with the true span it overlaps most; a point has none,
        # unless it is read as an interval of point_as_interval seconds around it.
        if p.kind == "point":
            if half is None:
                ious.append(0.0)
                continue
            span = (span[0] - half, span[0] + half)
        ious.append(max(interval_iou(span, w) for w in true_spans))
    # Step 4: recall@k, the best IoU among the first k answers; hits, one per tolerance.
    best = list(itertools.accumulate(ious, max))
    recall = tuple(best[min(k, len(best)) - 1] for k in RECALL_KS)
    return ItemScore(reading.format, True, None,
                     tuple(error <= t + IOU_EPSILON for t in tolerances), error, ious[0],
                     recall, reading.flags, clipped)


@dataclass
class Tally:
    """Running sums of ItemScores, and each read answer's error (8 bytes, for the median)."""
    tolerances: tuple[float, ...]
    n: int = 0
    parsed: int = 0
    hits: dict = None
    error_sum: float = 0.0
    errors: array = None             # every read answer's error, for the median (8 bytes each)
    iou_sum: float = 0.0
    r1: dict = None
    recall: dict = None
    failures: dict = None
    flags: dict = None
    clipped: int = 0
    clipped_unknown_length: int = 0  # of those, clipped at a week: the video's length unknown

    def __post_init__(self):
        self.hits = {t: 0 for t in self.tolerances}
        self.errors = array("d")
        self.r1 = {t: 0 for t in IOU_THRESHOLDS}
        self.recall = {k: 0 for k in RECALL_KS}
        self.failures = {}
        self.flags = {}

    def add(self, score: ItemScore, length_known: bool = True) -> None:
        """Count one scored answer (length_known: whether its video's duration was known)."""
        self.n += 1
        if not score.parsed:
            self.failures[score.failure] = self.failures.get(score.failure, 0) + 1
            return
        self.parsed += 1
        self.error_sum += score.abs_error_s
        self.errors.append(score.abs_error_s)
        for t, hit in zip(self.tolerances, score.hit):
            if hit:
                self.hits[t] += 1
        iou = score.iou
        self.iou_sum += iou
        if iou > 0:                              # most answers of a poor model overlap nothing
            for t in IOU_THRESHOLDS:
                self.r1[t] += iou >= t - IOU_EPSILON
        for k, best in zip(RECALL_KS, score.recall):
            if best >= 0.5 - IOU_EPSILON:
                self.recall[k] += 1
        if score.flags:
            for flag in score.flags:
                self.flags[flag] = self.flags.get(flag, 0) + 1
            self.clipped += score.clipped
            self.clipped_unknown_length += score.clipped and not length_known

    def merge(self, other: "Tally") -> None:
        """Add another tally's counts to this one."""
        self.n += other.n
        self.parsed += other.parsed
        self.error_sum += other.error_sum
        self.errors.extend(other.errors)
        self.iou_sum += other.iou_sum
        self.clipped += other.clipped
        self.clipped_unknown_length += other.clipped_unknown_length
        for mine, theirs in ((self.hits, other.hits), (self.r1, other.r1),
                             (self.recall, other.recall), (self.failures, other.failures),
                             (self.flags, other.flags)):
            for key, value in theirs.items():
                mine[key] = mine.get(key, 0) + value

    def summary(self) -> dict:
        """The tallied scores as shares: parse rate, accuracy per tolerance, R1 per IoU threshold,
        mIoU, recall@k and the mean absolute error; None where nothing was scored."""
        n = self.n or 1
        return {"n": self.n, "parsed": self.parsed,
                "parse_rate": self.parsed / n if self.n else None,
                "accuracy_by_tolerance": {f"{t:g}": self.hits[t] / n if self.n else None
                                          for t in self.tolerances},
                "mean_abs_error_s": self.error_sum / self.parsed if self.parsed else None,
                "median_abs_error_s": median_of(self.errors) if self.parsed else None,
                "r1": {f"{t:g}": self.r1[t] / n if self.n else None for t in IOU_THRESHOLDS},
                "miou": self.iou_sum / n if self.n else None,
                "recall_at_k_iou_0.5": {str(k): self.recall[k] / n if self.n else None
                                        for k in RECALL_KS},
                "failure_counts": dict(sorted(self.failures.items())),
                "flag_counts": dict(sorted(self.flags.items())), "clipped": self.clipped,
                "clipped_unknown_length": self.clipped_unknown_length}


# ==============================================================================================
# PART II: MACHINERY
# How real inputs reach Part I (answers read, synthetic video, video files, the fast pixel
# arithmetic, evaluation files), the runs built from it (compare, plan), and all output.
# ==============================================================================================
# Its records are named tuples, not frozen dataclasses: a dataclass writes and compiles its
# methods each time the file runs (about 0.7 ms a class on Python 3.11), and every command pays.


# ----------------------------------------------------------------------------------------------
# §6 Reading answers
# What models write, read as a careful person reads it: free text, JSON, <time> tags and
# brackets, each time with its role (a range, a labelled start or end, a point).
# ----------------------------------------------------------------------------------------------

UNIT_SECONDS = {"ms": 0.001, "msec": 0.001, "msecs": 0.001, "millisecond": 0.001,
                "milliseconds": 0.001, "s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0,
                "seconds": 1.0, "min": 60.0, "mins": 60.0, "minute": 60.0, "minutes": 60.0,
                "m": 60.0, "h": 3600.0, "hr": 3600.0, "hrs": 3600.0, "hour": 3600.0,
                "hours": 3600.0,
                # typos models copy from prompts (lmms-eval's Charades prompt says "seonds")
                "seonds": 1.0, "secods": 1.0, "seconde": 1.0, "secondes": 1.0,
                # Chinese
                "秒": 1.0, "秒钟": 1.0, "分": 60.0, "分钟": 60.0, "小时": 3600.0}


class LazyPattern:
    """re.compile(source, flags) on first use: most commands read no answer, and compiling
    the reader's patterns would cost every run several milliseconds. The first use puts the
    compiled pattern in the module's name for it (and its methods on this object, for a copy
    held elsewhere), so the reader's loops call the compiled pattern itself."""

    def __init__(self, source: str, flags: int = 0) -> None:
        self.pattern, self.re_flags = source, flags

    def __getattr__(self, name: str):          # only for a name not set yet: the first use
        compiled = re.compile(self.pattern, self.re_flags)
        for method in ("search", "match", "fullmatch", "finditer", "findall", "sub", "split"):
            setattr(self, method, getattr(compiled, method))
        module = globals()
        for key in [key for key, value in module.items() if value is self]:
            module[key] = compiled
        return getattr(compiled, name)


_UNITS = "|".join(re.escape(u) for u in sorted(UNIT_SECONDS, key=len, reverse=True))
# One pass finds every time and skips what only looks like one. Alternatives, in order:
TIME_PATTERN = LazyPattern(r"""
    (?=[\d.v])                              # (a quick test before the slower ones)
    (?<![\w.,])(?<!\d:)                     # not the middle of a word, number or clock
    (?:
        (?P<junk>                           # digits that are not times:
            \d{4}-\d{1,2}-\d{1,2}           #   2023-05-01
          | \d{1,2}/\d{1,2}/\d{2,4}         #   01/05/2023
          | v?\d+(?:\.\d+){2,}              #   1.2.3, v2.0.1
          | \d+(?:st|nd|rd|th)\b            #   3rd
          | \d+(?:\.\d+)?\s*%               #   50%
        )
      | (?P<clock>\d{1,2}:\d{2}(?::\d{2}(?:,\d{3})?)?(?:\.\d+)?)  # 1:05, 00:01:05, 1:05.5,
                                                        #   SRT's 00:00:12,500
        (?![\w:]|[.,]\d)                                   #   not followed by more digits
      | (?P<number>(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?) # 4, 4.1, .5, 5., 1e9
        (?:
            (?:\s*|-)(?P<unit>""" + _UNITS + r""")(?![a-z])(?:\.(?!\d))?  # 4 s, 4-second, 1分
          | (?![\w:]|[.,]\d)                                   # or a bare number
        )
    )
    """, re.ASCII | re.VERBOSE)
DECIMAL_COMMA = LazyPattern(r"\d,\d", re.ASCII)
PLAIN_SECONDS = LazyPattern(r"\d{1,15}(?:\.\d{1,15})?", re.ASCII)   # what TIME_PATTERN reads as-is
T_EQUALS = LazyPattern(r"\bt\s*=\s*(?=[\d.])")               # "t=80 to t=100"
# "1m5s": the 5 s follows a letter, so TIME_PATTERN (which starts only after a non-word)
# skips it; this reads it as the tail of the compound.
COMPOUND_TAIL = LazyPattern(r"(\d+(?:\.\d+)?)\s*(s|secs?|seconds?|m|mins?|minutes?)(?![a-z])",
                            re.ASCII)
# "starts at 12 s and lasts 5 s", "at 12 s for 5 s": a start and a length, 12 to 17 s.
LASTING = {"and lasts", "and lasts for", "lasting", "lasting for", "and lasting", "for",
           "and takes", "taking"}
RANGE_FORMS = {"and": "between", **{word: "lasting" for word in LASTING}}
RANGE_WORDS = {"-", "~", "to", "up to", "until", "till", "through", "thru", "至", "到", "and", "->",
               "-->", "=>"}
# Words that may sit between a range's two times around its word: "from around 3 to around
# 5", "the 3-second mark to the 5-second mark", "second 3 to second 5", "第3秒到第5秒" (第
# makes an ordinal), "从3秒开始到5秒结束".
RANGE_FILLERS = LazyPattern(r"(?:mark\s+|开始|[,，]\s*)*(.*?)"
                            r"(?:\s+(?:about|around|approximately|roughly|the|second)|\s*~|第)*",
                            re.DOTALL)                  # so that fullmatch always matches
FILLER_FIRST = ("mark", "开始", ",", "，")               # what those can start and end with:
FILLER_LAST = ("about", "around", "approximately", "roughly", "the", "second", "~", "第")
# (up to 32 characters between the word and its time: "the start time for this event is 13";
# LABEL_REACH covers the longest word and those 32, so each search looks at that much text;
# each pattern opens with its words' first letters, a quick test at every position it tries)
LABEL_REACH = 48
START_WORDS = LazyPattern(r"(?=[sbfo开从起])(?:\b(?:start\w*|begin\w*|from|onset)\b|开始|从|起点)"
                          r"[^\d]{0,32}$")
END_WORDS = LazyPattern(r"(?=[efsutolc结终])(?:\b(?:end\w*|finish\w*|stop\w*|until|till|offset|"
                        r"conclud\w*|lands?|landed)\b|结束|终点)[^\d]{0,32}$")
POINT_WORDS = LazyPattern(r"(?=[arn~])\b(?:at|around|about|approximately|roughly|near|~)\s*"
                          r"(?:the\s*)?$")
# A label after the time: Chinese "12秒开始，17秒结束" ("12秒左右开始"), "12.5 s (start)".
START_AFTER = LazyPattern(r"\s*(?:(?:时|左右|处)?(?:开始|起)|\((?:start|begin)\w*\))")
END_AFTER = LazyPattern(r"\s*(?:(?:时|左右|处)?(?:结束|止)|\((?:end|finish)\w*\))")
# "The video is 30 seconds long", "a 60-second clip": the video's length, not a moment in it
# (a length has a unit; "at 0:45 video time" and "the 45 s clip mark" are moments).
LENGTH_AFTER = LazyPattern(r"[\s-]*(?:long|in length|(?:video|clip|footage)(?!\s+(?:time|mark)))\b"
                           r"|的?(?:视频|影片|片段)")
# "frames 30-45", "from frame 25 to frame 34": frame numbers, not seconds.
FRAME_BEFORE = LazyPattern(r"\bframes?\s*(?:#|no\.\s*|number\s*)?$")
# "lasts 5 seconds", "for 2 s": a length of time, not a moment in the video.
DURATION_WORDS = LazyPattern(r"(?=[lftdwe])\b(?:lasts?|lasting|lasted|for|takes?|took|"
                             r"duration(?:\s+of)?|within|every)[\s:]+(?:about\s+|around\s+|"
                             r"roughly\s+)?$")
# After a bare number (no unit), these words keep it a possible time; any other word makes it
# a count ("2 people", "3 times") and not a time.
CONNECTORS = {"and", "to", "until", "till", "through", "or", "in", "into", "of", "on", "for",
              "when", "while", "where", "after", "before", "then", "but", "with", "during",
              "is", "was", "as", "at", "by", "from", "mark", "the", "so", "if",
              "start", "starts", "begin", "begins", "end", "ends", "finish", "finishes",
              "stop", "stops",                  # "start: 3.0 end: 5.0"
              "starting", "beginning", "ending", "finishing", "stopping"}
WORD_AFTER = LazyPattern(r"[ \t]+([a-z]+)")           # the next word on the same line
MARK_AFTER = LazyPattern(r"[\s-]*(?:second\s*)?mark")
SENTENCE_END = LazyPattern(r"[\n!?;。！？；]|(?<!e\.g)(?<!i\.e)\.(?=\s|$)")   # not after e.g.
# A sentence that gives an example is not the answer (lmms-eval's Charades prompt has one).
# Substrings every match of EXAMPLE_CUE contains: an answer without one skips the search.
EXAMPLE_WORDS = LazyPattern(r"exampl|instance|e\.g\.|such as|例如|比如")   # one search, not six
EXAMPLE_CUE = LazyPattern(r"(?=[efas例比])(?:\b(?:for example|for instance|e\.g\.|an example|"
                          r"example is|example:|specific example|such as)|例如|比如)")
HAPPEN_CUE = LazyPattern(r"(?=[hot发])(?:\b(?:happen\w*|occur\w*|takes? place|took place)\b|发生)")
TIME_TOKEN = LazyPattern(r"<(time|t)>([^<]{0,64})</\1>", re.IGNORECASE)
TRAILING_COMMA = LazyPattern(r",\s*(?=[}\]])")
PYTHON_LITERALS = {"None": "null", "True": "true", "False": "false"}
PYTHON_LITERAL = LazyPattern(r"\b(?:None|True|False)\b")
FENCE = LazyPattern(r"```(?:json)?([^`]*)```", re.IGNORECASE)
BRACKET_PAIR = LazyPattern(r"[\[(]\s*(-?[\d.:]+\s*[a-z秒]{0,7})\s*,"
                           r"\s*(-?[\d.:]+\s*[a-z秒]{0,7})\s*[\])]")
DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-",
                        "\u2014": "-", "\u2015": "-", "\u2212": "-", "\ufe63": "-",
                        "\u2192": "->",
                        "\uff5e": "~", "\u301c": "~", "\u3002": "."})


class ParsePolicy(NamedTuple):
    """How answers are read: swap_reversed reads an interval that ends before it starts as
    swapped, instead of failing it as `reversed`."""
    swap_reversed: bool = False


def unread(reason: str, detail: str, shape: str | None = None) -> Reading:
    """A Reading with no predictions that failed for `reason` (a FAILURE_REASONS key), with its
    detail and the shape the answer came in."""
    return Reading((), (reason, detail), shape)


def clock_seconds(clock: str) -> float:
    """'1:05.5' -> 65.5 (SRT's '0:01:05,500' too); NaN when a part after the first is 60 or
    more (not a clock)."""
    parts = [float(p) for p in clock.replace(",", ".").split(":")]
    if any(v >= 60 for v in parts[1:]):
        return math.nan
    seconds = 0.0
    for v in parts:
        seconds = seconds * 60 + v
    return seconds


class TimeMention(NamedTuple):
    """A time found in free text (a light tuple: thousands are made per second)."""
    start: int              # character span in the normalised text
    stop: int
    seconds: float
    fixed: bool             # a unit or a clock fixed its scale
    unit: str | None


def time_mentions(text: str) -> list[TimeMention]:
    """Every time in normalised text, counts ("2 people") left out, compound times ("1 min
    5 s", "1m5s", "1分5秒") joined, a minus sign directly before a number kept."""
    mentions: list[TimeMention] = []
    for m in TIME_PATTERN.finditer(text):
        junk, clock, number, unit = m.groups()
        if junk:
            continue
        start, stop = m.span()
        if clock:
            seconds, fixed = clock_seconds(clock), True
        elif unit:
            seconds, fixed = float(number) * UNIT_SECONDS[unit], True
        else:
            seconds, fixed = float(number), False
            after = WORD_AFTER.match(text, stop)
            # "2 people": a count, not a time; but "at 5. it ends" ends a sentence first
            if after and after.group(1) not in CONNECTORS and \
                    after.group(1) not in UNIT_SECONDS and not text[start:stop].endswith("."):
                continue
        if start and text[start - 1] == "-" and (start < 2 or not text[start - 2].isalnum()) \
                and not (mentions and not text[mentions[-1].stop: start - 1].strip()):
            start, seconds = start - 1, -seconds       # "-2.0", not the dash of "1 -2"
        if unit and mentions:
            previous = mentions[-1]
            if previous.unit and UNIT_SECONDS[previous.unit] > UNIT_SECONDS[unit] >= 1.0 and \
                    text[previous.stop:start].strip(" ,") in ("", "and"):
                mentions[-1] = TimeMention(previous.start, stop, previous.seconds + seconds,
                                           True, unit)     # 1 min 5 s = 65 s
                continue
        while unit and text[stop:stop + 1].isdigit():      # 1m5s = 65 s
            tail = COMPOUND_TAIL.match(text, stop)
            if not tail or not UNIT_SECONDS[unit] > UNIT_SECONDS[tail.group(2)] >= 1.0:
                break
            seconds += float(tail.group(1)) * UNIT_SECONDS[tail.group(2)]
            stop, unit = tail.end(), tail.group(2)
        mentions.append(TimeMention(start, stop, seconds, fixed, unit))
        if len(mentions) > 4 * MAX_PREDICTIONS:
            break
    return mentions


def parse_time_text(text: str) -> float | None:
    """One time written alone ("4.1", "4.1s", "1:05.5", "1 min 5 s"): seconds, or None."""
    if PLAIN_SECONDS.fullmatch(text):              # the common case, read without the pattern
        return float(text)
    cleaned = normalise(text).strip()
    mentions = time_mentions(cleaned)
    if len(mentions) != 1 or (mentions[0].start, mentions[0].stop) != (0, len(cleaned)):
        return None
    return mentions[0].seconds


def normalise(text: str) -> str:
    """Lower case, full-width digits to ASCII (NFKC; a full-width comma to ', ', never a
    decimal one), every dash to '-', 't=' dropped."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text.replace("\uff0c", ", ")).translate(DASHES)
    text = text.lower()
    return T_EQUALS.sub("", text) if "=" in text else text


def apply_policies(reading: Reading, duration: float | None, policy: ParsePolicy) -> Reading:
    """Apply the documented policies to a reading's predictions: NaN and infinity fail, a
    reversed interval fails (or is swapped); times before 0 or past the duration are kept as
    written and flagged. A reading nothing applies to comes back as it is."""
    predictions, shape = reading.predictions, reading.format
    bound = MAX_TIME_S if duration is None else duration
    if len(predictions) == 1:                           # the common case, kept fast
        p = predictions[0]
        if 0 <= p.start <= p.end <= bound and p.confidence is None:
            return reading
    kept, flags = [], set()
    for p in predictions:
        if not (math.isfinite(p.start) and math.isfinite(p.end)):
            return unread("not_finite", f"{p.start!r} to {p.end!r} is not a usable time", shape)
        if p.confidence is not None and not math.isfinite(p.confidence):
            return unread("not_finite", "confidence is not finite", shape)
        if p.end < p.start:
            if not policy.swap_reversed:
                return unread("reversed", f"{p.start:g} s to {p.end:g} s ends before it starts",
                              shape)
            p = p._replace(start=p.end, end=p.start)
        if p.start < 0:
            flags.add("negative_time")
        if p.end > bound:
            flags.add("beyond_duration")
        kept.append(p)
    return Reading(tuple(kept), None, shape, tuple(sorted(flags)) if flags else ())


# Free text -------------------------------------------------------------------------------------
# One pass finds the times (time_mentions); then each time gets its role from the words around
# it: the second end of a range (X - Y, X to Y, between X and Y, X 至 Y), a labelled start or
# end (in any order: "ends at 9 and starts at 5" is one interval), a point ("at 4 s"), or
# nothing (a duration, "lasts 5 s"). Sentences that give an example are skipped; when several
# answers remain, those in a sentence that says the event happens or occurs come first.

BETWEEN_BEFORE = LazyPattern(r"\bbetween\s+(?:the\s+)?$")
# An answer without times that says it cannot tell when: declined, not a reader's failure.
DECLINE_CUE = LazyPattern(r"\b(?:cannot|can't|can not|unable to|not able to|impossible to|"
                          r"could not|couldn't)\s+(?:\w+\s+)?(?:determine|tell|find|identify|"
                          r"locate|say|know|see)\b|\bnot (?:shown|visible|present|found) in\b|"
                          r"\bdoes not (?:appear|occur|happen)\b|无法确定|无法判断")


# "It does not start at 5 s; it starts at 8 s", "not at 5 but at 8", "at 8 s, not 5 s": a time
# the answer rules out is not its answer. The negation must stand on the time itself: at most a
# verb that places the event and a preposition between them. "The car is not visible from 10 to
# 15 s" gives the time (of what is not seen), and so do "not until 5 s" and "not later than 5 s".
NEGATED = LazyPattern(r"(?:(?:\bnot|n['\u2019]t|\bnever|\brather than|\binstead of)\s+(?:(?:start|"
                      r"begin|end|finish|stop|happen|occur|take place|be|is|was)\w*\s+)?(?:(?:at|"
                      r"from|between|in|around|by|on)\s+)?(?:the\s+)?|(?:不是|并非|而非|不在)\s*"
                      r"(?:在|从)?\s*第?)$")


def may_rule_out(text: str) -> bool:
    """The quick test before NEGATED: a word in the text that can rule a time out."""
    return ("not" in text or "n't" in text or "never" in text or "instead" in text
            or "rather" in text or "n\u2019t" in text or not text.isascii() and (
                "不" in text or "非" in text))


def negated(text: str, since: int, at: int) -> bool:
    """Whether the words just before position `at` (from `since` at most) rule the time out."""
    return NEGATED.search(text, max(since, at - LABEL_REACH), at) is not None


def sentence_of(text: str) -> Callable[[int], int]:
    """A function: character position -> index of the sentence it is in."""
    ends = [m.end() for m in SENTENCE_END.finditer(text)]
    return lambda position: bisect.bisect_right(ends, position)


def drop_examples(text: str, mentions: list[TimeMention]) -> list[TimeMention]:
    """The mentions outside sentences introduced as an example."""
    cues = list(EXAMPLE_CUE.finditer(text))
    if not cues:
        return mentions
    sentence = sentence_of(text)
    examples = {sentence(m.start()) for m in cues}
    return [m for m in mentions if sentence(m.start) not in examples]


def prefer_happening(text: str, found: list[tuple[int, Prediction]]) -> list[Prediction]:
    """Predictions in text order, those in a sentence saying the event happens first."""
    if len(found) == 1:
        return [found[0][1]]
    found.sort(key=lambda item: item[0])
    if HAPPEN_CUE.search(text):
        sentence = sentence_of(text)
        happening = {sentence(m.start()) for m in HAPPEN_CUE.finditer(text)}
        found.sort(key=lambda item: sentence(item[0]) not in happening)
    return [p for _, p in found]


def pair_labels(found: list[tuple[int, Prediction]], starts: list[TimeMention],
                ends: list[TimeMention]) -> None:
    """Add the labelled starts and ends to `found`: the k-th start with the k-th end as an
    interval, the rest as points; a lone point before the first end starts it."""
    points = [(at, p) for at, p in found if p.kind == "point"]
    if ends and not starts and len(points) == 1 and points[0][0] < ends[0].start:
        # "around the 4-second mark it jumps; it lands by 6": the one point starts the span
        found.remove(points[0])
        starts = [TimeMention(points[0][0], points[0][0], points[0][1].start, True, None)]
    for s, e in zip(starts, ends):
        found.append((min(s.start, e.start), Prediction("interval", s.seconds, e.seconds,
                                                        "free_text", form="labelled")))
    for m in starts[len(ends):] + ends[len(starts):]:
        found.append((m.start, Prediction("point", m.seconds, m.seconds, "free_text",
                                          form="labelled")))


def range_word(between: str) -> str:
    """What joins two times, fillers either side dropped (RANGE_FILLERS): 'to around' is 'to'."""
    word = between.strip()
    if word[:1] == ">" or word[-1:] == "<":       # Qwen3-VL's <12.5 seconds> to <17.0 seconds>
        word = word.strip("<>").strip()
    if word in RANGE_WORDS or len(word) > 24 or not (
            word.startswith(FILLER_FIRST) or word.endswith(FILLER_LAST)):   # the quick test
        return word
    return RANGE_FILLERS.fullmatch(word).group(1)


def timeless_failure(text: str) -> Reading:
    """Why prose with no time in it was not read: a decimal comma, a refusal, or nothing."""
    if DECIMAL_COMMA.search(text):
        return unread("ambiguous", "a decimal comma or thousands separator (4,5 s?)", "free_text")
    if DECLINE_CUE.search(text):
        return unread("declined", "the answer says it cannot tell when", "free_text")
    return unread("no_time_found", "no time expression in the answer", None)


def lone_time_role(text: str, near: int, m: TimeMention, bare: bool) -> str | None:
    """What a time outside a range is, by the words from `near` to it and just after it:
    "start" or "end" (the label nearer the time wins, but "begins until 5" starts), "point",
    or None (a duration, the video's length, or a number not written as a time)."""
    if DURATION_WORDS.search(text, near, m.start) or m.unit and LENGTH_AFTER.match(text, m.stop):
        return None
    after = "(" in text or not text.isascii()       # a label after the time: a quick test
    if after and START_AFTER.match(text, m.stop):
        return "start"
    if after and END_AFTER.match(text, m.stop):
        return "end"
    start_word = START_WORDS.search(text, near, m.start)
    end_word = END_WORDS.search(text, start_word.start() + 1 if start_word else near, m.start)
    if start_word and not (end_word and not end_word.group().startswith(("until", "till"))):
        return "start"
    if end_word:
        return "end"
    if bare or m.fixed or POINT_WORDS.search(text, near, m.start) or \
            MARK_AFTER.match(text, m.stop):
        return "point"
    return None


def parse_free_text(text: str) -> Reading:
    """Times in normalised prose: ranges, labelled starts and ends, points, a bare number."""
    mentions = time_mentions(text)
    if not mentions:
        return timeless_failure(text)
    example = EXAMPLE_WORDS.search(text) and EXAMPLE_CUE.search(text)
    kept = drop_examples(text, mentions) if example else mentions
    if not kept:
        return unread("echoed_example", "the only times are in a sentence that gives an example",
                      "free_text")
    bare = len(kept) == 1 and text.strip(" \t\n.") == text[kept[0].start:kept[0].stop].rstrip(".")
    negation = may_rule_out(text)
    found: list[tuple[int, Prediction]] = []
    starts, ends = [], []                            # labelled TimeMentions
    k, context, ruled_out = 0, 0, 0
    while k < len(kept):
        m = kept[k]
        n = kept[k + 1] if k + 1 < len(kept) else None
        between = range_word(text[m.stop:n.start]) if n else None
        is_range = n and (between in RANGE_WORDS and between != "and" or between == "and" and
                          BETWEEN_BEFORE.search(text, context, m.start) or between in LASTING)
        near = max(context, m.start - LABEL_REACH)     # the words a label can stand in
        frame = not m.fixed and "frame" in text and FRAME_BEFORE.search(text, near, m.start)
        if frame or negation and negated(text, context, m.start):   # a range goes whole
            ruled_out += not frame
            context, k = (n if is_range else m).stop, k + (2 if is_range else 1)
            continue
        if is_range:
            first = m.seconds * UNIT_SECONDS[n.unit] if not m.fixed and n.unit else m.seconds
            last = first + n.seconds if between in LASTING else n.seconds   # 12 s, lasting 5 s
            found.append((m.start, Prediction("interval", first, last, "free_text",
                                              form=RANGE_FORMS.get(between, "range"))))
            context, k = n.stop, k + 2
            continue
        role = lone_time_role(text, near, m, bare)
        if role == "start":
            starts.append(m)
        elif role == "end":
            ends.append(m)
        elif role == "point":
            found.append((m.start, Prediction("point", m.seconds, m.seconds, "free_text",
                                              form="bare" if bare else "point")))
        context, k = m.stop, k + 1
    if starts or ends:
        pair_labels(found, starts, ends)
    if not found:
        return unread("negated", f"{counted(ruled_out, 'time')} ruled out by a negation",
                      "free_text") if ruled_out else \
            unread("no_time_found", "numbers, but none written as a time", "free_text")
    return Reading(tuple(prefer_happening(text, found)[:MAX_PREDICTIONS]), None, "free_text")


# Structured answers: JSON, <time> tokens, bracketed pairs ---------------------------------------
# An object is read by one rule: a start and an end field; else the first span field (in
# JSON_SPAN_KEYS order) whose value is an interval, a list of them, or a string the free-text
# reader can read; else a point field; else the other values, searched the same way.

JSON_DECODER = json.JSONDecoder(parse_constant=lambda name: float(name.replace("Infinity", "inf")),
                                parse_int=lambda digits: json_int(digits))
JSON_START_KEYS = ("start", "start_time", "begin", "start_s", "start_sec", "from")
JSON_END_KEYS = ("end", "end_time", "finish", "end_s", "end_sec", "to")
JSON_SPAN_KEYS = ("timestamps", "timestamp", "segment", "segments", "interval", "intervals",
                  "span", "spans", "time_range", "window", "windows", "answer", "prediction",
                  "time", "times", "relevant_windows", "moments", "moment")
JSON_POINT_KEYS = ("time", "t", "time_s", "timestamp", "second", "seconds")
JSON_LABEL_KEYS = ("event", "label", "query")
JSON_META_KEYS = JSON_LABEL_KEYS + ("confidence", "score", "error", "id")


def json_number(value: object) -> float | None:
    """A number, or a string holding one time; None for anything else (booleans too)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if not isinstance(value, int) or abs(value) < 10 ** 300 else math.inf
    if isinstance(value, str) and len(value) <= 64:
        return parse_time_text(value)
    return None


def json_candidates(text: str) -> Iterator[object]:
    """JSON values in the text: inside ``` fences first, then from each { or [ on."""
    blocks = [m.group(1) for m in FENCE.finditer(text)] or [text]
    for block in blocks:
        tries = 0
        for m in re.finditer(r"[\[{]", block):
            tries += 1
            if tries > MAX_JSON_STARTS:       # garbage full of brackets: stop looking
                break
            try:
                value, _ = JSON_DECODER.raw_decode(block, m.start())
            except (ValueError, RecursionError):
                continue
            yield value
            break


def value_predictions(value: object, depth: int) -> list[Prediction] | str:
    """Predictions in one JSON value (an object, a list, a string or a number), or the name
    of the failure."""
    if depth > MAX_JSON_DEPTH:
        return []
    if isinstance(value, dict):
        return object_predictions(value, depth)
    if isinstance(value, str):
        reading = parse_free_text(normalise(value)) if len(value) <= MAX_ANSWER_CHARS else None
        return [] if reading is None or reading.failure else \
            [p._replace(format="json") for p in reading.predictions]
    if isinstance(value, list):
        numbers = [json_number(v) for v in value[:3]]
        if len(value) in (2, 3) and None not in numbers:
            confidence = numbers[2] if len(value) == 3 else None
            return [Prediction("interval", numbers[0], numbers[1], "json", None, confidence,
                               "array")]
        found: list[Prediction] = []
        for item in value[:MAX_PREDICTIONS]:
            got = value_predictions(item, depth + 1)
            if isinstance(got, str):
                return got
            found += got
        return found
    number = json_number(value)
    return [] if number is None else [Prediction("point", number, number, "json", form="number")]


def object_predictions(item: dict, depth: int) -> list[Prediction] | str:
    """One JSON object by the rule above; numbers count only in span and point fields, and
    other fields are searched only when they hold text, objects or lists of objects."""
    keys = {k.lower(): v for k, v in item.items() if isinstance(k, str)}
    event = next((keys[k] for k in JSON_LABEL_KEYS if isinstance(keys.get(k), str)), None)
    confidence = json_number(keys.get("confidence", keys.get("score")))
    start = next((keys[k] for k in JSON_START_KEYS if k in keys), None)
    end = next((keys[k] for k in JSON_END_KEYS if k in keys), None)
    if start is not None or end is not None:
        start, end = json_number(start), json_number(end)
        if start is None or end is None:
            return "missing_field"
        return [Prediction("interval", start, end, "json", event, confidence, "object")]
    known = [k for k in JSON_SPAN_KEYS + JSON_POINT_KEYS if k in keys]
    if "error" in keys and not known:
        return "declined"
    others = [k for k, v in keys.items() if k not in known and k not in JSON_META_KEYS and
              (isinstance(v, (str, dict)) or (isinstance(v, list) and
                                              any(isinstance(x, dict) for x in v)))]
    for key in dict.fromkeys(known + others):
        got = value_predictions(keys[key], depth + 1)
        if isinstance(got, str):
            return got
        if got:
            return [p._replace(event=p.event or event,
                               confidence=confidence if p.confidence is None else p.confidence)
                    for p in got]
    return "missing_field"


def parse_json_answer(text: str) -> Reading | None:
    """A JSON answer, or None when the text holds no JSON at all."""
    if "{" not in text and "[" not in text:
        return None
    looks_like_json = bool(FENCE.search(text)) or text.lstrip()[:1] in ("{", "[")
    failure = None
    for value in json_candidates(text):
        got = value_predictions(value, 0)
        if isinstance(got, list) and got:
            return Reading(tuple(got[:MAX_PREDICTIONS]), None, "json")
        if isinstance(got, str) or isinstance(value, dict):
            failure = failure or (got if isinstance(got, str) else "missing_field")
    if failure == "declined":
        return unread("declined", "the answer says the event cannot be found", "json")
    if failure:
        return unread(failure, "the JSON has no start/end, span or time field that reads as a "
                               "time", "json")
    if looks_like_json:
        # Near-JSON first: a Python dict's quotes and None/True/False, a trailing comma (each
        # fixed once, then read again); text in brackets with no quotes at all, "[00:12 -
        # 00:17]", is read as prose.
        loose = TRAILING_COMMA.sub("", text if '"' in text else PYTHON_LITERAL.sub(
            lambda m: PYTHON_LITERALS[m.group()], text.replace("'", '"')))
        reading = parse_json_answer(loose) if loose != text else None
        if reading is None or reading.failure is not None:
            reading = parse_bracket_pairs(text)
        if reading is None and '"' not in text and "'" not in text:
            reading = parse_free_text(normalise(text))
        if reading is not None and reading.failure is None:
            return reading
        return unread("bad_json", "the answer starts like JSON but does not parse", "json")
    return None


def parse_time_tokens(text: str) -> Reading | None:
    """<time>4.1</time> tokens (also <t>): pairs are intervals, a lone one is a point."""
    if "<" not in text:
        return None
    contents = [m.group(2) for m in TIME_TOKEN.finditer(text)]
    if not contents:
        return None
    values = []
    for content in contents[:2 * MAX_PREDICTIONS]:
        value = parse_time_text(content)
        if value is None:
            return unread("bad_time_token", f"<time>{content[:40]}</time> is not a time",
                          "time_tokens")
        values.append(value)
    predictions = [Prediction("interval", values[k], values[k + 1], "time_tokens", form="pair")
                   for k in range(0, len(values) - 1, 2)]
    if len(values) % 2:
        if predictions:
            return unread("ambiguous", f"{len(values)} <time> tokens do not pair up", "time_tokens")
        predictions.append(Prediction("point", values[0], values[0], "time_tokens", form="one"))
    return Reading(tuple(predictions), None, "time_tokens")


def parse_bracket_pairs(text: str) -> Reading | None:
    """[12.0s, 16.0s] or (12.0, 16.0): not JSON, still obviously an interval."""
    if "[" not in text and "(" not in text:
        return None
    predictions = []
    for m in BRACKET_PAIR.finditer(text):
        first, second = parse_time_text(m.group(1)), parse_time_text(m.group(2))
        if first is not None and second is not None:
            predictions.append(Prediction("interval", first, second, "bracket", form="pair"))
    return Reading(tuple(predictions[:MAX_PREDICTIONS]), None, "bracket") if predictions else None


def parse_grounding(text: str, duration: float | None = None,
                    policy: ParsePolicy = ParsePolicy()) -> Reading:
    """Read one model answer: JSON, then <time> tokens, then bracketed pairs, then free text;
    then apply the policies (not finite, reversed) and flags (negative_time, beyond_duration).
    Predictions keep the answer's order; the first is the top-1 answer."""
    if not text or not text.strip():
        return unread("empty", "the answer is empty")
    if len(text) > MAX_ANSWER_CHARS:
        return unread("too_long", f"{len(text):,} characters; at most {MAX_ANSWER_CHARS:,} are "
                                  "read")
    plain = text if text.isascii() else unicodedata.normalize(     # a full-width comma is
        "NFKC", text.replace("\uff0c", ", ")).translate(DASHES)      # never a decimal one
    if "*" in plain:
        plain = plain.replace("*", "")             # markdown bold: "from **12.5 s** to **17 s**"
    reading = None
    if "{" in plain or "[" in plain:
        reading = parse_json_answer(plain)
    if reading is None and "<" in plain:
        reading = parse_time_tokens(plain)
    if reading is None and ("[" in plain or "(" in plain):
        reading = parse_bracket_pairs(plain)
    if reading is None:
        reading = parse_free_text(normalise(plain))
    if reading.failure is not None:
        return reading
    return apply_policies(reading, duration, policy)


# ----------------------------------------------------------------------------------------------
# §7 Synthetic video
# Seeded scenes with ground-truth events and cuts: a textured background that pans, sensor
# grain, movers, fades, and the presets the suite and the examples use.
# ----------------------------------------------------------------------------------------------

class Scene(NamedTuple):
    """Description of a synthetic video; render_scene turns it into frames."""
    name: str
    duration_s: float
    fps: float
    width: int
    height: int
    events: tuple[Event, ...]
    cut_times: tuple[float, ...]   # seconds at which a new shot starts
    activity: float                # 0 = calm footage, 1 = busy (fast movers, panning camera)
    seed: int = DEFAULT_SEED

    @property
    def frame_count(self) -> int:
        return round(self.duration_s * self.fps)

    @property
    def cut_frames(self) -> tuple[int, ...]:
        return tuple(round(t * self.fps) for t in self.cut_times)


PRESETS: dict[str, Scene] = {
    scene.name: scene for scene in (
        Scene("cat-jump", 10.0, 30.0, 64, 36, (Event("jump", 4.2, 4.5),), (), 0.0),
        Scene("cooking-3min", 180.0, 10.0, 64, 36,
              (Event("chop", 21.0, 22.5), Event("stir", 47.0, 48.0), Event("pour", 75.5, 76.5),
               Event("flip", 110.0, 110.8), Event("plate", 160.0, 162.0)),
              (60.0, 120.0, 150.0), 0.1),
        Scene("security-5min", 300.0, 10.0, 64, 36,
              (Event("enter", 37.0, 38.2), Event("door", 121.4, 121.9),
               Event("drop", 188.0, 188.6), Event("leave", 262.5, 263.7)),
              (), 0.0),
        Scene("sports-60s", 60.0, 30.0, 64, 36,
              (Event("shot", 12.0, 12.8), Event("dunk", 27.3, 28.0), Event("steal", 41.0, 41.6),
               Event("foul", 52.2, 52.7)),
              (8.0, 20.0, 33.3, 45.0), 1.0),
        Scene("desk-2min", 120.0, 10.0, 64, 36,
              (Event("cup", 24.0, 26.0, "appear"), Event("lamp", 58.0, 60.0, "fade"),
               Event("reach", 95.0, 96.0)), (), 0.0),
    )
}

SHOT_BASE_LUMA = (70, 160, 105, 195, 50, 135)   # each shot its own exposure, so cuts show
SENSOR_NOISE = 1        # +-1 luma grain: a static camera is never perfectly still
NOISE_COPIES = 3        # rows of each frame come from one of this many grainy copies
PAN_PX_PER_S = 30.0     # camera pan speed of the busiest footage (activity 1)

FADE_LUMA = 60          # a "fade" event lifts the top of the picture by this much, slowly
FADE_ROWS_DIVISOR = 3   # ... the top third of the rows, and the light stays on afterwards


@functools.lru_cache(maxsize=FADE_LUMA + 1)
def lift_table(lift: int) -> bytes:
    """A bytes.translate table that brightens luma by `lift`, saturating at white."""
    return bytes(min(LUMA_MAX, v + lift) for v in range(256))


def get_preset(name: str) -> Scene:
    """The preset scene called `name`; an unknown name is a UserError listing the known ones."""
    if name not in PRESETS:
        raise UserError(f"unknown preset {quoted(name)}; known: {', '.join(PRESETS)}")
    return PRESETS[name]


def triangle(x: float, period: float) -> float:
    """0 -> period -> 0 ping-pong, so a drifting position never jumps."""
    if period <= 0:
        return 0.0
    x = x % (2 * period)
    return x if x <= period else 2 * period - x


def clamp_byte(value: float) -> int:
    """`value` as a luma byte: truncated to an int and held within 0..255."""
    return 0 if value < 0 else LUMA_MAX if value > LUMA_MAX else int(value)


def shot_textures(rng: random.Random, width: int, height: int, base: int) -> list[list[bytes]]:
    """NOISE_COPIES copies of one texture, rows twice the frame width (a smooth diagonal
    pattern the camera can pan over), each copy with its own +-SENSOR_NOISE grain;
    render_scene builds each frame from rows of random copies: sensor noise at slice speed."""
    wide = 2 * width
    phases = [rng.uniform(0, 2 * math.pi) for _ in range(3)]
    freqs = [rng.uniform(1.0, 3.0), rng.uniform(3.0, 7.0), rng.uniform(7.0, 11.0)]
    profile = [sum_in_order(18 / (k + 1) * math.sin(freqs[k] * 2 * math.pi * x / wide + phases[k])
                   for k in range(3)) for x in range(wide + height)]
    clean = [[base + 12 * math.sin(2 * math.pi * y / max(height, 1) + phases[0]) + profile[x + y]
              for x in range(wide)] for y in range(height)]
    grain = randrange_draws(rng, 2 * SENSOR_NOISE + 1)  # randint(-SENSOR_NOISE, SENSOR_NOISE)
    return [[bytes(clamp_byte(v + (d - SENSOR_NOISE)) for v, d in zip(row, grain))
             for row in clean] for _ in range(NOISE_COPIES)]


def randrange_draws(rng: random.Random, n: int) -> Iterator[int]:
    """rng.randrange(n) again and again, drawn as CPython's random module draws it
    (getrandbits of n's bit length, drawn again while n or more): the same numbers, and rng
    left in the same state, without a call through randrange's checks for each draw (compare
    makes 640,000 of them; those calls were a fifth of the time spent rendering a scene)."""
    bits, k = rng.getrandbits, n.bit_length()
    while True:
        r = bits(k)
        if r < n:
            yield r


def sprite(rng: random.Random, size: int, luma: int) -> list[bytes]:
    """A checkered square, so that a moving sprite changes many pixels."""
    return [bytes(clamp_byte(luma + (30 if (x // 2 + y // 2) % 2 else -30) + rng.randint(-8, 8))
                  for x in range(size)) for y in range(size)]


def paste(frame: bytearray, width: int, height: int, rows: list[bytes], x: int, y: int) -> None:
    """Copy a sprite's rows into a flat width x height luma frame in place, its top-left corner
    at (x, y), clipped at the frame's edges."""
    size = len(rows[0])
    left, right = max(0, x), min(width, x + size)
    if left >= right:
        return
    for r, row in enumerate(rows):
        fy = y + r
        if 0 <= fy < height:
            frame[fy * width + left: fy * width + right] = row[left - x: right - x]


def event_offset(label: str, phase: float, amplitude: float) -> tuple[float, float]:
    """Where the actor is pushed during an event, as (dx, dy) at phase 0..1 of the event."""
    wobble = math.sin(phase * math.pi * 6)
    if label in ("jump", "shot", "dunk", "enter", "leave"):
        return (amplitude * 0.3 * wobble, -amplitude * math.sin(phase * math.pi))
    if label in ("sit", "drop", "plate", "pour"):
        return (0.0, amplitude * math.sin(phase * math.pi))
    return (amplitude * wobble, amplitude * 0.3 * math.sin(phase * math.pi * 4))


def render_scene(scene: Scene) -> Iterator[bytes]:
    """Yield each frame as width*height bytes of 8-bit luma; deterministic in scene.seed."""
    w, h, fps = scene.width, scene.height, scene.fps
    cut_frames = sorted(set(scene.cut_frames))
    size = max(4, h // 3)
    amplitude = h / 3
    shot_index = -1
    props = []                       # the still objects of "appear" events, placed once
    for event in scene.events:
        if event.kind != "motion":
            rng = random.Random(f"{scene.seed}:{event.label}:{event.start}")
            props.append((event, sprite(rng, size, rng.choice((20, 235))),
                          int(rng.uniform(0, w - size)), int(rng.uniform(0, h - size))))
    for i in range(scene.frame_count):
        if shot_index < 0 or (shot_index < len(cut_frames) and i == cut_frames[shot_index]):
            shot_index += 1
            rng = random.Random(scene.seed * 1000 + shot_index)
            base = SHOT_BASE_LUMA[(shot_index + scene.seed) % len(SHOT_BASE_LUMA)]
            textures = shot_textures(rng, w, h, base)
            actor = sprite(rng, size, (base + 128) % 256)
            actor_home = (rng.uniform(0, w - size), rng.uniform(h / 3, h - size))
            mover_count = 1 + round(3 * scene.activity)
            movers = [(sprite(rng, max(3, size // 2), (base + 90) % 256),
                       rng.uniform(0, w), rng.uniform(0, h),
                       rng.choice((-1, 1)) * (1 + 40 * scene.activity),
                       rng.choice((-1, 1)) * (0.5 + 25 * scene.activity))
              for _ in range(mover_count)]
        t = i / fps
        offset = int(triangle(t * PAN_PX_PER_S * scene.activity, w))
        copies = randrange_draws(random.Random(scene.seed * 7919 + i), NOISE_COPIES)
        frame = bytearray(b"".join([textures[c][y][offset: offset + w]
                                    for y, c in zip(range(h), copies)]))
        for rows, x0, y0, vx, vy in movers:
            paste(frame, w, h, rows, int(triangle(x0 + vx * t, w - len(rows))),
                  int(triangle(y0 + vy * t, h - len(rows))))
        dx = dy = 0.0
        for event in scene.events:
            if event.kind == "motion" and event.start <= t < event.end:
                dx, dy = event_offset(event.label, (t - event.start) / (event.end - event.start),
                                      amplitude)
        paste(frame, w, h, actor, int(actor_home[0] + dx), int(actor_home[1] + dy))
        for event, prop, x, y in props:
            if event.kind == "appear" and event.start <= t < event.end:
                paste(frame, w, h, prop, x, y)
            elif event.kind == "fade" and t >= event.start:
                table = lift_table(round(FADE_LUMA * min(1.0, (t - event.start)
                                                        / (event.end - event.start))))
                top = h // FADE_ROWS_DIVISOR
                frame[:top * w] = frame[:top * w].translate(table)
        yield bytes(frame)


def event_json(event: Event) -> dict:
    """An event as JSON: named `event`, as in --events files and answers; times in seconds."""
    return {"event": event.label, "kind": event.kind, "start_s": event.start,
            "end_s": event.end}


def scene_truth(scene: Scene) -> dict:
    """The ground truth of a scene as the `synth --json` document."""
    return {
        "video": scene.name, "fps": float(scene.fps), "width": scene.width,
        "height": scene.height, "frames": scene.frame_count, "duration_s": float(scene.duration_s),
        "events": [event_json(e) for e in scene.events],
        "cuts": [{"frame": f, "time_s": f / scene.fps} for f in scene.cut_frames],
        "activity": scene.activity,
    }


SCENE_MOTIONS: dict = {}       # scene_motion's results by its arguments ...
SCENE_MOTIONS_MAX = 64         # ... at most this many, the oldest forgotten first


def scene_motion(scene: Scene, stride: int | None = None, cut_floor: float = CUT_MIN_SCORE,
                 scores_only: bool = False) -> MotionAnalysis:
    """Render a synthetic scene and analyse it in one stream (with `scores_only`, its motion
    scores alone: motion_scores_only). Remembered: the result is immutable and the same scene
    always renders the same frames, so a second look is free."""
    key = (scene, stride, cut_floor, scores_only)
    if key not in SCENE_MOTIONS:
        analyse = motion_scores_only if scores_only else analyze_motion
        remember_motion(key, analyse(render_scene(scene), scene.width, scene.height, scene.fps,
                                     stride, cut_floor))
    return SCENE_MOTIONS[key]


def remember_motion(key: tuple, motion: MotionAnalysis) -> None:
    """Keep a scene's analysis in SCENE_MOTIONS, forgetting the oldest past its limit."""
    if len(SCENE_MOTIONS) >= SCENE_MOTIONS_MAX:
        del SCENE_MOTIONS[next(iter(SCENE_MOTIONS))]
    SCENE_MOTIONS[key] = motion


# ----------------------------------------------------------------------------------------------
# §8 Video files
# YUV4MPEG2 (.y4m, as `ffmpeg -f yuv4mpegpipe` writes it, from a file or a pipe) and
# folders of PGM/PPM frames, read streaming (luma, one frame held); the Y4M writer.
# ----------------------------------------------------------------------------------------------

Y4M_MAGIC = b"YUV4MPEG2"
Y4M_HEADER_LIMIT = 4096      # bytes a stream header may take before its newline
FRAME_HEADER_LIMIT = 1024
Y4M_INTERLACING = ("p", "t", "b", "m", "?")


def chroma_420(w: int, h: int) -> int:
    """Chroma samples of a w x h 4:2:0 frame: two planes of ceil(w / 2) x ceil(h / 2)."""
    return 2 * ceil_div(w, 2) * ceil_div(h, 2)


# Colour tag -> (bits per sample, bytes of the chroma/alpha planes in samples for a w x h frame).
# Plane sizes follow the YUV4MPEG2 conventions of ffmpeg's libavformat/yuv4mpegdec.c.
Y4M_COLOURS: dict[str, tuple[int, object]] = {
    "420jpeg": (8, chroma_420), "420mpeg2": (8, chroma_420), "420paldv": (8, chroma_420),
    "420": (8, chroma_420),
    "422": (8, lambda w, h: 2 * ceil_div(w, 2) * h),
    "444": (8, lambda w, h: 2 * w * h),
    "444alpha": (8, lambda w, h: 3 * w * h),
    "411": (8, lambda w, h: 2 * ceil_div(w, 4) * h),
    "mono": (8, lambda w, h: 0),
}
for _depth in (9, 10, 12, 14, 16):
    Y4M_COLOURS[f"420p{_depth}"] = (_depth, chroma_420)
    Y4M_COLOURS[f"422p{_depth}"] = (_depth, Y4M_COLOURS["422"][1])
    Y4M_COLOURS[f"444p{_depth}"] = (_depth, Y4M_COLOURS["444"][1])
for _depth in (10, 12, 16):
    Y4M_COLOURS[f"mono{_depth}"] = (_depth, lambda w, h: 0)


class Y4MHeader(NamedTuple):
    """A YUV4MPEG2 stream header: frame size, frame rate as num:den, colour tag, interlacing and
    aspect; its properties give the fps, the bit depth and the bytes of luma and of a frame."""
    width: int
    height: int
    fps_num: int
    fps_den: int
    colour: str
    interlace: str = "p"
    aspect: str = "0:0"

    @property
    def fps(self) -> float:
        return self.fps_num / self.fps_den

    @property
    def bits(self) -> int:
        return Y4M_COLOURS[self.colour][0]

    @property
    def luma_bytes(self) -> int:
        return self.width * self.height * (1 if self.bits == 8 else 2)

    @property
    def payload_bytes(self) -> int:
        chroma = Y4M_COLOURS[self.colour][1](self.width, self.height)   # type: ignore[operator]
        return self.luma_bytes + chroma * (1 if self.bits == 8 else 2)


class VideoStream(NamedTuple):
    """A video being read: its geometry and a one-pass iterator of 8-bit luma frames."""
    name: str
    width: int
    height: int
    fps: float
    frames: Iterator[bytes]


def parse_ratio(text: str, field: str, where: str, allow_zero: bool = False) -> tuple[int, int]:
    """A header field's `N:D` as (N, D); a malformed value, or a zero unless `allow_zero`, is a
    UserError naming the field and `where`."""
    top, sep, bottom = text.partition(":")
    if not sep or not top.isdigit() or not bottom.isdigit():
        raise UserError(f"{where}: header field {field} must be N:D, got {text!r}")
    n, d = int(top), int(bottom)
    if not allow_zero and (n == 0 or d == 0):
        raise UserError(f"{where}: header field {field} has a zero in {text!r}")
    return n, d


def parse_y4m_header(line: bytes, where: str) -> Y4MHeader:
    """Parse the stream header line (without its newline). Tags may come in any order."""
    if not line.startswith(Y4M_MAGIC + b" ") and line != Y4M_MAGIC:
        raise UserError(f"{where}: not a YUV4MPEG2 stream (starts with {line[:10]!r}); "
                        f"stream a clip in: ffmpeg -i CLIP -f yuv4mpegpipe - | {invocation()} "
                        f"COMMAND --video - (a .y4m file is raw video: "
                        f"{NOMINAL_WIDTH * NOMINAL_HEIGHT * 3 / 2 / 1e6:.2f} MB a 640x360 frame)")
    fields: dict[str, object] = {"colour": "420jpeg"}   # a missing C tag means 420jpeg
    for token in line[len(Y4M_MAGIC):].decode("ascii", "replace").split():
        tag, value = token[0], token[1:]
        if tag in "WH":
            if not value.isdigit() or not 0 < int(value) <= MAX_SIDE:
                raise UserError(f"{where}: header field {tag} must be 1..{MAX_SIDE}, got {value!r}")
            fields["width" if tag == "W" else "height"] = int(value)
        elif tag == "F":
            fields["fps_num"], fields["fps_den"] = parse_ratio(value, "F", where)
        elif tag == "I":
            if value not in Y4M_INTERLACING:
                raise UserError(f"{where}: header field I must be one of p t b m ?, got {value!r}")
            fields["interlace"] = value
        elif tag == "A":
            parse_ratio(value, "A", where, allow_zero=True)
            fields["aspect"] = value
        elif tag == "C":
            if value not in Y4M_COLOURS:
                raise UserError(f"{where}: unknown colour tag C{value}; known: "
                                + ", ".join(Y4M_COLOURS))
            fields["colour"] = value
        elif tag != "X":
            raise UserError(f"{where}: unknown header tag {token!r}")
    for tag, key in (("W", "width"), ("H", "height"), ("F", "fps_num")):
        if key not in fields:
            raise UserError(f"{where}: header field {tag} is missing")
    return Y4MHeader(**fields)   # type: ignore[arg-type]


READ_CHUNK = 1 << 22    # read big frames in 4 MB pieces: a lying header costs no more memory
                        # than the bytes that really arrive


def read_exact(stream, size: int) -> bytes:
    """Read `size` bytes, fewer only at the end of the stream (pipes return short reads)."""
    data = stream.read(min(size, READ_CHUNK))
    if len(data) == size or not data:
        return data
    parts = [data]
    got = len(data)
    while got < size:
        more = stream.read(min(size - got, READ_CHUNK))
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)


def high_depth_to_8bit(samples: bytes, bits: int) -> bytes:
    """Little-endian samples of `bits` bits -> 8-bit (v >> (bits - 8), saturating), by tables."""
    shift = bits - 8
    low = samples[0::2].translate(bytes(v >> shift for v in range(256)))
    high = samples[1::2].translate(bytes(min(255, v << (8 - shift)) if v < (1 << shift) else 255
                                         for v in range(256)))
    combined = int.from_bytes(low, "little") | int.from_bytes(high, "little")
    return combined.to_bytes(len(low), "little")


class LumaFrame(bytes):
    """A frame's 8-bit luma that also carries its two 4:2:0 chroma planes (U then V, each
    ceil(w / 2) x ceil(h / 2)) as `chroma`. Everything else reads it as the luma it is; the
    cut detector also looks at the colour, so a cut that keeps the brightness (the same
    picture with its hue turned) is seen. Reading the planes costs a copy, not a decode."""
    chroma: bytes = b""


def frame_marker_whole(marker: bytes, index: int, where: str) -> bool:
    """Whether a frame's marker line is whole: False when the stream ends inside it; anything
    but FRAME and a newline, or FRAME, parameters and a newline, is a UserError."""
    if not marker.endswith(b"\n") and len(marker) < FRAME_HEADER_LIMIT and (
            b"FRAME".startswith(marker) or marker.startswith(b"FRAME ")):
        return False
    if not (marker.startswith(b"FRAME") and marker[5:6] in (b"\n", b" ")):
        raise UserError(f"{where}: frame {index}: expected FRAME marker, got "
                        f"{quoted(marker[:12].decode('latin-1'))}")
    if not marker.endswith(b"\n"):
        raise UserError(f"{where}: frame {index}: FRAME marker has no newline in its first "
                        f"{FRAME_HEADER_LIMIT:,} bytes")
    return True


def stream_cut_short(message: str, index: int, allow_truncated: bool, report) -> None:
    """A stream cut short after `index` whole frames: with allow_truncated, `report` says so
    (the frames so far are kept); else a UserError, naming --allow-truncated when it helps."""
    if allow_truncated:
        report(message + ", the rest ignored")
        return
    raise UserError(message + (" (--allow-truncated accepts this)" if index else ""))


def y4m_frames(stream, header: Y4MHeader, where: str, allow_truncated: bool,
               report) -> Iterator[bytes]:
    """Yield 8-bit luma per frame. 8-bit 4:2:0 frames come as LumaFrame with their chroma;
    other layouts' chroma is read and dropped."""
    rest = header.payload_bytes - header.luma_bytes
    keep_chroma = header.bits == 8 and Y4M_COLOURS[header.colour][1] is chroma_420
    try:   # on a file, skip the chroma planes by seeking and check the size instead
        size = os.fstat(stream.fileno()).st_size if stream.seekable() else None
    except (OSError, AttributeError, ValueError):
        size = None
    index = 0
    while True:
        marker = stream.readline(FRAME_HEADER_LIMIT)
        if not marker:
            return
        if not frame_marker_whole(marker, index, where):
            stream_cut_short(f"{where}: the stream ends inside frame {index}'s marker; "
                             f"{counted(index, 'whole frame')} read", index, allow_truncated,
                             report)
            return
        luma = read_exact(stream, header.luma_bytes)
        chroma = b""
        if keep_chroma:
            chroma = read_exact(stream, rest)
            tail = len(chroma)
        elif size is None:
            tail = len(read_exact(stream, rest)) if rest else 0
        else:
            tail = min(rest, max(0, size - stream.seek(rest, 1) + rest))
        if len(luma) < header.luma_bytes or tail < rest:
            stream_cut_short(f"{where}: frame {index} cut short ({len(luma) + tail:,} of "
                             f"{header.payload_bytes:,} bytes); {counted(index, 'whole frame')} "
                             "read", index, allow_truncated, report)
            return
        if keep_chroma:
            frame = LumaFrame(luma)
            frame.chroma = chroma
            yield frame
        else:
            yield luma if header.bits == 8 else high_depth_to_8bit(luma, header.bits)
        index += 1


def open_y4m(stream, where: str, allow_truncated: bool = False, report=None) -> VideoStream:
    """A Y4M stream (file or pipe) as a VideoStream: its header line read and parsed, its frames
    yielded lazily as 8-bit luma. An empty stream or a header without a newline is a
    UserError; with `allow_truncated`, a stream cut short ends early and `report` is told."""
    line = stream.readline(Y4M_HEADER_LIMIT)
    if not line:
        raise UserError(f"{where}: empty file")
    if not line.endswith(b"\n"):
        if not line.startswith(Y4M_MAGIC):
            parse_y4m_header(line, where)            # says what it is not, and what to do
        raise UserError(f"{where}: stream header has no newline" + (
            f" in its first {Y4M_HEADER_LIMIT:,} bytes" if len(line) >= Y4M_HEADER_LIMIT else ""))
    header = parse_y4m_header(line[:-1], where)
    return VideoStream(where, header.width, header.height, header.fps,
                       y4m_frames(stream, header, where, allow_truncated,
                                  report or (lambda message: None)))


def fps_fraction(fps: float) -> tuple[int, int]:
    """`fps` as (numerator, denominator) with a denominator of at most 1001, for Y4M's F tag."""
    from fractions import Fraction
    ratio = Fraction(fps).limit_denominator(1001)
    return ratio.numerator, ratio.denominator


def y4m_bytes(frames: Iterable[bytes], width: int, height: int, fps: float,
              colour: str = "mono") -> Iterator[bytes]:
    """A YUV4MPEG2 stream, piece by piece: Cmono (ffmpeg reads it as gray), or another 8-bit
    colour tag with flat grey chroma planes."""
    rate_num, rate_den = fps_fraction(fps)
    chroma = bytes([128]) * Y4M_COLOURS[colour][1](width, height)   # type: ignore[operator]
    yield (f"YUV4MPEG2 W{width} H{height} F{rate_num}:{rate_den} Ip A1:1 C{colour}\n"
           .encode("ascii"))
    for frame in frames:
        yield b"FRAME\n" + frame + chroma


def y4m_size(width: int, height: int, frames: int) -> int:
    """Bytes of a 4:2:0 Y4M file, header aside: per frame, FRAME and a newline, then the planes."""
    return frames * (6 + width * height + 2 * ceil_div(width, 2) * ceil_div(height, 2))


# PGM/PPM (Netpbm). Header: magic, width, height, maxval, separated by any whitespace, with
# `#` comments to the end of a line; then one whitespace byte and the raster (P5/P6 binary,
# samples big-endian when maxval > 255; P2/P3 decimal text).
PNM_MAGICS = {b"P2": (1, False), b"P3": (3, False), b"P5": (1, True), b"P6": (3, True)}
# BT.601 luma weights in 16-bit fixed point (sum 65536), as Pillow's RGB->L conversion.
BT601_WEIGHTS = (19595, 38470, 7471)


def pnm_header(data: bytes, where: str) -> tuple[bytes, int, int, int, int]:
    """(magic, width, height, maxval, offset of the raster)."""
    magic = data[:2]
    if magic not in PNM_MAGICS:
        raise UserError(f"{where}: not a PGM/PPM file (magic {magic!r})")
    values, pos = [], 2
    while len(values) < 3:
        while pos < len(data) and (data[pos:pos + 1].isspace() or data[pos:pos + 1] == b"#"):
            if data[pos:pos + 1] == b"#":
                newline = data.find(b"\n", pos)
                pos = len(data) if newline < 0 else newline
            pos += 1
        start = pos
        while pos < len(data) and data[pos:pos + 1].isdigit():
            pos += 1
        field = ("width", "height", "maxval")[len(values)]
        if start == pos:
            raise UserError(f"{where}: header field {field} is missing or not a number")
        if pos - start > 6:                      # no side or maxval needs more digits
            raise UserError(f"{where}: header field {field} has {pos - start} digits")
        values.append(int(data[start:pos]))
    width, height, maxval = values
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
        raise UserError(f"{where}: size {width}x{height} outside 1..{MAX_SIDE}")
    if not 0 < maxval <= 65535:
        raise UserError(f"{where}: maxval {maxval} outside 1..65535")
    if pos >= len(data) or not data[pos:pos + 1].isspace():
        raise UserError(f"{where}: no whitespace after the header")
    return magic, width, height, maxval, pos + 1


def scale_samples(samples: list[int] | bytes, maxval: int) -> bytes:
    """Samples 0..maxval -> 0..255 (rounded), through one lookup table."""
    if maxval == 255 and isinstance(samples, bytes):
        return samples
    table = [min(255, (v * 255 + maxval // 2) // maxval) for v in range(maxval + 1)]
    try:
        return bytes(map(table.__getitem__, samples))
    except IndexError:
        raise UserError(f"a sample exceeds maxval {maxval}") from None


def rgb_to_luma(red: bytes, green: bytes, blue: bytes) -> bytes:
    """BT.601 luma of three 8-bit planes, all pixels at once in 32-bit big-integer lanes."""
    count = len(red)
    ones = int.from_bytes(b"\x01\x00\x00\x00" * count, "little")
    total = ones * 0x8000
    for plane, weight in zip((red, green, blue), BT601_WEIGHTS):
        spread = bytearray(4 * count)
        spread[0::4] = plane
        total += int.from_bytes(spread, "little") * weight
    return (total >> 16).to_bytes(4 * count + 1, "little")[0:4 * count:4]


def decode_pnm(data: bytes, where: str) -> tuple[int, int, str, bytes]:
    """(width, height, magic, 8-bit luma) of one PGM/PPM file's bytes."""
    width, height, magic, samples = decode_pnm_samples(data, where)
    if len(samples) == 3 * width * height:
        samples = rgb_to_luma(samples[0::3], samples[1::3], samples[2::3])
    return width, height, magic, samples


def decode_pnm_samples(data: bytes, where: str) -> tuple[int, int, str, bytes]:
    """(width, height, magic, 8-bit samples): grey, or RGB interleaved for a PPM."""
    magic, width, height, maxval, offset = pnm_header(data, where)
    channels, binary = PNM_MAGICS[magic]
    count = width * height * channels
    if binary:
        size = 2 if maxval > 255 else 1
        raster = data[offset: offset + count * size]
        if len(raster) < count * size:
            raise UserError(f"{where}: raster has {len(raster)} of {count * size} bytes")
        samples: list[int] | bytes = raster if size == 1 else [
            (hi << 8) | lo for hi, lo in zip(raster[0::2], raster[1::2])]
    else:
        tokens = data[offset:].split()
        if len(tokens) < count or not all(t.isdigit() for t in tokens[:count]):
            raise UserError(f"{where}: expected {count} decimal samples")
        samples = [int(t) for t in tokens[:count]]
    try:
        scaled = scale_samples(samples, maxval)
    except UserError as error:
        raise UserError(f"{where}: {error}") from None
    return width, height, magic.decode(), scaled


PNM_HEADER_LIMIT = 4096    # bytes of header (magic, sizes, comments) read before the raster


def read_pnm_file(path: str) -> tuple[int, int, str, bytes]:
    """One frame file's luma: (width, height, magic, 8-bit luma)."""
    return decode_pnm(read_pnm_data(path), path)


def read_pnm_data(path: str) -> bytes:
    """One frame file's bytes, read no further than its header says the raster reaches: a frame
    that is a link to /dev/zero or a pipe is refused, and a huge file is not read whole."""
    try:
        info = os.stat(path)
    except OSError as error:
        raise UserError(f"{path}: cannot read: {error.strerror or error}") from None
    if not stat.S_ISREG(info.st_mode):
        raise UserError(f"{path}: not a regular file (a frame cannot be a device or a pipe)")
    with open(path, "rb") as handle:
        head = handle.read(PNM_HEADER_LIMIT)
        try:
            magic, width, height, maxval, offset = pnm_header(head, path)
        except UserError:
            if len(head) == PNM_HEADER_LIMIT:
                raise UserError(f"{path}: no complete header in its first {PNM_HEADER_LIMIT} "
                                "bytes") from None
            raise
        channels, binary = PNM_MAGICS[magic]
        samples = width * height * channels
        # Binary: exactly the raster. Decimal: each sample's digits and a separator, with room
        # for the extra spaces and line ends writers add.
        raster = samples * (2 if maxval > 255 else 1) if binary else \
            samples * (len(str(maxval)) + 3) + PNM_HEADER_LIMIT
        return head + handle.read(max(0, offset + raster - len(head)))


def natural_key(name: str) -> tuple:
    """A sort key that compares the runs of digits in a name as numbers (frame9 before frame10)."""
    return tuple(int(part) if ascii_number(part) else part
                 for part in re.split(r"([0-9]+)", name))


def frame_number(name: str) -> int | None:
    """The last number in a file name, its extension left out; None when it has none."""
    found = re.findall(r"[0-9]+", name.rsplit(".", 1)[0])
    return int(found[-1]) if found else None


def open_frame_folder(folder: str, fps: float | None) -> VideoStream:
    """A folder of numbered PGM/PPM frames as a VideoStream at `fps` (required: a UserError
    without it). Frames are read lazily; one whose size or grey/colour kind differs from the
    first frame's is a UserError."""
    if fps is None:
        raise UserError(f"{folder}: a folder of frames needs --fps")
    names = frame_file_names(folder)
    width, height, magic, _ = read_pnm_file(os.path.join(folder, names[0]))
    channels = PNM_MAGICS[magic.encode()][0]

    def frames() -> Iterator[bytes]:
        for name in names:
            path = os.path.join(folder, name)
            w, h, kind, luma = read_pnm_file(path)
            if (w, h, PNM_MAGICS[kind.encode()][0]) != (width, height, channels):
                raise UserError(f"{path}: {kind} {w}x{h} differs from the first frame's "
                                f"{magic} {width}x{height} (size or gray/colour)")
            yield luma
    return VideoStream(folder, width, height, fps, frames())


def frame_file_names(folder: str) -> list[str]:
    """The folder's PGM/PPM frames in frame-number order, numbered without gaps or repeats."""
    names = sorted((n for n in os.listdir(folder)
                    if n.lower().endswith((".pgm", ".ppm", ".pnm"))), key=natural_key)
    if not names:
        raise UserError(f"{folder}: no .pgm or .ppm frames in this folder")
    numbers = [frame_number(n) for n in names]
    for k, (name, number) in enumerate(zip(names, numbers)):
        if number is None:
            raise UserError(f"{os.path.join(folder, name)}: no frame number in the name")
        if k and number == numbers[k - 1]:
            raise UserError(f"{os.path.join(folder, name)}: frame number {number} again (also "
                            f"{names[k - 1]})")
        if k and number != numbers[k - 1] + 1:
            raise UserError(f"{os.path.join(folder, name)}: frame number {number} follows "
                            f"{numbers[k - 1]} (a gap in the numbering)")
    return names


def own_rate(video: VideoStream, fps: float | None, report) -> VideoStream:
    """A Y4M stream states its rate: a different --fps is ignored, and `report` says so."""
    if fps is not None and fps != video.fps and report is not None:
        report(f"--fps {fps:g} is ignored: {video.name} states its own rate, {video.fps:g} fps")
    return video


def open_video(path: str, fps: float | None = None, allow_truncated: bool = False,
               report=None) -> VideoStream:
    """A .y4m file or pipe, `-` for a Y4M stream on stdin, or a folder of PGM/PPM frames."""
    if path == "-":
        if getattr(sys.stdin, "buffer", None) is None:
            raise UserError("stdin is closed; there is no video to read")
        return own_rate(open_y4m(sys.stdin.buffer, "<stdin>", allow_truncated, report), fps,
                        report)
    if os.path.isdir(path):
        return open_frame_folder(path, fps)
    check_readable_file(path)
    try:
        stream = open(path, "rb")
    except OSError as error:
        raise UserError(f"{path}: cannot read: {error.strerror or error}") from None
    try:
        video = open_y4m(stream, path, allow_truncated, report)
    except BaseException:
        stream.close()
        raise
    own_rate(video, fps, report)

    def closing(frames: Iterator[bytes]) -> Iterator[bytes]:
        with stream:
            yield from frames
    return VideoStream(video.name, video.width, video.height, video.fps, closing(video.frames))


FRAME_LINE = b"FRAME\n"


# Chroma plane size (width, height) of the 8-bit colour tags a contact sheet shows in colour.
CHROMA_SIZE = {"420": lambda w, h: (ceil_div(w, 2), ceil_div(h, 2)),
               "422": lambda w, h: (ceil_div(w, 2), h), "444": lambda w, h: (w, h),
               "411": lambda w, h: (ceil_div(w, 4), h)}


def y4m_chroma_size(header: Y4MHeader) -> tuple[int, int] | None:
    """The chroma planes' size when the sheet can show this Y4M in colour (8-bit 4:2:0, 4:2:2,
    4:4:4, 4:1:1); None for mono and deeper samples (shown grey)."""
    if header.bits != 8 or header.colour == "mono":
        return None
    return CHROMA_SIZE[header.colour[:3]](header.width, header.height)


def y4m_chosen_frames(path: str, wanted: set[int]) -> Iterator[tuple[int, int, int, int, bytes]]:
    """The wanted frames of a Y4M file: luma (1 channel), or for colour Y, U and V interleaved
    at full size (3 channels; yuv_to_rgb turns the thumbnails into RGB). When every frame
    starts with a bare `FRAME` line (as ffmpeg writes), frame k sits at a fixed offset: go
    straight there (and check the marker); otherwise walk the markers, seeking past the rest."""
    last = max(wanted)
    with open(path, "rb") as stream:
        header = parse_y4m_header(stream.readline(Y4M_HEADER_LIMIT).rstrip(b"\n"), path)
        chroma = y4m_chroma_size(header)
        size = header.payload_bytes if chroma else header.luma_bytes
        start, step = stream.tell(), len(FRAME_LINE) + header.payload_bytes
        fixed = stream.read(len(FRAME_LINE)) == FRAME_LINE
        for index in sorted(wanted) if fixed else ():
            stream.seek(start + index * step)
            data = read_exact(stream, len(FRAME_LINE) + size)
            if data[:len(FRAME_LINE)] != FRAME_LINE:
                break                          # markers with parameters: walk them instead
            yield sheet_frame(index, data[len(FRAME_LINE):], header, chroma, path)
            wanted = wanted - {index}
        if not wanted:
            return
        stream.seek(start)
        for index in range(last + 1):
            marker = stream.readline(FRAME_HEADER_LIMIT)
            if not marker.startswith(b"FRAME"):
                raise UserError(f"{path}: frame {index}: expected FRAME marker on the second "
                                "reading (did the file change?)")
            if index in wanted:
                data = read_exact(stream, size)
                stream.seek(header.payload_bytes - size, 1)
                yield sheet_frame(index, data, header, chroma, path)
            else:
                stream.seek(header.payload_bytes, 1)


def sheet_frame(index: int, data: bytes, header: Y4MHeader, chroma: tuple[int, int] | None,
                path: str) -> tuple[int, int, int, int, bytes]:
    """(index, width, height, channels, pixels) of one frame read for the sheet."""
    w, h = header.width, header.height
    if chroma is None:
        return index, w, h, 1, luma_8bit(data[:header.luma_bytes], header, path, index)
    if len(data) < header.payload_bytes:
        raise UserError(f"{path}: frame {index} cut short on the second reading")
    cw, ch = chroma
    u = data[w * h: w * h + cw * ch]
    v = data[w * h + cw * ch: w * h + 2 * cw * ch]
    yuv = bytearray(3 * w * h)
    yuv[0::3] = data[:w * h]
    yuv[1::3] = upsample_nearest(u, cw, ch, w, h)
    yuv[2::3] = upsample_nearest(v, cw, ch, w, h)
    return index, w, h, 3, bytes(yuv)


def upsample_nearest(plane: bytes, width: int, height: int, out_w: int, out_h: int) -> bytes:
    """A plane stretched to out_w x out_h, each sample repeated (whole factors): a chroma
    plane to its frame's size, a tiny frame to a thumbnail's."""
    fx, fy = ceil_div(out_w, width), ceil_div(out_h, height)
    rows = []
    for r in range(height):
        row = bytearray(width * fx)
        for k in range(fx):
            row[k::fx] = plane[r * width:(r + 1) * width]
        rows.extend([bytes(row[:out_w])] * fy)
    return b"".join(rows[:out_h])


# BT.601 limited range, as ffmpeg writes yuv420p: R = 1.164 (Y - 16) + 1.596 (V - 128),
# G = 1.164 (Y - 16) - 0.392 (U - 128) - 0.813 (V - 128), B = 1.164 (Y - 16) + 2.017 (U - 128);
# as integers scaled by 2^16, a table per term.
_BT601 = [[round(c * (x - o) * 65536) for x in range(256)] for c, o in
          ((1.164, 16), (1.596, 128), (0.392, 128), (0.813, 128), (2.017, 128))]


def yuv_to_rgb(yuv: bytes) -> bytes:
    """Interleaved Y, U, V samples (a thumbnail's) as interleaved R, G, B."""
    ty, tvr, tug, tvg, tub = _BT601
    out = bytearray(len(yuv))
    for i in range(0, len(yuv), 3):
        y, u, v = ty[yuv[i]], yuv[i + 1], yuv[i + 2]
        out[i] = min(255, max(0, (y + tvr[v] + 32768) >> 16))
        out[i + 1] = min(255, max(0, (y - tug[u] - tvg[v] + 32768) >> 16))
        out[i + 2] = min(255, max(0, (y + tub[u] + 32768) >> 16))
    return bytes(out)


def luma_8bit(luma: bytes, header: Y4MHeader, path: str, index: int) -> bytes:
    """A frame's luma from the second reading of a Y4M file, as 8-bit; a short read is a
    UserError (the file changed)."""
    if len(luma) < header.luma_bytes:
        raise UserError(f"{path}: frame {index} cut short on the second reading")
    return luma if header.bits == 8 else high_depth_to_8bit(luma, header.bits)


# ----------------------------------------------------------------------------------------------
# §9 Fast pixels
# The mean |luma change| of §2 at C speed: pixels in 16-bit lanes of big integers (the
# SWAR trick), the one-pass analysis every reader feeds, the histogram and the box filter.
# ----------------------------------------------------------------------------------------------

# The technique. The mean absolute difference of two frames needs |a - b| per pixel, which is
# slow as a Python loop (about 190 frames/s at 640x360). Instead each frame becomes two big
# integers whose 16-bit lanes hold one pixel each (even bytes in one, odd bytes in the other).
# One subtraction then works on every lane at once: (A | 256 per lane) - B leaves a - b + 256
# in each lane, never borrowing from its neighbour. Bit 8 of a lane says whether a >= b; one
# mask and one XOR turn each lane into 256 - |a - b|; the two halves are added, and folding
# the integer in halves six times adds the lanes up (a lane stays below 2**16); a short byte
# sum finishes. Every step is one C loop over the whole frame. motion_scores (§2) is the plain
# version of the motion score; the tests check that the two agree exactly.

LANE_FOLDS = 6   # two halves of lanes <= 256 added, then 64 lanes summed: <= 32768 < 2**16


@functools.lru_cache(maxsize=16)
def lane_masks(lanes: int) -> tuple[int, int, tuple[int, ...]]:
    """For `lanes` 16-bit lanes: the low-byte mask, the bit-8 mask, and the fold masks."""
    ones = int.from_bytes(b"\x01\x00" * lanes, "little")
    folds = tuple((1 << (16 * lanes >> k)) - 1 for k in range(1, LANE_FOLDS + 1))
    return ones * 0xFF, ones << 8, folds


@functools.lru_cache(maxsize=64)
def lane_count(byte_count: int) -> int:
    """Lanes per half (even or odd bytes), padded so that the folds split evenly."""
    step = 1 << LANE_FOLDS
    return max(step, ceil_div((byte_count + 1) // 2, step) * step)


def to_lanes(grid: bytes) -> tuple[int, int]:
    """The even and the odd bytes of `grid`, each spread into 16-bit lanes of an integer."""
    low_bytes = lane_masks(lane_count(len(grid)))[0]
    value = int.from_bytes(grid, "little")
    return value & low_bytes, (value >> 8) & low_bytes


def sad_lanes(a: tuple[int, int], b: tuple[int, int], byte_count: int) -> int:
    """Sum of |a - b| over all pixels, from to_lanes() of two grids of byte_count bytes.

    Worked example, three pixels a = (200, 10, 50), b = (100, 30, 50). Even lanes hold
    (200, 50) and (100, 50), the odd lane 10 and 30. (a | 256) - b gives 356, 256 and 236:
    bit 8 is set where a >= b. Where it is set, flipping the low byte and adding 1 gives
    256 - 100 = 156 and 256 - 0 = 256; where it is clear the low byte is already
    256 - 20 = 236. The lanes add to 648, so the sum is 3 x 256 - 648 = 120 = 100 + 20 + 0
    (every padding lane adds 256 to both sides of that subtraction)."""
    lanes = lane_count(byte_count)
    low_bytes, bit8, folds = lane_masks(lanes)
    total = 0
    for la, lb in zip(a, b):
        v = (la | bit8) - lb                  # a - b + 256 per lane
        positive = v & bit8                   # 256 where a >= b
        ones = positive >> 8
        total += ((v ^ (positive - ones)) & low_bytes) + ones   # 256 - |a - b| per lane
    for mask in folds:
        total = (total & mask) + (total >> mask.bit_length())
    data = total.to_bytes(2 * lanes >> LANE_FOLDS, "little")
    return 2 * 256 * lanes - (sum(data[0::2]) + 256 * sum(data[1::2]))


def auto_stride(height: int) -> int:
    """The grid stride that keeps about MOTION_GRID_ROWS rows of a `height`-row frame (>= 1)."""
    return max(1, height // MOTION_GRID_ROWS)


@functools.lru_cache(maxsize=16)
def grid_slices(width: int, height: int, stride: int) -> tuple[slice, ...]:
    """For each stride-th row of a flat width x height frame, the slice that takes every
    stride-th pixel of it (cached per size and stride)."""
    return tuple(slice(y * width, (y + 1) * width, stride) for y in range(0, height, stride))


def grid_sample(frame: bytes, width: int, height: int, stride: int) -> bytes:
    """Every stride-th pixel of every stride-th row (stride 1 returns the frame)."""
    if stride == 1:
        return bytes(frame)
    return b"".join(map(frame.__getitem__, grid_slices(width, height, stride)))


# Cells. The cut and transition signals compare cells of 2 x 4 coarse strides (16 wide, 32
# tall at 640x360: 40 x 11 cells), each scored by its mean, not by one pixel: a texture finer
# than the grid that moves (a fence, a checkerboard) would otherwise alias, its single
# samples flipping between light and dark every few frames like a cut. A cell's mean is
# estimated from eight pixels (the "rooks", two to a column) on a grid of half a stride (4
# pixels at 640x360), chosen so that stripes repeating every 8 or 16 pixels across, down or
# along either diagonal, at any phase, put four of them on each half of a period: they
# average out. (Four, one to a row and a column, balance across and down only: stripes 16
# apart on a diagonal, panned, gave a cut every few frames.) Eight samples, not the whole
# cell: taking pixels costs a slice per row (hence tall cells: fewer rows), and box_downscale
# over a 4 x 4 subgrid of square cells costs several times as much per frame. A cell is 4 x 8
# units.
CELL_ROOKS = ((0, 2), (0, 7), (1, 0), (1, 5), (2, 2), (2, 7), (3, 0), (3, 5))  # (x, y) in units
# The chroma cells keep the four of one to a row and a column: colour is broad, and the colour
# signal's threshold (CUT_CHROMA_MIN) is set on them (a cut between two near-identical shots,
# found by its colour at 0.058, measures 0.050 on eight).
CHROMA_ROOKS = ((3, 1), (2, 3), (1, 4), (0, 6))


def cell_unit(coarse: int) -> int:
    """The rook unit for a coarse stride: half of it; 0 (cells are pixels) when it is 1."""
    return coarse // 2


@functools.lru_cache(maxsize=16)
def rook_slices(width: int, height: int, unit: int, rooks: tuple = CELL_ROOKS
                ) -> tuple[tuple[slice, ...], ...]:
    """For each of the rooks, one slice per row of whole cells that takes that rook's pixel
    from every whole cell of the row (unit 0: one rook, every pixel)."""
    if unit == 0:
        return (tuple(slice(y * width, (y + 1) * width) for y in range(height)),)
    cell_w, cell_h = 4 * unit, 8 * unit
    cols = width // cell_w
    return tuple(tuple(slice((r * cell_h + y * unit) * width + x * unit,
                             (r * cell_h + y * unit) * width + x * unit + cols * cell_w, cell_w)
                       for r in range(height // cell_h))
                 for x, y in rooks)


@functools.lru_cache(maxsize=16)
def rook_masks(count: int) -> tuple[int, int]:
    """For `count` cells in 16-bit lanes: the low-byte mask, and 1 in every lane."""
    ones = int.from_bytes(b"\x01\x00" * ((count + 1) // 2), "little")
    return ones * 0xFF, ones


def cell_means(plane, slices: tuple[tuple[slice, ...], ...]) -> bytes:
    """The mean of each cell's rooks, rounded (see rook_means)."""
    return rook_means(rook_picks(plane, slices))


def rook_picks(plane, slices: tuple[tuple[slice, ...], ...]) -> list[bytes]:
    """For each rook, its pixel of every cell, in cell order (rook_slices)."""
    return [b"".join(map(plane.__getitem__, rows)) for rows in slices]


def rook_means(picks: list[bytes]) -> bytes:
    """The mean of each cell's rooks (rook_picks), rounded: the samples of every cell are
    added in 16-bit lanes (even cells in one integer, odd cells in another), then divided by
    their count, a power of two."""
    if len(picks) == 1:
        return picks[0]
    count = len(picks[0])
    low, ones = rook_masks(count)
    even = odd = 0
    for pick in picks:
        value = int.from_bytes(pick, "little")
        even += value & low
        odd += (value >> 8) & low
    shift = len(picks).bit_length() - 1        # a lane holds at most 8 x 255: no carry out
    half = ones << (shift - 1)
    even = ((even + half) >> shift) & low
    odd = ((odd + half) >> shift) & low
    return (even | odd << 8).to_bytes(count, "little")


def block_means(cells: bytes, columns: int) -> bytes:
    """The mean of each whole block of BLOCK_CELLS (4 x 2) cells, rounded, row by row, from
    cell means `columns` to a row: neighbouring lanes added, then the lanes of the row below,
    in one integer; each block's mean then sits in the low byte of its first lane."""
    assert BLOCK_CELLS == (4, 2)                    # the lane arithmetic is written for it
    wide = columns - columns % 4                    # whole blocks only: 4 cells ...
    rows = len(cells) // columns // 2 * 2           # ... by 2 rows
    if not wide or not rows:
        return b""
    if wide != columns:
        cells = b"".join(cells[r * columns:r * columns + wide] for r in range(rows))
    even, odd = to_lanes(cells[:rows * wide])       # lane j: cells 2j and 2j + 1
    pairs = even + odd
    fours = pairs + (pairs >> 16)                   # lane j: cells 2j .. 2j + 3
    eights = fours + (fours >> (8 * wide))          # ... and the same four in the row below
    low, ones = rook_masks(rows * wide)
    means = ((eights + ones * 4) >> 3) & low        # / 8, rounded (a lane: 2044 at most)
    data = means.to_bytes(rows * wide + 2, "little")       # a row of cells: `wide` bytes
    return b"".join(data[r * wide:(r + 1) * wide:4] for r in range(0, rows, 2))


def lane_differences(a: tuple[int, int], b: tuple[int, int], byte_count: int) -> tuple[int, int]:
    """|a - b| per 16-bit lane, from to_lanes() of two grids (the first step of sad_lanes)."""
    low_bytes, bit8, _ = lane_masks(lane_count(byte_count))
    out = []
    for la, lb in zip(a, b):
        v = (la | bit8) - lb
        positive = v & bit8
        ones = positive >> 8
        out.append(bit8 - (((v ^ (positive - ones)) & low_bytes) + ones))
    return out[0], out[1]


def byte_flags(lanes: tuple[int, int]) -> int:
    """Per-lane flags (0 or 1 in each 16-bit lane of the even and the odd half) as one
    integer with a byte per cell, in cell order."""
    return lanes[0] | lanes[1] << 8


def nearer_flags(a: tuple[int, int], x: tuple[int, int], b: tuple[int, int],
                 byte_count: int) -> int:
    """A byte per cell (byte_flags): 1 where x is nearer b than a (|x - b| < |x - a|)."""
    _, bit8, _ = lane_masks(lane_count(byte_count))
    ones = bit8 >> 8
    flags = []
    for da, db in zip(lane_differences(x, a, byte_count), lane_differences(x, b, byte_count)):
        flags.append((((da + bit8) - db - ones) & bit8) >> 8)   # da + 255 - db >= 256: da > db
    return byte_flags((flags[0], flags[1]))


def apart_flags(a: tuple[int, int], b: tuple[int, int], byte_count: int, least: int) -> int:
    """A byte per cell (byte_flags): 1 where a and b differ by at least `least`."""
    _, bit8, _ = lane_masks(lane_count(byte_count))
    floor = (bit8 >> 8) * least
    apart = lane_differences(a, b, byte_count)
    return byte_flags(tuple((((d + bit8) - floor) & bit8) >> 8 for d in apart))


def flag_agreement(flags: int, where: int, columns: int) -> tuple[int, int]:
    """(pairs, disagreeing pairs) of side-by-side and stacked cells both in `where` (byte
    flags of a grid `columns` cells wide; a row's last cell is paired with the next row's
    first, a small error)."""
    pairs = disagree = 0
    for step in (8, 8 * columns):
        both = where & (where >> step)
        pairs += both.bit_count()
        disagree += ((flags ^ (flags >> step)) & both).bit_count()
    return pairs, disagree


SQUARE_LOW = bytes(v * v & 0xFF for v in range(256))       # v*v = low + 256 * high
SQUARE_HIGH = bytes(v * v >> 8 for v in range(256))


def lane_bytes(lanes: tuple[int, int], byte_count: int) -> bytes:
    """The grid that to_lanes() spread into lanes, back as bytes."""
    return (lanes[0] | lanes[1] << 8).to_bytes(2 * lane_count(byte_count), "little")[:byte_count]


def square_distance(a: tuple[int, int], b: tuple[int, int], byte_count: int) -> int:
    """Sum of (a - b)^2 over the cells, from to_lanes() of two grids: |a - b| per lane as
    bytes, squared by two translation tables (low and high byte of the square)."""
    apart = lane_bytes(lane_differences(a, b, byte_count), byte_count)
    return sum(apart.translate(SQUARE_LOW)) + 256 * sum(apart.translate(SQUARE_HIGH))


def exposure_change(a: bytes, b: bytes) -> bool:
    """Whether grid b is grid a brighter or darker: both have contrast (EXPOSURE_MIN_SPREAD)
    and they correlate by EXPOSURE_MATCH or more (one picture under another gain and offset:
    1; unrelated pictures: near 0; a fade ends flat, without contrast). Sums in integers,
    each one C loop: n^2 x variance, n^2 x covariance."""
    n = len(a)
    sum_a, sum_b = sum(a), sum(b)
    var_a = n * sum(map(operator.mul, a, a)) - sum_a * sum_a
    var_b = n * sum(map(operator.mul, b, b)) - sum_b * sum_b
    if min(var_a, var_b) < (n * EXPOSURE_MIN_SPREAD) ** 2:
        return False
    covariance = n * sum(map(operator.mul, a, b)) - sum_a * sum_b
    return covariance >= EXPOSURE_MATCH * math.sqrt(var_a * var_b)


HISTOGRAM_TABLE = bytes(v * HISTOGRAM_BINS // 256 for v in range(256))
HISTOGRAM_KEYS = tuple(bytes([k]) for k in range(HISTOGRAM_BINS))

HISTOGRAM_SAMPLES = 512           # a histogram needs few samples; counting is the slow part


def progress_span(frames: list[tuple[int, int]], byte_count: int
                  ) -> tuple[int, int, list[float]] | None:
    """Where a run of frames (cell lanes, to_lanes) goes from its first frame's shot to its
    last's. Each frame k gets its progress t = (|k - a|^2 - |k - b|^2 + |b - a|^2) /
    (2 |b - a|^2) from a = the first frame to b = the last, on the cells: 0 at a, 1 at b,
    the fraction of the way for a blend, and the share of the picture turned over for a
    wipe. Motion inside a shot moves the cells across the line from a to b rather than
    along it, so it hardly moves t (it would move a plain distance). The transition is the
    stretch of frames whose progress moves fastest: the best-sum run of |t_k - t_k-1| -
    GRADUAL_SLOPE (a fade through black goes out and back, hence the absolute value), less
    any frames at either end that move it less than GRADUAL_EDGE of its fastest frame (the
    drift of a shot that moves, not the transition).
    Returns (first, stop, t): frames first .. stop - 1 are between the shots, stop is the
    first frame of the new one; None when there is no such run or it is one frame (a cut)."""
    if len(frames) < 3:
        return None
    a, b = frames[0], frames[-1]
    apart = square_distance(a, b, byte_count)
    if not apart:
        return None
    t = [(square_distance(a, k, byte_count) - square_distance(k, b, byte_count) + apart)
         / (2 * apart) for k in frames]
    best, run, first, stop, start = 0.0, 0.0, -1, -1, 1
    for k in range(1, len(t)):                      # the best-sum run (Kadane)
        if run <= 0:
            run, start = 0.0, k
        run += abs(t[k] - t[k - 1]) - GRADUAL_SLOPE
        if run > best:
            best, first, stop = run, start, k
    if stop <= first:
        return None
    steps = sorted(abs(t[k] - t[k - 1]) for k in range(first, stop + 1))
    slow = GRADUAL_EDGE * steps[-1]                   # a tail of drift, not of the transition
    while first < stop and abs(t[first] - t[first - 1]) < slow:
        first += 1
    while stop > first and abs(t[stop] - t[stop - 1]) < slow:
        stop -= 1
    return (first, stop, t) if stop > first else None


def luma_histogram(grid: bytes) -> tuple[int, ...]:
    """Coarse histogram of (a subsample of) the grid: translate to bins, count each bin."""
    binned = grid[::max(1, len(grid) // HISTOGRAM_SAMPLES)].translate(HISTOGRAM_TABLE)
    return tuple(map(binned.count, HISTOGRAM_KEYS))


def histogram_distance(h1: tuple[int, ...], h2: tuple[int, ...]) -> float:
    """Half the L1 distance of the normalised histograms: 0 same, 1 disjoint."""
    total = sum(h1) or 1
    return sum(map(abs, map(operator.sub, h1, h2))) / (2 * total)


def analyze_motion(frames: Iterable[bytes], width: int, height: int, fps: float,
                   stride: int | None = None, cut_floor: float = CUT_MIN_SCORE) -> MotionAnalysis:
    """One streaming pass. The motion score uses the grid at `stride`; the cut and transition
    signals use cells of 2 x 4 auto strides, whatever `stride` (cell_means)
    and one ring of recent frames' cells: 2P+2 frames for the cut's persistence, measured only
    where a cut signal comes near its threshold (cut_floor for the difference), and
    GRADUAL_MAX_S of them for the windows that mark gradual transitions. Only per-frame
    numbers are kept, never a frame: memory for frames is bounded by the ring. A long video
    of big frames is scored in two processes (scored_in_child), with the same result."""
    motion_pass = MotionPass(width, height, fps, stride or auto_stride(height), cut_floor)
    frames = counted_frames(frames)
    for count, frame in enumerate(frames, 1):
        motion_pass.add(motion_pass.sample(frame))
        if count == TWO_PROCESSES_AFTER and width * height >= TWO_PROCESSES_PIXELS \
                and can_fork():
            return scored_in_child(motion_pass, frames)
    return motion_pass.result()


# Two processes. A long video's pass splits in two that run side by side on two cores: this
# process reads and samples each frame (MotionPass.sample: the copying), a forked child scores
# the samples (MotionPass.add: the comparing) and sends back the analysis. The child starts
# as a copy of the pass so far, so the result is the one pass's, byte for byte. Reading stays
# here, with its errors, warnings and progress lines. (A suite's scenes split the same way.)
TWO_PROCESSES_AFTER = 16           # frames scored here before the split (a fork costs ~1 ms)
TWO_PROCESSES_PIXELS = 320 * 180   # smaller frames cost too little to sample to be worth it


def can_fork() -> bool:
    """Whether this process may fork: the system has fork, and no other thread runs (a fork
    copies only the calling thread)."""
    return hasattr(os, "fork") and threading.active_count() == 1


class Child(NamedTuple):
    """A forked child computing one value (start_child): its pid, and the pipe its value
    comes back on, pickled."""
    pid: int
    result_in: int


def start_child(work: Callable[[], object]) -> Child:
    """Fork; the child runs work(), sends its value back and exits (never returning into
    this program). Collect it with child_result, or stop it with stop_child."""
    import pickle                         # here: only a split needs it
    result_in, result_out = os.pipe()
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            os.close(result_in)
            data = pickle.dumps(work())
            with open(result_out, "wb") as sink:
                sink.write(data)
            status = 0
        finally:
            os._exit(status)
    os.close(result_out)
    return Child(pid, result_in)


def child_result(child: Child) -> object:
    """The child's value, once it has sent it; a child that failed is a RuntimeError."""
    import pickle
    try:
        with open(child.result_in, "rb") as source:
            data = source.read()
    finally:
        _, status = os.waitpid(child.pid, 0)
    if not data:
        raise RuntimeError(f"a forked child process failed (status {status})")
    return pickle.loads(data)


def stop_child(child: Child) -> None:
    """Kill the child and reap it (this process is unwinding from an error or Ctrl-C)."""
    with contextlib.suppress(OSError):          # it may have exited already
        os.kill(child.pid, signal.SIGKILL)
    os.close(child.result_in)
    os.waitpid(child.pid, 0)


def scored_in_child(motion_pass: MotionPass, frames: Iterator[bytes]) -> MotionAnalysis:
    """The rest of the pass: the frames read and sampled here, scored in a forked child."""
    import marshal                        # here: only a long video needs it
    samples_in, samples_out = os.pipe()

    def score() -> MotionAnalysis:        # in the child: score what arrives until the end
        os.close(samples_out)
        with open(samples_in, "rb") as source:
            while True:
                try:
                    motion_pass.add(Sample(*marshal.load(source)))
                except EOFError:
                    return motion_pass.result()
    child = start_child(score)
    os.close(samples_in)
    try:
        with open(samples_out, "wb") as sink:
            for frame in frames:
                marshal.dump(tuple(motion_pass.sample(frame)), sink)
    except BaseException:
        stop_child(child)
        raise
    return child_result(child)


def suite_motions(scenes: list[Scene], label: str) -> list[MotionAnalysis]:
    """The motion scores of each scene (scene_motion, scores_only: all compare's samplers
    read). Those not yet measured this run are shared out: the later half is rendered and
    scored in a forked child while this process does the rest (a suite is rendered in
    Python, one frame at a time: two cores halve the wait)."""
    def scores(scene: Scene) -> MotionAnalysis:
        return scene_motion(scene, scores_only=True)
    todo = [s for s in dict.fromkeys(scenes) if (s, None, CUT_MIN_SCORE, True) not in SCENE_MOTIONS]
    split = len(todo) // 2 if len(todo) > 1 and can_fork() else len(todo)
    theirs = todo[split:]
    child = start_child(lambda: [scores(s) for s in theirs]) if theirs else None
    more = f" (and {len(theirs)} in a second process)" if theirs else ""
    try:
        for scene in with_progress(todo[:split], f"{label}{more}, video", split):
            scores(scene)
    except BaseException:
        if child:
            stop_child(child)
        raise
    if child:
        for scene, motion in zip(theirs, child_result(child)):
            remember_motion((scene, None, CUT_MIN_SCORE, True), motion)
    return [scores(scene) for scene in scenes]


def motion_scores_only(frames: Iterable[bytes], width: int, height: int, fps: float,
                       stride: int | None = None, cut_floor: float = CUT_MIN_SCORE
                       ) -> MotionAnalysis:
    """analyze_motion's motion scores alone, the same numbers (its grid, to_lanes, sad_lanes),
    the other series left empty: what compare's samplers read, at a third of the time.
    `cut_floor` is taken for analyze_motion's signature and not used."""
    stride = stride or auto_stride(height)
    scores, previous = array("d"), None
    for frame in counted_frames(frames):
        grid = grid_sample(frame, width, height, stride)
        lanes = to_lanes(grid)
        scores.append(0.0 if previous is None else
                      sad_lanes(previous, lanes, len(grid)) / (len(grid) * LUMA_MAX))
        previous = lanes
    return MotionAnalysis(fps, width, height, stride, scores, array("d"), array("d"), [])


def counted_frames(frames: Iterable[bytes]) -> Iterator[bytes]:
    """The frames, refused past MAX_VIDEO_FRAMES (a UserError)."""
    for count, frame in enumerate(frames):
        if count == MAX_VIDEO_FRAMES:
            raise UserError(f"the video has more than {MAX_VIDEO_FRAMES:,} frames; cut it "
                            "into parts (ffmpeg -ss/-t) or lower its rate (-vf fps=N)")
        yield frame


class Sample(NamedTuple):
    """The pixels MotionPass reads of one frame (MotionPass.sample): the grid at the stride,
    the luma cells' rooks (rook_picks; none when the cells are the grid), and the chroma
    cells' rooks (None: no colour)."""
    grid: bytes
    cells: list[bytes]
    colour: list[bytes] | None


class Cells(NamedTuple):
    """One frame as the ring keeps it: its luma cells as lanes, their histogram, its chroma
    cells as lanes (None without colour), and its blocks of cells as lanes."""
    lanes: tuple[int, int]
    hist: tuple[int, ...]
    colour: tuple[int, int] | None
    blocks: tuple[int, int]


class MotionPass:
    """The state of analyze_motion's one pass: the per-frame series so far (arrays of
    doubles, 8 bytes a frame, not 32-byte float objects), the previous frame's grid lanes,
    and the ring of recent frames' cells."""

    def __init__(self, width: int, height: int, fps: float, stride: int,
                 cut_floor: float) -> None:
        self.width, self.height, self.fps, self.stride = width, height, fps, stride
        unit = cell_unit(auto_stride(height))         # --stride is the motion score's alone
        self.rooks = rook_slices(width, height, unit)
        self.cells_are_grid = unit == 0 and stride == 1   # a small frame: one sum serves both
        self.cell_columns = width // (4 * unit) if unit else width
        self.cell_bytes = len(self.rooks[0]) * self.cell_columns
        self.block_bytes = len(self.rooks[0]) // 2 * (self.cell_columns // 4)
        half_w, half_h = ceil_div(width, 2), ceil_div(height, 2)
        # chroma cells (CHROMA_ROOKS) on the half-size planes (twice as big on the picture:
        # the colour of a cut is broad): U then V, the slices of V shifted past U so that one
        # cell_means takes both planes
        plane = half_w * half_h
        self.chroma_rooks = tuple(rows + tuple(slice(r.start + plane, r.stop + plane, r.step)
                                               for r in rows)
                                  for rows in rook_slices(half_w, half_h, unit, CHROMA_ROOKS))
        self.chroma_size = 2 * plane
        self.chroma_bytes = len(self.chroma_rooks[0]) * (half_w // (4 * unit) if unit
                                                         else half_w)
        self.cut_floor = cut_floor
        _, self.hist_floor, self.colour_floor = cut_floors(cut_floor)
        self.scales = gradual_scales(fps)
        # a run of gradual marks is closed when no window can reach it any more, and its frames
        # must all still be here: windows either side of it, and the run itself
        self.ring: collections.deque = collections.deque(
            maxlen=6 * self.scales[-1] + 4 * FLASH_MAX_FRAMES + 8)
        self.scores, self.hist_short, self.hist_long = array("d"), array("d"), array("d")
        self.cell_change, self.brightness = array("d"), array("d")
        self.chroma_change, self.block_change = array("d"), array("d")
        self.climb = array("d", [0.0])       # climb[k]: the cell changes of frames 0..k-1 added
        self.diff_long: list[float | None] = []
        self.chroma_long: list[float | None] = []
        self.gradual, self.flat, self.relit = bytearray(), bytearray(), bytearray()
        self.runs: list[list[int]] = []       # open runs of gradual marks: [c0, c1, lo, hi]
        self.spans: list[tuple[int, int, float]] = []
        self.previous = None

    def sample(self, frame: bytes) -> Sample:
        """The pixels the pass reads of a frame: its grid at the stride, its cells' rooks, and
        its chroma cells' rooks, U then V (None: the frame has no colour)."""
        grid = grid_sample(frame, self.width, self.height, self.stride)
        cells = [] if self.cells_are_grid else rook_picks(frame, self.rooks)
        chroma = getattr(frame, "chroma", b"")
        colour = (rook_picks(chroma, self.chroma_rooks)
                  if len(chroma) == self.chroma_size and self.chroma_bytes else None)
        return Sample(grid, cells, colour)

    def add(self, sample: Sample) -> None:
        """Score one frame's sample against the previous one; then look back: frame i - P's
        persistence, and the gradual windows that end on this frame."""
        grid, picks, colour = sample
        cells = grid if self.cells_are_grid else rook_means(picks)
        colour = None if colour is None else rook_means(colour)
        lanes = to_lanes(grid)
        now = Cells(lanes if self.cells_are_grid else to_lanes(cells), luma_histogram(cells),
                    None if colour is None else to_lanes(colour),
                    to_lanes(block_means(cells, self.cell_columns)))
        if self.previous is None:
            changes = (0.0, 0.0, 0.0, 0.0, 0.0)
        else:
            last = self.ring[-1]
            colour = (sad_lanes(last.colour, now.colour, self.chroma_bytes)
                      / (self.chroma_bytes * LUMA_MAX)
                      if now.colour is not None and last.colour is not None else 0.0)
            change = sad_lanes(self.previous, lanes, len(grid)) / (len(grid) * LUMA_MAX)
            changes = (change, histogram_distance(last.hist, now.hist),
                       change if self.cells_are_grid else
                       sad_lanes(last.lanes, now.lanes, len(cells)) / (len(cells) * LUMA_MAX),
                       colour, self.block_distance(last, now))
        self.previous = lanes
        self.scores.append(changes[0])
        self.hist_short.append(changes[1])
        self.cell_change.append(changes[2])
        self.chroma_change.append(changes[3])
        self.block_change.append(changes[4])
        self.climb.append(self.climb[-1] + changes[2])
        self.flat.append(max(now.hist[0] + now.hist[1], now.hist[-2] + now.hist[-1])
                         >= FLAT_SHARE * (sum(now.hist) or 1))
        self.brightness.append(sum(cells) / len(cells))
        self.hist_long.append(0.0)
        self.diff_long.append(None)
        self.chroma_long.append(None)
        self.gradual.append(0)
        self.relit.append(0)
        self.ring.append(now)
        count = len(self.scores)
        if count > FLASH_MAX_FRAMES:
            self.persistence(count - 1 - FLASH_MAX_FRAMES, count - 1)
        self.gradual_windows(count - 1)

    def block_distance(self, one: Cells, other: Cells) -> float:
        """Mean |block change| between two frames, 0..1 (0 when the frame has no whole block)."""
        n = self.block_bytes
        return sad_lanes(one.blocks, other.blocks, n) / (n * LUMA_MAX) if n else 0.0

    def stands_out(self, k: int) -> bool:
        """Whether frame k's cell change is a cut's: at least cut_floor, and CUT_MEDIAN_RATIO
        times the largest of the two frames' either side (a blend's frames change alike)."""
        near = self.cell_change[max(0, k - 2):k] + self.cell_change[k + 1:k + 3]
        change = self.cell_change[k]
        return change >= self.cut_floor and change >= CUT_MEDIAN_RATIO * max(near, default=0.0)

    def at(self, k: int) -> Cells:
        """Frame k's cells, from the ring."""
        return self.ring[k - len(self.scores)]

    def persistence(self, i: int, last: int) -> None:
        """Whether the change at frame i lasts: the least distance between a frame before it
        (i-1-P .. i-1) and one after (i .. i+P), over the pairs that catch a flash: the frame
        just before against each frame after, and each frame before against the last one
        after. A flash, or two flashes P frames apart, comes back to the picture before, so
        some pair is near; a cut's pairs all differ. Measured only where frame i's own change
        comes near a cut's threshold, for the signals that do."""
        if i < 1:
            return
        fires_hist = self.hist_short[i] >= self.hist_floor
        fires_diff = self.cell_change[i] >= self.cut_floor
        fires_colour = self.chroma_change[i] >= self.colour_floor
        if not (fires_hist or fires_diff or fires_colour):
            return
        end = min(i + FLASH_MAX_FRAMES, last)
        pairs = [(i - 1, b) for b in range(i, end + 1)] + [
            (a, end) for a in range(max(0, i - 1 - FLASH_MAX_FRAMES), i - 1)]
        hist, diff, colour = 1.0, 1.0, 1.0
        for a, b in pairs:
            one, other = self.at(a), self.at(b)
            if fires_hist:
                hist = min(hist, histogram_distance(one.hist, other.hist))
            if fires_diff:
                diff = min(diff, sad_lanes(one.lanes, other.lanes, self.cell_bytes)
                           / (self.cell_bytes * LUMA_MAX))
            if fires_colour and one.colour is not None and other.colour is not None:
                colour = min(colour, sad_lanes(one.colour, other.colour, self.chroma_bytes)
                             / (self.chroma_bytes * LUMA_MAX))
        self.hist_long[i] = hist if fires_hist else 0.0
        self.diff_long[i] = diff if fires_diff else None
        self.chroma_long[i] = colour if fires_colour else None
        # only a change that lasts can be a cut; a hue-only cut keeps the luma's picture
        lasting = (fires_hist and hist >= CUT_PERSIST * self.hist_short[i]
                   or fires_diff and diff >= CUT_PERSIST * self.cell_change[i])
        self.relit[i] = lasting and not fires_colour and self.exposure_change(i - 1, i)

    def gradual_windows(self, end: int) -> None:
        """Mark the centres of the windows ending on frame `end`, one per half-window h of
        gradual_scales, that look like a gradual change of shot: the ends (end - 2h, end)
        differ like two shots (GRADUAL_MIN_CHANGE on cells and CUT_HIST_MIN on histograms),
        directly (at least GRADUAL_DIRECTED of all the frame-to-frame changes between them
        added up: a blend or a wipe walks straight from one shot to the other, motion
        wanders), and gradually (no frame carries GRADUAL_MAX_SHARE of it: that is a cut).
        A window of h frames a side is looked at every h / GRADUAL_SCALE_EVERY frames (its
        neighbours overlap it almost whole). Marks less than P apart form a run; a run no
        window can reach any more is closed."""
        for h in self.scales:
            start, centre = end - 2 * h, end - h
            if start < 0:
                break
            if end % max(1, h // GRADUAL_SCALE_EVERY) or not self.looks_gradual(start, end):
                continue
            self.gradual[centre] = 1
            self.join_run(centre, start, end)
        oldest = len(self.scores) - len(self.ring)
        while self.runs and (self.runs[0][1] + FLASH_MAX_FRAMES + self.scales[-1] < end
                             or len(self.ring) == self.ring.maxlen
                             and self.runs[0][2] <= oldest + 1):
            self.close_run(self.runs.pop(0))

    def join_run(self, centre: int, start: int, end: int) -> None:
        """Add a marked window to the run of marks within P of its centre (joining two runs it
        bridges), or start a run."""
        near = [run for run in self.runs if run[0] - FLASH_MAX_FRAMES <= centre
                <= run[1] + FLASH_MAX_FRAMES]
        merged = [min([centre] + [r[0] for r in near]), max([centre] + [r[1] for r in near]),
                  min([start] + [r[2] for r in near]), max([end] + [r[3] for r in near])]
        self.runs = sorted([run for run in self.runs if run not in near] + [merged])

    def close_run(self, run: list[int]) -> None:
        """The transitions of one run of marks, between the earliest start of its windows
        (still in the shot before) and the latest end (in the shot after): see
        transitions_between."""
        _, _, lo, hi = run
        self.transitions_between(max(lo, len(self.scores) - len(self.ring)), hi)

    def transitions_between(self, a: int, b: int) -> None:
        """Find the transition from frame a's shot to frame b's (progress_span), first
        between a and b on every other frame (when there are more than GRADUAL_COARSE), then
        on every frame between the frames just outside what that found, so that motion in
        either shot far from the transition cannot stretch it. Then look for
        another on either side of it (two transitions back to back share one run of marks),
        where the frames at either end of that side differ like two shots. Each span is
        kept with its sweep."""
        frames = [self.at(k).lanes for k in range(a, b + 1)]
        picks = list(range(0, len(frames), 2 if len(frames) > GRADUAL_COARSE else 1))
        if picks[-1] != len(frames) - 1:           # the first look takes every other frame
            picks.append(len(frames) - 1)
        span = progress_span([frames[k] for k in picks], self.cell_bytes)
        if span is None:
            return
        before, after = picks[span[0] - 1], picks[span[1]]
        outer_first, outer_stop = a, b
        a, frames = a + before, frames[before:after + 1]
        first, stop, _ = progress_span(frames, self.cell_bytes) or (1, len(frames) - 1, ())
        self.add_span(a + first, a + stop, self.sweep(frames, first, stop))
        if self.differ_like_shots(outer_first, a + first - 1):
            self.transitions_between(outer_first, a + first - 1)
        if self.differ_like_shots(a + stop, outer_stop):
            self.transitions_between(a + stop, outer_stop)

    def sweep(self, frames: list[tuple[int, int]], first: int, stop: int) -> float:
        """How a transition hands the picture over, from the cells whose two shots differ
        (WIPE_APART): the share of its frames in which some but not most of them (15% to
        85%) are already nearer the new shot. A blend moves every cell at once, so they all
        cross half way together; a wipe, however soft its edge, crosses them a region at a
        time. 0 unless the cells that crossed at the middle frame form regions
        (WIPE_COHERENT of neighbouring pairs agree): a dissolve pixel by pixel crosses them
        at scattered times, in no region."""
        n, before, after = self.cell_bytes, frames[first - 1], frames[stop]
        where = apart_flags(before, after, n, WIPE_APART)
        total = where.bit_count()
        if total < 0.05 * n or stop - first < 2:
            return 0.0
        crossed = [nearer_flags(before, frames[k], after, n) & where
                   for k in range(first, stop)]
        shares = [flags.bit_count() / total for flags in crossed]
        middle = min(range(len(shares)), key=lambda k: abs(shares[k] - 0.5))
        pairs, disagree = flag_agreement(crossed[middle], where, self.cell_columns)
        if not pairs or disagree > (1 - WIPE_COHERENT) * pairs:
            return 0.0
        return sum(1 for share in shares if 0.15 < share < 0.85) / len(shares)

    def add_span(self, first: int, stop: int, sweep: float) -> None:
        """Keep a transition's span, joined with a span found before that is a piece of the
        same transition: one that ends or starts within P frames of it, where the frames
        between the two pieces lie between the shot before both and the shot after both
        (collinear: |a - g|^2 + |g - b|^2 at most GRADUAL_PIECES x |a - b|^2; a blend half
        way gives 1/2, a third shot about 2), and not at either end (each piece carries
        GRADUAL_PIECE_MIN of it); or two wipes (WIPE_SWEEP) at most WIPE_GAP frames apart,
        whose moving edge the windows lost for a moment (a slide is not collinear). Motion can
        spoil the windows over the middle of a long transition and split its run of marks."""
        oldest = len(self.scores) - len(self.ring)
        for k, (f0, s0, w0) in enumerate(self.spans):
            one, other = ((f0, s0), (first, stop)) if f0 < first else ((first, stop), (f0, s0))
            if not -FLASH_MAX_FRAMES <= other[0] - one[1] <= FLASH_MAX_FRAMES:
                continue
            before, after = one[0] - 1, other[1]
            between = (one[1] + other[0]) // 2
            if before < oldest or after >= len(self.scores):
                continue
            a, g, b = (self.at(j).lanes for j in (before, between, after))
            apart = square_distance(a, b, self.cell_bytes)
            to_a, to_b = (square_distance(a, g, self.cell_bytes),
                          square_distance(g, b, self.cell_bytes))
            collinear = apart and to_a + to_b <= GRADUAL_PIECES * apart and min(to_a, to_b) >= (
                GRADUAL_PIECE_MIN * apart)
            if collinear or (other[0] - one[1] <= WIPE_GAP and min(sweep, w0) >= WIPE_SWEEP):
                del self.spans[k]
                self.add_span(min(first, f0), max(stop, s0), max(sweep, w0))
                return
        self.spans.append((first, stop, sweep))

    def differ_like_shots(self, start: int, end: int) -> bool:
        """Whether frames start and end (both in the ring) differ like two shots: as much
        as a cut, on cells (cut_floor) and on histograms (CUT_HIST_MIN)."""
        if end - start < 2 or start < len(self.scores) - len(self.ring):
            return False
        one, other = self.at(start), self.at(end)
        return (sad_lanes(one.lanes, other.lanes, self.cell_bytes)
                >= self.cut_floor * self.cell_bytes * LUMA_MAX
                and histogram_distance(one.hist, other.hist) >= CUT_HIST_MIN)

    def looks_gradual(self, start: int, end: int) -> bool:
        """Whether frames start and end differ like a gradual change of shot (see
        gradual_windows): GRADUAL_MIN_CHANGE on cells and CUT_HIST_MIN on histograms, at
        least GRADUAL_DIRECTED of the frame-to-frame changes between them, and no frame
        carrying GRADUAL_MAX_SHARE of it, nor a change that stands out like a cut."""
        if end - start < 2 or start < len(self.scores) - len(self.ring):
            return False
        path = self.climb[end + 1] - self.climb[start + 1]
        if path < GRADUAL_MIN_CHANGE:        # the cheap tests first: most windows stop here
            return False
        one, other = self.at(start), self.at(end)
        if histogram_distance(one.hist, other.hist) < CUT_HIST_MIN:
            return False
        across = sad_lanes(one.lanes, other.lanes, self.cell_bytes) / (self.cell_bytes * LUMA_MAX)
        window = self.cell_change[start + 1:end + 1]
        peak = max(window)
        if across < GRADUAL_MIN_CHANGE or peak >= GRADUAL_MAX_SHARE * across:
            return False
        if self.stands_out(start + 1 + window.index(peak)):
            return False          # a fade, then a cut: two events (the cut's share can be small)
        if self.block_bytes and self.block_distance(one, other) < GRADUAL_BLOCK_SHARE * across:
            return False                     # a texture coarser than a cell moved (detect_cuts)
        if self.exposure_change(start, end):
            return False                     # the light changed, not the shot
        if across >= GRADUAL_DIRECTED * path:
            return True
        # strong motion in either shot adds up along the path; the middle frame of a blend
        # still lies between the ends (collinear), a frame of motion does not
        middle = self.at((start + end) // 2).lanes
        apart = square_distance(one.lanes, other.lanes, self.cell_bytes)
        return (square_distance(one.lanes, middle, self.cell_bytes)
                + square_distance(middle, other.lanes, self.cell_bytes)) <= GRADUAL_LINE * apart

    def exposure_change(self, a: int, b: int) -> bool:
        """Whether frame b is frame a (both in the ring) in another light (exposure_change)."""
        return exposure_change(lane_bytes(self.at(a).lanes, self.cell_bytes),
                               lane_bytes(self.at(b).lanes, self.cell_bytes))

    def result(self) -> MotionAnalysis:
        """The analysis. The last P frames' persistence looks as far as the video goes, and
        the runs of gradual marks still open are closed."""
        count = len(self.scores)
        for i in range(max(1, count - FLASH_MAX_FRAMES), count):
            self.persistence(i, count - 1)
        while self.runs:
            self.close_run(self.runs.pop(0))
        return MotionAnalysis(self.fps, self.width, self.height, self.stride, self.scores,
                              self.hist_short, self.hist_long, self.diff_long,
                              bytes(self.gradual), self.cell_change, bytes(self.flat),
                              self.brightness, self.chroma_change, self.chroma_long,
                              tuple(self.spans), self.block_change, bytes(self.relit))


MAX_BOX_SIDE = 16                  # box_downscale's limit: a 16x16 sum of bytes fits 16 bits


def box_downscale(plane: bytes, width: int, height: int, box: int) -> bytes:
    """The mean of each whole box x box block, rounded half up (box a power of two up to
    MAX_BOX_SIDE). Pixels pair into 16-bit lanes of one integer (even + odd), then shifted
    copies add neighbouring lanes and rows; each mean ends up in a lane's high byte."""
    assert box & (box - 1) == 0 and box <= MAX_BOX_SIDE
    out_w, out_h = width // box, height // box
    if width % 2:                  # lanes hold pixel pairs; the odd last column is in no block
        plane = b"".join(plane[r * width:r * width + width - 1] for r in range(height))
        width -= 1
    plane = plane[:out_h * box * width]
    value = int.from_bytes(plane, "little")
    low_bytes, half = box_masks(lane_count(len(plane)), box)
    lanes = (value & low_bytes) + ((value >> 8) & low_bytes)   # lane j: pixels 2j + 2j+1
    span = 2
    while span < box:              # lane j gathers pixels 2j .. 2j + 2 span - 1
        lanes += lanes >> (8 * span)
        span *= 2
    rows = 1
    while rows < box:              # and the same columns of the rows below
        lanes += lanes >> (8 * width * rows)
        rows *= 2
    shift = 2 * (box.bit_length() - 1)                        # log2(box * box)
    lanes = (lanes + half) << (8 - shift)                      # round; the mean is the high byte
    data = lanes.to_bytes((lanes.bit_length() + 7) // 8 + 1, "little")
    return b"".join(data[r * box * width + 1:r * box * width + 1 + out_w * box:box]
                    for r in range(out_h))


@functools.lru_cache(maxsize=16)
def box_masks(lanes: int, box: int) -> tuple[int, int]:
    """For `lanes` 16-bit lanes: the low-byte mask, and half of box x box in every lane."""
    ones = int.from_bytes(b"\x01\x00" * lanes, "little")
    return ones * 0xFF, ones * (box * box // 2)


# ----------------------------------------------------------------------------------------------
# §10 Evaluation files
# Text input read alike from files and stdin, the ground-truth formats (GT_FORMATS), JSONL
# answers, lmms-eval samples files and their readers, the JSON Schema, the VideoMME CSV.
# ----------------------------------------------------------------------------------------------

# Reading evaluation files ----------------------------------------------------------------------
# Predictions: JSONL, one object per line. Our own lines carry the truth: {"id", "output",
# "gt": [s, e] or {"start", "end", "event"}, "duration"?}. Or give --gt in one of three public
# formats, each an entry of GT_FORMATS that says how ids are matched. An lmms-eval samples file is
# recognised from its fields and re-scored as it is (evaluate_samples).

MAX_BAD_LINES_SHOWN = 50
MAX_GT_BYTES = 512 * 2**20             # a truth, durations or events file is read whole
MAX_LINE_CHARS = 4 * 2**20             # one JSONL line; longer ones are reported and skipped
MAX_JSON_INT_DIGITS = 300              # longer JSON integers are read as (infinite) floats
LINE_TOO_LONG = "\x00(line too long)\x00"   # what read_lines gives for such a line (by identity)


def read_lines(path: str) -> Iterator[tuple[int, str]]:
    """(line number, text) of a text file or stdin, streamed: byte-order marks are dropped,
    undecodable bytes are replaced, and a line longer than MAX_LINE_CHARS comes back as
    LINE_TOO_LONG (the rest of it skipped), so one line never holds more than that."""
    stream = open_text(path)
    try:
        number = 0
        while True:
            line = stream.readline(MAX_LINE_CHARS + 1)
            if not line:
                return
            number += 1
            if len(line) > MAX_LINE_CHARS:
                while line and not line.endswith("\n"):
                    line = stream.readline(MAX_LINE_CHARS)
                yield number, LINE_TOO_LONG
            else:
                if line.endswith("\r\n"):
                    line = line[:-2] + "\n"
                # A mark at the start of a line, too: files joined with `cat` carry theirs.
                yield number, line[1:] if line.startswith("\ufeff") else line
    finally:
        release_text(stream, path)


def release_text(stream, path: str) -> None:
    """Close a file; for stdin, let go of the wrapper without closing stdin itself."""
    if path != "-":
        stream.close()
    elif stream is not sys.stdin:
        stream.detach()


def open_text(path: str):
    """A UTF-8 text stream of a file, or of stdin for `-`, read the same way."""
    check_readable_file(path)
    if path == "-":
        raw = getattr(sys.stdin, "buffer", None)
        if raw is None:
            return sys.stdin                   # already text (a test's StringIO)
        return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="\n")
    try:
        # newline="\n": lines end at \n only (\r\n is trimmed by split_lines and read_lines);
        # a U+2028, a form feed or a lone \r inside a JSON string or a sentence is text.
        return open(path, encoding="utf-8-sig", errors="replace", newline="\n")
    except OSError as error:
        raise UserError(f"{path}: cannot read: {error.strerror or error}") from None


def check_readable_file(path: str) -> None:
    """A file or pipe to read: not a folder, not a device (/dev/zero never ends), and there."""
    if path == "-":
        if sys.stdin is None:
            raise UserError("stdin is closed; there is nothing to read")
        return
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        broken = os.path.islink(path)
        raise UserError(f"{path}: " + ("a symlink to nothing" if broken else "no such file")) \
            from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise UserError(f"{path}: a symlink loop") from None
        raise UserError(f"{path}: cannot read: {error.strerror or error}") from None
    if stat.S_ISDIR(mode):
        raise UserError(f"{path}: is a folder, not a file")
    if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
        raise UserError(f"{path}: is a device, not a file")


def split_lines(text: str) -> list[str]:
    """A file's lines, split at \n and \r\n only, as every other reader of these files
    splits them (str.splitlines also splits at U+2028, form feeds and more)."""
    return [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]


def read_text_file(path: str, limit: int = MAX_GT_BYTES) -> str:
    """A whole text file the user named (at most `limit` characters), read like read_lines."""
    handle = open_text(path)
    try:
        text = handle.read(limit + 1)
    finally:
        release_text(handle, path)
    if len(text) > limit:
        raise UserError(f"{path}: over {limit:,} characters; this file is read whole")
    return text


def json_int(text: str) -> int | float:
    """A JSON integer; past MAX_JSON_INT_DIGITS digits, a float (infinity past 308 digits),
    which then fails where numbers are checked: no time, id or count is that long, and int()
    of thousands of digits is slow and capped (Python's int_max_str_digits)."""
    return int(text) if len(text) <= MAX_JSON_INT_DIGITS else float(text)


def parse_json(text: str) -> object:
    """json.loads with long integers as floats; nesting too deep is a ValueError too."""
    try:
        return JSON_READER.decode(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None


JSON_READER = json.JSONDecoder(parse_int=json_int)     # one decoder, not one per line


def finite_number(value: object) -> float | None:
    """A JSON number as a finite float, or None (not a number, a boolean, NaN, infinity)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


DUPLICATE_KEY = "the key "


def unique_keys(pairs: list[tuple[str, object]]) -> dict:
    """A JSON object, refusing a key written twice (json.loads would keep the last silently)."""
    found = dict(pairs)
    if len(found) < len(pairs):
        seen = set()
        twice = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise ValueError(f"{DUPLICATE_KEY}{twice[:60]!r} appears twice in one object")
    return found


def checked_duration(value: object, where: str, truth_end: float | None = None) -> float | None:
    """A video's duration from a truth file: absent is None; otherwise a finite number above 0
    that the truth fits inside, or the file is refused."""
    if value is None:
        return None
    duration = finite_number(value)
    if duration is None or duration <= 0:
        raise UserError(f"{where}: duration must be a number of seconds above 0, got "
                        f"{json.dumps(value)[:40]}")
    if truth_end is not None and truth_end > duration:
        raise UserError(f"{where}: the truth ends at {truth_end:g} s, after the video's "
                        f"{duration:g} s duration; one of them is wrong")
    return duration


def truth_from_value(value: object, where: str) -> GroundTruth:
    """A GroundTruth from a `gt` value, [start, end] or {start, end, event}; anything else, or
    numbers that are not finite with 0 <= start <= end, is a UserError at `where`."""
    if type(value) is list and len(value) == 2:          # the common [start, end], fast
        start, end = value
        if type(start) in (int, float) and type(end) in (int, float) and \
                0 <= start <= end < math.inf:
            return GroundTruth(float(start), float(end))
    if isinstance(value, dict):
        start, end, event = value.get("start"), value.get("end"), value.get("event")
    elif isinstance(value, list) and len(value) == 2:
        (start, end), event = value, None
    else:
        raise UserError(f"{where}: gt must be [start, end] or {{start, end, event}}")
    first, last = finite_number(start), finite_number(end)
    if first is None or last is None or not 0 <= first <= last:
        shown = f"{json.dumps(start)[:30]}, {json.dumps(end)[:30]}"
        raise UserError(f"{where}: a truth needs finite numbers 0 <= start <= end, got {shown}")
    return GroundTruth(first, last, event if isinstance(event, str) else None)


def activitynet_truths(data: dict, path: str) -> dict[str, GroundTruth]:
    """id -> truth of an ActivityNet Captions object: `vid#n` for its n-th timestamp pair, with
    that sentence and the video's duration (checked to hold every span). A file of another
    shape, or a bad span, is a UserError."""
    if not data or not all(isinstance(v, dict) and "timestamps" in v for v in data.values()):
        raise UserError(f"{path}: an ActivityNet Captions file maps each video to "
                        "{duration, timestamps, sentences}")
    truths: dict[str, GroundTruth] = {}
    for vid, entry in data.items():
        spans = entry["timestamps"]
        if not isinstance(spans, list):
            raise UserError(f"{path}: video {vid[:60]!r}: timestamps must be a list")
        sentences = entry.get("sentences") if isinstance(entry.get("sentences"), list) else []
        checked = [truth_from_value(span, f"{path}: {vid[:60]}#{n}")
                   for n, span in enumerate(spans)]
        duration = checked_duration(entry.get("duration"), f"{path}: video {vid[:60]!r}",
                                    max((t.end for t in checked), default=None))
        for n, truth in enumerate(checked):
            sentence = (sentences[n] if n < len(sentences) and isinstance(sentences[n], str)
                        else None)
            truths[f"{vid}#{n}"] = GroundTruth(truth.start, truth.end, sentence, duration)
    return truths


def qvhighlights_truths(text: str, path: str) -> dict[str, GroundTruth]:
    """qid -> truth of QVHighlights JSON lines: every relevant window (the first as the span),
    the query and the checked duration. A line that is not QVHighlights, a qid seen twice,
    or a file without truth is a UserError."""
    truths: dict[str, GroundTruth] = {}
    first_line: dict[str, int] = {}
    for number, line in enumerate(split_lines(text), 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            item = parse_json(line)
        except ValueError as error:
            raise UserError(f"{where}: not a QVHighlights line (not JSON: {error})") from None
        if not isinstance(item, dict) or "qid" not in item or \
                not isinstance(item.get("relevant_windows"), list) or not item["relevant_windows"]:
            raise UserError(f"{where}: not a QVHighlights line ({{qid, duration, "
                            "relevant_windows})")
        windows = tuple((t.start, t.end) for t in (truth_from_value(w, where)
                                                   for w in item["relevant_windows"]))
        qid = str(item["qid"])
        if qid in first_line:
            raise UserError(f"{where}: qid {qid[:40]!r} again (first on line {first_line[qid]})")
        first_line[qid] = number
        duration = checked_duration(item.get("duration"), where, max(e for _, e in windows))
        query = item.get("query") if isinstance(item.get("query"), str) else None
        truths[qid] = GroundTruth(windows[0][0], windows[0][1], query, duration, windows,
                                  saliency_of(item, where))
    if not truths:
        raise UserError(f"{path}: no ground truth in this file")
    return truths


def saliency_of(item: dict, where: str) -> tuple[tuple[int, tuple[int, ...]], ...]:
    """A QVHighlights line's relevant_clip_ids with their saliency_scores (three annotators'
    0-4 each); () when the line has none (a test split); a malformed pair is a UserError."""
    clips, scores = item.get("relevant_clip_ids"), item.get("saliency_scores")
    if clips is None and scores is None:
        return ()
    if not (isinstance(clips, list) and isinstance(scores, list) and len(clips) == len(scores)):
        raise UserError(f"{where}: relevant_clip_ids and saliency_scores must be lists of the "
                        "same length")
    pairs = []
    for clip, score in zip(clips, scores):
        if isinstance(clip, bool) or not isinstance(clip, int) or clip < 0 or not (
                isinstance(score, list) and len(score) == QVH_ANNOTATORS and all(
                    isinstance(v, int) and not isinstance(v, bool) for v in score)):
            raise UserError(f"{where}: clip {str(clip)[:20]} needs an id >= 0 and "
                            f"{QVH_ANNOTATORS} whole saliency scores, got {str(score)[:40]}")
        pairs.append((clip, tuple(score)))
    return tuple(pairs)


def charades_truths(text: str, path: str) -> dict[str, GroundTruth]:
    """id -> truth of Charades-STA lines `vid start end##sentence`: `vid#n`, n counting that
    video's lines from 0, with the sentence as the event. A malformed line, a bad span or a
    file without truth is a UserError."""
    truths: dict[str, GroundTruth] = {}
    counts: dict[str, int] = {}
    for number, line in enumerate(split_lines(text), 1):
        if not line.strip():
            continue
        head, sep, sentence = line.partition("##")
        parts = head.split()
        try:
            if not sep or len(parts) != 3:
                raise ValueError
            vid, start, end = parts[0], float(parts[1]), float(parts[2])
        except ValueError:
            raise UserError(f"{path}:{number}: expected `vid start end##sentence`, "
                            f"got {line[:60]!r}") from None
        truth = truth_from_value([start, end], f"{path}:{number}")
        n = counts.get(vid, 0)
        counts[vid] = n + 1
        truths[f"{vid}#{n}"] = GroundTruth(truth.start, truth.end, sentence.strip())
    if not truths:
        raise UserError(f"{path}: no ground truth in this file")
    return truths


class TruthFormat(NamedTuple):
    """A ground-truth file format: how prediction ids are matched to it, and its reader (which
    takes the file's text, or for ActivityNet its parsed object, and the path for messages)."""
    description: str
    read: Callable[[object, str], dict[str, GroundTruth]]


# The formats --gt reads, by name: adding one is one entry here and a rule in truth_format_of.
GT_FORMATS = {
    "charades": TruthFormat(
        "Charades-STA text, `vid start end##sentence`; prediction id = vid#n, n the 0-based "
        "order of that video's queries in the file", charades_truths),
    "activitynet": TruthFormat(
        "ActivityNet Captions JSON {vid: {duration, timestamps, sentences}}; prediction id = "
        "vid#n, n the index of the sentence", activitynet_truths),
    "qvhighlights": TruthFormat(
        "QVHighlights JSONL {qid, duration, relevant_windows}; prediction id = qid, answers as "
        "text `output` or ranked `pred_relevant_windows` [[s, e, score]]", qvhighlights_truths),
}


def load_ground_truth(path: str) -> tuple[str, dict[str, GroundTruth]]:
    """(format name, id -> truth) of a Charades-STA, ActivityNet Captions or QVHighlights file.
    Every number is checked as it enters; a repeated id and a duration the truth does not fit
    in are refused, since either would score answers against the wrong truth."""
    name, content = truth_format_of(read_text_file(path), path)
    return name, GT_FORMATS[name].read(content, path)


def truth_format_of(text: str, path: str) -> tuple[str, object]:
    """Which GT_FORMATS entry a truth file is, and what its reader takes: one JSON object is
    ActivityNet (its parsed object), JSON lines are QVHighlights, anything else Charades-STA."""
    if not text.lstrip().startswith("{"):
        return "charades", text
    try:
        data = json.loads(text, parse_int=json_int, object_pairs_hook=unique_keys)
    except RecursionError:
        raise UserError(f"{path}: nested too deeply to read") from None
    except ValueError as error:
        if str(error).startswith(DUPLICATE_KEY):
            raise UserError(f"{path}: {error}") from None
        data = None                            # not one JSON object: QVHighlights lines
    if isinstance(data, dict) and "qid" not in data:
        return "activitynet", data
    return "qvhighlights", text                # JSON lines, maybe just one


def answer_duration(durations: dict[str, float], ident: str) -> float | None:
    """A --duration-file length for an answer: by its id, or the id before '#' (vidA#0)."""
    return durations.get(ident) or durations.get(ident.split("#")[0])


def video_duration(durations: dict[str, float], video: str) -> float | None:
    """A --duration-file length for a samples file's video, with or without its extension."""
    return durations.get(video) or durations.get(video.rsplit(".", 1)[0])


def load_durations(path: str) -> dict[str, float]:
    """{id: seconds} from a JSON object or JSONL lines {"id", "duration"}; ids once each."""
    text = read_text_file(path)
    try:
        data = json.loads(text, parse_int=json_int, object_pairs_hook=unique_keys)
        items = [(str(k), v, path) for k, v in data.items()] if isinstance(data, dict) else None
    except RecursionError:
        raise UserError(f"{path}: nested too deeply to read") from None
    except ValueError as error:
        if str(error).startswith(DUPLICATE_KEY):
            raise UserError(f"{path}: {error}") from None
        items = None
    if items is None:
        items, first_line = [], {}
        for number, line in enumerate(split_lines(text), 1):
            if line.strip():
                try:
                    row = parse_json(line)
                    key, value = str(row["id"]), row["duration"]
                except (ValueError, KeyError, TypeError):
                    raise UserError(f"{path}:{number}: expected {{\"id\", \"duration\"}}") from None
                if key in first_line:
                    raise UserError(f"{path}:{number}: id {key[:40]!r} again (first on line "
                                    f"{first_line[key]})")
                first_line[key] = number
                items.append((key, value, f"{path}:{number}"))
    durations = {}
    for key, value, where in items:
        duration = checked_duration(value, f"{where}: {key[:40]!r}")
        if duration is None:
            raise UserError(f"{where}: {key[:40]!r} has no duration")
        durations[key] = duration
    return durations


def load_events_file(path: str) -> tuple[Event, ...]:
    """A user's ground truth: a JSON list of {"event", "start", "end"} in seconds (or
    "start_s" and "end_s", as synth --json writes events)."""
    text = read_text_file(path)
    try:
        data = parse_json(text)
    except (ValueError, RecursionError) as error:
        raise UserError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(data, list) or not data:
        raise UserError(f"{path}: expected a non-empty JSON list of {{event, start, end}}")
    events = []
    for k, item in enumerate(data):
        where = f"{path}: item {k}"
        if not isinstance(item, dict) or not isinstance(item.get("event"), str):
            raise UserError(f"{where}: needs a string `event`")
        truth = truth_from_value({"start": item.get("start", item.get("start_s")),
                                  "end": item.get("end", item.get("end_s"))}, where)
        if truth.end <= truth.start:
            raise UserError(f"{where}: end must be after start")
        events.append(Event(item["event"], truth.start, truth.end))
    return tuple(events)


class BadLines:
    """The lines that could not be used: the first MAX_BAD_LINES_SHOWN kept, all counted."""

    def __init__(self) -> None:
        self.shown: list[dict] = []
        self.count = 0

    def add(self, number: int, reason: str) -> None:
        """Count a line that could not be used, keeping its reason if few are kept yet."""
        self.count += 1
        if len(self.shown) < MAX_BAD_LINES_SHOWN:
            self.shown.append({"line": number, "reason": reason})

    def report(self) -> dict:
        """The bad lines kept (with their numbers and reasons) and how many there were."""
        return {"bad_lines": self.shown, "bad_line_count": self.count}


def json_lines(lines: Iterable[tuple[int, str]], bad: BadLines) -> Iterator[tuple[int, dict]]:
    """(line number, object) of each JSONL line that is a JSON object; others go to `bad`."""
    for number, line in lines:
        if line is LINE_TOO_LONG:
            bad.add(number, f"longer than {MAX_LINE_CHARS:,} characters; not read")
            continue
        if not line.strip():
            continue
        try:
            item = parse_json(line)
        except ValueError as error:
            bad.add(number, f"not JSON ({str(error)[:60]})")
            continue
        if not isinstance(item, dict):
            bad.add(number, "not a JSON object")
            continue
        yield number, item


class EvalOptions(NamedTuple):
    """How evaluate scores: the tolerance in seconds, the parse policy, the width in seconds a
    point answer gets for IoU (None: IoU 0), lmms-eval compatibility, whether to list every
    answer's reading, and the step the truth of a samples file is rounded to."""
    tolerance: float = DEFAULT_TOLERANCE_S
    policy: ParsePolicy = ParsePolicy()
    point_as_interval: float | None = None
    compat: str | None = None
    details: bool = False
    gt_round: float | None = None


def windows_reading(value: object, duration: float | None, policy: ParsePolicy) -> Reading:
    """QVHighlights-style ranked [[start, end, score], ...] as a reading, its numbers checked
    like any answer's (NaN fails, a reversed window fails or is swapped, out-of-video flagged)."""
    if not isinstance(value, list):
        return unread("missing_field", "pred_relevant_windows is not a list", "windows")
    predictions = []
    for window in value[:MAX_PREDICTIONS]:
        if not (isinstance(window, list) and len(window) >= 2 and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in window[:3])):
            return unread("missing_field", f"window {str(window)[:60]} is not [start, end, score]",
                          "windows")
        start, end = (finite_number(v) for v in window[:2])
        score = finite_number(window[2]) if len(window) > 2 else None
        if start is None or end is None or (len(window) > 2 and score is None):
            return unread("not_finite", f"window {str(window)[:60]} has NaN or infinity",
                          "windows")
        predictions.append(Prediction("interval", start, end, "windows", None, score, "ranked"))
    if not predictions:
        return unread("no_time_found", "no windows", "windows")
    return apply_policies(Reading(tuple(predictions), None, "windows"), duration, policy)


def ranked_windows(item: dict, reading: Reading) -> tuple[tuple[float, float, float], ...]:
    """A QVHighlights answer's windows as the evaluator ranks them: pred_relevant_windows as
    given (when they read), or a free-text answer's intervals in its own order (scores falling
    with rank); () when nothing was read."""
    if not reading.predictions:
        return ()
    if "pred_relevant_windows" in item and item.get("output") is None:
        return tuple((float(w[0]), float(w[1]), float(w[2]) if len(w) > 2 else 0.0)
                     for w in item["pred_relevant_windows"][:MAX_PREDICTIONS])
    spans = [p for p in reading.predictions if p.kind == "interval"]
    return tuple((p.start, p.end, float(len(spans) - k)) for k, p in enumerate(spans))


def tool_document(summary: dict, options: EvalOptions) -> dict:
    """This tool's scores as the top of the evaluate document: counts, accuracy at the chosen
    tolerance with its rule, mean error, R1, mIoU, recall at k, failures, flags, clipped."""
    return {"n": summary["n"], "parsed": summary["parsed"], "parse_rate": summary["parse_rate"],
            "tolerance_s": options.tolerance, "tolerance_rule": TOLERANCE_RULE,
            "accuracy": summary["accuracy_by_tolerance"][f"{options.tolerance:g}"],
            "mean_abs_error_s": summary["mean_abs_error_s"],
            "median_abs_error_s": summary["median_abs_error_s"], "r1": summary["r1"],
            "miou": summary["miou"], "recall_at_k_iou_0_5": summary["recall_at_k_iou_0.5"],
            "failure_counts": summary["failure_counts"], "flag_counts": summary["flag_counts"],
            "clipped": summary["clipped"],
            "clipped_unknown_length": summary["clipped_unknown_length"]}


class AnswerLine(NamedTuple):
    """One usable line of a predictions file: its line number and id, the reading of its answer,
    its truth, the video's duration if known, and the `output` text (None for ranked windows)."""
    number: int
    ident: str | None
    reading: Reading
    truth: GroundTruth
    duration: float | None
    output: str | None


def answer_line(number: int, item: dict, truths: dict[str, GroundTruth] | None,
                durations: dict[str, float], policy: ParsePolicy) -> AnswerLine | str | None:
    """One of our JSONL lines read: the answer, its truth and duration; a reason when the line
    is bad; None when it has no truth in --gt (reported apart)."""
    ident = item["id"] if "id" in item else item.get("qid")
    if type(ident) is not str:
        ident = None if ident is None or isinstance(ident, (dict, list)) else str(ident)
    output = item.get("output")
    if output is None and "pred_relevant_windows" not in item:
        return "no `output` field"
    if output is not None and not isinstance(output, str):
        return "`output` is not a string"
    if truths is not None:
        truth = truths.get(ident) if ident is not None else None
        if truth is None:
            return None
    elif "gt" not in item:
        return "no `gt` field (give --gt FILE for predictions without truth)"
    try:
        if truths is None:
            truth = truth_from_value(item["gt"], f"line {number}")
        duration = item.get("duration")
        if duration is None:
            pass
        elif type(duration) in (int, float) and truth.end <= duration < math.inf and duration > 0:
            duration = float(duration)                  # the common case, checked quickly
        else:
            duration = checked_duration(duration, f"line {number}", truth.end)
    except UserError as error:
        return str(error).split(": ", 1)[-1]
    if duration is None:
        duration = truth.duration
        if duration is None and durations and ident is not None:
            duration = answer_duration(durations, ident)
            if duration is not None and truth.end > duration:
                return (f"the truth ends at {truth.end:g} s, after the video's {duration:g} s "
                        "in --duration-file; one of them is wrong")
    reading = (parse_grounding(output, duration, policy) if output is not None
               else windows_reading(item["pred_relevant_windows"], duration, policy))
    return AnswerLine(number, ident, reading, truth, duration, output)


def evaluate_lines(lines: Iterable[tuple[int, str]], truths: dict[str, GroundTruth] | None,
                   durations: dict[str, float], options: EvalOptions) -> dict:
    """Score a stream of prediction lines (an lmms-eval samples file goes to
    evaluate_samples). Bad lines are reported and skipped; memory holds running sums (and
    the ids seen, to report truth without predictions)."""
    first, stream = first_json_object(lines)
    task = harness_task_of(first) if isinstance(first, dict) else None
    if task is not None:
        return evaluate_samples(stream, task, durations, options)
    scores = AnswerScores(options, durations)
    for number, item in json_lines(stream, scores.bad):
        scores.add(number, item, answer_line(number, item, truths, durations, options.policy))
    return scores.document(truths)


def first_json_object(lines: Iterable[tuple[int, str]]) -> tuple[object, Iterator]:
    """The first non-blank line as JSON (None if it is not JSON), and every line again, that
    one included: enough to recognise an lmms-eval samples file without reading it twice."""
    lines = iter(lines)
    head = []
    for number, line in lines:
        head.append((number, line))
        if line.strip():
            break
    try:
        first = parse_json(head[-1][1]) if head else None
    except ValueError:
        first = None
    return first, itertools.chain(head, lines)


class AnswerScores:
    """Running scores of answer lines: a Tally per answer format (under --compat, the
    harness's IoUs instead), the bad lines, the ids seen, and with --details each reading."""

    def __init__(self, options: EvalOptions, durations: dict[str, float]) -> None:
        self.options, self.durations = options, durations
        self.duration_file_matches = 0          # ids scored that --duration-file knows
        self.tolerances = (options.tolerance,)
        self.by_format: dict[str, Tally] = {}
        self.bad = BadLines()
        self.seen: dict[str, int] = {}          # id -> the line it was first scored on
        self.without_truth: list[str] = []      # the first MAX_BAD_LINES_SHOWN of them
        self.without_truth_count = 0
        self.details: list[dict] = []
        self.compat_ious: list[float] = []
        self.compat_parsed = 0
        self.ranked: dict[str, tuple] = {}       # QVHighlights: qid -> (windows, saliency)
        self.saliency_bad = 0

    def add(self, number: int, item: dict, got: AnswerLine | str | None) -> None:
        """One line's answer_line(): scored, or counted as bad or as without truth."""
        if got is None:
            self.without_truth_count += 1
            if len(self.without_truth) < MAX_BAD_LINES_SHOWN:
                ident = item.get("id", item.get("qid"))
                self.without_truth.append(f"line {number}" if ident is None else str(ident))
            return
        if isinstance(got, str):
            self.bad.add(number, got)
            return
        if got.ident is not None:
            if got.ident in self.seen:
                self.bad.add(number, f"id {quoted(got.ident)} again (first on line "
                                     f"{self.seen[got.ident]}); only the first is scored")
                return
            self.seen[got.ident] = number
            if self.durations and answer_duration(self.durations, got.ident) is not None:
                self.duration_file_matches += 1
        if self.options.compat:
            found = lmms_eval_extract(got.output or "")
            self.compat_parsed += found is not None
            self.compat_ious.append(0.0 if found is None else
                                    lmms_eval_iou((got.truth.start, got.truth.end), found))
            return
        if got.truth.spans and got.ident is not None:
            self.ranked[got.ident] = (ranked_windows(item, got.reading),
                                      self.predicted_saliency(item))
        score = score_item(got.reading, got.truth, self.tolerances,
                           self.options.point_as_interval, got.duration)
        shape = got.reading.format or "none"
        if shape not in self.by_format:
            self.by_format[shape] = Tally(self.tolerances)
        self.by_format[shape].add(score, got.duration is not None)
        if self.options.details:
            self.details.append({"line": number, "id": got.ident, **got.reading.as_dict(),
                                 "iou": score.iou, "hit": score.hit[0],
                                 "abs_error_s": score.abs_error_s})

    def predicted_saliency(self, item: dict) -> tuple[float, ...] | None:
        """A line's pred_saliency_scores, or None (absent, or not a list of finite numbers,
        which is counted)."""
        value = item.get("pred_saliency_scores")
        if value is None:
            return None
        numbers = [finite_number(v) for v in value] if isinstance(value, list) else [None]
        if not numbers or None in numbers:
            self.saliency_bad += 1
            return None
        return tuple(numbers)

    def qvhighlights(self, truths: dict[str, GroundTruth]) -> dict:
        """QVHighlights' official numbers over every query in the truth: one without a
        prediction is a miss; predictions without truth were reported already."""
        queries = []                 # in the predictions' order, as the evaluator averages
        for qid in list(self.ranked) + [q for q in truths if q not in self.ranked]:
            truth = truths[qid]
            windows, saliency = self.ranked.get(qid, (None, None))
            clips = int(truth.duration / QVH_CLIP_S) if truth.duration else 0
            queries.append(QvhQuery(truth.spans, windows, clips, dict(truth.saliency),
                                    saliency))
        judged = any(q.saliency for q in queries) and any(
            q.predicted_saliency for q in queries)
        doc = qvhighlights_scores(queries, judged)
        doc.update(queries=len(queries), without_windows=sum(not q.predicted for q in queries),
                   without_saliency=sum(not q.predicted_saliency for q in queries) if judged
                   else None, saliency_unreadable=self.saliency_bad)
        return doc

    def document(self, truths: dict[str, GroundTruth] | None) -> dict:
        """The evaluation document: this tool's scores overall and per answer format (or the
        harness's, under --compat), bad lines, ids on one side only, and for QVHighlights
        truth its official numbers."""
        missing = sorted(set(truths) - set(self.seen)) if truths is not None else []
        unmatched = {"duration_file_matches": self.duration_file_matches if self.durations
                     else None, "predictions_without_truth": self.without_truth,
                     "predictions_without_truth_count": self.without_truth_count,
                     "truth_without_predictions": missing[:MAX_BAD_LINES_SHOWN],
                     "truth_without_predictions_count": len(missing)}
        if self.options.compat:
            ious, parsed = self.compat_ious, self.compat_parsed
            return {"compat": self.options.compat, "input": "answers", "task": "charades",
                    **harness_fractions(ious), "parsed": parsed,
                    "parse_rate": parsed / len(ious) if ious else 0,
                    **self.bad.report(), **unmatched}
        overall = Tally(self.tolerances)
        for tally in self.by_format.values():
            overall.merge(tally)
        doc = {**tool_document(overall.summary(), self.options), "input": "answers",
               "by_format": {}, **self.bad.report(), **unmatched}
        tolerance = f"{self.options.tolerance:g}"
        for name, tally in sorted(self.by_format.items()):
            part = tally.summary()
            doc["by_format"][name] = {"n": part["n"], "parsed": part["parsed"],
                                      "parse_rate": part["parse_rate"],
                                      "accuracy": part["accuracy_by_tolerance"][tolerance],
                                      "miou": part["miou"], "r1": part["r1"]}
        if self.options.details:
            doc["details"] = self.details
        if truths and next(iter(truths.values())).spans:
            doc["qvhighlights"] = self.qvhighlights(truths)
        return doc


# lmms-eval's readers ----------------------------------------------------------------------------
# lmms-eval's Charades-STA task (lmms_eval/tasks/charades_sta/utils.py, 0.7.2-0.7.3) reads an
# answer like this, quirks included: "to" becomes "-" everywhere (even inside words), only the
# first number of each keyword sentence counts (so one-line JSON and "starts at 12 and ends at
# 16" fail), "24.3s" reads as 24, "2023-05-01" reads as 5-2023, reversed pairs are swapped,
# an unread answer scores IoU 0, thresholds compare without tolerance, results are percentages.
# Its timelens tasks (tasks/timelens/utils.py) read differently: clock times anywhere, then an
# ASCII-hyphen or "to" range, then all numbers in pairs; no swap, and only span[0] of the truth.
# Checked against the real functions on 12,000 generated answers: no difference.

LMMS_PROMPT_EXAMPLE = "a specific example is : 20.8 - 30.0 seconds"
LMMS_KEYWORDS = ("starts", "ends", "happens in", "start time", "end time", "start", "end", "happen")
LMMS_CLOCK_RANGE = LazyPattern(r"\b(\d{1,2}:\d{2}(?::\d{2})?)\s*[–-]\s*"
                               r"(\d{1,2}:\d{2}(?::\d{2})?)\b")
# lmms-eval's patterns, rewritten to find exactly the same matches in linear time: `(?<!\d)`
# stops a match from starting inside a run of digits (one that starts at the run's first
# digit always covers it), `\d+\.?\d*` becomes `\d+(?:\.\d*)?` and `\s*s?\s*` becomes
# `\s*(?:s\s*)?` (the same strings, one way to split them). As published they backtrack: a
# 20,000-digit answer took 27 s.
LMMS_RANGE = LazyPattern(r"(?<!\d)(\d+(?:\.\d+)?)\s*[–-]\s*(\d+(?:\.\d+)?)")
LMMS_NUMBER = LazyPattern(r"\b(\d+(?:\.\d+)?)\b")
LMMS_CLOCK = LazyPattern(r"\b(\d{1,2}:\d{2}(?::\d{2})?)\b")
LMMS_FALLBACK = LazyPattern(r"(?<!\d)(\d+(?:\.\d+)?)\s*(?:s\s*)?[–-]\s*(\d+(?:\.\d+)?)\s*s?")
TIMELENS_CLOCK = LazyPattern(r"\b(\d{1,2}:\d{2}:\d{2}(?:\.\d+)?|\d{1,2}:\d{2}(?:\.\d+)?)\b")
TIMELENS_RANGES = (LazyPattern(r"(?<!\d)(\d+(?:\.\d*)?)\s*-\s*(\d+(?:\.\d*)?)"),
                   LazyPattern(r"(?<!\d)(\d+(?:\.\d*)?)\s+to\s+(\d+(?:\.\d*)?)"))
TIMELENS_NUMBER = LazyPattern(r"\b\d+(?:\.\d*)?\b")


def lmms_clock_seconds(text: str) -> float:
    """A clock time ('1:05', '00:01:05') in seconds, as lmms-eval converts it (no check that the
    parts after the first are below 60)."""
    total = 0.0
    for part in text.split(":"):
        total = total * 60 + float(part)
    return total


def lmms_eval_extract(answer: str) -> tuple[float, float] | None:
    """The interval lmms-eval's Charades-STA reader finds in an answer, or None."""
    text = answer.lower().replace(LMMS_PROMPT_EXAMPLE, "").replace("to", "-")
    sentences = re.split(r"[!?\n]", text)
    candidates = [s for s in sentences if any(k in s for k in LMMS_KEYWORDS)] or sentences
    pairs: list[tuple[float, float]] = []
    for pattern, convert in ((LMMS_CLOCK_RANGE, lmms_clock_seconds), (LMMS_RANGE, float)):
        for sentence in candidates:
            found = pattern.findall(sentence)
            if found:
                pairs = [(convert(a), convert(b)) for a, b in found]
                break
        if pairs:
            break
    if not pairs:
        for pattern, convert, first_only in ((LMMS_CLOCK, lmms_clock_seconds, False),
                                             (LMMS_NUMBER, float, True)):
            times = []
            for sentence in candidates:
                found = pattern.findall(sentence)
                if found:
                    times.extend([convert(found[0])] if first_only else map(convert, found))
            times = times[:len(times) // 2 * 2]
            pairs = [(times[i], times[i + 1]) for i in range(0, len(times), 2)]
            if pairs:
                break
    if not pairs:
        for sentence in candidates:
            found = LMMS_FALLBACK.findall(sentence)
            if found:
                pairs = [(float(a), float(b)) for a, b in found]
                break
    if not pairs:
        return None
    start, end = pairs[0]
    return (start, end) if end > start else (end, start)


def timelens_extract(answer: str) -> tuple[float, float] | None:
    """The first interval lmms-eval's timelens reader finds, as written (not swapped)."""
    text = answer.lower()
    clocks = TIMELENS_CLOCK.findall(text)
    if len(clocks) >= 2:
        values = []
        for clock in clocks[:2]:
            parts = clock.split(":")
            whole = [int(p) for p in parts[:-1]]
            values.append((whole[0] * 3600 + whole[1] * 60 if len(whole) == 2 else whole[0] * 60)
                          + float(parts[-1]))
        return values[0], values[1]
    for pattern in TIMELENS_RANGES:
        found = pattern.search(text)
        if found:
            return float(found.group(1)), float(found.group(2))
    numbers = TIMELENS_NUMBER.findall(text)
    return (float(numbers[0]), float(numbers[1])) if len(numbers) >= 2 else None


def lmms_eval_iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Temporal IoU as lmms-eval computes it: 0 when the union has no length, so two equal
    points score 0 (interval_iou gives 1)."""
    union = max(a[1], b[1]) - min(a[0], b[0])
    return 0.0 if union <= 0 else max(min(a[1], b[1]) - max(a[0], b[0]), 0) / union


# lmms-eval --log_samples files ------------------------------------------------------------------
# A `<date>_samples_<task>.jsonl` file as lmms-eval writes it (../shared/reference/
# lmms-eval-logs.md): no `doc`; the video and the truth live only in the key of the per-sample
# metric dict, `"<video>>>><caption>>>><str(truth)>": "<answer>"`; the truth may be written with
# float16 artefacts ([24.296875, 30.40625]) or as np.float16(...), which the harness cannot read.
# The harness merges the dicts, so a repeated key counts once and its later answer wins; it
# scores its own way (HarnessTask), which is recomputed here to sit beside this tool's scores.


def charades_truth(text: str) -> tuple[float, float]:
    """The Charades-STA harness's truth: ast.literal_eval of the key's last part."""
    import ast
    value = ast.literal_eval(text)
    return finite_pair(value[0], value[1])


def finite_pair(start: object, end: object) -> tuple[float, float]:
    """Two numbers of a harness truth as floats; NaN, infinity or overflow is a ValueError
    (counted as an unreadable truth: the harness itself would score NaN there)."""
    pair = float(start), float(end)                 # OverflowError is an ArithmeticError
    if not all(map(math.isfinite, pair)):
        raise ValueError("not a finite truth")
    return pair


def timelens_truth(text: str) -> tuple[float, float]:
    """The timelens harness's truth: json.loads of the key's last part, span[0] only."""
    value = parse_json(text)
    return finite_pair(value[0][0], value[0][1])


class HarnessTask(NamedTuple):
    """How lmms-eval scores one task family: its reader (top-1 interval or None), its truth
    parser (raises on what it cannot read) and what it does with such an item."""
    name: str
    metric_prefix: str               # of the per-sample fields and the results.json keys
    read: Callable[[str], tuple[float, float] | None]
    truth: Callable[[str], tuple[float, float]]
    unreadable_truth: str            # "zero": scored 0, kept in n; "drop": left out of n
    default_task: str                # the task name when the file name does not say


HARNESS_TASKS = {
    "charades": HarnessTask("charades", "charades_sta_", lmms_eval_extract, charades_truth,
                            "zero", "temporal_grounding_charades"),
    "timelens": HarnessTask("timelens", "timelens_", timelens_extract, timelens_truth, "drop",
                            "timelens_charades"),
}
MAX_KEY_CHARS = 4096                 # a metric key longer than this is not read as a truth
# numpy 2 writes scalars as np.float16(24.3) (lmms-eval with pyarrow < 21 stores truth so)
NUMPY_SCALAR = LazyPattern(r"\b(?:np|numpy)\.(?:float|int)(?:16|32|64)\(")
TRUTH_NUMBER = LazyPattern(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", re.ASCII)


class HarnessItem(NamedTuple):
    """One answer of an lmms-eval samples file: the harness's key (video>>>caption>>>truth), the
    video, the answer it scored, the truth as written, and the line it came from."""
    key: str                         # video>>>caption>>>truth: the harness's identity
    video: str
    answer: str                      # the text the harness scored
    truth_text: str
    line: int


def harness_task_of(item: dict) -> HarnessTask | None:
    """The task family of an lmms-eval samples line, from its metric fields."""
    if "doc_id" not in item or not ("filtered_resps" in item or "target" in item):
        return None
    for key in item:
        if isinstance(key, str):
            if key.startswith("charades_sta_") or key == "submission":
                return HARNESS_TASKS["charades"]
            if key.startswith("timelens_"):
                return HARNESS_TASKS["timelens"]
    return HARNESS_TASKS["charades"] if "target" in item else None


def harness_item(item: dict, task: HarnessTask, number: int) -> HarnessItem | str:
    """The key, answer and truth of one samples line, or why it cannot be read."""
    for field in [k for k in item if isinstance(k, str) and
                  (k.startswith(task.metric_prefix) or k == "submission")][:1]:
        entry = item[field]
        if not (isinstance(entry, dict) and len(entry) == 1):
            return f"`{field}` is not a one-item dict"
        key, answer = next(iter(entry.items()))
        if not isinstance(answer, str) or len(key) > MAX_KEY_CHARS:
            return f"`{field}` holds no answer text"
        video, _, rest = key.partition(">>>")
        return HarnessItem(key, video, answer, rest.rpartition(">>>")[2], number)
    answer = item.get("filtered_resps")           # --predict_only: no key; use the target
    answer = answer[0] if isinstance(answer, list) and answer else answer
    target = item.get("target")
    if not isinstance(answer, str) or not isinstance(target, str):
        return "no metric field and no filtered_resps/target text"
    return HarnessItem(f"line {number}>>>{target}", f"line {number}", answer.strip(), target,
                       number)


def float16(value: float) -> float | None:
    """`value` rounded to the nearest float16 (as a Python float); None past float16's range."""
    try:
        return struct.unpack("<e", struct.pack("<e", value))[0]
    except (OverflowError, struct.error):
        return None


def looks_float16(values: list[float]) -> bool:
    """True when the truth looks like 0.1 s annotations stored as float16 (24.296875)."""
    odd = [v for v in values if round(v, 1) != v]
    return bool(odd) and all(float16(round(v, 1)) == v for v in odd)


def tool_truth(text: str, step: float | None) -> GroundTruth | None:
    """This tool's reading of a harness truth: the first two numbers, in order, rounded to
    `step` seconds when asked (--gt-round); None when there are not two sane numbers."""
    plain = NUMPY_SCALAR.sub("(", text[:MAX_KEY_CHARS])     # np.float16(24.3) -> (24.3)
    numbers = [float(m.group()) for m in TRUTH_NUMBER.finditer(plain)][:2]
    if len(numbers) < 2 or not all(math.isfinite(v) for v in numbers):
        return None
    if step:
        if not all(math.isfinite(v / step) for v in numbers):
            return None                  # too large to round to the step: a bad truth
        numbers = [round(round(v / step) * step, 9) for v in numbers]
    start, end = numbers
    return GroundTruth(start, end) if 0 <= start <= end else None


def harness_fractions(ious: list[float]) -> dict:
    """R1 at each threshold and mIoU as the harness computes them (>= with no epsilon; the
    IoUs added in order), as fractions; the harness prints them x 100 to two decimals."""
    n = len(ious)
    return {"n": n,
            "r1": {f"{t:g}": sum(1 for v in ious if v >= t) / n if n else 0
                   for t in IOU_THRESHOLDS},
            "miou": sum_in_order(ious) / n if n else 0}


def results_file_numbers(path: str, task: HarnessTask, task_name: str) -> dict:
    """lmms-eval's own numbers from a `<date>_results.json` (percent there, fractions here)."""
    text = read_text_file(path)
    try:
        results = parse_json(text)["results"]
    except (ValueError, KeyError, TypeError, RecursionError):
        raise UserError(f"{path}: not an lmms-eval results file (no `results`)") from None
    if not isinstance(results, dict):
        raise UserError(f"{path}: `results` is not an object")
    names = [task_name] + [k for k in results if k != task_name and isinstance(results[k], dict)
                           and f"{task.metric_prefix}mIOU,none" in results[k]]
    entry = next((results[k] for k in names if isinstance(results.get(k), dict)), None)
    metric = (lambda name: entry.get(f"{task.metric_prefix}{name},none")) if entry else None
    values = [metric(name) for name in ("IOU@3", "IOU@5", "IOU@7", "mIOU")] if entry else []
    if not values or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                             and math.isfinite(v) for v in values):
        raise UserError(f"{path}: no {task.metric_prefix}IOU@3/5/7 and mIOU numbers for "
                        f"{task_name}")
    return {"r1": dict(zip(("0.3", "0.5", "0.7"), (v / 100 for v in values[:3]))),
            "miou": values[3] / 100}


def rescue_reason(reading: Reading) -> str:
    """The shape the top answer of a rescued reading came in: `format:form`, or the format alone."""
    top = reading.predictions[0]
    return f"{top.format}:{top.form}" if top.form else top.format


def evaluate_samples(lines: Iterable[tuple[int, str]], task: HarnessTask,
                     durations: dict[str, float], options: "EvalOptions") -> dict:
    """Re-score an lmms-eval samples file: the harness's numbers, recomputed its way, beside
    this tool's on the same items; and the answers the harness could not read and this tool
    could (rescued), by the shape they were written in."""
    bad = BadLines()
    items, lines_read = merged_harness_items(lines, task, bad)
    ious, unread, unreadable = harness_ious(items.values(), task)
    harness_read = len(items) - len(unread)
    tally, truth_values, rescued = tool_scores(items.values(), unread, durations, options, bad)
    matches = sum(video_duration(durations, it.video) is not None
                  for it in items.values()) if durations else None
    if options.compat:
        return {"compat": options.compat, "input": "lmms-eval samples", "task": task.name,
                "duration_file_matches": matches,
                **harness_fractions(ious),
                "parsed": harness_read,
                "parse_rate": harness_read / len(items) if items else 0,
                "unreadable_truth": unreadable, **bad.report()}
    float16_truth = looks_float16(truth_values) if not options.gt_round else False
    return {**tool_document(tally.summary(), options), "input": "lmms-eval samples",
            "task": task.name, "lines": lines_read, "duplicates": lines_read - len(items),
            "duration_file_matches": matches,
            "lmms_eval": {"numbers_from": "recomputed", **harness_fractions(ious),
                          "parsed": harness_read, "unreadable_truth": unreadable},
            "rescued": {"count": sum(rescued.values()), "by_reason": dict(sorted(rescued.items()))},
            "truth": {"float16": float16_truth, "rounded_to_s": options.gt_round},
            **bad.report()}


def merged_harness_items(lines: Iterable[tuple[int, str]], task: HarnessTask,
                         bad: BadLines) -> tuple[dict[str, HarnessItem], int]:
    """The samples file's items by metric key, merged as the harness merges them (a repeated
    key keeps its first place and its later answer), and how many lines were read."""
    items: dict[str, HarnessItem] = {}
    lines_read = 0
    for number, item in json_lines(lines, bad):
        got = harness_item(item, task, number)
        if isinstance(got, str):
            bad.add(number, got)
            continue
        lines_read += 1
        items[got.key] = got
    return items, lines_read


def harness_ious(items: Iterable[HarnessItem], task: HarnessTask
                 ) -> tuple[list[float], set[str], int]:
    """The harness's IoU per item, its own reader and truth (an unreadable truth scores 0 or is
    left out, as the task does), the keys of the answers its reader could not read, and how
    many truths it could not read (np.float16(...) under numpy 2, for one)."""
    ious, unread, unreadable = [], set(), 0
    for item in items:
        try:
            truth = task.truth(item.truth_text)
        except (ValueError, SyntaxError, TypeError, IndexError, KeyError, MemoryError,
                RecursionError, ArithmeticError):
            truth = None
        found = task.read(item.answer)
        if found is None:
            unread.add(item.key)
        if truth is not None:
            ious.append(0.0 if found is None else lmms_eval_iou(truth, found))
            continue
        unreadable += 1
        if task.unreadable_truth == "zero":
            ious.append(0.0)
    return ious, unread, unreadable


def tool_scores(items: Iterable[HarnessItem], unread: set[str], durations: dict[str, float],
                options: "EvalOptions", bad: BadLines) -> tuple[Tally, list[float], Counter]:
    """This tool's scores of the same items (a truth without start <= end is a bad line), the
    truth values seen (to spot float16), and the answers the harness could not read and this
    tool could, by reason."""
    tally, truth_values, rescued = Tally((options.tolerance,)), [], Counter()
    for item in items:
        mine = tool_truth(item.truth_text, options.gt_round)
        if mine is None:
            bad.add(item.line, f"truth {item.truth_text[:40]!r} has no usable start <= end")
            continue
        truth_values += [mine.start, mine.end]
        duration = video_duration(durations, item.video)
        reading = parse_grounding(item.answer, duration, options.policy)
        tally.add(score_item(reading, mine, (options.tolerance,), options.point_as_interval,
                             duration), duration is not None)
        if item.key in unread and reading.failure is None:
            rescued[rescue_reason(reading)] += 1
    return tally, truth_values, rescued


# JSON Schema for grounding answers (exercise 3) -----------------------------------------------

GROUNDING_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://example.invalid/video-vlm-lab/grounding-answer.schema.json",
    "title": "Temporal grounding answer",
    # (each line of the printed schema fits 100 columns, so descriptions stay short)
    "description": "Events with start <= end in seconds (x-start-le-end), or an error.",
    "oneOf": [
        {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/event"}},
        {"$ref": "#/$defs/error"},
    ],
    "$defs": {
        "event": {
            "type": "object",
            "required": ["event", "start", "end", "confidence"],
            "additionalProperties": False,
            "x-start-le-end": True,
            "properties": {
                "event": {"type": "string", "minLength": 1},
                "start": {"type": "number", "minimum": 0},
                "end": {"type": "number", "minimum": 0},
                "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            },
        },
        "error": {
            "type": "object",
            "required": ["error"],
            "additionalProperties": False,
            "properties": {"error": {"enum": ["not_found", "ambiguous", "out_of_video"]}},
        },
    },
}
JSON_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool,
              "null": type(None)}


def schema_type_ok(value: object, kind: str) -> bool:
    """Whether `value` has JSON Schema type `kind`: booleans are not numbers, and an integer may
    be a float with no fraction."""
    if kind in ("number", "integer"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        return kind == "number" or float(value).is_integer()
    return isinstance(value, JSON_TYPES[kind])


def validate(value: object, schema: dict, root: dict, path: str = "$") -> list[tuple[str, str]]:
    """Violations (JSON path, message) of `value` against the subset of JSON Schema that
    GROUNDING_SCHEMA uses: $ref, oneOf, type, enum, required, properties,
    additionalProperties, items, minItems, minimum, maximum, minLength, x-start-le-end."""
    if "$ref" in schema:
        target: object = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part]                               # type: ignore[index]
        return validate(value, target, root, path)              # type: ignore[arg-type]
    if "oneOf" in schema:
        return one_of_problems(value, schema["oneOf"], root, path)
    if "type" in schema and not schema_type_ok(value, schema["type"]):
        return [(path, f"expected {schema['type']}, got {type(value).__name__}")]
    problems: list[tuple[str, str]] = []
    if "enum" in schema and value not in schema["enum"]:
        problems.append((path, f"must be one of {schema['enum']}, got {value!r}"))
    if isinstance(value, dict):
        problems += object_problems(value, schema, root, path)
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            problems.append((path, f"needs at least {schema['minItems']} item(s)"))
        if "items" in schema:
            for k, item in enumerate(value):
                problems += validate(item, schema["items"], root, f"{path}[{k}]")
    if schema_type_ok(value, "number"):
        if "minimum" in schema and value < schema["minimum"]:
            problems.append((path, f"{value} is below the minimum {schema['minimum']}"))
        if "maximum" in schema and value > schema["maximum"]:
            problems.append((path, f"{value} is above the maximum {schema['maximum']}"))
        if not math.isfinite(value):
            problems.append((path, "not a finite number"))
    if isinstance(value, str) and len(value) < schema.get("minLength", 0):
        problems.append((path, "string is too short"))
    return problems


def one_of_problems(value: object, options: list[dict], root: dict,
                    path: str) -> list[tuple[str, str]]:
    """oneOf: none when exactly one shape matches; else the problems of the shape of the same
    type (the useful ones), or a note that more than one matched."""
    results = [validate(value, shape, root, path) for shape in options]
    passing = sum(1 for r in results if not r)
    if passing == 1:
        return []
    if passing > 1:
        return [(path, "matches more than one allowed shape")]
    same_type = [r for r in results if not (r[0][0] == path and r[0][1].startswith("expected "))]
    return min(same_type or results, key=len)


def object_problems(value: dict, schema: dict, root: dict, path: str) -> list[tuple[str, str]]:
    """An object's problems: missing required fields, each property checked, fields not
    allowed, and a start after its end (x-start-le-end)."""
    problems = [(path, f"missing required field {key!r}") for key in schema.get("required", [])
                if key not in value]
    properties = schema.get("properties", {})
    for key, item in value.items():
        if key in properties:
            problems += validate(item, properties[key], root, f"{path}.{key}")
        elif schema.get("additionalProperties") is False:
            problems.append((f"{path}.{key}", "field not allowed"))
    if schema.get("x-start-le-end") and all(
            schema_type_ok(value.get(k), "number") for k in ("start", "end")) \
            and value["start"] > value["end"]:
        problems.append((path, f"start {value['start']} is after end {value['end']}"))
    return problems


def answer_schema_problems(line: str) -> list[tuple[str, str]]:
    """(JSON path, message) for each way one JSONL line's answer breaks the schema: the line
    is a JSON answer, or {"output": text} with the answer inside the text."""
    if line is LINE_TOO_LONG:
        return [("$", f"line longer than {MAX_LINE_CHARS:,} characters; not read")]
    try:
        value = parse_json(line)
        if isinstance(value, dict) and isinstance(value.get("output"), str):
            found = next(json_candidates(value["output"]), None)
            value = found if found is not None else parse_json(value["output"])
    except ValueError as error:
        return [("$", f"not JSON ({error})"[:120])]
    return validate(value, GROUNDING_SCHEMA, GROUNDING_SCHEMA)


MAX_SCORES_BYTES = 2**20              # a VideoMME CSV is a few dozen rows
MAX_SCORE_ROWS = 10_000


def read_scores(path: str) -> list[dict]:
    """A VideoMME CSV: VIDEOMME_COLUMNS, videomme_subs optional; every row and number checked."""
    import csv
    text = read_text_file(path, MAX_SCORES_BYTES)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = []
    try:
        required = [c for c in VIDEOMME_COLUMNS if c != "videomme_subs"]
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise UserError(f"{path}: missing column(s) {', '.join(missing)}; "
                            f"expected {','.join(VIDEOMME_COLUMNS)}")
        for row in reader:
            if len(rows) == MAX_SCORE_ROWS:
                raise UserError(f"{path}: more than {MAX_SCORE_ROWS:,} rows")
            rows.append(videomme_row(row, f"{path}:{reader.line_num}", len(reader.fieldnames)))
    except csv.Error as error:
        raise UserError(f"{path}:{reader.line_num}: not CSV ({error})") from None
    if not rows:
        raise UserError(f"{path}: no rows")
    return rows


def videomme_row(row: dict, where: str, columns: int) -> dict:
    """One checked row of a VideoMME CSV, its numbers as floats: access open or proprietary,
    videomme 0-100, videomme_subs and params_b optional (None when blank). A row wider or
    narrower than the header, or a bad value, is a UserError at `where`."""
    if None in row:
        raise UserError(f"{where}: more fields than the {columns} columns of the header")
    if any(value is None for value in row.values()):
        raise UserError(f"{where}: fewer fields than the {columns} columns of the header "
                        "(or a quote left open)")
    def field_number(column: str, low: float, high: float, optional: bool) -> float | None:
        text = row.get(column) or ""
        if optional and not text.strip():
            return None
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not low <= value <= high:
            raise UserError(f"{where}: {column} must be a number from {low:g} to {high:g}, "
                            f"got {text[:30]!r}")
        return value
    if row["access"] not in ("open", "proprietary"):
        raise UserError(f"{where}: access must be open or proprietary, got {row['access'][:30]!r}")
    return {**row, "videomme": field_number("videomme", 0, 100, False),
            "videomme_subs": field_number("videomme_subs", 0, 100, True),
            "params_b": field_number("params_b", 0.001, 1e6, True)}


# QVHighlights' official numbers, as its evaluator computes them (jayleicn/moment_detr
# standalone_eval/eval.py eval_submission, utils.py; checked equal on the 1,550 val queries).
QVH_THRESHOLDS = tuple(round(0.5 + 0.05 * k, 2) for k in range(10))   # np.linspace(.5, .95, 10)
QVH_MAX_WINDOWS = 10               # compute_mr_ap: the first 10 as listed, then sorted by score
QVH_BUCKETS = {"full": None, "short": (0, 10), "middle": (10, 30), "long": (30, 150)}
QVH_CLIP_S = 2                     # mk_gt_scores: int(duration / 2) two-second clips
QVH_LEVELS = {"fair": 2, "good": 3, "very_good": 4}   # a clip is positive at a score >= level
QVH_ANNOTATORS = 3


class QvhQuery(NamedTuple):
    """One QVHighlights query: true windows, predicted [start, end, score] as listed (None:
    no prediction, a miss), the clip count, true saliency per clip (3 annotators) and the
    predicted saliency (None: not given)."""
    truth: tuple[tuple[float, float], ...]
    predicted: tuple[tuple[float, float, float], ...] | None
    clips: int
    saliency: dict[int, tuple[int, ...]]
    predicted_saliency: tuple[float, ...] | None


def numpy_sum(values: Sequence[float]) -> float:
    """numpy's float64 sum of a 1-D array: pairwise, 8 accumulators, blocks of at most 128.
    The same order of addition keeps the official two-decimal rounding identical."""
    n = len(values)
    if n < 8:
        return sum_in_order(values)
    if n > 128:
        half = n // 2 - (n // 2) % 8
        return numpy_sum(values[:half]) + numpy_sum(values[half:])
    acc, whole = list(values[:8]), n - n % 8
    for i in range(8, whole, 8):
        for j in range(8):
            acc[j] += values[i + j]
    total = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]))
    return sum_in_order([total] + list(values[whole:]))


def numpy_argsort(values: Sequence[float]) -> list[int]:
    """np.argsort's classic default (introsort without SIMD: insertion sort up to 16 items,
    median-of-3 quicksort above), which decides the order of tied IoUs in the evaluator."""
    order, stack = list(range(len(values))), [(0, len(values) - 1)]
    v = values
    while stack:
        low, high = stack.pop()
        while high - low > 15:
            mid = low + ((high - low) >> 1)
            for x, y in ((mid, low), (high, mid), (mid, low)):
                if v[order[x]] < v[order[y]]:
                    order[x], order[y] = order[y], order[x]
            pivot, i, j = v[order[mid]], low, high - 1
            order[mid], order[j] = order[j], order[mid]
            while True:
                i += 1
                while v[order[i]] < pivot:
                    i += 1
                j -= 1
                while pivot < v[order[j]]:
                    j -= 1
                if i >= j:
                    break
                order[i], order[j] = order[j], order[i]
            order[i], order[high - 1] = order[high - 1], order[i]
            if i - low < high - i:
                stack.append((i + 1, high))
                high = i - 1
            else:
                stack.append((low, i - 1))
                low = i + 1
        for i in range(low + 1, high + 1):             # insertion sort: stable
            item, j = order[i], i
            while j > low and v[item] < v[order[j - 1]]:
                order[j], j = order[j - 1], j - 1
            order[j] = item
    return order


def window_iou(a: Sequence[float], b: Sequence[float]) -> float:
    """IoU of two windows (compute_temporal_iou_batch_cross); 0 when both are empty."""
    inter = max(min(a[1], b[1]) - max(a[0], b[0]), 0)
    union = (a[1] - a[0]) + (b[1] - b[0]) - inter
    return inter / union if union > 0 else 0.0


def hull_iou(a: Sequence[float], b: Sequence[float]) -> float:
    """R1's IoU (compute_temporal_iou_batch_paired): the overlap over the span both cover."""
    span = max(a[1], b[1]) - min(a[0], b[0])
    return max(0, min(a[1], b[1]) - max(a[0], b[0])) / span if span else 0.0


def query_ap(truth: Sequence[Sequence[float]], windows: Sequence[Sequence[float]]) -> list[float]:
    """One query's average precision at each QVH_THRESHOLDS (compute_average_precision_
    detection): by score (a stable sort), each window takes the unmatched true window of
    highest IoU above the threshold; precision made non-increasing, summed over recall steps."""
    ranked = sorted(windows[:QVH_MAX_WINDOWS], key=lambda w: -w[2])
    aps = []
    for threshold in QVH_THRESHOLDS:
        taken, hits, points = [False] * len(truth), 0, []
        for k, window in enumerate(ranked, 1):
            ious = [window_iou(window, t) for t in truth]
            for j in reversed(numpy_argsort(ious)):     # argsort()[::-1]: highest IoU first
                if ious[j] < threshold:
                    break
                if not taken[j]:                       # a true window is matched once
                    taken[j], hits = True, hits + 1
                    break
            points.append((hits / k, hits / len(truth)))
        precision = [0.0] + [p for p, _ in points] + [0.0]
        recall = [0.0] + [r for _, r in points] + [1.0]
        for i in range(len(precision) - 2, -1, -1):
            precision[i] = max(precision[i], precision[i + 1])
        aps.append(numpy_sum([(recall[i] - recall[i - 1]) * precision[i]
                              for i in range(1, len(recall)) if recall[i] != recall[i - 1]]))
    return aps


def query_r1(truth: Sequence[Sequence[float]], windows: Sequence[Sequence[float]]) -> float:
    """compute_mr_r1: the first listed window against the true window it overlaps most."""
    top = windows[0]
    best = max(range(len(truth)), key=lambda j: (window_iou(top, truth[j]), -j))
    return hull_iou(top, truth[best])


def moment_retrieval(queries: list[QvhQuery], bucket: tuple[float, float] | None) -> dict:
    """MR mAP (per threshold and averaged) and R1 over the queries with a true window in the
    bucket's (min, max] length (every window for the full set). A query without a prediction
    is a miss: AP 0 and R1 0."""
    aps, r1s = [], []
    for q in queries:
        truth = [t for t in q.truth if bucket is None or bucket[0] < t[1] - t[0] <= bucket[1]]
        if not truth:
            continue
        if not q.predicted:
            aps.append([0.0] * len(QVH_THRESHOLDS))
            r1s.append(0.0)
            continue
        aps.append(query_ap(truth, q.predicted))
        r1s.append(query_r1(truth, q.predicted))
    if not aps:
        return {"map": None, "r1": None, "queries": 0}
    by_threshold = [sum_in_order(a[k] for a in aps) / len(aps) for k in range(len(QVH_THRESHOLDS))]
    return {"map": {**{f"{t:g}": v for t, v in zip(QVH_THRESHOLDS, by_threshold)},
                    "average": numpy_sum(by_threshold) / len(by_threshold)},
            "r1": {f"{t:g}": sum(r >= t for r in r1s) / len(r1s) for t in QVH_THRESHOLDS},
            "queries": len(aps)}


def highlight_ap(labels: list[int], scores: list[float]) -> float:
    """get_ap over scikit-learn's precision_recall_curve: tied scores are one point; the
    running best precision is averaged wherever recall rises. All negative: 0; all positive: 1."""
    if len(set(labels)) == 1:
        return float(labels[0] != 0)
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    points, hits = [], 0                                # (hits, predicted) at each distinct score
    for k, i in enumerate(order, 1):
        hits += labels[i]
        if k == len(order) or scores[order[k]] != scores[i]:
            points.append((hits, k))
    values, best = [], 0.0
    for n in range(len(points) - 1, -1, -1):            # from the lowest threshold up
        best = max(best, points[n][0] / points[n][1])
        if points[n][0] != (points[n - 1][0] if n else 0):
            values.append(best)
    return numpy_sum(values) / len(values)


def highlight_detection(queries: list[QvhQuery], level: int) -> dict:
    """HL mAP (per annotator, averaged) and HIT@1 at one saliency level; a query without
    predicted saliency is a miss (AP 0, HIT@1 0)."""
    aps, hits = [], []
    for q in queries:
        rows = [[int(v >= level) for v in q.saliency.get(c, (0,) * QVH_ANNOTATORS)]
                for c in range(q.clips)]
        scores = q.predicted_saliency
        if not scores or not rows:
            aps += [0.0] * QVH_ANNOTATORS
            hits.append(0.0)
            continue
        top = max(range(len(scores)), key=lambda i: (scores[i], -i))   # np.argmax: first
        hits.append(float(max(rows[top])) if top < len(rows) else 0.0)
        fitted = (list(scores) + [0.0] * len(rows))[:len(rows)]       # cut, or padded with 0
        aps += [highlight_ap([r[a] for r in rows], fitted) for a in range(QVH_ANNOTATORS)]
    return {"map": numpy_sum(aps) / len(aps), "hit1": numpy_sum(hits) / len(hits)}


def qvhighlights_scores(queries: list[QvhQuery], highlights: bool) -> dict:
    """eval_submission's numbers, as fractions: MR for the full set and each length bucket;
    HL at each saliency level when there are saliency scores to judge."""
    doc = {"mr": {name: moment_retrieval(queries, bucket) for name, bucket in QVH_BUCKETS.items()}}
    if highlights:
        doc["hl"] = {name: highlight_detection(queries, level)
                     for name, level in QVH_LEVELS.items()}
    return doc


def official_percent(fraction: float) -> float:
    """The evaluator's rounding: float(f"{100 * v:.2f}")."""
    return float(f"{100 * fraction:.2f}")


# ----------------------------------------------------------------------------------------------
# §11 Compare
# The released designs and one-change ablations end to end on videos with known events:
# a simulated reader with stated assumptions answers; the findings come from the rows.
# ----------------------------------------------------------------------------------------------

COMPARE_TOLERANCES = (0.5, 2.0)
USEFUL_ACCURACY = 0.5        # a design is "cheapest per correct answer" only if right this often
QWEN2_TRAINING_FPS = 2.0     # arXiv 2409.12191: videos were sampled at two frames per second
EVENT_LABELS = ("jump", "turn", "sit", "wave", "fall", "run", "drop", "open", "throw", "clap")
# The simulated reader. There is no VLM here. The reader sees perfectly: it knows whether a
# sampled frame shows the event (from the ground truth). All of its error comes from the two
# things the lesson is about: which frames were sampled, and what time the design's input lets
# it state. It writes its answer as text in its design's format; the text goes through
# parse_grounding and score_item like any model's. Every rule it follows is in READER_RULES,
# which compare prints under its table.
SIMULATED_READER_NOTE = ("No VLM runs here: a simulated reader with perfect per-frame perception "
                         "answers; its errors come only from the frames sampled and the times "
                         "its design's positions can express. Answers go through the real "
                         "parser and scorer.")
READER_RULES = (
    "Perception is perfect (assumption): a unit (a frame, or a 2-frame patch for the Qwen "
    "designs) shows an event when one of its frames lies inside it.",
    "It knows only the time its design's input states for each unit. Video-LLaMA: the frame "
    "times its vision-only demo writes into the prompt, to 0.1 s (Video-LLaMA "
    "conversation_video.py upload_video_without_audio); LLaVA-Video: the frame times its time "
    "instruction states, to 0.01 s (LLaVA-NeXT train.py); Video-LLaVA and LLaVA-OneVision: "
    "frame i of N, and the video's length stated in the question (assumption), frames taken "
    "as evenly spread (both sample with linspace); Qwen2-VL: patch k read as k "
    "seconds (trained at 2 fps, arXiv 2409.12191); Qwen2.5-VL: temporal id / 2 "
    "(tokens_per_second 2, config.json); Qwen3-VL: the '<t seconds>' text "
    "(processing_qwen3_vl.py). A Qwen patch is read at the middle of its two frames.",
    "It puts each boundary halfway between the last unit without the event and the first with "
    "it (assumption), and says 'not found' when no unit shows the event.",
    "Motion-adaptive frames (1-4 fps, rising with motion) go to Qwen2.5-VL as a list with one "
    "fps, their mean rate (assumption: the best single number), and to Qwen3-VL with their true "
    "frame indices and the video's fps as metadata, so its timestamps are the true times.",
    "Video-LLaMA's 32 query tokens are assumed to keep which frame showed what (assumption: "
    "what the Q-former loses in detail is not modelled).",
)
SUITE_RULE = ("Events are mostly motion bursts, which favour motion-following samplers by "
              "construction; the suite also has events that are not (a still object appears, "
              "light slowly changes).")       # a rule of the suites, not of your --video


class CompareDesign(NamedTuple):
    """A row of compare: a design from DESIGNS, fed some frames, read some way."""
    name: str
    model: str                   # what the table calls it
    design: str                  # the DESIGNS entry: tokens, format and source
    frames: str                  # "release": the design's own frames; "motion": 1-4 fps by motion
    time_read: str               # how the reader learns a unit's time: a key of UNIT_TIMES
    change: str = ""             # what this row changes against the released design
    hypothetical: bool = False
    with_text: bool = True       # the design's text (time instruction) goes into the prompt


COMPARE_DESIGNS: dict[str, CompareDesign] = {d.name: d for d in (
    CompareDesign("video-llama", "Video-LLaMA", "video-llama", "release", "prompt_times"),
    CompareDesign("video-llava", "Video-LLaVA", "video-llava", "release", "frame_order"),
    CompareDesign("llava-onevision", "LLaVA-OneVision", "llava-onevision", "release",
                  "frame_order"),
    CompareDesign("llava-video", "LLaVA-Video", "llava-video", "release", "instruction_times"),
    CompareDesign("llava-video-no-time", "LLaVA-Video, no time text", "llava-video", "release",
                  "frame_order", "the same 64 frames without the time instruction "
                  "(add_time_instruction=False, lmms-eval's llava_vid default)", with_text=False),
    CompareDesign("qwen2-vl", "Qwen2-VL", "qwen2-vl", "release", "patch_index"),
    CompareDesign("qwen2.5-vl", "Qwen2.5-VL", "qwen2.5-vl", "release", "aligned"),
    CompareDesign("qwen3-vl", "Qwen3-VL", "qwen3-vl", "release", "timestamps"),
    CompareDesign("qwen2.5-vl-motion", "Qwen2.5-VL, motion frames", "qwen2.5-vl", "motion",
                  "aligned", "motion-adaptive frames fed to the released model, which takes "
                  "one seconds-per-patch for the whole video"),
    CompareDesign("qwen3-vl-motion", "Qwen3-VL, motion frames", "qwen3-vl", "motion",
                  "timestamps", "motion-adaptive frames with their true timestamps as text"),
    CompareDesign("per-patch-time", "per-patch time (hyp.)", "qwen2.5-vl", "motion",
                  "per_patch_time", "the lesson's time-aligned M-RoPE with each patch's own "
                  "time, which no released model does; ids on a 0.5 s grid (2 a second), read "
                  "at the middle of the half-second an id covers", hypothetical=True),
)}


class SuiteVideo(NamedTuple):
    """One video of the compare suite: its synthetic scene, and the nominal capture (640x360 at
    30 fps) whose tokens are counted."""
    scene: Scene
    nominal: VideoFacts          # the capture the token arithmetic prices


def varied_scene(rng: random.Random, index: int, durations: tuple[float, ...]) -> Scene:
    """A seeded variation: calm or busy footage, 1-5 short events (0.2-2 s) of any kind,
    0-3 cuts."""
    duration = rng.choice(durations)
    activity = rng.choice((0.0, 0.05, 0.2, 0.6, 1.0))
    fps = 10.0
    wanted = rng.randint(1, max(1, min(5, int(duration // 12) + 1)))
    events: list[Event] = []
    for _ in range(50):
        if len(events) == wanted:
            break
        length = rng.randint(2, 20) / 10
        start = rng.randint(10, int((duration - length - 1) * 10)) / 10
        kind = rng.choice(("motion", "motion", "appear", "fade"))
        if all(abs(start - e.start) > 4 for e in events):
            events.append(Event(rng.choice(EVENT_LABELS), start, round(start + length, 1), kind))
    cuts: list[float] = []
    for _ in range(rng.randint(0, 3) if activity > 0 else 0):
        t = rng.randint(20, int(duration - 2) * 10) / 10
        if all(abs(t - e.start) > 2 and abs(t - e.end) > 2 for e in events) and \
                all(abs(t - c) > 3 for c in cuts):
            cuts.append(t)
    return Scene(f"variation-{index}", float(duration), fps, 64, 36,
                 tuple(sorted(events, key=lambda e: e.start)), tuple(sorted(cuts)), activity,
                 seed=1000 + index)


def benchmark_suite(suite: str, seed: int) -> list[SuiteVideo]:
    """The presets plus seeded variations: small (default, quick) or full."""
    rng = random.Random(seed)
    if suite == "small":
        variations = [varied_scene(rng, k, (10.0, 20.0, 30.0, 60.0)) for k in range(4)]
    else:
        variations = [varied_scene(rng, k, (10.0, 20.0, 30.0, 60.0, 90.0, 120.0, 180.0, 300.0))
                      for k in range(30)]
    scenes = list(PRESETS.values()) + variations
    return [SuiteVideo(s, nominal_facts(s.duration_s)) for s in scenes]


class Unit(NamedTuple):
    """What the reader gets: the true seconds of a unit's frames, and the second the
    design's input states for the unit."""
    frame_times: tuple[float, ...]
    stated_s: float


def release_times(design: str, nominal: VideoFacts) -> list[float]:
    """Seconds of the frames a design takes by its own rule from the nominal capture."""
    if design in QWEN_DESIGNS:
        patch = QWEN3_PATCH if design == "qwen3-vl" else QWEN2_PATCH
        indices = qwen_video_plan(nominal, QwenOptions(), patch)["frame_indices"]
    else:
        indices = token_cost(design, nominal).workings["frame_indices"]
    return [i / nominal.fps for i in indices]


def patch_units(times: list[float], stated: Callable[[PatchTimes], float],
                rate_fps: float) -> list[Unit]:
    """2-frame patches, each stated at `stated(patch)`, the middle of its two frames."""
    return [Unit(p.frame_times, stated(p)) for p in patch_times(times, rate_fps)]


def perceived_units(row: CompareDesign, times: list[float], duration: float,
                    rate_fps: float) -> list[Unit]:
    """The units a row's reader sees, each with the second its design lets it state."""
    to_middle = FRAME_FACTOR / rate_fps / 4        # from a patch's first frame to its middle
    if row.time_read == "prompt_times":
        return [Unit((t,), round(t, 1)) for t in times]
    if row.time_read == "instruction_times":
        return [Unit((t,), float(f"{t:.2f}")) for t in times]
    if row.time_read == "frame_order":
        step = duration / max(1, len(times) - 1)
        return [Unit((t,), i * step) for i, t in enumerate(times)]
    if row.time_read == "patch_index":
        per_patch = FRAME_FACTOR / QWEN2_TRAINING_FPS
        return patch_units(times, lambda p: p.index_t * per_patch + per_patch / 4, rate_fps)
    if row.time_read == "aligned":
        return patch_units(times, lambda p: p.aligned_s + to_middle, rate_fps)
    if row.time_read == "timestamps":
        return patch_units(times, lambda p: timestamp_seconds(p.timestamp), rate_fps)
    # per_patch_time (hypothetical): each patch's own mean time as an id on the 2-ids-a-second
    # grid, read like the other rows at the middle of what the id can express (+ 1/4 s)
    grid = 1 / TOKENS_PER_SECOND
    return patch_units(times, lambda p: int(f32(mean(p.frame_times) * TOKENS_PER_SECOND)) * grid
                       + grid / 2, rate_fps)


def boundaries(units: list[Unit], seen: list[int], duration: float) -> tuple[float, float]:
    """Start and end halfway between the last unit without the event and the first with it;
    at the edge of the sampled units, half the spacing on the other side."""
    stated = [u.stated_s for u in units]
    first, last = seen[0], seen[-1]
    if first > 0:
        start = (stated[first - 1] + stated[first]) / 2
    else:
        start = stated[0] - ((stated[1] - stated[0]) / 2 if len(stated) > 1 else 0.0)
    if last + 1 < len(stated):
        end = (stated[last] + stated[last + 1]) / 2
    else:
        end = stated[last] + ((stated[last] - stated[last - 1]) / 2 if last > 0 else 0.0)
    return min(max(0.0, start), duration), min(max(0.0, end), duration)


def reader_answer(row: CompareDesign, event: Event, units: list[Unit],
                  duration: float) -> tuple[str, bool]:
    """The simulated reader's answer in the design's answer format, and whether any sampled
    unit showed the event."""
    seen = [k for k, unit in enumerate(units)
            if any(event.start <= t < event.end for t in unit.frame_times)]
    json_answer = DESIGNS[row.design].answer_format == "json"
    if not seen:
        if json_answer:
            return json.dumps({"error": "not_found"}), False
        return f"I could not find the {event.label} in the frames I was shown.", False
    start, end = boundaries(units, seen, duration)
    if json_answer:
        return json.dumps({"event": event.label, "start": round(start, 2),
                           "end": round(max(start, end), 2)}), True
    return f"The {event.label} happens from {start:.1f} to {max(start, end):.1f} seconds.", True


@dataclass
class DesignTotals:
    """A compare row's running totals over the suite: videos, frames, visual and all tokens,
    seconds of video, events no sampled frame showed, score tallies (all events and per
    event kind), and the most a unit's stated time was off its frames' mean."""
    videos: int = 0
    frames: int = 0
    visual_tokens: int = 0
    tokens: int = 0
    seconds: float = 0.0
    missed: int = 0
    tally: Tally | None = None
    by_kind: dict | None = None
    unit_error: float = 0.0      # the most a unit's stated time is off its frames' mean


def read_video_with(row: CompareDesign, motion: MotionAnalysis, windows: tuple[Window, ...],
                    events: tuple[Event, ...], nominal: VideoFacts
                    ) -> tuple[list[float], TokenCost, list[tuple[Reading, bool]], list[Unit]]:
    """One row on one video: the sampled times, their price, per event the parsed answer and
    whether any sampled frame showed the event, and the units the reader saw."""
    duration = motion.duration_s
    if row.frames == "release":
        times = release_times(row.design, nominal)
        price = token_cost(row.design, nominal)
        if not row.with_text:
            price = replace(price, text_tokens=0)
        rate = price.workings.get("sample_fps", QWEN_FPS)
    else:
        sampled = dynamic_fps_sample(windows, motion.fps, SamplerSettings())
        times = list(sampled.times)
        price = price_frames(row.design, len(times), nominal)
        rate = len(times) / duration
    units = perceived_units(row, times, duration, rate)
    readings = []
    for event in events:
        answer, shown = reader_answer(row, event, units, duration)
        readings.append((parse_grounding(answer, duration), shown))
    return times, price, readings, units


def run_compare(videos: list[tuple[str, MotionAnalysis, tuple[Event, ...], VideoFacts]],
                rows: list[CompareDesign]) -> dict[str, DesignTotals]:
    """Every row on every video: sample, price, read each event, parse, score."""
    totals = {r.name: DesignTotals(tally=Tally(COMPARE_TOLERANCES), by_kind={}) for r in rows}
    for name, motion, events, nominal in videos:
        windows = motion_windows(motion.scores, motion.fps, DEFAULT_WINDOW_S)
        for row in rows:
            total = totals[row.name]
            times, price, readings, units = read_video_with(row, motion, windows, events, nominal)
            total.unit_error = max([total.unit_error] + [
                abs(u.stated_s - mean(u.frame_times)) for u in units])
            total.videos += 1
            total.frames += len(times)
            total.visual_tokens += price.visual_tokens
            total.tokens += price.total_tokens
            total.seconds += motion.duration_s
            for event, (reading, shown) in zip(events, readings):
                total.missed += not shown
                score = score_item(reading, GroundTruth(event.start, event.end), COMPARE_TOLERANCES)
                total.tally.add(score)
                total.by_kind.setdefault(event.kind, Tally(COMPARE_TOLERANCES)).add(score)
    return totals


def compare_rows(rows: list[CompareDesign], totals: dict[str, DesignTotals]) -> list[dict]:
    """One summary dict per compare row: what the row is (design, sampler, temporal encoding,
    source), per-video frames and tokens, parse rate, accuracy (also per event kind), R1,
    mIoU, missed events, worst time error, and tokens per answer right within 0.5 s."""
    out = []
    for row in rows:
        t, design = totals[row.name], DESIGNS[row.design]
        summary = t.tally.summary()
        hits = summary["accuracy_by_tolerance"]["0.5"] * summary["n"] if summary["n"] else 0
        out.append({
            "name": row.name, "model": row.model, "design": row.design,
            "hypothetical": row.hypothetical, "source": design.source, "change": row.change,
            "frames_rule": (design.frames if row.frames == "release"
                            else "motion-adaptive, 1-4 fps"),
            "temporal_encoding": ("temporal id = each patch's own seconds x 2"
                                  if row.hypothetical else design.temporal_encoding
                                  if row.with_text else "none: frames in order"),
            "answer_format": design.answer_format,
            "frames": t.frames / t.videos, "visual_tokens": t.visual_tokens / t.videos,
            "tokens": t.tokens / t.videos, "tokens_per_second": t.tokens / t.seconds,
            "parse_rate": summary["parse_rate"],
            "accuracy_by_tolerance": summary["accuracy_by_tolerance"],
            "accuracy_by_kind": {kind: tally.summary()["accuracy_by_tolerance"]["0.5"]
                                 for kind, tally in sorted(t.by_kind.items())},
            "events_by_kind": {kind: tally.summary()["n"]
                               for kind, tally in sorted(t.by_kind.items())},
            "r1": summary["r1"], "miou": summary["miou"],
            "events_missed": t.missed, "event_count": summary["n"], "video_count": t.videos,
            "max_time_error_s": t.unit_error,
            "tokens_per_correct": t.tokens / hits if hits else None})
    return out


def compare_findings(rows: list[dict]) -> list[str]:
    """Plain sentences, each computed from the rows it speaks about: every FINDINGS function
    whose rows are in the run, in order."""
    by_name = {r["name"]: r for r in rows}
    return [text for finding, needs in FINDINGS
            if needs <= set(by_name) and (text := finding(by_name, rows))]


def accuracy_05(row: dict) -> float:
    """A row's accuracy with both ends within 0.5 s."""
    return row["accuracy_by_tolerance"]["0.5"]


def pct(value: float) -> str:
    """A share as a whole percentage, as findings write it."""
    return format_percent(value, 0)


def right_of(row: dict, tolerance: str = "0.5") -> str:
    """A row's answers right within a tolerance, as a count over a count and a share."""
    share = row["accuracy_by_tolerance"][tolerance]
    return f"{round(share * row['event_count'])} of {row['event_count']}, {pct(share)}"


def finding_pooled(by: dict, rows: list[dict]) -> str:
    """What the pooled-per-frame rows show: frame count, not pooling, sets what they see, and
    time text adds little when frames are evenly spaced."""
    one, video, bare = by["llava-onevision"], by["llava-video"], by["llava-video-no-time"]
    return (f"Pooled per frame, as released: LLaVA-OneVision ({one['frames']:.0f} frames, "
            f"{one['tokens']:,.0f} tokens) is right within 0.5 s on {right_of(one)} and misses "
            f"{one['events_missed']} of {counted(one['event_count'], 'event')}; LLaVA-Video "
            f"({video['frames']:.0f} frames and its time text, {video['tokens']:,.0f} tokens) "
            f"on {right_of(video)}, missing {video['events_missed']}. Without the time text it "
            f"is right on {right_of(bare)}: "
            "its frames are evenly spaced, so their order and the video's length already give "
            f"their times. Pooling ({SIGLIP384_GRID ** 2} SigLIP patches to "
            f"{pooled_grid(SIGLIP384_GRID, LLAVA_POOL_STRIDE, 'bilinear') ** 2} a frame) sets the "
            "price; this "
            "reader's perfect perception (an assumption) cannot show what it costs in detail.")


def finding_one_rate(by: dict, rows: list[dict]) -> str:
    """What motion-adaptive frames do to Qwen2.5-VL, which takes one rate per video."""
    return (f"Qwen2.5-VL as released (uniform 2 fps, time-aligned M-RoPE) is right within 0.5 s "
            f"on {right_of(by['qwen2.5-vl'])}; fed motion-adaptive frames, on "
            f"{right_of(by['qwen2.5-vl-motion'])}: it takes one seconds-per-patch for the whole "
            "video, so uneven frames get evenly spaced times.")


def finding_text_timestamps(by: dict, rows: list[dict]) -> str:
    """What the same frames do with Qwen3-VL, which writes each patch's time as text."""
    a, b = by["qwen3-vl"], by["qwen3-vl-motion"]
    return (f"Qwen3-VL writes each patch's time as text, so the same motion-adaptive frames keep "
            f"their times: right on {right_of(b)} at {b['tokens']:,.0f} tokens a video, against "
            f"{right_of(a)} at {a['tokens']:,.0f} for its uniform 2 fps.")


def finding_per_patch_time(by: dict, rows: list[dict]) -> str:
    """What the lesson's hypothetical per-patch time would score."""
    return (f"The lesson's per-patch absolute time (hypothetical, no released model; ids on a "
            f"{1 / TOKENS_PER_SECOND:g} s grid) would be right on "
            f"{right_of(by['per-patch-time'])}; Qwen3-VL's text timestamps are the released way "
            "to give uneven frames their true times.")


def finding_linspace_drift(by: dict, rows: list[dict]) -> str:
    """Why the same uniform frames score differently: Qwen2.5-VL's stated times drift."""
    return (f"The same uniform frames: Qwen3-VL right on {right_of(by['qwen3-vl'])}, Qwen2.5-VL "
            f"on {right_of(by['qwen2.5-vl'])}. Qwen2.5-VL's ids assume a frame every "
            "1 / sample_fps seconds, but qwen-vl-utils spreads its frames over the whole video "
            "(linspace to the last frame), so its stated times drift, by up to "
            f"{by['qwen2.5-vl']['max_time_error_s']:.2f} s here; Qwen3-VL's text comes from "
            f"each frame's own index (off by at most "
            f"{by['qwen3-vl']['max_time_error_s']:.2f} s, its 0.1 s rounding).")


def finding_index_equals_time(by: dict, rows: list[dict]) -> str:
    """Why index and time-aligned positions agree at 2 fps, and when they part."""
    return (f"With uniform 2 fps frames, index positions (Qwen2-VL, right on "
            f"{right_of(by['qwen2-vl'])}) and time-aligned ones (Qwen2.5-VL, "
            f"{right_of(by['qwen2.5-vl'])}) say the same: one patch is one second. "
            f"They part when the rate is not {QWEN_FPS:g} fps (videos over "
            f"{FPS_MAX_FRAMES / QWEN_FPS:g} s, or another fps).")


def finding_cheapest(by: dict, rows: list[dict]) -> str | None:
    """The released design that pays least per correct answer, among the useful ones."""
    useful = [r for r in rows if accuracy_05(r) >= USEFUL_ACCURACY
              and r["tokens_per_correct"] is not None and not r["hypothetical"]]
    if not useful:
        return None
    cheapest = min(useful, key=lambda r: r["tokens_per_correct"])
    right = round(accuracy_05(cheapest) * cheapest["event_count"])
    return (f"Cheapest per correct answer among the rows right at least "
            f"{pct(USEFUL_ACCURACY)} of the time, hypothetical ones aside: {cheapest['model']} "
            f"(right on {right_of(cheapest)}), {cheapest['tokens_per_correct']:,.0f} tokens per "
            f"correct answer ({cheapest['tokens']:,.0f} tokens a video x "
            f"{counted(cheapest['video_count'], 'video')} / {right} right).")


def finding_eight_frames(by: dict, rows: list[dict]) -> str:
    """What eight frames cost Video-LLaMA and Video-LLaVA in missed events, each its own."""
    llama, llava = by["video-llama"], by["video-llava"]
    return (f"Eight frames: Video-LLaMA misses {llama['events_missed']} of "
            f"{counted(llama['event_count'], 'event')} and is right on {right_of(llama)} with "
            f"{llama['tokens']:,.0f} tokens; "
            f"Video-LLaVA misses {llava['events_missed']} of {llava['event_count']} and is right "
            f"on {right_of(llava)} with {llava['tokens']:,.0f}.")


def kind_share(row: dict, kinds: list[str]) -> str:
    """A row's answers right within 0.5 s on events of these kinds, as a count over a count."""
    n = sum(row["events_by_kind"].get(k, 0) for k in kinds)
    right = sum(round(row["accuracy_by_kind"][k] * row["events_by_kind"][k]) for k in kinds
                if k in row["events_by_kind"])
    return f"{right} of {n}, {pct(right / n)}" if n else "none"


def finding_still_events(by: dict, rows: list[dict]) -> str | None:
    """How Qwen3-VL does on events that are not motion bursts (appear, fade)."""
    still = [k for k in ("appear", "fade") if any(k in r["events_by_kind"] for r in rows)]
    if not still:
        return None
    adaptive, uniform = by["qwen3-vl-motion"], by["qwen3-vl"]
    return (f"On events that are not motion bursts ({', '.join(still)}), Qwen3-VL is right on "
            f"{kind_share(adaptive, still)} with motion-adaptive frames and "
            f"{kind_share(uniform, still)} with uniform ones; on motion bursts, "
            f"{kind_share(adaptive, ['motion'])} and {kind_share(uniform, ['motion'])}.")


# The findings compare prints, in order, each with the rows it needs: it speaks only when they
# are in the run (and may still have nothing to say: no useful design, no still events).
FINDINGS = ((finding_pooled, {"llava-onevision", "llava-video", "llava-video-no-time"}),
            (finding_one_rate, {"qwen2.5-vl", "qwen2.5-vl-motion"}),
            (finding_text_timestamps, {"qwen3-vl", "qwen3-vl-motion"}),
            (finding_per_patch_time, {"per-patch-time"}),
            (finding_linspace_drift, {"qwen2.5-vl", "qwen3-vl"}),
            (finding_index_equals_time, {"qwen2-vl", "qwen2.5-vl"}),
            (finding_cheapest, set()),
            (finding_eight_frames, {"video-llama", "video-llava"}),
            (finding_still_events, {"qwen3-vl", "qwen3-vl-motion"}))


# ----------------------------------------------------------------------------------------------
# §12 Plan
# The frame planner as tables of rules with named thresholds (plan and the skill file read
# the same tables), and the lesson's five exercises worked with live numbers.
# ----------------------------------------------------------------------------------------------

TASKS = ("monitoring", "action-recognition", "temporal-grounding", "summarization", "agent-replay")
PLAN_MODELS = ("auto", "qwen2.5-vl", "qwen3-vl", "llava-video", "llava-onevision",
               "llava-next-video", "internvl3", "video-llava", "video-llama")
# Fixed-frame designs take their own frames (evenly spaced); these also state no time at all.
FIXED_FRAME_DESIGNS = ("video-llava", "video-llama", "llava-next-video", "llava-onevision",
                       "llava-video", "internvl3")
NO_TIME_DESIGNS = ("video-llava", "llava-next-video", "llava-onevision", "internvl3")
DEFAULT_MODEL_SIZE_B = 7.0
SINGLE_CLIP_S = 30.0                              # action recognition on a clip this short
ACTION_MEDIAN_MOTION = 0.015                      # median window motion of action-heavy video
CINEMATIC_CUTS_PER_MIN = 2.0
BURST_RATIO = 5.0                                 # busiest window vs median: rare events
MIXED_RATIO = 2.0                                 # 90th percentile vs median: mixed motion
MOTION_FLOOR = 0.001
# Per-frame pixel budgets the planner tries for a Qwen model, largest first, in tokens per
# 2-frame patch (max_pixels = tokens x factor^2, qwen-vl-utils' own unit); None is
# qwen-vl-utils' own budget. Below its VIDEO_MIN_TOKENS (128) min_pixels must come down too,
# or the floor lifts the frame back up.
PIXEL_RUNGS = (None, 256, 128, 64, 32)
MIN_RUNG = {"agent-replay": 256}                  # screen text needs detail: go no lower

TIME_TASKS = ("monitoring", "action-recognition", "temporal-grounding", "agent-replay")

# What the planner assumes about a task's footage when no video is measured.
TASK_CONTENT = {"monitoring": "bursty", "action-recognition": "action-heavy",
                "temporal-grounding": "mixed", "summarization": "cinematic",
                "agent-replay": "steady"}
SAMPLER_FOR_CONTENT = {
    "steady": ("uniform", "steady content: even coverage loses nothing"),
    "mixed": ("dynamic", "mixed motion: spend frames where things move (1-4 fps)"),
    "action-heavy": ("event",
                     "action-heavy: dense bursts around actions; uniform would alias them"),
    "bursty": ("event", "rare short events in calm footage: sample densely only around them"),
    "cinematic": ("keyframe", "cinematic: a keyframe per shot plus context frames"),
}
# Frames per second each uneven sampler spends, for an estimate without a video (assumptions).
ASSUMED_FPS = {"dynamic": (DEFAULT_MIN_FPS + DEFAULT_MAX_FPS) / 2,
               "event": DEFAULT_BASE_FPS + 0.1 * DEFAULT_BURST_FPS,      # 10% of time in bursts
               "keyframe": 4 / 60 * (1 + 2 * DEFAULT_KEYFRAME_CONTEXT)}  # 4 cuts a minute
OUTPUT_FORMAT = {
    "temporal-grounding": "JSON {event, start, end, confidence}",
    "action-recognition": "JSON {event, start, end, confidence}",
    "summarization": "free text",
    "monitoring": "time tokens (<time>s</time>) in mixed text",
    "agent-replay": "time tokens (<time>s</time>) in mixed text",
}
NO_TIME_FORMAT = ("free text naming which of the sampled frames shows it; turn frame numbers "
                  "into seconds yourself from the sampled frames' times")
# Benchmarks and what each stresses, with the paper that introduced it.
BENCHMARKS = {
    "VideoMME": ("2405.21075", "short, medium and long video understanding (11 s to 1 h)"),
    "TempCompass": ("2403.00476", "temporal order, speed and direction as multiple choice, "
                    "yes/no and caption matching (no start or end asked)"),
    "EgoSchema": ("2308.09126", "long-horizon egocentric understanding"),
    "Video-MMMU": ("2501.13826", "knowledge acquired from lecture videos"),
    "Charades-STA": ("1705.02101", "temporal grounding of a sentence: start and end seconds"),
    "QVHighlights": ("2107.09609", "moment retrieval (start and end of every matching window) "
                     "and highlight scores for a query"),
    "ActivityNet Captions": ("1705.00754", "dense events in long untrimmed videos, each "
                             "sentence with its start and end"),
}
TASK_BENCHMARKS = {
    "monitoring": ("VideoMME", "TempCompass"),
    "action-recognition": ("TempCompass", "VideoMME"),
    "temporal-grounding": ("Charades-STA", "QVHighlights", "ActivityNet Captions"),
    "summarization": ("VideoMME", "EgoSchema"),
    "agent-replay": ("EgoSchema", "Video-MMMU"),
}

# VideoMME overall accuracy (%), without / with subtitles, each row from its published source.
# temporal_encoding is stated only where the model's own code or paper says it.
VIDEOMME_COLUMNS = ("model", "access", "params_b", "temporal_encoding", "videomme",
                    "videomme_subs", "source")
VIDEOMME_LEADERBOARD = ("Video-MME leaderboard, video-mme.github.io home_page.html (arXiv "
                        "2405.21075), rows of 2024-06-15")
QWEN25_README = "QwenLM/Qwen2.5-VL README.md @f0af2996 (2025-02), VideoMME row"
QWEN3_REPORT = "Qwen3-VL report arXiv 2511.21631 (2025-11), Table {}; Instruct models"
VIDEOMME_TABLE_READ = "2026-12"          # when every row below was read from its source
VIDEOMME_TABLE = (
    ("Gemini 2.5 Pro", "proprietary", None, "unknown", 85.1, None,
     "arXiv 2511.21631 (2025-11), Table 2: thinking, 512 frames, run by Qwen"),
    ("Gemini 1.5 Pro", "proprietary", None, "unknown", 75.0, 81.3, VIDEOMME_LEADERBOARD),
    ("GPT-4o", "proprietary", None, "unknown", 71.9, 77.2, VIDEOMME_LEADERBOARD),
    ("Qwen3-VL-32B", "open", 32.0, "text timestamps", 76.6, None, QWEN3_REPORT.format(3)),
    ("Qwen3-VL-8B", "open", 8.0, "text timestamps", 71.4, None, QWEN3_REPORT.format(4)),
    ("Qwen3-VL-4B", "open", 4.0, "text timestamps", 69.3, None, QWEN3_REPORT.format(4)),
    ("Qwen3-VL-2B", "open", 2.0, "text timestamps", 61.9, None, QWEN3_REPORT.format(4)),
    ("Qwen2.5-VL-72B", "open", 72.0, "time-aligned", 73.3, 79.1, QWEN25_README),
    ("Qwen2.5-VL-7B", "open", 7.0, "time-aligned", 65.1, 71.6, QWEN25_README),
    ("Qwen2.5-VL-3B", "open", 3.0, "time-aligned", 61.5, 67.6, QWEN25_README),
    ("Qwen2-VL-72B", "open", 72.0, "index", 71.2, 77.8, QWEN25_README),
    ("InternVL3-78B", "open", 78.0, "frame labels", 72.7, 75.7,
     "arXiv 2504.10479 (2025-04), Table 8 (the best of 16, 32, 48 and 64 frames)"),
    ("LLaVA-Video-72B", "open", 72.0, "time text", 70.5, 76.9,
     "arXiv 2410.02713 (2024-10), Table 2 (the leaderboard lists 70.6)"),
    ("LLaVA-Video-7B", "open", 7.0, "time text", 63.3, 69.7, "arXiv 2410.02713 (2024-10), Table 2"),
)
SMALL_OPEN_B = 7.0                                # "an open model of 7B or less"


def videomme_rows() -> list[dict]:
    """The shipped VideoMME table, one dict per model keyed by VIDEOMME_COLUMNS."""
    return [dict(zip(VIDEOMME_COLUMNS, row)) for row in VIDEOMME_TABLE]


def small_open_gap() -> tuple[dict, dict, float]:
    """(best small open row, best proprietary row, gap in points) from the shipped table."""
    rows = videomme_rows()
    small = max((r for r in rows if r["access"] == "open" and r["params_b"] <= SMALL_OPEN_B),
                key=lambda r: r["videomme"])
    best = max((r for r in rows if r["access"] == "proprietary"), key=lambda r: r["videomme"])
    return small, best, best["videomme"] - small["videomme"]


def model_family(name: str) -> str:
    """'Qwen2.5-VL-72B' -> 'Qwen2.5-VL': the name without its size."""
    head, _, tail = name.rpartition("-")
    return head if head and tail[:-1].replace(".", "").isdigit() and tail[-1:] in "bB" else name


def scale_slope(rows: list[dict]) -> float | None:
    """Least-squares points per doubling of parameters, or None with fewer than two sizes."""
    if len({r["params_b"] for r in rows}) < 2:
        return None
    xs = [math.log2(r["params_b"]) for r in rows]
    ys = [r["videomme"] for r in rows]
    mx, my = mean(xs), mean(ys)
    return (sum_in_order((x - mx) * (y - my) for x, y in zip(xs, ys))
            / sum_in_order((x - mx) ** 2 for x in xs))


def videomme_gap(rows: list[dict]) -> dict:
    """The gap between the best proprietary and the best open model (without and with
    subtitles), and what controlled pairs in the rows allow to say about its causes."""
    open_rows = [r for r in rows if r["access"] == "open"]
    closed = [r for r in rows if r["access"] == "proprietary"]
    result: dict = {"best_open": None, "best_proprietary": None, "gap": None, "gap_subs": None,
                    "scale_points_per_doubling": None, "scale_family": None,
                    "encoding_points": None, "encoding_pairs": [], "notes": []}
    if not open_rows or not closed:
        result["notes"].append("the gap needs at least one open and one proprietary row")
        return result
    best_open = max(open_rows, key=lambda r: r["videomme"])
    best_closed = max(closed, key=lambda r: r["videomme"])
    result.update(best_open=best_open["model"], best_proprietary=best_closed["model"],
                  gap=best_closed["videomme"] - best_open["videomme"])
    if best_open.get("videomme_subs") is not None and best_closed.get("videomme_subs") is not None:
        result["gap_subs"] = best_closed["videomme_subs"] - best_open["videomme_subs"]
    family = model_family(best_open["model"])
    same = [r for r in open_rows if model_family(r["model"]) == family and r["params_b"]]
    result["scale_family"] = family
    result["scale_points_per_doubling"] = scale_slope(same)
    if result["scale_points_per_doubling"] is None:
        result["notes"].append(f"scale: needs {family} rows at two or more sizes")
    pairs = [(a, b) for a in open_rows for b in open_rows
             if a["temporal_encoding"] == "time-aligned" and b["temporal_encoding"] == "index"
             and a["params_b"] and a["params_b"] == b["params_b"]]
    result["encoding_pairs"] = [{"time_aligned": a["model"], "index": b["model"],
                                 "points": a["videomme"] - b["videomme"]} for a, b in pairs]
    if pairs:
        result["encoding_points"] = mean([p["points"] for p in result["encoding_pairs"]])
    else:
        result["notes"].append("encoding: needs a time-aligned and an index row of the same size")
    return result


class PlanRequest(NamedTuple):
    """What the planner is asked: the task, the video's length in seconds, the context in
    tokens, the model size in billions, the target (standard or frontier), the frame-rate cap
    (fps) and the model (auto lets the planner choose)."""
    task: str
    duration_s: float
    context: int = DEFAULT_CONTEXT_TOKENS
    model_size_b: float = DEFAULT_MODEL_SIZE_B
    target: str = "standard"
    max_fps: float = DEFAULT_MAX_FPS
    model: str = "auto"


class Rule(NamedTuple):
    """One row of the planner's rule table: its key, its kind (refuse, reject or warn), when it
    applies and why in words, what to do instead, and the test applied to a request and a
    proposed plan."""
    key: str
    kind: str            # refuse: no plan; reject: never proposed; warn: a plan with a warning
    when: str
    reason: str
    instead: str
    applies: Callable[[PlanRequest, dict], bool]


_SMALL, _BEST, _GAP = small_open_gap()
ONE_RATE_MODELS = ("qwen2-vl", "qwen2.5-vl", "qwen2.5-omni")
RULES: tuple[Rule, ...] = (
    Rule("long-video-small-context", "refuse",
         "duration over 10 minutes with a context under 32k tokens",
         "no frame budget covers that much video in that context without losing the events "
         "(the lesson's rule)",
         "hierarchical summarization (summarize chunks, then the summaries) or agentic retrieval",
         lambda r, p: r.duration_s > 600 and r.context < 32768),
    Rule("frontier-with-open-7b", "refuse",
         f"a frontier accuracy target with an open model of {SMALL_OPEN_B:g}B or less",
         f"on VideoMME the best open model of that size in the shipped table ({_SMALL['model']}, "
         f"{_SMALL['videomme']:.1f}) trails {_BEST['model']} ({_BEST['videomme']:.1f}) by "
         f"{_GAP:.1f} points; sampling cannot close that",
         "a 32B+ open model or a proprietary model",
         lambda r, p: r.target == "frontier" and r.model_size_b <= SMALL_OPEN_B),
    Rule("fps-cap-too-high", "refuse",
         "a frame-rate cap (--max-fps) above 8 on a clip over 30 s with a 7B model",
         "a 7B model cannot use that many frames; the tokens crowd out the question (the "
         f"lesson's rule; qwen-vl-utils takes at most {FPS_MAX_FRAMES} frames anyway)",
         "a cap of at most 8 fps (4 is the lesson's dynamic-FPS ceiling)",
         lambda r, p: r.max_fps > 8 and r.duration_s > 30 and r.model_size_b <= 7),
    Rule("uniform-for-action", "reject",
         f"uniform sampling under {QWEN_FPS:g} fps for action-heavy video",
         f"evenly spaced frames more than {1 / QWEN_FPS:g} s apart let short actions fall "
         f"between them (the lesson's rule, held to rates under qwen-vl-utils' own "
         f"{QWEN_FPS:g} fps)",
         "event-driven sampling, with a model that takes uneven frames (Qwen3-VL)",
         lambda r, p: p.get("content") == "action-heavy" and p.get("sampler") == "uniform"
         and p.get("frames_per_second", 0.0) < QWEN_FPS),
    Rule("uneven-frames-one-rate", "reject",
         "motion-adaptive frames for a model with one frame rate per video (Qwen2-VL, "
         "Qwen2.5-VL, Qwen2.5-Omni)",
         "Qwen2-VL's temporal id is the patch number, with no seconds in it; Qwen2.5-VL and "
         "Qwen2.5-Omni take one seconds-per-patch for the whole video (transformers "
         "get_rope_index); either way uneven frames get evenly spaced times",
         "Qwen3-VL with the frames' true indices and fps as metadata, or uniform frames",
         lambda r, p: p.get("design") in ONE_RATE_MODELS and p.get("sampler") != "uniform"),
    Rule("seconds-without-time", "reject",
         "start and end seconds from a model whose input carries no time (Video-LLaVA, "
         "LLaVA-NeXT-Video, LLaVA-OneVision; InternVL3's 'FrameN:' labels give order only)",
         "nothing at its LLM input says when a frame was taken; it can only name frames",
         "Qwen3-VL or LLaVA-Video (times as text), Qwen2.5-VL, or answers that name frames",
         lambda r, p: p.get("design") in NO_TIME_DESIGNS and r.task in TIME_TASKS
         and "JSON" in p.get("output_format", "")),
    Rule("video-llama-new-project", "reject",
         "Video-LLaMA for a new project",
         "its release takes 8 frames into 32 query tokens and states their times only as "
         "prompt text (DAMO-NLP-SG/Video-LLaMA)",
         "a Qwen2.5-VL or Qwen3-VL model",
         lambda r, p: p.get("design") == "video-llama"),
    Rule("context-overflow", "refuse",
         "video tokens beyond the whole context, even at the fewest frames and pixels tried",
         "the model cannot take the video, let alone the question",
         "a longer context (--context-tokens), or a shorter clip",
         lambda r, p: p.get("context_fraction", 0) > 1),
    Rule("context-over-40", "warn",
         "video tokens above 40% of the context",
         "the question, instructions and answer need room too (the lesson's 40% rule)",
         "fewer pixels per frame, fewer frames, or a longer context",
         lambda r, p: p.get("context_fraction", 0) > CONTEXT_WARN_FRACTION),
)


def classify_content(motion: MotionAnalysis, windows: tuple[Window, ...],
                     cuts: tuple[Cut, ...]) -> tuple[str, dict]:
    """The content class a measured video falls in, and the measurements that decided it."""
    values = sorted(w.motion for w in windows)
    median = values[len(values) // 2]
    p90 = values[min(len(values) - 1, int(0.9 * len(values)))]
    peak = values[-1]
    cuts_per_min = len(cuts) / (motion.duration_s / 60)
    base = max(median, MOTION_FLOOR)
    measured = {"median_window_motion": round(median, 6), "p90_window_motion": round(p90, 6),
                "peak_window_motion": round(peak, 6), "cuts_per_minute": round(cuts_per_min, 3)}
    if median >= ACTION_MEDIAN_MOTION:
        content = "action-heavy"
        why = f"median window motion {median:.4f} >= {ACTION_MEDIAN_MOTION}"
    elif cuts_per_min >= CINEMATIC_CUTS_PER_MIN:
        content = "cinematic"
        why = f"{cuts_per_min:.1f} cuts per minute >= {CINEMATIC_CUTS_PER_MIN:g}"
    elif peak >= BURST_RATIO * base and p90 < MIXED_RATIO * base:
        content = "bursty"
        why = f"peak motion {peak / base:.1f}x the median, 90th percentile only {p90 / base:.1f}x"
    elif p90 >= MIXED_RATIO * base:
        content = "mixed"
        why = f"90th percentile motion {p90 / base:.1f}x the median"
    else:
        content = "steady"
        why = f"motion within {p90 / base:.1f}x the median, {cuts_per_min:.1f} cuts per minute"
    measured["decided_by"] = why
    return content, measured


# The compare rows the planner's choices cite, measured on compare's full suite each run (its
# 94 events: on the small suite's 22, one or two answers decide a comparison).
EVIDENCE_SUITE = "full"
EVIDENCE_ROWS = ("qwen3-vl", "qwen2.5-vl", "llava-video", "qwen3-vl-motion", "qwen2.5-vl-motion")
UNIFORM_CANDIDATES = ("qwen3-vl", "qwen2.5-vl", "llava-video")
# Released sizes, for naming the checkpoint nearest --model-size (each from its report or card).
RELEASED_SIZES = {
    "qwen2-vl": ("2B", "7B", "72B"),                                   # arXiv 2409.12191
    "qwen2.5-vl": ("3B", "7B", "32B", "72B"),                          # arXiv 2502.13923
    "qwen3-vl": ("2B", "4B", "8B", "32B", "30B-A3B", "235B-A22B"),     # arXiv 2511.21631
    "qwen2.5-omni": ("3B", "7B"),                                      # Qwen2.5-Omni README
    "llava-video": ("7B", "72B"),                                      # arXiv 2410.02713
    "llava-onevision": ("0.5B", "7B", "72B"),                          # arXiv 2408.03326
    "llava-next-video": ("7B", "34B"),                                 # lmms-lab model cards
    "internvl3": ("1B", "2B", "8B", "9B", "14B", "38B", "78B"),        # arXiv 2504.10479
    "video-llava": ("7B",),                                            # arXiv 2311.10122
    "video-llama": ("7B", "13B"),                                      # arXiv 2306.02858
}


def evidence_command(names: Iterable[str]) -> str:
    """The compare command that shows these rows."""
    suite = "" if EVIDENCE_SUITE == "small" else f"--suite {EVIDENCE_SUITE} "
    return f"compare {suite}" + " ".join(f"--design {n}" for n in names)


def nearest_size(design: str, size_b: float) -> str:
    """The released size of `design` nearest `size_b` billion parameters (MoE by total)."""
    sizes = RELEASED_SIZES[design]
    return min(sizes, key=lambda name: (abs(float(name.split("B")[0]) - size_b), name))


def asks_when(request: PlanRequest) -> bool:
    """Whether the task asks when something happens: a TIME_TASK, except action recognition on
    a single short clip (SINGLE_CLIP_S), which asks only what."""
    return request.task in TIME_TASKS and not (request.task == "action-recognition"
                                               and request.duration_s <= SINGLE_CLIP_S)


def choose_model(request: PlanRequest, sampler: str, evidence: dict) -> tuple[str, str]:
    """The design to recommend, and why: the released design compare measures best for these
    frames (`evidence`: compare rows by name), or the one asked for."""
    if request.model != "auto":
        return request.model, "asked for (--model)"
    if sampler == "uniform":
        rows = [evidence[n] for n in UNIFORM_CANDIDATES]
        best = max(rows, key=lambda r: (accuracy_05(r), -r["tokens"]))
        others = "; ".join(f"{r['model']} {right_of(r)} at {r['tokens']:,.0f}"
                           for r in rows if r is not best)
        return best["design"], (
            f"measured on its own evenly spaced frames, right within 0.5 s on {right_of(best)} "
            f"at {best['tokens']:,.0f} tokens a video; {others} (compare's {EVIDENCE_SUITE} suite: "
            f"`{evidence_command(UNIFORM_CANDIDATES)}`)")
    a, b = evidence["qwen3-vl-motion"], evidence["qwen2.5-vl-motion"]
    return "qwen3-vl", (
        f"uneven frames need each frame's own time: with motion-adaptive frames (the uneven "
        f"frames compare measures) Qwen3-VL (times as text) is right within 0.5 s on "
        f"{right_of(a)}, Qwen2.5-VL (one rate a video) on "
        f"{right_of(b)} (compare's {EVIDENCE_SUITE} suite: "
        f"`{evidence_command(('qwen3-vl-motion', 'qwen2.5-vl-motion'))}`)")


def sampler_evidence(sampler: str, evidence: dict) -> str:
    """For the dynamic sampler, what compare measures for motion-adaptive against uniform
    frames, and whether that bears the rule out; for the others, that nothing measures them
    (the sampler itself stays a rule of thumb: compare has no content classes)."""
    if sampler == "uniform":
        return ""
    if sampler != "dynamic":
        return f"; compare measures no {sampler}-sampled design: this is the rule alone"
    a, b = evidence["qwen3-vl-motion"], evidence["qwen3-vl"]
    borne_out = accuracy_05(a) >= accuracy_05(b)
    return (f"; measured for Qwen3-VL on compare's {EVIDENCE_SUITE} suite, motion-adaptive frames "
            f"are right within 0.5 s on {right_of(a)}, uniform {QWEN_FPS:g} fps on {right_of(b)} (`"
            f"{evidence_command(('qwen3-vl-motion', 'qwen3-vl'))}`)"
            + ("" if borne_out else ", which does not bear the rule out: this is the rule alone"))


def plan_frames(sampler: str, design: str, request: PlanRequest, facts: VideoFacts,
                measured_frames: int | None) -> int:
    """Frames the plan takes: a fixed-frame design's own count; qwen-vl-utils' count at
    min(2 fps, the cap) for uniform frames; the sampler's measured or assumed count otherwise."""
    if design in FIXED_FRAME_DESIGNS:
        return token_cost(design, facts).frames
    if sampler == "uniform":
        return smart_nframes(facts.total_frames, facts.fps,
                             QwenOptions(fps=min(QWEN_FPS, request.max_fps)))
    if measured_frames is not None:
        return max(FRAME_FACTOR, min(FPS_MAX_FRAMES, measured_frames))
    fps = min(ASSUMED_FPS[sampler], request.max_fps)
    return max(FRAME_FACTOR, min(FPS_MAX_FRAMES, round(request.duration_s * fps)))


def pixel_plan(design: str, frames: int, facts: VideoFacts, request: PlanRequest
               ) -> tuple[TokenCost, dict | None]:
    """The largest per-frame pixel budget that keeps video within 40% of the context (never
    below the task's MIN_RUNG), with the min_pixels/max_pixels to set; the smallest tried when
    none fits. Fixed-frame designs have no pixel budget to choose."""
    if design not in QWEN_DESIGNS:
        options = DesignOptions(frames=frames, context=request.context)
        return token_cost(design, facts, options), None
    factor = (QWEN3_PATCH if design == "qwen3-vl" else QWEN2_PATCH) * QWEN_MERGE
    floor = MIN_RUNG.get(request.task, 0)
    result = None
    for rung in [r for r in PIXEL_RUNGS if r is None or r >= floor]:
        options = QwenOptions(nframes=paired_frames(frames, facts))
        if rung is not None:
            options = replace(options, max_pixels=rung * factor ** 2,
                              min_pixels=min(rung, VIDEO_MIN_TOKENS) * factor ** 2)
        budget = token_cost(design, facts, DesignOptions(context=request.context, qwen=options))
        d = budget.workings
        result = (budget, {"rung_tokens": rung, "min_pixels": options.min_pixels,
                           "max_pixels": options.max_pixels,
                           "resized": [d["resized_height"], d["resized_width"]]})
        if budget.context_fraction <= CONTEXT_WARN_FRACTION:
            break
    return result


def fit_frames(design: str, frames: int, facts: VideoFacts, request: PlanRequest
               ) -> tuple[int, TokenCost, dict | None]:
    """Fewer pixels first (pixel_plan), then half the frames at a time (never below
    qwen-vl-utils' minimum of 4), until the video fits within 40% of the context."""
    while True:
        budget, pixels = pixel_plan(design, frames, facts, request)
        if (budget.context_fraction <= CONTEXT_WARN_FRACTION or design not in QWEN_DESIGNS
                or frames <= FPS_MIN_FRAMES):
            return frames, budget, pixels
        frames = max(FPS_MIN_FRAMES, frames // 4 * 2)


def how_to_feed(design: str, sampler: str, frames: int, request: PlanRequest,
                pixels: dict | None) -> str:
    """What to pass the model's own preprocessing so it does what the plan says."""
    settings = ""
    if pixels and pixels["rung_tokens"] is not None:
        settings = (f", 'min_pixels': {pixels['min_pixels']:,}, "
                    f"'max_pixels': {pixels['max_pixels']:,}")
    if design == "video-llava":
        return "8 frames from first to last (its processor's np.linspace); nothing to set"
    if design == "video-llama":
        return ("8 frames (its load_video); its vision-only demo writes their times into the "
                "prompt (upload_video_without_audio)")
    if design == "llava-video":
        return (f"{frames} frames by np.linspace with force_sample=True, and its time "
                "instruction before the question (add_time_instruction=True; lmms-eval's "
                "llava_vid leaves both off by default)")
    if design in FIXED_FRAME_DESIGNS:
        return f"{frames} frames by its own sampler ({DESIGNS[design].frames}); nothing to set"
    if sampler == "uniform":
        patch = ", image_patch_size=16" if design == "qwen3-vl" else ""
        return (f"qwen-vl-utils{patch}: {{'nframes': {frames}{settings}}} in the video entry "
                f"(a frame every {request.duration_s / frames:.3g} s)")
    return (f"the {frames} {sampler}-sampled frames to the processor with video_metadata "
            "{'fps': the video's fps, 'frames_indices': their indices} and "
            f"do_sample_frames=False{settings.replace(', ', '; ', 1) if settings else ''}, so "
            "each '<t seconds>' states its pair's true time (qwen-vl-utils' list-of-frames path "
            "numbers frames 0..n-1 and would write wrong times)")


PLAN_MIN_GROUNDING_FPS = 0.5     # fewer frames than one per 2 s: short events fall between
PLAN_DROP_SHARE = 0.25           # a stretch without a frame longer than this share is dropped


def plan_video(request: PlanRequest, evidence: dict, content: str | None = None,
               measured: dict | None = None, measured_frames: int | None = None,
               facts: VideoFacts | None = None) -> dict:
    """The plan for a task: sampler, model, pixels, format, benchmarks, tokens, warnings; or a
    refusal naming the rule and what to do instead. `evidence`: compare rows by name."""
    if request.task not in TASKS:
        raise UserError(f"unknown task {quoted(request.task)}; known: {', '.join(TASKS)}")
    if request.model not in PLAN_MODELS:
        raise UserError(f"unknown model {quoted(request.model)}; known: {', '.join(PLAN_MODELS)}")
    facts = facts or nominal_facts(request.duration_s)
    content = content or TASK_CONTENT[request.task]
    sampler, why = SAMPLER_FOR_CONTENT[content]
    sampler_reason = f"rule of thumb (the lesson): {why}"
    design, model_reason = choose_model(request, sampler, evidence)
    if design in ONE_RATE_MODELS + FIXED_FRAME_DESIGNS and sampler != "uniform":
        sampler, sampler_reason = "uniform", (
            f"{DESIGNS[design].model} takes its own evenly spaced frames" if design in
            FIXED_FRAME_DESIGNS else f"{DESIGNS[design].model} takes one rate per video")
    sampler_reason += sampler_evidence(sampler, evidence) if request.model == "auto" else ""
    wanted = plan_frames(sampler, design, request, facts, measured_frames)
    frames, budget, pixels = fit_frames(design, wanted, facts, request)
    if frames < wanted:
        sampler_reason += (f"; {wanted:,} frames would not fit in {CONTEXT_WARN_FRACTION:.0%} of "
                           f"the context even at the fewest pixels, so {frames}")
    no_time = design in NO_TIME_DESIGNS and request.task in TIME_TASKS
    output = NO_TIME_FORMAT if no_time else OUTPUT_FORMAT[request.task]
    if request.task in TIME_TASKS and not asks_when(request):
        output = "a label (a single short clip: when is not asked)"
    size = nearest_size(design, request.model_size_b)
    proposal = {"task": request.task, "content": content, "sampler": sampler,
                "sampler_reason": sampler_reason, "frames": frames,
                "frames_per_second": frames / request.duration_s,
                "frame_indices": (budget.workings.get("frame_indices") if sampler == "uniform"
                                  else None),
                "model": f"{DESIGNS[design].model}-{size}", "model_size": size,
                "released_sizes": list(RELEASED_SIZES[design]),
                "design": design, "model_reason": model_reason, "source": DESIGNS[design].source,
                "temporal_encoding": DESIGNS[design].temporal_encoding,
                "frame_pixels": pixels, "tokens_per_frame": budget.tokens_per_frame,
                "priced_frames": budget.frames, "tokens": budget.total_tokens,
                "context_tokens": request.context, "context_fraction": budget.context_fraction,
                "output_format": output,
                "how_to_feed": how_to_feed(design, sampler, frames, request, pixels),
                "benchmarks": [{"name": name, "arxiv": BENCHMARKS[name][0],
                                "stresses": BENCHMARKS[name][1]}
                               for name in TASK_BENCHMARKS[request.task]],
                "measurement": measured, "warnings": plan_warnings(request, sampler, frames,
                                                                   pixels, design),
                "refused": False, "reasons": []}
    return apply_rules(request, proposal)


def apply_rules(request: PlanRequest, proposal: dict) -> dict:
    """The RULES that apply to a proposal: a refusal (with its reason) or a warning each."""
    for rule in RULES:
        if not rule.applies(request, proposal):
            continue
        text = f"{rule.when}: {rule.reason}; instead: {rule.instead}"
        if rule.kind == "reject" and request.model == "auto":
            raise AssertionError(f"the planner proposed a hard reject: {rule.key}")
        if rule.kind in ("refuse", "reject"):
            proposal["refused"] = True
            proposal["reasons"].append(text)
        else:
            proposal["warnings"].append(text)
    return proposal


def plan_warnings(request: PlanRequest, sampler: str, frames: int, pixels: dict | None,
                  design: str) -> list[str]:
    """What a plan gives up, said where the user sees it: a rate below its sampler's floor or
    below one frame per 2 s for a time task, pixels below the model's documented minimum."""
    warnings, rate = [], frames / request.duration_s
    if rate > request.max_fps + 1e-9:
        warnings.append(f"{counted(frames, 'frame')} in {request.duration_s:g} s is {rate:.3g} "
                        f"fps, above --max-fps {request.max_fps:g}: {DESIGNS[design].model} "
                        + (f"always takes {frames}" if design in FIXED_FRAME_DESIGNS
                           else f"takes at least {FRAME_FACTOR}"))
    if sampler == "dynamic" and rate < DEFAULT_MIN_FPS - 1e-9:
        warnings.append(f"the dynamic sampler's {DEFAULT_MIN_FPS:g}-{DEFAULT_MAX_FPS:g} fps "
                        f"became {rate:.3g} fps: {frames} frames is all the frame cap "
                        f"({FPS_MAX_FRAMES}) and the context allow")
    if asks_when(request) and rate < PLAN_MIN_GROUNDING_FPS - 1e-9:
        warnings.append(f"{counted(frames, 'frame')} over {request.duration_s:g} s is one every "
                        f"{1 / rate:.3g} s, fewer than one per {1 / PLAN_MIN_GROUNDING_FPS:g} s: "
                        "shorter events can fall between frames; split the video, or give a "
                        "longer context")
    if pixels and pixels["rung_tokens"] is not None and pixels["rung_tokens"] < VIDEO_MIN_TOKENS:
        h, w = pixels["resized"]
        warnings.append(f"frames shrink to {w}x{h}, below {DESIGNS[design].model}'s documented "
                        f"minimum of {VIDEO_MIN_TOKENS} tokens a 2-frame patch, "
                        f"{VIDEO_MIN_TOKENS // FRAME_FACTOR} a frame (qwen-vl-utils "
                        "VIDEO_MIN_PIXELS): small text and objects will not survive")
    return warnings


def shot_spans(frame_count: int, cuts: tuple[Cut, ...], transitions: tuple[Transition, ...]
               ) -> list[tuple[int, int]]:
    """The shots of a video as [first, stop) frames: split at each cut, and around each
    gradual transition (the frames inside it belong to no shot)."""
    edges = sorted([(c.frame, c.frame) for c in cuts]
                   + [(t.first_frame, t.end_frame) for t in transitions])
    shots, start = [], 0
    for end, resume in edges:
        if end > start:
            shots.append((start, end))
        start = max(start, resume)
    if start < frame_count:
        shots.append((start, frame_count))
    return shots


def plan_promises(indices: list[int], fps: float, frame_count: int,
                  shots: list[tuple[int, int]] | None) -> list[str]:
    """Warnings when a plan's own frames break its promises: a shot with no frame (the keyframe
    plan promises one a shot), or a stretch without a frame over PLAN_DROP_SHARE of the video."""
    warnings = []
    chosen = sorted(indices)
    if shots:
        empty = [(a, b) for a, b in shots
                 if bisect.bisect_left(chosen, a) == bisect.bisect_left(chosen, b)]
        if empty:
            a, b = empty[0]
            warnings.append(f"{len(empty)} of {len(shots)} shots get no frame (the first "
                            f"{a / fps:.1f}-{b / fps:.1f} s)")
    edges = [0] + chosen + [frame_count]
    gap, at = max((edges[k + 1] - edges[k], k) for k in range(len(edges) - 1))
    if gap > PLAN_DROP_SHARE * frame_count:
        warnings.append(f"no frame from {edges[at] / fps:.1f} s to {edges[at + 1] / fps:.1f} s "
                        f"({gap / frame_count:.0%} of the video): that part is dropped")
    return warnings


def plan_text(plan: dict) -> str:
    """A plan as text: the content class and any measurement, then the seven numbered steps, how
    to feed the model, the source and the warnings; for a refusal, REFUSED and the reasons."""
    lines = [prose(f"Plan for {plan['task']}: {plan['content']} content"
                   + ("" if plan["measurement"] else " (assumed for the task: no video was "
                      "measured; --video or --synth measures one)"), "  ", "")]
    if plan["measurement"]:
        m = plan["measurement"]
        lines.append(prose(f"measured: median motion {m['median_window_motion']}, 90th "
                           f"percentile {m['p90_window_motion']}, {m['cuts_per_minute']} cuts/min "
                           f"-> {m['decided_by']}", "    ", "  "))
    if plan["refused"]:
        lines.append("REFUSED")
        lines += [prose(reason, "    ", "  - ") for reason in plan["reasons"]]
        return "\n".join(lines)
    pixels = plan["frame_pixels"]
    size = (f"frames resized to {pixels['resized'][1]}x{pixels['resized'][0]}"
            + ("" if pixels["rung_tokens"] is None else
               f" (max_pixels {pixels['max_pixels']:,}, min_pixels {pixels['min_pixels']:,})")
            if pixels else "the model's own frame size")
    steps = [
        f"1. sampler: {plan['sampler']}, {counted(plan['frames'], 'frame')}, one every "
        f"{1 / plan['frames_per_second']:.3g} s ({plan['frames_per_second']:.3g} fps): "
        f"{plan['sampler_reason']}",
        f"2. model: {plan['model']} (released: {', '.join(plan['released_sizes'])}): "
        f"{plan['model_reason']}",
        f"3. pixels: {size}, {plan['tokens_per_frame']:g} tokens per frame",
        f"4. temporal encoding: {plan['temporal_encoding']}",
        f"5. output format: {plan['output_format']}",
        "6. benchmarks: " + "; ".join(f"{b['name']} (arXiv {b['arxiv']}): {b['stresses']}"
                                      for b in plan["benchmarks"]),
        f"7. tokens: {plan['tokens']:,}, {100 * plan['context_fraction']:.1f}% of a "
        f"{plan['context_tokens']:,}-token context" + (
            f" ({counted(plan['priced_frames'], 'frame')}: the processor takes frames in "
            "pairs and repeats the last)" if plan["priced_frames"] > plan["frames"] else ""),
        f"how: {plan['how_to_feed']}",
        f"source: {plan['source']}",
    ]
    lines += [prose(step, "   ") for step in steps]
    lines += [prose(f"warning: {w}", "   ") for w in plan["warnings"]]
    return "\n".join(lines)


SKILL_FILE = "skill-video-vlm-frame-planner.md"
SKILL_VERSION = "2.0.0"

SKILL_EXAMPLES = (("monitoring", 300.0), ("action-recognition", 20.0),
                  ("temporal-grounding", 120.0), ("summarization", 480.0), ("agent-replay", 240.0))
_NEXT = pooled_grid(CLIP336_GRID, LLAVA_POOL_STRIDE, "average")        # 12: LLaVA-NeXT-Video
_ONE = pooled_grid(SIGLIP384_GRID, LLAVA_POOL_STRIDE, "bilinear")       # 14: OneVision, Video
LESSON_CORRECTIONS = (
    "Qwen2.5-VL's 'dynamic FPS' is a rate chosen per video (qwen-vl-utils, 2 fps by default); "
    "inside one video its frames are evenly spaced and its time-aligned M-RoPE takes one "
    "seconds-per-patch, so it cannot express uneven spacing. The lesson says TMRoPE handles "
    "uneven spacing natively: TMRoPE is Qwen2.5-Omni's (arXiv 2503.20215), and it has one rate "
    "per video too.",
    "Uneven (motion-adaptive) frames keep their times with Qwen3-VL, which writes "
    "'<t seconds>' text before each 2-frame patch (transformers processing_qwen3_vl.py).",
    "Video-LLaVA keeps the CLS token for video: 8 x 257 = 2,056 tokens (transformers "
    "processing_video_llava.py); its sense of order lives inside the LanguageBind encoder.",
    "Video-LLaMA's release takes 8 frames (n_frms: 8), not 16, into 32 video-query tokens; "
    "its vision-only demo writes the sampled seconds into the prompt, and with audio its "
    "prompt drops them (conversation_video.py upload_video_without_audio, upload_video).",
    "Pooled per frame as released is the LLaVA-NeXT line, not the lesson's 3 x 3 pool to "
    f"{(CLIP336_GRID // 3) ** 2}: LLaVA-NeXT-Video pools CLIP's {CLIP336_GRID} x {CLIP336_GRID} "
    f"patches {LLAVA_POOL_STRIDE} x {LLAVA_POOL_STRIDE} to {_NEXT ** 2} a frame (up to "
    f"{NEXT_VIDEO_MAX_FRAMES} frames at 1 fps), LLaVA-OneVision SigLIP's {SIGLIP384_GRID} x "
    f"{SIGLIP384_GRID} bilinearly to {_ONE ** 2} ({ONEVISION_FRAMES} frames, one newline a "
    f"video), LLaVA-Video to {_ONE ** 2} plus a newline per row, {_ONE * (_ONE + 1)} "
    f"({LLAVA_VIDEO_FRAMES} frames, their times as text); InternVL3 pixel-shuffles "
    f"{INTERNVL_TILE} px to {INTERNVL_TILE_TOKENS} a frame with 'FrameN:' labels (each "
    "design's source: `tokens --design NAME`). A 3 x 3 pool is hypothetical: "
    f"{(CLIP336_GRID // 3) ** 2} a frame on {CLIP336_GRID} x {CLIP336_GRID}, "
    f"{(SIGLIP384_GRID // 3) ** 2} on {SIGLIP384_GRID} x {SIGLIP384_GRID}.",
)


def render_skill(evidence: dict) -> str:
    """The skill file, from the same tables and measurements (`evidence`: compare rows by name)
    plan reads. Nothing in it changes between runs."""
    return "\n".join(skill_front_matter() + skill_what_it_produces(evidence) + skill_rules()
                     + skill_examples(evidence) + skill_corrections_and_references())


def skill_front_matter() -> list[str]:
    """The skill file's YAML front matter, title and provenance."""
    return ["---", "name: video-vlm-frame-planner",
            "description: Pick the frame sampler, model, per-frame pixels, output format and "
            "benchmarks for a video task, estimate its token cost with the model's own "
            "arithmetic, and refuse plans that cannot work.",
            f"version: {SKILL_VERSION}", "phase: 12", "lesson: 17",
            "tags: [video, vlm, frame-sampling, visual-tokens, temporal-grounding, m-rope]",
            "---", "", "# Video VLM frame planner", "",
            "Generated by `python code/main.py skill` from the rule tables in `code/main.py`; "
            "`python code/main.py plan` applies the same tables. Do not edit by hand.", ""]


def skill_what_it_produces(evidence: dict) -> list[str]:
    """The seven things a plan decides, each from the table or measurement it is read from."""
    uniform = choose_model(PlanRequest("temporal-grounding", 60.0), "uniform", evidence)
    uneven = choose_model(PlanRequest("temporal-grounding", 60.0), "dynamic", evidence)
    lines = ["## What the planner produces", "",
             "1. **Sampler**, from the footage (measured with `--video`/`--synth`, else assumed "
             "from the task); rules of thumb from the lesson, not measurements:", ""]
    lines += [f"   - {content}: `{sampler}`, {why}" for content, (sampler, why) in
              SAMPLER_FOR_CONTENT.items()]
    lines += ["", f"2. **Model**, from `compare`'s measurements: for evenly spaced frames "
              f"{DESIGNS[uniform[0]].model}, {uniform[1]}. For uneven frames "
              f"{DESIGNS[uneven[0]].model}: {uneven[1]}. `--model` asks for another; a "
              "combination no released model supports is refused with the rule below. The plan "
              "names the released size nearest `--model-size`.",
              "3. **Pixels per frame** for a Qwen model: qwen-vl-utils' own budget first, then "
              + ", ".join(f"{r}" for r in PIXEL_RUNGS if r) + " tokens per 2-frame patch "
              "(max_pixels = tokens x 28^2, or x 32^2 for Qwen3-VL; min_pixels comes down with it "
              "below "
              f"{VIDEO_MIN_TOKENS}), the largest that keeps video within "
              f"{CONTEXT_WARN_FRACTION:.0%} of the context.",
              "4. **Temporal encoding**, as each model's code has it:", ""]
    lines += [f"   - {d.model}: {d.temporal_encoding}" for d in DESIGNS.values()
              if not d.hypothetical]
    formats = "; ".join(f"{t}: {f}" for t, f in OUTPUT_FORMAT.items())
    lines += ["", f"5. **Output format**: {formats}"
              + ". With " + ", ".join(DESIGNS[d].model for d in NO_TIME_DESIGNS)
              + f", whose input carries no time: {NO_TIME_FORMAT}.",
              "6. **Benchmarks**: " + "; ".join(f"{n} (arXiv {a}): {s}"
                                               for n, (a, s) in BENCHMARKS.items()) + ".",
              "7. **Token estimate** from the model's own token arithmetic, with its share of the "
              "context, and what to pass its preprocessing.", "",
              "Every plan states the rate it delivers, and warns when frames fall below one per "
              f"{1 / PLAN_MIN_GROUNDING_FPS:g} s for a task that asks when, when pixels fall "
              f"below the model's documented minimum ({VIDEO_MIN_TOKENS} tokens a 2-frame patch, "
              f"{VIDEO_MIN_TOKENS // FRAME_FACTOR} a frame), when a "
              "shot gets no frame, and when a stretch over "
              f"{PLAN_DROP_SHARE:.0%} of the video gets none.", ""]
    return lines


def skill_rules() -> list[str]:
    """The RULES table: hard rejects and refusals, when, why and what instead."""
    lines = ["## Hard rejects and refusals", "",
             "| rule | kind | when | why | instead |", "|---|---|---|---|---|"]
    lines += [f"| `{r.key}` | {r.kind} | {r.when} | {r.reason} | {r.instead} |" for r in RULES]
    lines += ["", "Refusals end with exit status 0 and a plan that says REFUSED; hard rejects are "
              "never proposed, and asking for one with `--model` is refused.", ""]
    return lines


def skill_examples(evidence: dict) -> list[str]:
    """Worked examples, each computed by plan_video, and one refusal."""
    lines = ["## Worked examples", "",
             "Computed by `plan` with its defaults (--model-size 7, 32,768-token context, 4 fps "
             f"cap, a {NOMINAL_WIDTH}x{NOMINAL_HEIGHT} video):", "",
             "| task | duration | sampler | model | frames | pixels | tokens | of context |",
             "|---|---|---|---|---|---|---|---|"]
    for task, duration in SKILL_EXAMPLES:
        p = plan_video(PlanRequest(task, duration), evidence)
        px = p["frame_pixels"]
        pixels = (f"{px['resized'][1]}x{px['resized'][0]}"
                  + ("" if px["rung_tokens"] is None else f" (max {px['max_pixels']:,})"))
        lines.append(f"| {task} | {duration:g} s | {p['sampler']} | {p['model']} "
                     f"| {p['frames']} | {pixels} | {p['tokens']:,} | "
                     f"{100 * p['context_fraction']:.1f}% |")
    refused = plan_video(PlanRequest("summarization", 1200.0, context=16384), evidence)
    lines += ["", f"A 20-minute summary with a 16k context is refused: {refused['reasons'][0]}.",
              ""]
    return lines


def skill_corrections_and_references() -> list[str]:
    """Where the lesson and the released code differ, then each released design's source."""
    lines = ["## Where the lesson and the released code differ", ""]
    lines += [f"- {c}" for c in LESSON_CORRECTIONS]
    lines += ["", "## References", ""]
    lines += [f"- {d.model}: {d.source}" for d in DESIGNS.values() if not d.hypothetical]
    return lines + [""]


EXERCISE_PRICING = "qwen3-vl"         # the released design that takes uneven frames with times


def exercise_sampling(design: str = EXERCISE_PRICING, width: int = NOMINAL_WIDTH,
                      height: int = NOMINAL_HEIGHT) -> dict:
    """Exercise 1 on cooking-3min: uniform 1 fps, uniform with dynamic's frame count, and dynamic
    1-4 fps, priced by `design` (Qwen3-VL) at width x height: events hit, frames on events per
    1,000 tokens, and which to pick to see what happens and to say when."""
    scene = get_preset("cooking-3min")
    motion = scene_motion(scene)
    windows = motion_windows(motion.scores, motion.fps, DEFAULT_WINDOW_S)
    facts = VideoFacts(motion.frame_count, motion.fps, width, height)
    dynamic = dynamic_fps_sample(windows, motion.fps, SamplerSettings())

    def uniform(frames: int) -> SampleResult:     # no rate cap: only the count is asked
        settings = SamplerSettings(uniform_frames=frames, max_fps=motion.fps)
        return uniform_sample(motion.frame_count, motion.fps, settings)
    options = [("uniform 1 fps", uniform(round(motion.duration_s))),
               ("uniform, same frames as dynamic", uniform(len(dynamic.indices))),
               ("dynamic 1-4 fps", dynamic)]
    rows = []
    for name, result in options:
        hits = sum(events_hit(result.indices, motion.fps, scene.events))
        on_events = sum(1 for t in result.times if any(e.start <= t < e.end for e in scene.events))
        tokens = price_frames(design, len(result.indices), facts).total_tokens
        rows.append({"sampler": name, "frames": len(result.indices), "tokens": tokens,
                     "events_hit": hits, "event_count": len(scene.events),
                     "frames_on_events": on_events,
                     "frames_on_events_per_1k_tokens": 1000 * on_events / tokens})
    cheapest = min((r for r in rows if r["events_hit"] == max(x["events_hit"] for x in rows)),
                   key=lambda r: r["tokens"])
    densest = max(rows, key=lambda r: r["frames_on_events_per_1k_tokens"])
    why = (f"To see every action, {cheapest['sampler']} is cheapest: {cheapest['events_hit']} of "
           f"{cheapest['event_count']} events with {cheapest['tokens']:,} tokens. To say when they "
           f"happen, {densest['sampler']} puts {densest['frames_on_events_per_1k_tokens']:.2f} "
           f"frames on the actions per 1,000 tokens, against "
           f"{min(r['frames_on_events_per_1k_tokens'] for r in rows):.2f} for the sparsest; "
           f"pick {densest['sampler']} for a cooking demo you will ask 'when' about, "
           f"{cheapest['sampler']} if you only need 'what'. Uneven frames keep their times "
           "with Qwen3-VL's text timestamps only when you pass their true frame indices and the "
           "video's fps as video_metadata (do_sample_frames=False); qwen-vl-utils' "
           "list-of-frames path numbers them 0..n-1 at a default rate. Fed to Qwen2.5-VL, which "
           "takes one rate per video, they would be placed evenly (see compare).")
    return {"video": scene.name, "priced_as": {"design": design, "width": facts.width,
                                                "height": facts.height},
            "options": rows, "pick_for_what": cheapest["sampler"],
            "pick_for_when": densest["sampler"], "justification": why}


def exercise_sampling_text(doc: dict) -> str:
    """Exercise 1's report: the three options in a table, then the justification."""
    priced = doc["priced_as"]
    return "\n".join([
        prose(f"{doc['video']}: " + pricing_note(priced["design"], priced["width"],
                                                  priced["height"], "exercise 1")),
        format_table(["sampler", "frames", "tokens", "events hit", "frames on events",
                      "per 1k tokens"],
                     [[r["sampler"], r["frames"], f"{r['tokens']:,}",
                       f"{r['events_hit']}/{r['event_count']}", r["frames_on_events"],
                       f"{r['frames_on_events_per_1k_tokens']:.2f}"] for r in doc["options"]]),
        prose("frames on events: sampled frames inside an action; per 1k tokens: those per "
              "1,000 tokens"),
        prose(doc["justification"])])


def rope_conclusion(demo: dict | None, table_rows: int = LEARNED_TABLE_ROWS) -> str:
    """Exercise 2's answer, in words computed from the demonstration."""
    if demo is None:
        return "Too few frames to compare encodings (need at least 3 temporal patches)."
    c, f = demo["closest"], demo["farthest"]
    spacing = (f"Neighbouring patches {c['time_gap_s']:.2f} s and {f['time_gap_s']:.2f} s apart"
               if demo["uneven"] else f"Patches {c['time_gap_s']:.2f} s apart")
    lines = [
        f"{spacing} get Qwen2-VL index steps {c['index_delta']} and {f['index_delta']}: index "
        "M-RoPE counts patches, not seconds.",
        f"Qwen2.5-VL steps {c['aligned_delta']} and {f['aligned_delta']} ({TOKENS_PER_SECOND} ids "
        "a second): its "
        "time-aligned M-RoPE takes one seconds-per-patch for the whole video, so its ids are "
        "evenly spaced whatever the frames were"
        + (f"; here its time is up to {demo['aligned_max_error_s']:.2f} s off "
           f"(patch {demo['aligned_worst_patch']})." if demo["aligned_max_error_s"] > 0.5
           else f"; with these evenly spaced frames it is within "
                f"{demo['aligned_max_error_s']:.2f} s of the truth."),
        f"Qwen3-VL writes {c['timestamps'][0]} {c['timestamps'][1]} and {f['timestamps'][0]} "
        f"{f['timestamps'][1]} as text before the patches, within "
        f"{demo['timestamp_max_error_s']:.2f} s of each pair's true mean, so uneven spacing is "
        "expressible, when the frames reach its processor with their own indices and fps as "
        "video_metadata (qwen-vl-utils' list-of-frames path numbers them 0..n-1 and writes "
        "evenly spaced times); its temporal id carries no time.",
        f"Qwen2.5-Omni's TMRoPE, called as its README calls the processor (no fps, so it "
        f"assumes {OMNI_PROCESSOR_FPS:g} fps: 1 s a patch), steps {c['omni_delta']} and "
        f"{f['omni_delta']} ({OMNI_POSITIONS_PER_SECOND} ids a second) whatever the frames; a "
        "caller who passes these "
        f"frames' own rate gets {c['omni_fps_delta']} and {f['omni_fps_delta']} (one rate per "
        f"video, like Qwen2.5-VL). It interleaves audio in {OMNI_SECONDS_PER_CHUNK:g}-second "
        "chunks.",
        f"A learned table (Video-LLaVA's encoder) has {table_rows} rows: frame i of "
        f"{table_rows}, no seconds, and "
        + (f"no row for {demo['frames_past_table']} of these frames." if demo["frames_past_table"]
           else "a row for each of these frames."),
        "The lesson calls time-aligned M-RoPE 'TMRoPE' and says it handles uneven spacing "
        "natively; in the released code TMRoPE is Qwen2.5-Omni's, and neither it nor "
        "Qwen2.5-VL can express uneven spacing within one video.",
    ]
    return "\n".join(lines)


def exercise_rope() -> dict:
    """Exercise 2 on cooking-3min: Qwen2.5-VL's own uniform frames, then motion-adaptive ones
    and the time each design states for them, and Qwen2.5-Omni's interleaving of the first
    10 s with audio."""
    scene = get_preset("cooking-3min")
    motion = scene_motion(scene)
    windows = motion_windows(motion.scores, motion.fps, DEFAULT_WINDOW_S)
    facts = VideoFacts(motion.frame_count, motion.fps, NOMINAL_WIDTH, NOMINAL_HEIGHT)
    release = qwen_video_plan(facts)
    uniform = patch_times([i / facts.fps for i in release["frame_indices"]], release["sample_fps"])
    times = list(dynamic_fps_sample(windows, motion.fps, SamplerSettings()).times)
    patches = patch_times(times, len(times) / motion.duration_s)
    demo, uniform_demo = rope_demonstration(patches), rope_demonstration(uniform)
    _, h, w = release["grid_thw"]
    clip = Segment("av", audio_tokens(10.0), (10, h, w), release["second_per_grid_t"])
    return {"video": scene.name, "patch_count": len(patches), "demonstration": demo,
            "uniform_demonstration": uniform_demo, "conclusion": rope_conclusion(demo),
            "omni_av_layout": {"layout": f"av:10x{h}x{w}@{clip.second_per_grid!r}+{clip.count}",
                                "pattern": av_pattern(clip)},
            "learned_table_rows": LEARNED_TABLE_ROWS,
            "frames_past_table": max(0, len(times) - LEARNED_TABLE_ROWS),
            "uniform_frames": release["nframes"], "adaptive_frames": len(times)}


def exercise_rope_text(doc: dict) -> str:
    """Exercise 2's report: the uniform frames' error, the conclusion a paragraph a design,
    Omni's interleaving of its own uniform frames."""
    return "\n\n".join([
        prose(f"{doc['video']}: Qwen2.5-VL's own uniform frames ({doc['uniform_frames']}) keep its "
              f"time-aligned ids within "
              f"{doc['uniform_demonstration']['aligned_max_error_s']:.2f} s of the truth. The "
              f"{doc['adaptive_frames']} motion-adaptive frames ({doc['patch_count']} patches) are "
              "another matter:")]
        + [prose(sentence) for sentence in doc["conclusion"].split("\n")]
        + [prose(f"Qwen2.5-Omni interleaves the first 10 s of its own uniform frames "
                 f"({doc['omni_av_layout']['layout']}) with 10 s of audio as: "
                 f"{doc['omni_av_layout']['pattern']} (V: video tokens, A: audio tokens, one "
                 "chunk per 2 seconds)."),
           prose(f"Every position: `{invocation()} rope --synth cooking-3min --strategy "
                 "dynamic`.")])


SCHEMA_EXAMPLES = (
    ('[{"event": "jump", "start": 4.2, "end": 4.5, "confidence": 0.9}]', "a well-formed answer"),
    ('{"error": "not_found"}', "the model says the event is not there"),
    ('[{"event": "jump", "start": 4.5, "end": 4.2, "confidence": 0.9}]', "start after end"),
    ('[{"event": "jump", "start": "4.2s", "end": 4.5}]', "a string time, no confidence"),
    ('{"event": "jump", "start": 4.2, "end": 4.5, "confidence": 0.9}', "an object, not a list"),
)


def exercise_schema() -> dict:
    """Exercise 3: each of SCHEMA_EXAMPLES checked against the grounding schema, valid or its
    violations."""
    results = []
    for text, what in SCHEMA_EXAMPLES:
        problems = validate(parse_json(text), GROUNDING_SCHEMA, GROUNDING_SCHEMA)
        results.append({"answer": text, "what": what, "valid": not problems,
                        "violations": [{"path": p, "message": m} for p, m in problems]})
    return {"schema_id": GROUNDING_SCHEMA["$id"], "examples": results}


def exercise_schema_text(doc: dict) -> str:
    """Exercise 3's report: each example, valid or INVALID with its violations."""
    lines = [f"The schema is `{invocation()} schema`; the five answers against it:"]
    for r in doc["examples"]:
        lines.append(f"{'valid  ' if r['valid'] else 'INVALID'} {r['what']}: {r['answer']}")
        lines += [f"        {v['path']}: {v['message']}" for v in r["violations"]]
    return "\n".join(lines)


LESSON_POOLED = (64, 300)      # the lesson's pooled design: 64 tokens a frame x 300 frames


def exercise_alignment() -> dict:
    """Exercise 4: Video-LLaVA's two paths counted (an image, a video), and every released
    design's tokens for a 300-frame clip (300 s at 1 fps, 640x360) beside the lesson's
    hypothetical 64 x 300."""
    facts = VideoFacts(LESSON_POOLED[1] * round(NOMINAL_FPS), NOMINAL_FPS, NOMINAL_WIDTH,
                       NOMINAL_HEIGHT)
    llava, llama = token_cost("video-llava", facts), token_cost("video-llama", facts)
    image_tokens = (VIDEO_LLAVA_SIZE // VIDEO_LLAVA_PATCH) ** 2        # the CLS token dropped
    designs = []
    for name, design in DESIGNS.items():
        if design.hypothetical:
            continue
        b = token_cost(name, facts)
        designs.append({"design": name, "model": design.model, "frames": b.frames,
                        "tokens_per_frame": b.tokens_per_frame, "visual_tokens": b.visual_tokens,
                        "text_tokens": b.text_tokens, "tokens": b.total_tokens})
    per_frame, frames = LESSON_POOLED
    return {"video_llava": {"image_tokens": image_tokens, "frames": llava.frames,
                            "tokens_per_frame": llava.tokens_per_frame,
                            "video_tokens": llava.visual_tokens},
            "video_llama": {"frames": llama.frames, "frame_queries": VIDEO_LLAMA_FRAME_QUERIES,
                            "video_tokens": llama.visual_tokens},
            "clip_s": facts.duration_s, "designs": designs,
            "lesson_pooled": {"tokens_per_frame": per_frame, "frames": frames,
                              "tokens": per_frame * frames, "hypothetical": True}}


def exercise_alignment_text(doc: dict) -> str:
    """Exercise 4's report: the order of alignment and projection, the two paths' counts, and
    the released designs beside the lesson's pooled numbers."""
    v, m, lesson = doc["video_llava"], doc["video_llama"], doc["lesson_pooled"]
    rows = [[d["model"], d["frames"], f"{d['tokens_per_frame']:g}", f"{d['visual_tokens']:,}",
             f"{d['text_tokens']:,}", f"{d['tokens']:,}"] for d in doc["designs"]]
    rows.append(["the lesson's pooled design (hyp.)", lesson["frames"],
                 lesson["tokens_per_frame"], f"{lesson['tokens']:,}", "0",
                 f"{lesson['tokens']:,}"])
    return "\n\n".join([
        prose("Video-LLaVA (arXiv 2311.10122) encodes images and videos with LanguageBind "
              "encoders trained against text, so both are in one language-aligned space before "
              "anything reaches the LLM; then one shared projection maps them in. Aligning "
              "first means what the LLM learns from images carries over to video; separately "
              "projected features would be two dialects to learn."),
        prose(f"Counted by this tool: an image enters as {v['image_tokens']} tokens (CLS "
              f"dropped), a video as {v['frames']} frames x {v['tokens_per_frame']:g} (CLS kept) "
              f"= {v['video_tokens']:,} (transformers processing_video_llava.py); order lives "
              "inside the video encoder, and nothing marks time at the LLM input. Video-LLaMA "
              f"turns {m['frames']} frames into {m['frames']} x {m['frame_queries']} Q-former "
              f"queries, then {m['video_tokens']} tokens for the whole clip."),
        prose(f"A {doc['clip_s']:g} s clip (the lesson's 300 frames at 1 fps), 640x360, as each "
              "released design takes it:"),
        format_table(["design", "frames", "tok/frame", "visual", "text", "total"], rows),
        prose("The lesson's 64 tokens a frame is a 3 x 3 pool no release uses (`tokens --design "
              f"llava-next-video --pool 3 --frames 300 --duration {doc['clip_s']:g}`); the "
              "released pooled-per-frame models take 32 or 64 frames, not 300.")])


def exercise_videomme(scores: str | None, example_csv: bool) -> dict:
    """Exercise 5: the VideoMME gap between the best proprietary and best open model (the
    shipped table, or the `scores` CSV), and what same-size encoding pairs and scale can say;
    with `example_csv`, the shipped table as CSV instead."""
    if example_csv:
        import csv
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(VIDEOMME_COLUMNS)
        writer.writerows(["" if v is None else v for v in row] for row in VIDEOMME_TABLE)
        return {"csv": out.getvalue().rstrip("\n")}
    rows = read_scores(scores) if scores else videomme_rows()
    source = scores or (f"the shipped table, each row read in {VIDEOMME_TABLE_READ} from the "
                        "source its CSV names in its last column")
    return {"source": source, "rows": rows, **videomme_gap(rows)}


def exercise_videomme_text(doc: dict) -> str:
    """Exercise 5's report: the scores, the gap, same-size encoding pairs (confounded), the
    scale slope, and what the table cannot say; or the CSV."""
    if "csv" in doc:
        return doc["csv"]
    lines = [prose(f"Scores from {doc['source']} (--scores FILE takes a CSV with columns "
                   f"{', '.join(VIDEOMME_COLUMNS)}; `exercise 5 --example-csv` prints the "
                   "table):"),
             format_table(["model", "access", "params B", "encoding", "VideoMME", "+subs"],
                          [[r["model"], r["access"],
                            "" if r["params_b"] is None else f"{r['params_b']:g}",
                            r["temporal_encoding"], f"{r['videomme']:.1f}",
                            "" if r.get("videomme_subs") is None else f"{r['videomme_subs']:.1f}"]
                           for r in doc["rows"]])]
    if doc["gap"] is not None:
        subs = "" if doc["gap_subs"] is None else f" ({doc['gap_subs']:.1f} with subtitles)"
        lines.append(prose(f"Gap: {doc['best_proprietary']} minus {doc['best_open']} = "
                           f"{doc['gap']:.1f} points{subs}."))
    for pair in doc["encoding_pairs"]:
        lines.append(prose(f"Encoding, same size: {pair['index']} (index M-RoPE) -> "
                           f"{pair['time_aligned']} (time-aligned) = {pair['points']:+.1f} points. "
                           "Confounded: the newer model also changed its training data, recipe "
                           "and vision encoder, so this bounds what the encoding could explain; "
                           "it does not isolate it."))
    if doc["scale_points_per_doubling"] is not None:
        lines.append(prose(f"Scale: {doc['scale_family']} gains "
                           f"{doc['scale_points_per_doubling']:.2f} points per doubling of "
                           "parameters (same family and encoding, least squares on log2 size)."))
    lines += [prose(f"Cannot say: {note}.") for note in doc["notes"]]
    return "\n".join(lines)


# Each exercise's question, printed before its worked answer (`exercise N --answer`).
EXERCISE_QUESTIONS = {
    1: "A 3-minute cooking demo (the cooking-3min preset). Compare uniform 1 fps, uniform with "
       "as many frames as dynamic 1-4 fps, and dynamic 1-4 fps: for each, count the frames, "
       "the tokens (priced as Qwen3-VL), the events hit and the frames that land on an action "
       "per 1,000 tokens. Which would you pick to see what happens, and which to say when? "
       "Helps: `sample --synth cooking-3min`.",
    2: "What does time-aligned RoPE add over a temporal embedding table? Take the cooking "
       "demo's motion-adaptive frames, find the closest and the farthest-apart neighbouring "
       "patches, and write down the temporal position each design gives them: Qwen2-VL, "
       "Qwen2.5-VL, Qwen3-VL, Qwen2.5-Omni, and a learned 8-row table. Which of them can "
       "express that the frames are unevenly spaced? Helps: `rope --synth cooking-3min "
       "--strategy dynamic`.",
    3: "Write a JSON Schema for a grounding answer (a list of events with start and end "
       "seconds, start <= end, or an error saying the event is not there), then check five "
       "answers against it: which are valid, and what is wrong with the others? Helps: "
       "`schema`, `schema --validate FILE`.",
    4: "Video-LLaVA aligns images and videos before projecting them. What does that order "
       "buy, how many tokens does each path put into the LLM, and how do the released "
       "designs' tokens for a 300-frame clip compare with the lesson's pooled 64 tokens x 300 "
       "frames? Helps: `tokens --duration 300 --design all`.",
    5: "How far do open models trail proprietary ones on VideoMME, and what can a table of "
       "scores say about why: the temporal encoding, or scale? Helps: `exercise 5 "
       "--example-csv` for the table, `--scores FILE` for your own.",
}

# Each exercise: the function that works it (its document) and the one that reports it.
EXERCISES = {1: exercise_sampling, 2: exercise_rope, 3: exercise_schema, 4: exercise_alignment}
EXERCISE_TEXTS = {1: exercise_sampling_text, 2: exercise_rope_text, 3: exercise_schema_text,
                  4: exercise_alignment_text, 5: exercise_videomme_text}


# ----------------------------------------------------------------------------------------------
# §13 Output
# Writes that never harm what sits at the path; text tables and prose that fit 100
# columns; SVG pictures; PNG contact sheets (thumbnails, a 5x7 font, zlib).
# ----------------------------------------------------------------------------------------------

# Writing files. Every file the tool writes goes through write_output, whose rules are those of
# a careful `cp`: nothing the user had is harmed, whatever sits at the path.
PARTIAL_TAG = ".partial-"          # temporaries are named .NAME.partial-PID-XXXX.tmp beside NAME


def write_output(path: str, pieces: Iterable[bytes]) -> int:
    """Write `pieces` to the file at `path` and return the bytes written (`-`, stdout, is
    main()'s to write: see save_text and save_bytes).

    A symlink is followed to the file it names. A device, FIFO or socket
    (/dev/null, /dev/stdout, a named pipe) is opened and written directly, never replaced. A
    regular file is written whole: into a temporary file beside it, then renamed over it, so
    a failure half-way leaves the old file as it was. A file with other hard links is
    replaced the same way, which unlinks this name from them: they keep the old content, and a
    warning says so (copying into the shared file could leave it half new). A file without write
    permission is refused (even for root: someone made it read-only on purpose)."""
    try:
        info = os.stat(path)                   # through symlinks: what is really there
    except FileNotFoundError:
        info = None
    except OSError as error:
        raise UserError(f"{path}: cannot write: {error.strerror or error}") from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise UserError(f"{path}: is a folder")
    if info is not None and not stat.S_ISREG(info.st_mode):
        try:
            with open(path, "wb", buffering=0) as stream:
                return write_stream(stream, pieces, path)
        except OSError as error:
            raise UserError(f"{path}: cannot write: {error.strerror or error}") from None
    target = os.path.realpath(path)
    if info is not None and (not info.st_mode & 0o222 or not os.access(target, os.W_OK)):
        raise UserError(f"{path}: is read-only; not overwritten")
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise UserError(f"{path}: folder {os.path.dirname(os.path.abspath(path))} does not exist")
    remove_stale_partials(folder, os.path.basename(target))
    return replace_whole(path, target, info, pieces)


def write_stream(stream, pieces: Iterable[bytes], name: str) -> int:
    """Write `pieces` to an open binary stream, flush, and return the bytes written. A None
    stream or an OSError is a UserError naming `name`; BrokenPipeError passes through."""
    if stream is None:
        raise UserError(f"{name} is closed; there is nowhere to write")
    written = 0
    try:
        for piece in pieces:
            stream.write(piece)
            written += len(piece)
        stream.flush()
    except BrokenPipeError:
        raise                                   # the reader left: main() exits quietly
    except OSError as error:
        raise UserError(f"{name}: cannot write: {error.strerror or error}") from None
    return written


def replace_whole(path: str, target: str, info: os.stat_result | None,
                  pieces: Iterable[bytes]) -> int:
    """The temporary-file-then-rename write, cleaned up on any exception or SIGTERM."""
    import tempfile
    folder, name = os.path.split(target)
    # SIGTERM is caught from before the temporary exists, so none is left behind.
    with terminate_as_exception():
        try:
            handle, temporary = tempfile.mkstemp(
                dir=folder, suffix=".tmp", prefix=f"{partial_prefix(folder, name)}{os.getpid()}-")
        except OSError as error:
            raise UserError(f"{path}: cannot write in {folder}: {error.strerror or error}"
                            ) from None
        except BaseException:         # a signal after mkstemp made the file, before its name
            remove_stale_partials(folder, name, ours_too=True)      # reached us
            raise
        try:
            with os.fdopen(handle, "wb") as out:
                # mkstemp makes the file private; give it the mode the user's file has (or
                # would get).
                os.chmod(temporary, info.st_mode & 0o7777 if info else 0o666 & ~current_umask())
                written = write_stream(out, pieces, path)
                os.replace(temporary, target)   # atomic: the old file or the new, never half
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    if info is not None and info.st_nlink > 1:
        links = info.st_nlink - 1
        warn(f"{path} had {links} other hard link{'s' if links > 1 else ''}; "
             f"{'they keep' if links > 1 else 'it keeps'} the old content")
    return written


def current_umask() -> int:
    """The process's umask (read by setting it and putting it back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


PARTIAL_EXTRA = 30      # what a temporary's name adds: . .partial- PID(7) - random(8) .tmp


def partial_prefix(folder: str, name: str) -> str:
    """`.NAME.partial-`, NAME cut (whole characters) so the temporary's name fits the file
    system's limit on a name: the user's own name may use the limit whole."""
    try:
        limit = os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        limit = 255
    room = max(1, limit - PARTIAL_EXTRA)
    short = name.encode("utf-8", "surrogateescape")[:room].decode("utf-8", "ignore")
    return f".{short or 'x'}{PARTIAL_TAG}"


def remove_stale_partials(folder: str, name: str, ours_too: bool = False) -> None:
    """Delete temporaries an earlier run left for this same file when it was killed (SIGKILL;
    other endings clean up): .NAME.partial-PID-*.tmp whose PID is no longer running (or is
    this process's, with `ours_too`)."""
    prefix = partial_prefix(folder, name)
    try:
        entries = [e.name for e in os.scandir(folder) if e.name.startswith(prefix)]
    except OSError:
        return
    for entry in entries:
        pid_text = entry[len(prefix):].split("-", 1)[0]
        if ascii_number(pid_text) and entry.endswith(".tmp") and (
                not process_alive(int(pid_text)) or ours_too and int(pid_text) == os.getpid()):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(folder, entry))


def process_alive(pid: int) -> bool:
    """Whether process `pid` may be running: False only when the system says there is no such
    process (another user's process, or a value that is not a pid, counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True                 # someone else's process, or not a pid: leave it alone
    return True


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived; raised so that `finally` and cleanup run."""


@contextlib.contextmanager
def terminate_as_exception():
    """While a file is being written, SIGTERM and SIGHUP unwind like Ctrl-C, so the temporary
    file is removed; outside the main thread (no signals there) this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    def raise_terminated(number, frame):
        raise Terminated(number)
    previous = {}
    for number in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if number is not None:
            previous[number] = signal.signal(number, raise_terminated)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def is_special_file(path: str) -> bool:
    """A device, FIFO or socket: written directly, whatever its name."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


# Which options name files the tool reads and which name files it writes (one list for every
# subcommand): an output is never one of the inputs.
INPUT_OPTIONS = ("video", "events", "predictions", "gt", "duration_file", "lmms_results",
                 "validate", "scores")
OUTPUT_OPTIONS = ("out", "sheet", "scenes")


def file_identity(path: str) -> tuple[int, int] | None:
    """(device, inode) of what is at `path`, through symlinks; None when nothing is there."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    return info.st_dev, info.st_ino


def refuse_output_over_input(args: argparse.Namespace) -> None:
    """Before anything is written: an output that is the same file as an input (the same
    device and inode, so hard links and symlinks too; or a frame of a --video folder) is a
    UserError naming both."""
    inputs = [getattr(args, name) for name in INPUT_OPTIONS if getattr(args, name, None)]
    for name in OUTPUT_OPTIONS:
        out = getattr(args, name, None)
        target = file_identity(out) if isinstance(out, str) and out != "-" else None
        if target is None or not stat.S_ISREG(os.stat(out).st_mode):
            continue                  # nothing there yet, or a device: no input is harmed
        for source in inputs:
            if not isinstance(source, str) or source == "-":
                continue
            if os.path.isdir(source):
                with os.scandir(source) as entries:
                    clash = next((e.path for e in entries if e.is_file()
                                  and file_identity(e.path) == target), None)
            else:
                clash = source if file_identity(source) == target else None
            if clash:
                raise UserError(f"--{name.replace('_', '-')} {out} is the input {clash}; "
                                "choose another output path (nothing was written)")


class Output(NamedTuple):
    """A file a subcommand made: where it went and its size, and, when the path was `-`, the
    content itself, which main() writes to stdout in place of the report."""
    info: dict
    stdout: str | bytes | None = None


def save_text(path: str, text: str) -> Output:
    """Text saved by write_output's rules, or kept for stdout when the path is `-`."""
    data = text.encode("utf-8")
    if path == "-":
        return Output({"path": "-", "bytes": len(data)}, text)
    return Output({"path": path, "bytes": write_output(path, [data])})


def save_bytes(path: str, pieces: Iterable[bytes]) -> Output:
    """Bytes saved by write_output's rules, or gathered for stdout when the path is `-`."""
    if path == "-":
        data = b"".join(pieces)
        return Output({"path": "-", "bytes": len(data)}, data)
    return Output({"path": path, "bytes": write_output(path, pieces)})


def check_suffix(path: str, suffix: str, what: str) -> None:
    """A file output must end in `suffix` (a device, FIFO or `-` may be named anything), so a
    slip of the keyboard cannot write a picture over a video or a CSV over a truth file."""
    if path != "-" and not path.lower().endswith(suffix) and not is_special_file(path):
        raise UserError(f"{path}: {what}; give a path ending in {suffix}")


def save_svg(path: str, svg: str) -> Output:
    """An SVG picture to a .svg file, a device or FIFO, or stdout for `-`."""
    check_suffix(path, ".svg", "the picture is SVG")
    return save_text(path, svg)


SPARK = "▁▂▃▄▅▆▇█"
TIMELINE_COLUMNS = 72

TABLE_WIDTH = 100                  # tables fit this many columns unless --wide
TEXT_WIDTH = 100                   # prose wraps here when stdout is not a terminal


def format_table(headers: list[str], rows: list[list[object]], wide: bool = True) -> str:
    """Columns aligned; numbers right, text left. Unless wide, the widest text column is
    shortened (ending in '...') so the table fits in TABLE_WIDTH columns."""
    cells = [[str(h) for h in headers]] + [
        [f"{c:,}" if isinstance(c, (int, float)) and not isinstance(c, bool) else one_line(str(c))
         for c in row] for row in rows]           # one format everywhere (28,903; 5,880.5)
    widths = [max(len(r[k]) for r in cells) for k in range(len(headers))]
    numeric = [all(isinstance(row[k], (int, float)) for row in rows) for k in range(len(headers))]
    excess = sum(widths) + 2 * (len(widths) - 1) - TABLE_WIDTH
    text_columns = [k for k in range(len(headers)) if not numeric[k]]
    if not wide and excess > 0 and text_columns:
        k = max(text_columns, key=lambda c: widths[c])
        widths[k] = max(len(headers[k]), 8, widths[k] - excess)
        cells = [[c if j != k or len(c) <= widths[k] else c[:widths[k] - 3] + "..."
                  for j, c in enumerate(row)] for row in cells]
    lines = []
    for n, row in enumerate(cells):
        parts = [c.rjust(widths[k]) if numeric[k] else c.ljust(widths[k])
                 for k, c in enumerate(row)]
        lines.append("  ".join(parts).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def text_width() -> int:
    """Prose width: TEXT_WIDTH, or a narrower terminal's width (40 at least)."""
    try:
        if sys.stdout is not None and sys.stdout.isatty():
            return min(TEXT_WIDTH, max(40, shutil.get_terminal_size((TEXT_WIDTH, 24)).columns))
    except (OSError, ValueError, AttributeError):
        pass
    return TEXT_WIDTH


def prose(text: str, indent: str = "", first: str | None = None) -> str:
    """A paragraph wrapped to the output width, words kept whole."""
    return textwrap.fill(" ".join(text.split()), text_width(),
                         initial_indent=indent if first is None else first,
                         subsequent_indent=indent, break_long_words=False,
                         break_on_hyphens=False)


def bullet(text: str) -> str:
    """`text` as a wrapped bullet point: '- ' before the first line, two spaces before the rest."""
    return prose(text, "  ", "- ")


def sparkline(values: list[float], peak: float | None = None) -> str:
    """`values` as block characters, each scaled against `peak` (default the largest value); all
    the lowest block when the peak is not above 0."""
    peak = max(values, default=0.0) if peak is None else peak
    if peak <= 0:
        return SPARK[0] * len(values)
    return "".join(SPARK[min(len(SPARK) - 1, int(v / peak * (len(SPARK) - 1) + 0.5))]
                   for v in values)


def timeline_columns(frame_count: int, columns: int = TIMELINE_COLUMNS) -> int:
    """How many columns a text timeline of `frame_count` frames has: at most one per frame."""
    return max(1, min(columns, frame_count))


def motion_sparkline(scores: Sequence[float]) -> str:
    """Motion over the whole video, the busiest frame of each timeline column."""
    count, columns = len(scores), timeline_columns(len(scores))
    bounds = [round(c * count / columns) for c in range(columns + 1)]
    return sparkline([max(scores[bounds[c]: bounds[c + 1]], default=0.0)
                      for c in range(columns)])


def frame_marks(frame_count: int, indices: Sequence[int]) -> str:
    """Sampled frames per timeline column, under the sparkline: blank none, 1-9, + for more."""
    columns = timeline_columns(frame_count)
    ticks = [0] * columns
    for i in indices:
        ticks[min(columns - 1, i * columns // max(frame_count, 1))] += 1
    return "".join(" " if n == 0 else str(n) if n < 10 else "+" for n in ticks)


def format_seconds(value: float) -> str:
    """Seconds as a table shows them: two decimals."""
    return f"{value:.2f}"


def format_percent(value: float | None, decimals: int = 1) -> str:
    """A share as a percentage, "-" when there is none."""
    return "-" if value is None else f"{100 * value:,.{decimals}f}%"


def timecode(seconds: float) -> str:
    """HH:MM:SS.mmm, as PySceneDetect writes it."""
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    return f"{hours:02d}:{minutes:02d}:{millis / 1000:06.3f}"


def scenes_csv(scenes: tuple[SceneSpan, ...]) -> str:
    """The scene list as PySceneDetect's list-scenes writes it: the cut timecodes on the first
    row, then one row per scene, frames numbered from 1, end frame inclusive."""
    lines = ["Timecode List:," + ",".join(timecode(s.start_s) for s in scenes[1:]),
             "Scene Number,Start Frame,Start Timecode,Start Time (seconds),End Frame,"
             "End Timecode,End Time (seconds),Length (frames),Length (timecode),"
             "Length (seconds)"]
    for s in scenes:
        length = s.end_s - s.start_s
        lines.append(f"{s.number},{s.first_frame + 1},{timecode(s.start_s)},{s.start_s:.3f},"
                     f"{s.end_frame},{timecode(s.end_s)},{s.end_s:.3f},"
                     f"{s.end_frame - s.first_frame},{timecode(length)},"
                     f"{length:.3f}")
    return "\n".join(lines) + "\n"


# SVG pictures. Plain text, deterministic (fixed float formatting, no timestamps), no external
# references. Colours are the Okabe-Ito palette (distinguishable with colour-blindness) and
# each sampler row also has its own marker shape, so the picture survives greyscale.

SVG_WIDTH = 960
SVG_CHAR_WIDTH = 7.6               # a generous average width of a 13 px character
SVG_RIGHT = 24
SVG_FONT = "font-family=\"DejaVu Sans, Arial, sans-serif\""
ROW_STYLES = (("#0072B2", "circle"), ("#D55E00", "square"), ("#009E73", "triangle"),
              ("#CC79A7", "diamond"), ("#E69F00", "circle"), ("#56B4E9", "square"),
              ("#000000", "triangle"), ("#999999", "diamond"))
SVG_PAD = 8                        # room left of 0 s, so nothing drawn there is clipped
DENSE_SPACING_PX = 6               # markers closer than this on average become a density strip
DENSITY_BIN_PX = 4
DENSITY_HEIGHT_PX = 20
HATCH_PATTERN = ('<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
                 'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
                 '<line x1="0" y1="0" x2="0" y2="6" stroke="#555555" stroke-width="2"/></pattern>'
                 '</defs>')
EVENT_FILL = "#F0E442"
MAX_POINTS_PER_PIXEL = 2


def esc(text: object) -> str:
    """`text` (any value, as str) escaped for SVG text and attributes, quotes included."""
    import html
    return html.escape(str(text), quote=True)


def num(value: float) -> str:
    """Coordinates with one decimal, always the same text for the same value."""
    text = f"{value:.1f}"
    return "0" if text == "-0.0" else text.rstrip("0").rstrip(".") if "." in text else text


def label_margin(labels: list[str]) -> int:
    """Left margin wide enough for the longest row label."""
    return int(24 + SVG_CHAR_WIDTH * max((len(label) for label in labels), default=10))


def svg_document(width: int, height: int, title: str, body: list[str]) -> str:
    """A whole SVG document: a `width` x `height` picture on white, its `title`, then `body`."""
    return "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" {SVG_FONT} font-size="13">',
        f"<title>{esc(title)}</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        *body, "</svg>", ""])


def nice_step(span: float, target_ticks: int = 10) -> float:
    """A tick spacing for an axis `span` long: the smallest of 1, 2, 5 or 10 times a power of
    ten that is at least span / target_ticks."""
    raw = span / max(1, target_ticks)
    power = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return factor * power
    return 10 * power


def time_axis(duration: float, x_of, y: float, top: float) -> list[str]:
    """Tick marks, labels and light grid lines every 'nice' number of seconds."""
    step = nice_step(duration)
    parts = [f'<line x1="{num(x_of(0))}" y1="{num(y)}" x2="{num(x_of(duration))}" y2="{num(y)}" '
             'stroke="#333333"/>']
    for k in range(math.floor(duration / step + 1e-9) + 1):   # at most target_ticks + 1
        t = k * step
        x = num(x_of(t))
        label = f"{t:g} s"
        parts.append(f'<line x1="{x}" y1="{num(top)}" x2="{x}" y2="{num(y)}" stroke="#e5e5e5"/>')
        parts.append(f'<line x1="{x}" y1="{num(y)}" x2="{x}" y2="{num(y + 5)}" stroke="#333333"/>')
        parts.append(f'<text x="{x}" y="{num(y + 19)}" text-anchor="middle">{esc(label)}</text>')
    return parts


def svg_marker(shape: str, x: float, y: float, colour: str, css: str, extra: str = "") -> str:
    """One SVG marker 9 px across centred on (x, y): a circle, square or triangle, any other
    shape a diamond; `css` is its class and `extra` more attributes."""
    r = 4.5
    common = f'class="{css}" fill="{colour}" stroke="#000000" stroke-width="0.6"{extra}'
    if shape == "circle":
        return f'<circle cx="{num(x)}" cy="{num(y)}" r="{num(r)}" {common}/>'
    if shape == "square":
        return (f'<rect x="{num(x - r)}" y="{num(y - r)}" width="{num(2 * r)}" '
                f'height="{num(2 * r)}" {common}/>')
    if shape == "triangle":
        points = f"{num(x)},{num(y - r)} {num(x + r)},{num(y + r)} {num(x - r)},{num(y + r)}"
    else:
        points = (f"{num(x)},{num(y - r)} {num(x + r)},{num(y)} {num(x)},{num(y + r)} "
                  f"{num(x - r)},{num(y)}")
    return f'<polygon points="{points}" {common}/>'


def motion_path(scores: tuple[float, ...], fps: float, x_of, y_of, plot_width: float) -> str:
    """One path through the per-frame motion, at most ~2 points per pixel: each pixel column
    keeps its minimum and maximum, so spikes survive decimation."""
    count = len(scores)
    columns = max(1, int(plot_width))
    points: list[tuple[float, float]] = []
    if count <= MAX_POINTS_PER_PIXEL * columns:
        points = [(i / fps, s) for i, s in enumerate(scores)]
    else:
        for c in range(columns):
            first, stop = c * count // columns, (c + 1) * count // columns
            chunk = scores[first:stop]
            if not chunk:
                continue
            low, high = min(chunk), max(chunk)
            t = first / fps
            points += [(t, low), (t, high)] if high != low else [(t, low)]
    return "M" + " L".join(f"{num(x_of(t))},{num(y_of(s))}" for t, s in points)


def svg_band(x0: float, x1: float, top: float, bottom: float, css: str, fill: str) -> str:
    """A translucent SVG rectangle from x0 to x1 (at least 1.5 px wide) between top and bottom,
    as a true event's span is shaded."""
    return (f'<rect class="{css}" x="{num(x0)}" y="{num(top)}" width="{num(max(1.5, x1 - x0))}" '
            f'height="{num(bottom - top)}" fill="{fill}" fill-opacity="0.45" stroke="#8a7f00" '
            'stroke-width="0.8"/>')


def sample_row(times: tuple[float, ...], duration: float, x_of, y: float, plot_width: float,
               colour: str, shape: str, k: int) -> list[str]:
    """One sampler's frames: a marker each while they stand apart (DENSE_SPACING_PX or more on
    average), else a density strip: a bar per bin of DENSITY_BIN_PX pixels whose height is the
    sampling rate there, with the highest rate written at its end."""
    if len(times) * DENSE_SPACING_PX <= plot_width:
        return [svg_marker(shape, x_of(t), y, colour, "sample", f' data-row="{k}"') for t in times]
    bins = max(1, int(plot_width // DENSITY_BIN_PX))
    counts = [0] * bins
    for t in times:
        counts[min(bins - 1, int(t / duration * bins))] += 1
    seconds_per_bin = duration / bins
    peak = max(counts)
    parts = [f'<g class="density" data-row="{k}" data-frames="{len(times)}">']
    for b, n in enumerate(counts):
        if n:
            bar = (DENSITY_HEIGHT_PX - 2) * n / peak + 2
            x = x_of(b * seconds_per_bin)
            parts.append(f'<rect x="{num(x)}" y="{num(y + DENSITY_HEIGHT_PX / 2 - bar)}" '
                         f'width="{num(max(1.0, DENSITY_BIN_PX - 1))}" height="{num(bar)}" '
                         f'fill="{colour}"/>')
    parts.append("</g>")
    parts.append(f'<text x="{num(x_of(duration) + 4)}" y="{num(y + 4)}" font-size="12" '
                 f'fill="#444444">{peak / seconds_per_bin:.3g}/s</text>')
    return parts


def motion_scale(left: float, top: float, height: float, peak: float) -> list[str]:
    """The motion axis: 0 at the bottom, the peak at the top (mean |luma change|, 0-1)."""
    parts = [f'<line x1="{num(left)}" y1="{num(top)}" x2="{num(left)}" y2="{num(top + height)}" '
             'stroke="#333333"/>']
    for value, y in ((0.0, top + height), (peak, top)):
        parts.append(f'<line x1="{num(left - 4)}" y1="{num(y)}" x2="{num(left)}" y2="{num(y)}" '
                     'stroke="#333333"/>')
        parts.append(f'<text x="{num(left - 6)}" y="{num(y + 4)}" text-anchor="end" '
                     f'font-size="12">{value:.3g}</text>')
    return parts


def timeline_svg(name: str, motion: MotionAnalysis, windows: tuple[Window, ...],
                 cuts: tuple[Cut, ...], events: tuple[Event, ...],
                 rows: list[tuple[str, tuple[float, ...]]],
                 transitions: tuple[Transition, ...] = ()) -> str:
    """Motion (with its scale), events, cuts, gradual transitions and a row per sampler:
    markers where frames stand apart, a density strip where they crowd."""
    duration = motion.duration_s
    left = label_margin([label for label, _ in rows] + ["motion 0.000"])
    plot_width = SVG_WIDTH - left - SVG_RIGHT - SVG_PAD - 40     # room for "N/s" labels
    dense = any(len(times) * DENSE_SPACING_PX > plot_width for _, times in rows)
    legend_lines = textwrap.wrap(", ".join(timeline_legend(events, cuts, transitions, dense)),
                                 int((SVG_WIDTH - left - SVG_RIGHT) / SVG_CHAR_WIDTH))
    motion_top, motion_height, row_height = 38 + 18 * len(legend_lines), 120, 30
    rows_top = motion_top + motion_height + 16
    axis_y = rows_top + row_height * len(rows) + 8
    x_of = (lambda t: left + SVG_PAD + plot_width * t / duration)
    body = [f'<text x="{left}" y="24" font-size="16" font-weight="bold">'
            f'{esc(display_name(name))}: {duration:g} s, {motion.frame_count:,} frames at '
            f'{motion.fps:g} fps</text>']
    body += [f'<text x="{left}" y="{44 + 18 * k}" fill="#444444">{esc(line)}</text>'
             for k, line in enumerate(legend_lines)]
    for event in events:
        x0, x1 = x_of(event.start), x_of(event.end)
        body.append(svg_band(x0, x1, motion_top, axis_y, "event", EVENT_FILL))
        body.append(f'<text class="event-label" x="{num(x0 + 3)}" y="{motion_top + 14}">'
                    f'{esc(event.label)}</text>')
    body.append(HATCH_PATTERN)
    for t in transitions:
        body.append(f'<rect class="transition" x="{num(x_of(t.start_s))}" y="{motion_top}" '
                    f'width="{num(max(1.5, x_of(t.end_s) - x_of(t.start_s)))}" '
                    f'height="{num(axis_y - motion_top)}" fill="url(#hatch)" fill-opacity="0.5"/>')
    body += motion_panel(motion, windows, left, motion_top, motion_height, x_of, plot_width)
    for cut in cuts:
        x = num(x_of(cut.time_s))
        body.append(f'<line class="cut" x1="{x}" y1="{motion_top}" x2="{x}" y2="{num(axis_y)}" '
                    'stroke="#000000" stroke-width="1.2" stroke-dasharray="2 3"/>')
    for k, (label, times) in enumerate(rows):
        colour, shape = ROW_STYLES[k % len(ROW_STYLES)]
        y = rows_top + row_height * k + row_height / 2
        body.append(f'<text x="{left - 10}" y="{num(y + 4)}" text-anchor="end">{esc(label)}</text>')
        body.append(f'<line x1="{num(x_of(0))}" y1="{num(y)}" x2="{num(x_of(duration))}" '
                    f'y2="{num(y)}" stroke="#cccccc"/>')
        body += sample_row(times, duration, x_of, y, plot_width, colour, shape, k)
    body += time_axis(duration, x_of, axis_y, motion_top)
    return svg_document(SVG_WIDTH, int(axis_y + 40), f"{display_name(name)}: motion, events, "
                        "cuts and sampled frames", body)


def timeline_legend(events: tuple[Event, ...], cuts: tuple[Cut, ...],
                    transitions: tuple[Transition, ...], dense: bool) -> list[str]:
    """The timeline's legend: only what is drawn."""
    legend = ["motion per frame (line)", "per-window mean (dashed)"]
    legend += ["true events (shaded)"] if events else []
    legend += ["hard cuts (vertical dashes)"] if cuts else []
    legend += ["gradual transitions (hatched)"] if transitions else []
    if dense:
        legend.append("strips: frames sampled per bin, with the row's peak rate at the right")
    return legend


def motion_panel(motion: MotionAnalysis, windows: tuple[Window, ...], left: float, top: float,
                 height: float, x_of, plot_width: float) -> list[str]:
    """The motion panel: its label and scale, the per-frame curve, and the per-window mean
    drawn as dashed steps."""
    peak = max(motion.scores) or 1.0
    y_of = (lambda s: top + height - height * s / peak)
    steps = " ".join(f"L{num(x_of(w.start_s))},{num(y_of(w.motion))} "
                     f"L{num(x_of(w.end_s))},{num(y_of(w.motion))}" for w in windows)
    return ([f'<text x="{left - 40}" y="{top + height // 2}" text-anchor="end">motion</text>']
            + motion_scale(left + SVG_PAD - 2, top, height, peak)
            + [f'<path class="motion" '
               f'd="{motion_path(motion.scores, motion.fps, x_of, y_of, plot_width)}" '
               'fill="none" stroke="#333333" stroke-width="1"/>',
               f'<path class="window-mean" d="M{num(x_of(0))},{num(y_of(0))} {steps}" fill="none" '
               'stroke="#0072B2" stroke-width="1.5" stroke-dasharray="5 3"/>'])


def display_name(name: str) -> str:
    """A video's name as shown: 'stdin' for `<stdin>`, any other name as it is."""
    return "stdin" if name == "<stdin>" else name


def log_axis(x0: float, width: float, low: float, high: float, y: float
             ) -> tuple[list[str], object]:
    """A labelled log10 axis from `low` to `high` (powers of ten), and x_of(value)."""
    first, last = math.floor(math.log10(max(low, 1))), math.ceil(math.log10(max(high, 10)))
    x_of = (lambda v: x0 + width * (math.log10(max(v, 10 ** first)) - first) / (last - first))
    parts = [f'<line x1="{num(x0)}" y1="{num(y)}" x2="{num(x0 + width)}" y2="{num(y)}" '
             'stroke="#333333"/>']
    for power in range(first, last + 1):
        x = x_of(10 ** power)
        label = f"{10 ** power:,}"
        parts.append(f'<line x1="{num(x)}" y1="{num(y)}" x2="{num(x)}" y2="{num(y + 5)}" '
                     'stroke="#333333"/>')
        parts.append(f'<text x="{num(x)}" y="{num(y + 18)}" text-anchor="middle" '
                     f'font-size="12">{label}</text>')
    return parts, x_of


def compare_svg(name: str, duration: float, events: tuple[Event, ...],
                details: list[dict], rows: list[dict]) -> str:
    """For one video: each design's sampled frames and its answer against the true event;
    under it, for the whole suite, accuracy within 0.5 s (a 0-100% axis) beside tokens per
    video (a labelled log axis)."""
    left = label_margin([item["model"] for item in details] + [r["model"] for r in rows])
    plot_width = SVG_WIDTH - left - SVG_RIGHT - SVG_PAD
    top, row_height = 66, 34
    axis_y = top + row_height * len(details) + 8
    bars_top = axis_y + 70
    height = int(bars_top + (COMPARE_BAR_HEIGHT + COMPARE_BAR_GAP) * len(rows) + 50)
    x_of = (lambda t: left + SVG_PAD + plot_width * t / duration)
    body = [HATCH_PATTERN,
            f'<text x="{left}" y="24" font-size="16" font-weight="bold">{esc(display_name(name))}: '
            'what each design samples and answers</text>',
            f'<text x="{left}" y="44" fill="#444444">marks: sampled frames; thick bar or '
            'ring: the answer, as parsed' + ("; shaded: the true event" if events else "")
            + ("; no bar: no time read" if any(not d["answers"] for d in details) else "")
            + '</text>']
    for event in events:
        x0, x1 = x_of(event.start), x_of(event.end)
        body.append(svg_band(x0, x1, top, axis_y, "event", EVENT_FILL))
        body.append(f'<text class="event-label" x="{num(x1 + 3)}" y="{top + 12}">'
                    f'{esc(event.label)}</text>')
    for k, item in enumerate(details):
        body += answer_row(k, item, left, top + row_height * k + row_height / 2, x_of, duration)
    body += time_axis(duration, x_of, axis_y, top)
    body += suite_bars(rows, left, plot_width, bars_top)
    return svg_document(SVG_WIDTH, height, f"compare: {display_name(name)}", body)


COMPARE_BAR_HEIGHT, COMPARE_BAR_GAP = 16, 8      # pixels, the suite's bars in compare.svg


def answer_row(k: int, item: dict, left: float, y: float, x_of, duration: float) -> list[str]:
    """One design's row of the compare picture: its label, its sampled frames as ticks, and its
    top answer as a bar (an interval) or a ring (a point), held inside the video."""
    colour = ROW_STYLES[k % len(ROW_STYLES)][0]
    inside = (lambda t: x_of(min(max(t, 0), duration)))
    parts = [f'<text x="{left - 10}" y="{num(y + 4)}" text-anchor="end">'
             f'{esc(item["model"])}</text>',
             f'<line x1="{num(x_of(0))}" y1="{num(y)}" x2="{num(x_of(duration))}" '
             f'y2="{num(y)}" stroke="#cccccc"/>']
    parts += [f'<line class="sample" data-row="{k}" x1="{num(x_of(t))}" y1="{num(y - 9)}" '
              f'x2="{num(x_of(t))}" y2="{num(y - 3)}" stroke="{colour}" stroke-width="1.2"/>'
              for t in item["times"]]
    for p in item["answers"]:
        if p["kind"] == "interval":
            x0, x1 = inside(p["start_s"]), inside(p["end_s"])
            parts.append(f'<rect class="answer" x="{num(x0)}" y="{num(y + 1)}" '
                         f'width="{num(max(2.0, x1 - x0))}" height="7" fill="{colour}" '
                         'stroke="#000000" stroke-width="0.6"/>')
        else:
            parts.append(f'<circle class="answer" cx="{num(inside(p["time_s"]))}" '
                         f'cy="{num(y + 5)}" r="5" fill="none" stroke="{colour}" '
                         'stroke-width="2.5"/>')
    return parts


def suite_bars(rows: list[dict], left: float, plot_width: float, bars_top: float) -> list[str]:
    """The whole suite under the picture: accuracy within 0.5 s on a 0-100% axis, beside
    tokens per video on a labelled log axis, a pair of bars per design."""
    half = (plot_width - 40) / 2
    accuracy_x, tokens_x = left + SVG_PAD, left + SVG_PAD + half + 40
    step = COMPARE_BAR_HEIGHT + COMPARE_BAR_GAP
    bottom = bars_top + step * len(rows)
    parts = [f'<text x="{left}" y="{num(bars_top - 30)}" font-weight="bold">the whole '
             'suite:</text>',
             f'<text x="{num(accuracy_x)}" y="{num(bars_top - 10)}">right within 0.5 s '
             '(both ends)</text>',
             f'<text x="{num(tokens_x)}" y="{num(bars_top - 10)}">tokens per video '
             '(log scale)</text>']
    token_parts, token_x = log_axis(tokens_x, half - 30, min(r["tokens"] for r in rows),
                                    max(r["tokens"] for r in rows), bottom)
    parts += token_parts
    parts.append(f'<line x1="{num(accuracy_x)}" y1="{num(bottom)}" x2="{num(accuracy_x + half)}" '
                 f'y2="{num(bottom)}" stroke="#333333"/>')
    for share in (0, 0.5, 1):
        x = accuracy_x + half * share
        parts.append(f'<line x1="{num(x)}" y1="{num(bottom)}" x2="{num(x)}" y2="{num(bottom + 5)}" '
                     'stroke="#333333"/>')
        parts.append(f'<text x="{num(x)}" y="{num(bottom + 18)}" text-anchor="middle" '
                     f'font-size="12">{100 * share:.0f}%</text>')
    for k, r in enumerate(rows):
        colour, y = ROW_STYLES[k % len(ROW_STYLES)][0], bars_top + step * k
        accuracy = r["accuracy_by_tolerance"]["0.5"] or 0.0
        bar, width = max(1.0, half * accuracy), max(1.0, token_x(r["tokens"]) - tokens_x)
        parts += [f'<text x="{left - 10}" y="{num(y + 12)}" text-anchor="end">'
                  f'{esc(r["model"])}</text>',
                  f'<rect class="bar-accuracy" x="{num(accuracy_x)}" y="{num(y)}" '
                  f'width="{num(bar)}" height="{COMPARE_BAR_HEIGHT}" fill="{colour}"/>',
                  f'<text x="{num(accuracy_x + bar + 4)}" y="{num(y + 12)}" '
                  f'font-size="12">{100 * accuracy:.0f}%</text>',
                  f'<rect class="bar-tokens" x="{num(tokens_x)}" y="{num(y)}" '
                  f'width="{num(width)}" height="{COMPARE_BAR_HEIGHT}" fill="url(#hatch)" '
                  f'stroke="{colour}"/>',
                  f'<text x="{num(tokens_x + width + 4)}" y="{num(y + 12)}" '
                  f'font-size="12">{r["tokens"]:,.0f}</text>']
    return parts


# Contact sheets: the frames each sampler picks, as a PNG a person can look at. Thumbnails are
# box-filtered at C speed (big-integer lanes, as the motion score), labels come from a 5x7
# bitmap font drawn here, and the PNG is written with zlib and struct alone.

SHEET_BOX = (160, 90)              # a thumbnail fits in this many pixels, aspect kept
SHEET_COLUMNS = 8                  # thumbnails per line of a row
SHEET_MAX_THUMBS = 48              # per sampler row (6 lines of 8); past this, a spaced subset
# A thumbnail pixel is the mean of a 2x2 block of every stride-th pixel (stride 2 for 640x360).
# A full box over all 4x4 pixels looks the same at 160x90 and costs 3.4 times as much (0.75
# against 0.22 ms a 640x360 frame here), and the sheet must add under 20% to `sample`.
SHEET_BLOCK = 2

SHEET_MARGIN = 12
SHEET_GAP = 8
FONT_SCALE = 2                     # screen pixels per font pixel
EVENT_BORDER = 3                   # the thick border around a frame inside a true event
PNG_LEVEL = 1                      # zlib's fastest: a sheet is mostly white, so it packs anyway
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# 5x7 glyphs, one string per glyph: seven rows of five, '#' on. Upper case is drawn as lower.
FONT_ROWS = {
    "0": ".###. #...# #..## #.#.# ##..# #...# .###.",
    "1": "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.",
    "2": ".###. #...# ....# ...#. ..#.. .#... #####",
    "3": "####. ....# ....# .###. ....# ....# ####.",
    "4": "...#. ..##. .#.#. #..#. ##### ...#. ...#.",
    "5": "##### #.... ####. ....# ....# #...# .###.",
    "6": "..##. .#... #.... ####. #...# #...# .###.",
    "7": "##### ....# ...#. ..#.. .#... .#... .#...",
    "8": ".###. #...# #...# .###. #...# #...# .###.",
    "9": ".###. #...# #...# .#### ....# ...#. .##..",
    "a": "..... ..... .###. ....# .#### #...# .####",
    "b": "#.... #.... #.##. ##..# #...# #...# ####.",
    "c": "..... ..... .###. #.... #.... #...# .###.",
    "d": "....# ....# .##.# #..## #...# #...# .####",
    "e": "..... ..... .###. #...# ##### #.... .###.",
    "f": "..##. .#..# .#... ###.. .#... .#... .#...",
    "g": "..... .#### #...# #...# .#### ....# .###.",
    "h": "#.... #.... #.##. ##..# #...# #...# #...#",
    "i": "..#.. ..... .##.. ..#.. ..#.. ..#.. .###.",
    "j": "...#. ..... ..##. ...#. ...#. #..#. .##..",
    "k": "#.... #.... #..#. #.#.. ##... #.#.. #..#.",
    "l": ".##.. ..#.. ..#.. ..#.. ..#.. ..#.. .###.",
    "m": "..... ..... ##.#. #.#.# #.#.# #...# #...#",
    "n": "..... ..... #.##. ##..# #...# #...# #...#",
    "o": "..... ..... .###. #...# #...# #...# .###.",
    "p": "..... ..... ####. #...# ####. #.... #....",
    "q": "..... ..... .##.# #..## .#### ....# ....#",
    "r": "..... ..... #.##. ##..# #.... #.... #....",
    "s": "..... ..... .###. #.... .###. ....# ####.",
    "t": ".#... .#... ###.. .#... .#... .#..# ..##.",
    "u": "..... ..... #...# #...# #...# #..## .##.#",
    "v": "..... ..... #...# #...# #...# .#.#. ..#..",
    "w": "..... ..... #...# #...# #.#.# #.#.# .#.#.",
    "x": "..... ..... #...# .#.#. ..#.. .#.#. #...#",
    "y": "..... ..... #...# #...# .#### ....# .###.",
    "z": "..... ..... ##### ...#. ..#.. .#... #####",
    ".": "..... ..... ..... ..... ..... .##.. .##..",
    ",": "..... ..... ..... ..... .##.. ..#.. .#...",
    ":": "..... .##.. .##.. ..... .##.. .##.. .....",
    "-": "..... ..... ..... ##### ..... ..... .....",
    "(": "...#. ..#.. .#... .#... .#... ..#.. ...#.",
    ")": ".#... ..#.. ...#. ...#. ...#. ..#.. .#...",
    "/": "....# ...#. ...#. ..#.. .#... .#... #....",
    "+": "..... ..#.. ..#.. ##### ..#.. ..#.. .....",
    "_": "..... ..... ..... ..... ..... ..... #####",
    "=": "..... ..... ##### ..... ##### ..... .....",
    "?": ".###. #...# ....# ...#. ..#.. ..... ..#..",
    " ": "..... ..... ..... ..... ..... ..... .....",
    ";": "..... .##.. .##.. ..... .##.. ..#.. .#...",
    "'": "..#.. ..#.. .#... ..... ..... ..... .....",
    "%": "##..# ##.#. ...#. ..#.. .#... .#.## #..##",
    "#": ".#.#. .#.#. ##### .#.#. ##### .#.#. .#.#.",
}
GLYPH_WIDTH, GLYPH_HEIGHT = 5, 7
CHAR_WIDTH = (GLYPH_WIDTH + 1) * FONT_SCALE          # a glyph and one column of space
LINE_HEIGHT = (GLYPH_HEIGHT + 2) * FONT_SCALE


@functools.lru_cache(maxsize=None)
def glyph_rows(char: str, channels: int) -> tuple[bytes, ...]:
    """A character drawn at FONT_SCALE, black on white, with one column of space after it:
    its pixel rows as bytes ('?' for a character the font does not have)."""
    rows = []
    for row in FONT_ROWS.get(char.lower(), FONT_ROWS["?"]).split():
        line = b"".join((b"\x00" if bit == "#" else b"\xff") * (FONT_SCALE * channels)
                        for bit in row + ".")
        rows += [line] * FONT_SCALE
    return tuple(rows)


class Canvas:
    """A white picture, grey (1 channel) or RGB (3), that thumbnails and text are put on. Its
    bytes are already PNG scanlines: each row of pixels follows a 0 (the 'no filter' byte), so
    the whole picture is compressed in one call."""

    def __init__(self, width: int, height: int, channels: int) -> None:
        self.width, self.height, self.channels = width, height, channels
        self.stride = 1 + width * channels
        self.scanlines = bytearray((b"\x00" + b"\xff" * (width * channels)) * height)

    def offset(self, x: int, y: int) -> int:
        """Where pixel (x, y) starts in the scanlines."""
        return y * self.stride + 1 + x * self.channels

    def paste(self, x: int, y: int, width: int, height: int, pixels: bytes) -> None:
        """A picture of the canvas's channels, row by row (C-speed slice copies)."""
        row = width * self.channels
        view = memoryview(pixels)
        for r in range(height):
            start = self.offset(x, y + r)
            self.scanlines[start:start + row] = view[r * row:(r + 1) * row]

    def fill(self, x: int, y: int, width: int, height: int, level: int) -> None:
        """A rectangle of one grey level."""
        run = bytes([level]) * (width * self.channels)
        for r in range(y, y + height):
            start = self.offset(x, r)
            self.scanlines[start:start + len(run)] = run

    def text(self, x: int, y: int, text: str, limit: int | None = None) -> None:
        """Black text from the built-in font on white, cut at `limit` pixels wide: each pixel
        row of the line is joined from the glyphs' rows and copied in one slice."""
        chars = text if limit is None else text[:max(0, limit // CHAR_WIDTH)]
        if not chars:
            return
        glyphs = [glyph_rows(char, self.channels) for char in chars]
        self.paste(x, y, len(chars) * CHAR_WIDTH, GLYPH_HEIGHT * FONT_SCALE,
                   b"".join(b"".join(g[r] for g in glyphs)
                            for r in range(GLYPH_HEIGHT * FONT_SCALE)))


def thumbnail_plan(width: int, height: int) -> tuple[int, int, int]:
    """(stride, box, enlarge) for a frame: keep every stride-th pixel of every stride-th row,
    then average SHEET_BLOCK x SHEET_BLOCK blocks; or, for a frame under half of SHEET_BOX,
    repeat each pixel `enlarge` times."""
    box_w, box_h = SHEET_BOX
    need = max(ceil_div(width, box_w), ceil_div(height, box_h))
    if need <= 1:
        return 1, 1, max(1, min(box_w // width, box_h // height))
    return ceil_div(need, SHEET_BLOCK), SHEET_BLOCK, 1


def thumbnail(plane: bytes, width: int, height: int) -> tuple[int, int, bytes]:
    """One channel of a frame made to fit SHEET_BOX: (width, height, bytes)."""
    stride, box, enlarge = thumbnail_plan(width, height)
    if box > min(width, height) // stride:      # a sliver of a frame: no whole block fits
        stride, box = stride * box, 1
    if stride > 1:
        rows = [plane[r * width:(r + 1) * width:stride] for r in range(0, height, stride)]
        plane, width, height = b"".join(rows), len(rows[0]), len(rows)
    if box > 1:
        return width // box, height // box, box_downscale(plane, width, height, box)
    if enlarge > 1:
        big_w, big_h = width * enlarge, height * enlarge
        return big_w, big_h, upsample_nearest(plane, width, height, big_w, big_h)
    return width, height, bytes(plane)


def frame_thumbnail(pixels: bytes, width: int, height: int, channels: int
                    ) -> tuple[int, int, bytes]:
    """A grey or RGB frame's thumbnail, channel by channel."""
    if channels == 1:
        return thumbnail(pixels, width, height)
    planes = [thumbnail(pixels[c::3], width, height) for c in range(3)]
    out_w, out_h, _ = planes[0]
    rgb = bytearray(out_w * out_h * 3)
    for c, (_, _, plane) in enumerate(planes):
        rgb[c::3] = plane
    return out_w, out_h, bytes(rgb)


class SheetRow(NamedTuple):
    """One sampler's line of the sheet: the frames it took and the ones shown."""
    title: str
    indices: tuple[int, ...]
    shown: tuple[int, ...]


def sheet_rows(results: list[SampleResult]) -> list[SheetRow]:
    """One SheetRow per sampler result: its frames, at most SHEET_MAX_THUMBS of them shown (an
    evenly spaced subset), under a title saying how many."""
    rows = []
    for r in results:
        shown = evenly_spaced(r.indices, SHEET_MAX_THUMBS)
        title = f"{r.strategy}: {counted(len(r.indices), 'frame')}" + (
            f", {len(shown)} shown, evenly spaced" if len(shown) < len(r.indices) else "")
        rows.append(SheetRow(title, r.indices, shown))
    return rows


def evenly_spaced(items: tuple[int, ...], limit: int) -> tuple[int, ...]:
    """`items` if there are at most `limit` of them; else `limit` evenly spaced ones, the first
    and the last included."""
    if len(items) <= limit:
        return items
    return tuple(items[round(k * (len(items) - 1) / (limit - 1))] for k in range(limit))


def thumbnail_label(index: int, fps: float, in_event: bool, on_cut: bool) -> str:
    """A thumbnail's caption: its time in seconds to 0.1, then ' e' when inside a true event and
    ' c' when on a cut."""
    return f"{index / fps:.1f} s" + (" e" if in_event else "") + (" c" if on_cut else "")


def contact_sheet(title: str, rows: list[SheetRow], thumbs: dict[int, tuple[int, int, bytes]],
                  channels: int, fps: float, events: tuple[Event, ...],
                  cut_frames: frozenset[int]) -> tuple[Canvas, list[dict]]:
    """The sheet: a title, a legend, then per sampler its line(s) of labelled thumbnails in
    time order. Returns the canvas and where each thumbnail went (for --json and tests)."""
    box_w, box_h = SHEET_BOX
    cell_w, cell_h = box_w + SHEET_GAP, box_h + LINE_HEIGHT + SHEET_GAP
    width = 2 * SHEET_MARGIN + SHEET_COLUMNS * cell_w
    legend = "; ".join(["label: time in s"]
                       + (["e: inside a true event (thick border)"] if events else [])
                       + (["c: on a cut"] if cut_frames else []))
    height = 2 * SHEET_MARGIN + 2 * LINE_HEIGHT + sum(
        SHEET_GAP + LINE_HEIGHT + ceil_div(max(1, len(r.shown)), SHEET_COLUMNS) * cell_h
        for r in rows)
    canvas = Canvas(width, height, channels)
    canvas.text(SHEET_MARGIN, SHEET_MARGIN, title, width - 2 * SHEET_MARGIN)
    canvas.text(SHEET_MARGIN, SHEET_MARGIN + LINE_HEIGHT, legend, width - 2 * SHEET_MARGIN)
    y, cells = SHEET_MARGIN + 2 * LINE_HEIGHT, []
    for row in rows:
        y += SHEET_GAP
        canvas.text(SHEET_MARGIN, y, row.title, width - 2 * SHEET_MARGIN)
        y += LINE_HEIGHT
        for k, index in enumerate(row.shown):
            x = SHEET_MARGIN + (k % SHEET_COLUMNS) * cell_w
            top = y + (k // SHEET_COLUMNS) * cell_h
            thumb_w, thumb_h, pixels = thumbs[index]
            seconds = index / fps
            in_event = any(e.start <= seconds < e.end for e in events)
            on_cut = index in cut_frames
            if in_event:
                canvas.fill(x - EVENT_BORDER, top - EVENT_BORDER, thumb_w + 2 * EVENT_BORDER,
                            thumb_h + 2 * EVENT_BORDER, 0)
            canvas.paste(x, top, thumb_w, thumb_h, pixels)
            canvas.text(x, top + box_h + FONT_SCALE, thumbnail_label(index, fps, in_event, on_cut),
                        box_w)
            cells.append({"strategy": row.title.split(":")[0], "frame": index,
                          "time_s": seconds, "x": x, "y": top, "width": thumb_w,
                          "height": thumb_h, "in_event": in_event, "on_cut": on_cut})
        y += ceil_div(max(1, len(row.shown)), SHEET_COLUMNS) * cell_h
    return canvas, cells


def png_chunks(canvas: Canvas) -> Iterator[bytes]:
    """The canvas as a PNG: 8-bit grey or RGB, no filtering, one zlib stream, no timestamp."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    colour_type = 0 if canvas.channels == 1 else 2
    yield PNG_SIGNATURE
    yield chunk(b"IHDR", struct.pack(">IIBBBBB", canvas.width, canvas.height, 8, colour_type,
                                     0, 0, 0))
    yield chunk(b"IDAT", zlib.compress(canvas.scanlines, PNG_LEVEL))
    yield chunk(b"IEND", b"")


# ==============================================================================================
# PART III: THE COMMAND LINE
# One block per subcommand (options, handler, text), then the program: COMMANDS,
# build_parser() and main().
# ==============================================================================================


# ----------------------------------------------------------------------------------------------
# §14 Subcommands
# Shared plumbing first (the parser, progress, loading a video), then one block per
# subcommand in COMMANDS order: its handler and its text. Its options are in OPTIONS (§15).
# ----------------------------------------------------------------------------------------------

class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is the same one line as every other user error, and a
    flag must be spelled out (no silent prefix matching)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str):  # type: ignore[override]
        """A usage error, raised as the UserError main() prints in one line (a long invalid
        choice quoted short)."""
        found = re.search(r"invalid choice: (.*?) \(choose from", message)
        if found and len(found.group(1)) > 42:
            import ast
            with contextlib.suppress(ValueError, SyntaxError):
                value = quoted(ast.literal_eval(found.group(1)))
                message = message[:found.start(1)] + value + message[found.end(1):]
        raise UserError(message)

    def _print_message(self, message: str, file=None) -> None:
        """--help and --version print through emit(), so a full or closed stdout is one line
        and status 2 (argparse itself ignores a failed write)."""
        if message and (file is None or file is sys.stdout):
            emit(message.rstrip("\n"))
        else:
            super()._print_message(message, file)


def bounded(kind: type, low: float, high: float):
    """An argparse type: an int or float within [low, high]; NaN and inf refused."""
    shown = "[" + ", ".join(f"{v:,}" if kind is int else f"{v:g}" for v in (low, high)) + "]"

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {kind.__name__} in {shown}, "
                                              f"got {quoted(text)}") from None
        if not (math.isfinite(value) and low <= value <= high):
            raise argparse.ArgumentTypeError(f"must be in {shown}, got {quoted(text)}")
        return value + 0                               # -0.0 is 0.0
    parse.__name__ = kind.__name__
    parse.bounds = shown                            # option_kwargs adds it to the help
    return parse


class RenamedFlag(argparse.Action):
    """The argparse action of an old flag spelling: stores the value where the new flag does,
    and warns on stderr with the new name."""
    def __call__(self, parser, namespace, values, option_string=None):
        """Store the value under the new name and say on stderr that the spelling changed."""
        warn(f"{option_string} is now --{self.dest.replace('_', '-')}; the old spelling goes "
             "in the next release")
        setattr(namespace, self.dest, values)


def parse_policy(args: argparse.Namespace) -> ParsePolicy:
    """The ParsePolicy the options ask for."""
    return ParsePolicy(args.swap_reversed)


def warn(message: str) -> None:
    """One `warning:` line on stderr (nothing when stderr is closed)."""
    say(f"warning: {message}")


CONTROL_CHARACTERS = LazyPattern(r"[\x00-\x1f\x7f]")


def one_line(text: str) -> str:
    """`text` with its control characters written as escapes (a newline in a file name, an
    id or an answer cannot break a line of output)."""
    return CONTROL_CHARACTERS.sub(lambda m: repr(m.group())[1:-1], text)


def say(message: str) -> None:
    """One line on stderr, if there is a stderr (`2>&-` closes it)."""
    if sys.stderr is not None:
        with contextlib.suppress(OSError, ValueError):
            print(f"{PROG}: {one_line(message)}", file=sys.stderr)


PROGRESS_EVERY_S = 0.25     # redraw the progress line at most four times a second


def terminal(stream) -> object | None:
    """`stream` (default stderr) when a person is watching it, else None."""
    stream = sys.stderr if stream is None else stream
    try:
        return stream if stream is not None and stream.isatty() else None
    except (OSError, ValueError, AttributeError):
        return None


def show_progress(message: str, stream=None) -> None:
    """Overwrite one status line on a watched stderr; "" clears it. Silent when redirected."""
    watched = terminal(stream)
    if watched is None:
        return
    try:
        watched.write("\r\x1b[K" + (f"{PROG}: {message}" if message else ""))
        watched.flush()
    except (OSError, ValueError):
        pass


def with_progress(items: Iterable, label: str, total: int | None = None,
                  stream=None) -> Iterator:
    """Yield `items` unchanged, telling a watching terminal how far the work has got."""
    if terminal(stream) is None:
        yield from items
        return
    last, done = time.monotonic(), 0
    try:
        for item in items:
            yield item
            done += 1
            if time.monotonic() - last >= PROGRESS_EVERY_S:
                last = time.monotonic()
                show_progress(f"{label} {done:,}" + (f"/{total:,}" if total else ""), stream)
    finally:
        show_progress("", stream)


class Result(NamedTuple):
    """What a subcommand hands to main(): the document (what --json prints), the text rendered
    from it, the exit status, and, when a file was asked for as `-`, its content, which main()
    writes to stdout instead of the text."""
    doc: dict
    text: str = ""
    status: int = 0
    stdout: str | bytes | None = None


class LoadedVideo(NamedTuple):
    """A video read and analysed: its name, motion, motion windows, hard cuts, true events (known
    for a synthetic preset only) and gradual transitions."""
    name: str
    motion: MotionAnalysis
    windows: tuple[Window, ...]
    cuts: tuple[Cut, ...]
    events: tuple[Event, ...]
    transitions: tuple[Transition, ...] = ()


def scene_from_args(args: argparse.Namespace) -> Scene:
    """The preset the options name (cat-jump when none), with --seed as its seed when that is not
    the default."""
    scene = get_preset(args.synth or "cat-jump")
    if args.seed != DEFAULT_SEED:
        scene = Scene(scene.name, scene.duration_s, scene.fps, scene.width, scene.height,
                      scene.events, scene.cut_times, scene.activity, args.seed)
    return scene


def open_source(args: argparse.Namespace) -> tuple[VideoStream, tuple[Event, ...]]:
    """The video the options name, and its ground-truth events where known."""
    if args.video:
        return open_video(args.video, args.fps, args.allow_truncated, warn), ()
    scene = scene_from_args(args)
    return (VideoStream(scene.name, scene.width, scene.height, scene.fps, render_scene(scene)),
            scene.events)


def check_window(window_s: float, fps: float) -> None:
    """--window must hold a frame: one shorter than a frame is a UserError. (compare, whose
    window is fixed, takes any rate: motion_windows steps frame by frame.)"""
    if window_s * fps < 1:
        raise UserError(f"--window {window_s:g} s is shorter than one frame of this {fps:g} fps "
                        f"video; give --window {1 / fps:g} or more")


def load_video(args: argparse.Namespace) -> LoadedVideo:
    """The video the options name, read in one pass and analysed: motion, windows of --window
    seconds, gradual transitions and hard cuts. No frames, or a window shorter than one
    frame, is a UserError."""
    video, events = open_source(args)
    if not args.video:        # a preset renders the same frames every time: analysed once a run
        motion = scene_motion(scene_from_args(args), args.stride, args.cut_threshold)
    else:
        frames = with_progress(video.frames, f"reading {display_name(video.name)}, frame")
        motion = analyze_motion(frames, video.width, video.height, video.fps, args.stride,
                                args.cut_threshold)
    if motion.frame_count == 0:
        raise UserError(f"{video.name}: no frames")
    check_window(args.window, motion.fps)
    transitions = detect_gradual(motion)
    cuts = detect_cuts(motion, args.cut_threshold, args.cut_ratio, transitions)
    return LoadedVideo(video.name, motion, motion_windows(motion.scores, motion.fps, args.window),
                       cuts, events, transitions)


def video_facts(args: argparse.Namespace) -> VideoFacts:
    """The video the tokens/rope options describe: numbers, a preset, or a real video."""
    if args.video or args.synth:
        if args.duration is not None or args.total_frames is not None:
            raise UserError("give --duration/--total-frames or --video/--synth, not both")
        if args.synth:                   # a preset's small frames stand for the nominal capture
            scene = scene_from_args(args)
            return VideoFacts(scene.frame_count, scene.fps, args.width or NOMINAL_WIDTH,
                              args.height or NOMINAL_HEIGHT)
        video, _ = open_source(args)
        count = sum(1 for _ in video.frames)
        if count == 0:
            raise UserError(f"{video.name}: no frames")
        return VideoFacts(count, video.fps, args.width or video.width, args.height or video.height)
    fps = args.fps or NOMINAL_FPS
    if args.total_frames is not None:
        if args.duration is not None:
            raise UserError("give --duration or --total-frames, not both")
        total = args.total_frames
    elif args.duration is not None:
        total = round(args.duration * fps)
        if total < 1:
            raise UserError(f"--duration {args.duration:g} at --fps {fps:g} is less than one frame")
    else:
        raise UserError("say which video: --duration S (or --total-frames N), or --video/--synth")
    if total > MAX_FRAME_COUNT * 10:
        raise UserError(f"--duration {args.duration:g} at --fps {fps:g} is {total:,} frames, "
                        f"more than this tool handles ({MAX_FRAME_COUNT * 10:,})")
    return VideoFacts(total, fps, args.width or NOMINAL_WIDTH, args.height or NOMINAL_HEIGHT)


SIZE_NOTES = {"clip": ". Priced at the clip's own frame size: if you scaled it down for "
                      "analysis (-vf scale=...), give the original with --width and --height"}


def size_source(args: argparse.Namespace) -> str:
    """Where the priced frame size comes from: the options, the clip itself, or a preset."""
    if getattr(args, "width", None) or getattr(args, "height", None):
        return "options"
    return "clip" if getattr(args, "video", None) else "preset"


def priced_facts(video: LoadedVideo, args: argparse.Namespace) -> VideoFacts:
    """The video as the token arithmetic sees it: its frames and rate, and its frame size (a
    synthetic preset's small frames stand for the nominal 640x360 capture), or --width/--height."""
    m = video.motion
    synthetic = not getattr(args, "video", None)
    width = args.width or (NOMINAL_WIDTH if synthetic else m.width)
    height = args.height or (NOMINAL_HEIGHT if synthetic else m.height)
    return VideoFacts(m.frame_count, m.fps, width, height)


def design_options(args: argparse.Namespace) -> DesignOptions:
    """The tokens options as DesignOptions, the qwen-vl-utils ones as QwenOptions (None where
    unset: the reference's defaults)."""
    qwen = QwenOptions(args.sample_fps, args.nframes, args.min_frames, args.max_frames,
                       args.min_pixels, args.max_pixels, args.total_pixels,
                       args.resized_height, args.resized_width)
    return DesignOptions(args.frames, args.image_size, args.patch, args.pool, args.audio,
                         args.context_tokens, qwen)


def options_for(design: str, options: DesignOptions) -> DesignOptions:
    """With --design all, each option reaches only the designs it belongs to."""
    if design == "naive":
        return options
    if design in QWEN_DESIGNS:
        return replace(options, frames=None, image_size=NAIVE_SIZE, patch=NAIVE_PATCH, pool=None)
    return replace(options, image_size=NAIVE_SIZE, patch=NAIVE_PATCH, pool=None, qwen=QwenOptions())


def sampler_settings(args: argparse.Namespace) -> SamplerSettings:
    """The samplers' options, as the command line gave them."""
    if args.min_fps > args.max_fps:
        raise UserError(f"--min-fps {args.min_fps:g} is above the cap --max-fps {args.max_fps:g}")
    return SamplerSettings(args.uniform_frames, args.max_frames, args.min_fps, args.max_fps,
                           args.burst_fps, args.base_fps, args.keyframe_context,
                           args.keyframe_gap)


def run_sampler(strategy: str, video: LoadedVideo, settings: SamplerSettings) -> SampleResult:
    """The `strategy` sampler (SAMPLERS) run on a loaded video."""
    return SAMPLERS[strategy](video.motion, video.windows, video.cuts, settings)


def sheet_pixels(args: argparse.Namespace, wanted: set[int]
                 ) -> Iterator[tuple[int, int, int, int, bytes]]:
    """(index, width, height, channels, pixels) of the wanted frames, in order, read a second
    time from the source: a folder's other frames are not opened, a Y4M file's are seeked
    over, a synthetic preset is rendered again (the same frames: it is seeded)."""
    if args.video and not (os.path.isdir(args.video) or os.path.isfile(args.video)):
        raise UserError("--sheet reads the video a second time, which a pipe or stdin cannot "
                        "do; save the stream to a .y4m file first")
    if args.video and os.path.isdir(args.video):
        names = frame_file_names(args.video)
        for index in sorted(wanted):
            path = os.path.join(args.video, names[index])
            width, height, _, samples = decode_pnm_samples(read_pnm_data(path), path)
            yield index, width, height, len(samples) // (width * height), samples
    elif args.video:
        yield from y4m_chosen_frames(args.video, wanted)
    else:
        video, _ = open_source(args)
        last = max(wanted)
        for index, frame in enumerate(video.frames):
            if index in wanted:
                yield index, video.width, video.height, 1, frame
            if index == last:
                break


def write_sheet(args: argparse.Namespace, video: LoadedVideo, results: list[SampleResult]
                ) -> Output:
    """The contact sheet of these samplers' frames, saved to args.sheet; its info says what
    went where."""
    if args.sheet == "-" and args.json:
        raise UserError("--sheet - writes the PNG to stdout; it cannot go with --json")
    check_suffix(args.sheet, ".png", "the sheet is a PNG")
    rows = sheet_rows(results)
    wanted = {i for row in rows for i in row.shown}
    thumbs, channels = {}, 1
    yuv = bool(args.video) and os.path.isfile(args.video)      # a Y4M file: colour is YUV
    for index, width, height, channels, pixels in with_progress(
            sheet_pixels(args, wanted), "drawing the sheet, frame", len(wanted)):
        w, h, thumb = frame_thumbnail(pixels, width, height, channels)
        thumbs[index] = (w, h, yuv_to_rgb(thumb) if yuv and channels == 3 else thumb)
    m = video.motion
    title = (f"{display_name(video.name)}: {m.duration_s:g} s, {m.frame_count:,} frames at "
             f"{m.fps:g} fps")
    canvas, cells = contact_sheet(title, rows, thumbs, channels, m.fps, video.events,
                                  frozenset(c.frame for c in video.cuts))
    saved = save_bytes(args.sheet, png_chunks(canvas))
    info = {**saved.info, "width": canvas.width, "height": canvas.height, "channels": channels,
            "cells": cells}
    return Output(info, saved.stdout)


def sheet_line(sheet: dict) -> str:
    """The line reporting a written contact sheet: path, bytes, size, grey or RGB, thumbnails."""
    return prose(f"wrote {sheet['path']} ({sheet['bytes']:,} bytes, {sheet['width']}x"
                 f"{sheet['height']} {'RGB' if sheet['channels'] == 3 else 'grey'} PNG, "
                 f"{counted(len(sheet['cells']), 'thumbnail')})")


def default_skill_path() -> str:
    """One rule for the script and the installed command: outputs/SKILL_FILE in the nearest
    folder, from the current one upward, that has an outputs/ folder (a checkout's top, from
    anywhere inside it). None found is a UserError: no folder is made unasked."""
    folder = os.getcwd()
    while True:
        if os.path.isdir(os.path.join(folder, "outputs")):
            return os.path.join(folder, "outputs", SKILL_FILE)
        parent = os.path.dirname(folder)
        if parent == folder:
            raise UserError("no outputs/ folder here or in any folder above; run skill in the "
                            "project folder, or give --out PATH")
        folder = parent


def compare_videos(args: argparse.Namespace
                   ) -> tuple[str, list[tuple[str, MotionAnalysis, tuple[Event, ...], VideoFacts]]]:
    """The suite's synthetic videos, or the user's clip with its events file."""
    if not args.video:
        if args.events:
            raise UserError("--events goes with --video")
        suite = benchmark_suite(args.suite, args.seed)
        motions = suite_motions([item.scene for item in suite], "rendering the suite")
        videos = [(item.scene.name, motion, item.scene.events, item.nominal)
                  for item, motion in zip(suite, motions)]
        return args.suite, videos
    if not args.events:
        raise UserError("--video needs --events FILE (a JSON list of {event, start, end})")
    events = load_events_file(args.events)
    stream = open_video(args.video, args.fps, args.allow_truncated, warn)
    frames = with_progress(stream.frames, f"reading {display_name(stream.name)}, frame")
    motion = analyze_motion(frames, stream.width, stream.height, stream.fps)
    if motion.frame_count < FRAME_FACTOR:
        raise UserError(f"{stream.name}: fewer than {FRAME_FACTOR} frames")
    late = [e for e in events if e.end > motion.duration_s]
    if late:
        raise UserError(f"{args.events}: event {late[0].label!r} ends at {late[0].end:g} s, "
                        f"after the {motion.duration_s:g} s video")
    facts = VideoFacts(motion.frame_count, motion.fps, stream.width, stream.height)
    return "video", [(stream.name, motion, events, facts)]


def compare_picture(args: argparse.Namespace, videos: list, rows: list[CompareDesign],
                    table: list[dict]) -> Output:
    """Draw one video of the run (--draw, default the first) with each row's sampled frames and
    top answer beside the suite's accuracy and tokens, and save it to --out. A --draw name not
    in the run is a UserError."""
    chosen = [v for v in videos if v[0] == args.draw] if args.draw is not None else videos[:1]
    if not chosen:
        raise UserError(f"--draw {quoted(args.draw)} is not in the run; videos: "
                        + ", ".join(v[0] for v in videos))
    name, motion, events, nominal = chosen[0]
    windows = motion_windows(motion.scores, motion.fps, DEFAULT_WINDOW_S)
    details = []
    for row in rows:
        times, _, readings, _ = read_video_with(row, motion, windows, events, nominal)
        answers = [p.as_dict() for reading, _ in readings for p in reading.predictions[:1]]
        details.append({"model": row.model, "times": times, "answers": answers})
    return save_svg(args.out, compare_svg(name, motion.duration_s, events, details, table))


def compare_table(rows: list[dict], wide: bool) -> str:
    """The compare rows as a text table: frames, tokens, tokens a second, answers read, accuracy
    within 0.5 s and 2 s, R1@0.5, mIoU and missed events."""
    return format_table(
        ["design", "frames", "tokens", "tok/s", "read", "acc±0.5s", "acc±2s", "R1@0.5",
         "mIoU", "missed"],
        [[r["model"], round(r["frames"], 1), f"{r['tokens']:,.0f}",
          round(r["tokens_per_second"], 1), format_percent(r["parse_rate"]),
          format_percent(r["accuracy_by_tolerance"]["0.5"]),
          format_percent(r["accuracy_by_tolerance"]["2"]), format_percent(r["r1"]["0.5"]),
          format_percent(r["miou"]), f"{r['events_missed']}/{r['event_count']}"]
         for r in rows], wide)


def cmd_compare(args: argparse.Namespace) -> Result:
    """`compare`: the chosen rows run end to end on the suite (or your video and events):
    tokens, answers read, accuracy, R1, mIoU, missed events, findings and the reader's rules;
    --out also writes an SVG (- sends it alone to stdout)."""
    if args.out == "-" and args.json:
        raise UserError("--out - writes the SVG to stdout; it cannot go with --json")
    if args.draw is not None and not args.out:
        raise UserError("--draw chooses the video --out draws; give --out FILE.svg too")
    names = args.design or list(COMPARE_DESIGNS)
    unknown = [n for n in names if n not in COMPARE_DESIGNS]
    if unknown:
        raise UserError(f"unknown design {quoted(unknown[0])}; known: {', '.join(COMPARE_DESIGNS)}")
    rows = [COMPARE_DESIGNS[n] for n in dict.fromkeys(names)]
    suite_name, videos = compare_videos(args)
    table = compare_rows(rows, run_compare(with_progress(videos, "comparing designs, video",
                                                         len(videos)), rows))
    priced = videos[0][3]
    doc = {"suite": suite_name, "seed": args.seed, "video_count": len(videos),
           "event_count": sum(len(v[2]) for v in videos),
           "duration_s": sum_in_order(v[1].duration_s for v in videos), "designs": table,
           "findings": compare_findings(table),
           "reader_rules": list(READER_RULES) + ([] if suite_name == "video" else [SUITE_RULE]),
           "note": SIMULATED_READER_NOTE,
           "events_by_kind": dict(sorted(Counter(e.kind for v in videos for e in v[2]).items())),
           "priced_as": {"width": priced.width, "height": priced.height, "fps": priced.fps}}
    picture = compare_picture(args, videos, rows, table) if args.out else None
    if picture:
        doc["svg"] = picture.info
    return Result(doc, compare_text(doc, args.wide), stdout=picture.stdout if picture else None)


def compare_text(doc: dict, wide: bool) -> str:
    """`compare`'s report: the suite, the table and its legend, each row's design, the
    findings, and the simulated reader's rules."""
    priced, minutes = doc["priced_as"], doc["duration_s"] / 60
    kinds = ("" if doc["suite"] == "video" else ": " + ", ".join(   # your events have no kind
        f"{n} {k}" for k, n in doc["events_by_kind"].items()))
    lines = [prose(f"{counted(doc['video_count'], 'video')} ({minutes:.1f} min, "
                   f"{counted(doc['event_count'], 'event')}{kinds}"
                   + "; one question each; " + ("your --video" if doc["suite"] == "video" else
                                                f"suite {doc['suite']}, seed {doc['seed']}")
                   + "); tokens "
                   f"priced at a {priced['width']}x{priced['height']} {priced['fps']:g} fps "
                   "capture"),
             compare_table(doc["designs"], wide),
             prose("tokens: visual plus timestamp text per video; read: answers parsed; "
                   "acc±t: both ends within t s; R1@0.5: IoU at least 0.5; missed: events no "
                   "sampled frame showed"), "", "Each row:"]
    for r in doc["designs"]:
        lines.append(bullet(f"{r['model']}: {r['frames_rule']}; {r['temporal_encoding']}"
                            + (f"; {r['change']}" if r["change"] else "")))
    if doc["findings"]:
        lines += ["", "Findings:"] + [bullet(f) for f in doc["findings"]]
    lines += ["", prose(doc["note"]), "The reader's rules:"]
    lines += [prose(rule, "   ", f"{k}. ") for k, rule in enumerate(doc["reader_rules"], 1)]
    if "svg" in doc:
        lines.append(f"wrote {doc['svg']['path']} ({doc['svg']['bytes']:,} bytes)")
    return "\n".join(lines)


def cmd_synth(args: argparse.Namespace) -> Result:
    """`synth`: a preset's ground truth (events, cuts); --out also writes the video as Y4M
    (Cmono), and --out - sends the video alone to stdout."""
    scene = scene_from_args(args)
    if args.out == "-" and args.json:
        raise UserError("--out - writes the video to stdout; it cannot go with --json")
    doc = scene_truth(scene)
    video = None
    if args.out:
        check_suffix(args.out, ".y4m", "the video is Y4M")
        video = save_bytes(args.out, y4m_bytes(render_scene(scene), scene.width, scene.height,
                                               scene.fps))
        doc["written"] = video.info
    return Result(doc, synth_text(doc), stdout=video.stdout if video else None)


def synth_text(doc: dict) -> str:
    """`synth`'s report: the preset, its events, its cuts, and the file written."""
    lines = [f"{doc['video']}: {doc['duration_s']:g} s at {doc['fps']:g} fps, {doc['width']}x"
             f"{doc['height']}, {doc['frames']:,} frames, activity {doc['activity']:g}",
             format_table(["event", "start_s", "end_s"],
                          [[e["event"], format_seconds(e["start_s"]),
                            format_seconds(e["end_s"])]
                           for e in doc["events"]]),
             "start_s, end_s: when each event happens, seconds from the start",
             "cuts at frames: " + (", ".join(f"{c['frame']} ({c['time_s']:.2f} s)"
                                            for c in doc["cuts"]) or "none")]
    if "written" in doc:
        lines.append(f"wrote {doc['written']['path']} ({doc['written']['bytes']:,} bytes, "
                     "YUV4MPEG2 Cmono)")
    return "\n".join(lines)


def cmd_motion(args: argparse.Namespace) -> Result:
    """`motion`: per-frame motion, windows, hard cuts, gradual transitions and the scene list;
    --scenes also writes PySceneDetect's CSV (- sends it alone to stdout)."""
    if args.scenes:
        check_suffix(args.scenes, ".csv", "the scene list is CSV")
    video = load_video(args)
    m = video.motion
    scenes = scene_list(m.frame_count, m.fps, video.cuts, video.transitions)
    doc = {"video": video.name, "fps": float(m.fps), "frames": m.frame_count, "stride": m.stride,
           "scores": [round(s, 6) for s in m.scores],
           "windows": [{"start_s": w.start_s, "end_s": w.end_s, "motion": round(w.motion, 6)}
                       for w in video.windows],
           "cuts": [{**asdict(c), "timecode": timecode(c.time_s)} for c in video.cuts],
           "transitions": [{"kind": t.kind, "first_frame": t.first_frame, "end_frame": t.end_frame,
                            "start_s": t.start_s, "end_s": t.end_s,
                            "start_timecode": timecode(t.start_s),
                            "end_timecode": timecode(t.end_s)} for t in video.transitions],
           "scenes": [asdict(s) for s in scenes], "window_s": args.window}
    scene_file = None
    if args.scenes:
        scene_file = save_text(args.scenes, scenes_csv(scenes))
        doc["scenes_file"] = scene_file.info
    return Result(doc, motion_text(doc), stdout=scene_file.stdout if scene_file else None)


def motion_text(doc: dict) -> str:
    """`motion`'s report: windows (a table when 40 or fewer), the sparkline, cuts with their
    timecodes and strength, gradual transitions, and the scene count."""
    windows = doc["windows"]
    peak = max((w["motion"] for w in windows), default=0.0)
    lines = [prose(f"{doc['video']}: {counted(doc['frames'], 'frame')} at {doc['fps']:g} fps, "
                   f"grid stride {doc['stride']}, {counted(len(windows), 'window')} of "
                   f"{doc['window_s']:g} s")]
    if len(windows) <= 40:
        lines.append(format_table(["start", "end", "motion", ""],
                                  [[timecode(w["start_s"]), timecode(w["end_s"]),
                                    f"{w['motion']:.4f}", sparkline([w["motion"]], peak)]
                                   for w in windows]))
    cuts, transitions = doc["cuts"], doc["transitions"]
    lines += [f"motion  {motion_sparkline(doc['scores'])}",
              f"peak window motion {peak:.4f} (mean |luma change| per frame, 0 to 1)",
              prose("hard cuts: " + (", ".join(f"{c['timecode']} (frame {c['frame']}, "
                                                f"{c['score']:.2f})" for c in cuts) or "none")
                    + (" (after each: how much the picture changed, 0 to 1)" if cuts else "")),
              prose("gradual transitions: " + (", ".join(
                  f"{t['kind']} {t['start_timecode']}-{t['end_timecode']} (frames "
                  f"{t['first_frame']}-{t['end_frame'] - 1})" for t in transitions) or "none")),
              prose(counted(len(doc['scenes']), "scene") + (
                  f"; wrote {doc['scenes_file']['path']}"
                  if doc.get("scenes_file", {}).get("path", "-") != "-" else ""))]
    return "\n".join(lines)


def per_window_counts(indices: Iterable[int], windows: tuple[Window, ...]) -> tuple[int, ...]:
    """How many of `indices` fall in each window, in window order (any past the last window
    count in the last)."""
    counts = [0] * len(windows)
    k = 0
    for i in sorted(indices):
        while k + 1 < len(windows) and i >= windows[k].stop:
            k += 1
        counts[k] += 1
    return tuple(counts)


def sample_document(result: SampleResult, video: LoadedVideo, price: TokenCost) -> dict:
    """One sampler's result as a document: its frames and their seconds, frames and motion per
    window, its price in tokens (`price`), which true events it hit, its spans and notes."""
    hits = events_hit(result.indices, result.fps, video.events)
    duration = result.frame_count / result.fps
    return {"strategy": result.strategy, "frames": len(result.indices),
            "frame_indices": list(result.indices), "frame_times_s": list(result.times),
            "frames_per_window": list(per_window_counts(result.indices, video.windows)),
            "window_motion": [round(w.motion, 6) for w in video.windows],
            "window_spans_s": [[w.start_s, w.end_s] for w in video.windows],
            "tokens_per_frame": price.tokens_per_frame, "visual_tokens": price.visual_tokens,
            "tokens": price.total_tokens, "tokens_per_second": price.total_tokens / duration,
            "events_hit": sum(hits), "event_count": len(hits),
            "spans": [{"start_s": a, "end_s": b} for a, b in result.spans],
            "events": [{**event_json(e), "hit": h}
                       for e, h in zip(video.events, hits)],
            "notes": list(result.notes)}


def pricing_note(design: str, width: int, height: int, command: str = "") -> str:
    """The line that says how frames were priced: the design, and for a Qwen design the frame
    size (for another, its token rule), and that --design and --width/--height (of `command`,
    when given) change it."""
    d = DESIGNS[design]
    how = f"a video of that many frames at {width}x{height}" if design in QWEN_DESIGNS else d.tokens
    flags = f"`{command} --design NAME --width W --height H`" if command else \
        "--design and --width/--height"
    return f"tokens: {d.model} ({design}), {how}; {flags} change{'s' if command else ''} this"


def cmd_sample(args: argparse.Namespace) -> Result:
    """`sample`: where each sampler (or --strategy's one) puts its frames, priced by --design,
    with the true events hit; --sheet also draws the frames (- sends the PNG alone to stdout)."""
    video = load_video(args)
    strategies = STRATEGIES if args.strategy == "all" else (args.strategy,)
    results = [run_sampler(s, video, sampler_settings(args)) for s in strategies]
    facts = priced_facts(video, args)
    prices = [price_frames(args.design, max(1, len(r.indices)), facts) for r in results]
    m = video.motion
    doc = {"video": video.name, "duration_s": m.duration_s, "fps": m.fps,
           "priced_as": {"design": args.design, "width": facts.width, "height": facts.height,
                         "size_from": size_source(args)},
           "results": [sample_document(r, video, p) for r, p in zip(results, prices)],
           "timeline": sampling_timeline(m.scores, results)}
    sheet = None
    if args.sheet:
        sheet = write_sheet(args, video, results)
        doc["sheet"] = sheet.info
    return Result(doc, sample_text(doc, args.wide), stdout=sheet.stdout if sheet else None)


def sampling_timeline(scores: Sequence[float], results: list[SampleResult]) -> dict:
    """The text timeline's strings: motion per column, and each sampler's frames per column."""
    return {"motion_bar": motion_sparkline(scores),
            "frame_marks": {r.strategy: frame_marks(len(scores), r.indices) for r in results}}


def timeline_lines(line: dict) -> list[str]:
    """The timeline as labelled lines: the motion sparkline, then one row per sampler."""
    width = max(len(label) for label in [*line["frame_marks"], "motion"])
    return ([f"{'motion'.ljust(width)}  {line['motion_bar']}"]
            + [f"{name.ljust(width)}  {marks}" for name, marks in line["frame_marks"].items()]
            + [prose("motion: the busiest frame in each column; under it, frames each sampler "
                     "took in that column (1-9, + for more)")])


def sample_text(doc: dict, wide: bool) -> str:
    """`sample`'s report: the video and its events, the pricing, a row per sampler, the
    timeline; for one sampler, its notes, spans, busiest windows and frame times."""
    events = doc["results"][0]["events"]
    priced = doc["priced_as"]
    lines = [prose(f"{doc['video']}: {doc['duration_s']:g} s, "
                   f"{round(doc['duration_s'] * doc['fps']):,} frames at {doc['fps']:g} fps; "
                   f"events: " + (", ".join(f"{e['event']} {e['start_s']:g}-{e['end_s']:g} s"
                                            for e in events) or "none known")),
             prose(pricing_note(priced["design"], priced["width"], priced["height"])
                   + SIZE_NOTES.get(priced["size_from"], "")),
             format_table(["strategy", "frames", "tokens", "tok/s", "hit", "how"],
                          [[d["strategy"], d["frames"], d["tokens"],
                            round(d["tokens_per_second"], 1),
                            f"{d['events_hit']}/{d['event_count']}", d["notes"][0]]
                           for d in doc["results"]], wide),
             prose("tok/s: tokens per second of video; hit: true events with a sampled frame "
                   "inside them"), ""]
    lines += timeline_lines(doc["timeline"])
    if len(doc["results"]) == 1:
        lines += [""] + one_sampler_lines(doc["results"][0])
    if "sheet" in doc:
        lines.append(sheet_line(doc["sheet"]))
    return "\n".join(lines)


def one_sampler_lines(d: dict) -> list[str]:
    """One sampler in detail: its notes, action spans, windows (the 12 busiest of a long
    video) and the seconds of its frames."""
    lines = [prose(note) for note in d["notes"]]
    if d["spans"] and d["strategy"] == "event":
        lines.append(prose("action spans (s): " + ", ".join(
            f"{s['start_s']:.1f}-{s['end_s']:.1f}" for s in d["spans"][:20])))
    shown = list(zip(d["window_spans_s"], d["window_motion"], d["frames_per_window"]))
    title = "frames per window"
    if len(shown) > 40:                          # long videos: the windows that got the most
        shown = sorted(sorted(shown, key=lambda w: (-w[2], w[0][0]))[:12], key=lambda w: w[0][0])
        title = f"the 12 windows with the most frames (of {len(d['frames_per_window'])})"
    lines.append(title + ":")
    lines.append(format_table(["window_s", "motion", "frames"],
                              [[f"{start:g}-{end:g}", f"{motion:.4f}", n]
                               for (start, end), motion, n in shown]))
    times = d["frame_times_s"]
    lines.append(prose("frames at s: " + " ".join(f"{t:.2f}" for t in times[:60])
                       + (" ..." if len(times) > 60 else "")))
    return lines


def cmd_plot(args: argparse.Namespace) -> Result:
    """`plot`: an SVG timeline of motion, true events, cuts, gradual transitions and each
    sampler's frames, written to --out (- sends it alone to stdout); frames and tokens per
    sampler, priced by --design."""
    if args.out == "-" and args.json:
        raise UserError("--out - writes the SVG to stdout; it cannot go with --json")
    video = load_video(args)
    strategies = list(STRATEGIES) if "all" in args.strategy else list(dict.fromkeys(args.strategy))
    results = [run_sampler(s, video, sampler_settings(args)) for s in strategies]
    facts = priced_facts(video, args)
    prices = [price_frames(args.design, max(1, len(r.indices)), facts) for r in results]
    rows = [(f"{r.strategy}: {counted(len(r.indices), 'frame')}, {p.total_tokens:,} tok",
             r.times)
            for r, p in zip(results, prices)]
    picture = save_svg(args.out, timeline_svg(video.name, video.motion, video.windows,
                                              video.cuts, video.events, rows, video.transitions))
    doc = {**picture.info, "rows": [{"strategy": r.strategy, "frames": len(r.indices),
                                     "tokens": p.total_tokens} for r, p in zip(results, prices)],
           "priced_as": {"design": args.design, "width": facts.width, "height": facts.height},
           "event_count": len(video.events), "cut_count": len(video.cuts),
           "timeline": sampling_timeline(video.motion.scores, results)}
    text = "\n".join(timeline_lines(doc["timeline"])
                     + [f"wrote {doc['path']} ({doc['bytes']:,} bytes)"])
    return Result(doc, text, stdout=picture.stdout)


def cost_document(budget: TokenCost) -> dict:
    """One design's TokenCost as a document: the design's entry in DESIGNS (model, source,
    rules), its tokens by kind, per frame and per second, its share of the context, details."""
    design = DESIGNS[budget.design]
    return {"design": budget.design, "model": design.model,
            "hypothetical": design.hypothetical or "hypothetical" in budget.workings,
            "source": design.source, "frames_rule": design.frames, "how": design.tokens,
            "temporal_encoding": design.temporal_encoding,
            "frames": budget.frames,
            "tokens_per_frame": budget.tokens_per_frame,
            "visual_tokens": budget.visual_tokens, "text_tokens": budget.text_tokens,
            "audio_tokens": budget.audio_tokens, "tokens": budget.total_tokens,
            "tokens_per_second": budget.tokens_per_second,
            "context_fraction": budget.context_fraction, "workings": budget.workings}


def cost_detail_line(design: str, d: dict) -> str | None:
    """One line of a design's intermediate numbers (its cost's workings), or None."""
    if design in QWEN_DESIGNS:
        shown = d["frame_indices"][:6]
        line = (f"{design}: {counted(d['nframes'], 'frame')} (indices {shown}"
                f"{' ...' if len(d['frame_indices']) > 6 else ''}) at {d['sample_fps']:.4g} fps, "
                f"resized {d['resized_width']}x{d['resized_height']}, grid (t, h, w) = "
                f"{tuple(d['grid_thw'])}, {d['second_per_grid_t']:.4g} s per patch")
        if design == "qwen3-vl":
            stamps = d["timestamps"]
            more = " ... " + stamps[-1] if len(stamps) > 3 else ""
            line += (f"; timestamps {' '.join(stamps[:3])}{more} ({d['timestamp_tokens']:,} "
                     f"tokens, and {2 * len(stamps):,} more for each patch's <|vision_start|> and "
                     f"<|vision_end|>: text {d['timestamp_tokens'] + 2 * len(stamps):,})")
        if design == "qwen2.5-omni" and d["audio_tokens"]:
            line += f"; {d['audio_tokens']:,} audio tokens"
        return line + "".join(f"; {note}" for note in d["version_notes"])
    if design == "video-llama":
        if not d["prompt_states_times"]:
            return ("video-llama: with audio its demo (demo_audiovideo.py, upload_video) writes "
                    "a fixed prompt without the frame times: \""
                    + " ".join(d["prompt_text"].split())
                    + "\" (prompt text not counted: no LLaMA tokenizer here)")
        return ("video-llama: its vision-only demo (demo_video.py, upload_video_without_audio) "
                f"writes into the prompt: \"{d['prompt_text'].strip()}\" (not counted in text: "
                "no LLaMA tokenizer here)")
    if design in POOLED_DESIGNS:
        return pooled_detail_line(design, d)
    return None


def pooled_detail_line(design: str, d: dict) -> str:
    """A pooled-per-frame design's numbers: frames, grid, newlines, its text, the variants."""
    shown = d["frame_indices"][:6]
    more = " ..." if len(d["frame_indices"]) > 6 else ""
    line = f"{design}: frames {shown}{more}; "
    if design == "internvl3":
        ours, hf = d["frame_indices"], d["transformers_frame_indices"]
        differ = [k for k, (a, b) in enumerate(zip(ours, hf)) if a != b]
        example = f", e.g. frame {ours[differ[0]]} -> {hf[differ[0]]}" if differ else ""
        return (line + f"one 448x448 tile a frame, pixel shuffle to 16x16 = 256; "
                f"'Frame1: <img>...</img>' and a newline per frame: {d['frame_label_tokens']:,} "
                f"text tokens; transformers' own sampler picks {len(differ)} of {len(hf)} "
                f"frames differently{example}; lmms-eval gives a 16:9 frame 3 tiles at 32 "
                "frames (768 tokens)")
    grid, pooled = d["patch_grid"][0], d["pooled_grid"][0]
    line += (f"{grid}x{grid} patches, {d['pool_mode']} pool stride {d['pool_stride']} -> "
             f"{pooled}x{pooled}")
    for mode in ("average", "bilinear"):
        if f"pooled_grid_if_{mode}" in d:
            other = d[f"pooled_grid_if_{mode}"][0]
            line += f" ({mode} would give {other}x{other} = {other * other})"
    if "hypothetical" in d:
        line += f"; {d['hypothetical']}"
    if design == "llava-next-video":
        n = d["newline_options"]
        line += (f"; no newline tokens (transformers, the docs' no_token); the original's "
                 f"grid option adds {n['grid']:,}, frame {n['frame']}, one_token 1")
    if design == "llava-onevision":
        line += "; one newline token for the whole video"
    if design == "llava-video":
        head, _, rest = d["time_instruction"].partition("located at ")
        times, _, tail = rest.partition(".Please")
        stamps = times.split(",")
        shown = ",".join(stamps[:3]) + (",...," + stamps[-1] if len(stamps) > 3 else "")
        short = f"{head}located at {shown}.Please{tail}"
        line += (f"; a newline per row; its prompt says ({d['time_instruction_tokens']:,} "
                 f"tokens): \"{short}\"")
    return line


def cmd_tokens(args: argparse.Namespace) -> Result:
    """`tokens`: each design's token cost for the video (or --design's), with a verdict
    against the context, warnings and each design's intermediate numbers. With more than one
    design, each option reaches only the designs it belongs to."""
    video = video_facts(args)
    options = design_options(args)
    chosen = args.design or ["all"]
    names = list(DESIGNS) if "all" in chosen else list(dict.fromkeys(chosen))
    costs = [token_cost(name, video, options if len(names) == 1 else options_for(name, options))
             for name in names]
    doc = {"video_facts": {"duration_s": video.duration_s, "total_frames": video.total_frames,
                           "fps": video.fps, "width": video.width, "height": video.height},
           "context_tokens": options.context, "designs": [cost_document(b) for b in costs]}
    return Result(doc, tokens_text(doc, args.wide))


def tokens_text(doc: dict, wide: bool) -> str:
    """`tokens`' report: the video, a row per design with its verdict, a legend, then the
    designs that do not fit or spend over 40% of the context, and each one's numbers."""
    v, context = doc["video_facts"], doc["context_tokens"]
    lines = [prose(f"video: {v['duration_s']:g} s, {counted(v['total_frames'], 'frame')} at "
                   f"{v['fps']:g} fps, {v['width']}x{v['height']}; context {context:,} tokens")]
    rows = []
    audio = any(b["audio_tokens"] for b in doc["designs"])     # the column only when counted
    for b in doc["designs"]:
        share = b["context_fraction"]
        verdict = ("does not fit" if share > 1 else
                   "over 40%" if share > CONTEXT_WARN_FRACTION else "ok")
        rows.append([b["design"] + (" (hyp.)" if b["hypothetical"] else ""), b["frames"],
                     f"{b['tokens_per_frame']:g}", f"{b['visual_tokens']:,}",
                     f"{b['text_tokens']:,}"] + [f"{b['audio_tokens']:,}"] * audio +
                    [f"{b['tokens']:,}", f"{b['tokens_per_second']:,.1f}", f"{100 * share:,.1f}%",
                     verdict])
    lines.append(format_table(["design", "frames", "tok/frame", "visual", "text"]
                              + ["audio"] * audio + ["total", "tok/s", "context", "verdict"],
                              rows, wide))
    lines.append(prose("visual: vision placeholders (newline tokens included); text: timestamps, "
                       "frame labels and time instructions written with the video"
                       + ("; audio: audio tokens (--audio)" if audio else "") +
                       "; tok/s: tokens per second of video; context: share of the context; "
                       "hyp.: no released model"))
    for b in doc["designs"]:
        if b["context_fraction"] > 1:
            lines.append(prose(f"{b['design']}: {b['tokens']:,} tokens do not fit in a "
                               f"{context:,}-token context; sample fewer frames or fewer pixels"))
        elif b["context_fraction"] > CONTEXT_WARN_FRACTION:
            lines.append(prose(f"warning: {b['design']} spends {100 * b['context_fraction']:.0f}% "
                               "of the context on video (the lesson's limit is 40%)"))
        detail = cost_detail_line(b["design"], b["workings"])
        source = f"source: {b['source']}"
        lines.append(prose(f"{detail}; {source}" if detail else f"{b['design']}: {source}",
                           "  ", ""))
    return "\n".join(lines)


# rope --layout: the prompt layouts it reads, checked here, where the text comes in; Part I's
# position_ids trusts the segments it is given.
LAYOUT_KINDS = {"qwen2-vl": ("text", "image", "video"), "qwen2.5-vl": ("text", "image", "video"),
                "qwen3-vl": ("text", "image", "video"),
                "qwen2.5-omni": ("text", "image", "video", "audio", "av")}
LAYOUT_GRAMMAR = ("text:N, image:1xHxW, video:TxHxW@S (S seconds per temporal patch), and for "
                  "qwen2.5-omni audio:N and av:TxHxW@S+N (a video with N audio tokens)")


def parse_segment(token: str, model: str) -> Segment:
    """One --layout item (`text:N`, `image:1xHxW`, `video:TxHxW@S`, Omni's `audio:N`, `av:...+N`)
    as a Segment for `model`. A kind the model lacks, bad numbers, odd H or W, a Qwen3-VL video
    of T > 1 or with @S, or too many tokens is a UserError that says why."""
    kind, _, spec = token.partition(":")
    if kind not in LAYOUT_KINDS[model]:
        raise UserError(f"--layout item {quoted(token)}: {model} takes "
                        f"{', '.join(LAYOUT_KINDS[model])}")
    try:
        if kind in ("text", "audio"):
            if not ascii_number(spec):
                raise ValueError
            return Segment(kind, count=int(spec))
        spec, _, audio = spec.partition("+") if kind == "av" else (spec, "", "")
        grid_text, at, seconds_text = spec.partition("@")
        t, h, w = (int(v) for v in grid_text.split("x"))
        seconds = float(seconds_text) if at else 1.0
        count = int(audio) if kind == "av" else 0
    except ValueError:
        raise UserError(f"--layout item {quoted(token)}: expected {LAYOUT_GRAMMAR}") from None
    if t < 1 or h < QWEN_MERGE or w < QWEN_MERGE or h % QWEN_MERGE or w % QWEN_MERGE or count < 0:
        raise UserError(f"--layout item {quoted(token)}: T >= 1 and H, W even (2x2 merge)")
    if not (math.isfinite(seconds) and 0 <= seconds <= MAX_TIME_S) or (kind == "image" and t != 1):
        raise UserError(f"--layout item {quoted(token)}: seconds per patch must be "
                        f"0..{MAX_TIME_S:g}, "
                        "and an image has T = 1")
    if model == "qwen3-vl" and kind == "video" and (t != 1 or at):
        raise UserError(f"--layout item {quoted(token)}: Qwen3-VL carries time as text; give each "
                        "frame pair as video:1xHxW after a text:N for its timestamp")
    if t * h * w > 4 * MAX_LAYOUT_TOKENS:
        raise UserError(f"--layout item {quoted(token)}: more than {MAX_LAYOUT_TOKENS:,} tokens")
    return Segment(kind, count, (t, h, w), seconds)


def parse_layout(text: str, model: str = "qwen2.5-vl") -> list[Segment]:
    """`text:3 video:3x4x4@2.0 text:2` -> segments; at most MAX_LAYOUT_TOKENS tokens in all."""
    if model not in ROPE_MODELS:
        raise UserError(f"unknown model {quoted(model)}; known: {', '.join(ROPE_MODELS)}")
    segments = [parse_segment(token, model) for token in text.split()]
    if not segments:
        raise UserError(f"--layout is empty; expected {LAYOUT_GRAMMAR}")
    total = sum(s.tokens for s in segments)
    if total > MAX_LAYOUT_TOKENS:
        raise UserError(f"--layout has {total:,} tokens; the limit is {MAX_LAYOUT_TOKENS:,}")
    return segments


def rope_model(args: argparse.Namespace) -> str:
    """--model, or the older --encoding spelling (index: Qwen2-VL, absolute: Qwen2.5-VL)."""
    if args.encoding is None:
        return args.model
    alias = {"index": "qwen2-vl", "absolute": "qwen2.5-vl"}[args.encoding]
    if args.model not in (alias, DEFAULT_ROPE_MODEL):
        raise UserError(f"--encoding {args.encoding} means --model {alias}, not {args.model}")
    return alias


def rope_source(args: argparse.Namespace, model: str
                ) -> tuple[str, list[float], float, VideoFacts]:
    """Sampled seconds to place: given timestamps, or frames of a video (the model's own
    uniform frames by default, or a sampler's), with the rate a caller would pass."""
    if args.timestamps is not None:
        try:
            times = [float(t) for t in args.timestamps.split(",")]
        except ValueError:
            raise UserError(f"--timestamps: expected comma-separated seconds, got "
                            f"{quoted(args.timestamps)}") from None
        if not times or any(not (math.isfinite(t) and 0 <= t <= MAX_TIME_S) for t in times) \
                or times != sorted(times):
            raise UserError(f"--timestamps: seconds must be 0..{MAX_TIME_S:g} and in order")
        duration = max(times[-1], 1e-3)
        rate = len(times) / duration
        facts = VideoFacts(max(FRAME_FACTOR, len(times)), rate, NOMINAL_WIDTH, NOMINAL_HEIGHT)
        return "given timestamps", times, rate, facts
    video = load_video(args)
    facts = priced_facts(video, args)
    if args.strategy == "release":
        patch = QWEN3_PATCH if model == "qwen3-vl" else QWEN2_PATCH
        plan = qwen_video_plan(facts, QwenOptions(), patch)
        times = [i / facts.fps for i in plan["frame_indices"]]
        return (f"{video.name}, {model}'s own frames ({len(times)})", times, plan["sample_fps"],
                facts)
    result = run_sampler(args.strategy, video, sampler_settings(args))
    times = list(result.times)
    return (f"{video.name}, {args.strategy} sampler, {counted(len(times), 'frame')}", times,
            len(times) / video.motion.duration_s, facts)


def layout_document(model: str, layout: str, segments: list[Segment]) -> dict:
    """The position ids of a prompt layout under `model`: t, h and w ids (arrays, which
    become lists only for --json) and mrope_position_delta."""
    ids, delta = position_ids(segments, model)
    return {"model": model, "layout": layout, "sequence_length": len(ids[0]),
            "position_ids": list(ids), "mrope_position_delta": delta}


def layout_lines(doc: dict) -> list[str]:
    """A layout's ids as text: as many of each axis as fit, then the delta."""
    layout = doc["layout"]
    lines = [prose(f"layout {layout if len(layout) <= 70 else layout[:67] + '...'} under "
                   f"{doc['model']}: {counted(doc['sequence_length'], 'token')}")]
    lines += [ids_line(f"{name}:", axis, text_width())
              for name, axis in zip("thw", doc["position_ids"])]
    lines.append(f"mrope_position_delta = max position + 1 - length = "
                 f"{doc['mrope_position_delta']}")
    return lines


def ids_line(label: str, values: array, width: int) -> str:
    """As many of the values as fit in `width` columns, then '...' if some are left out."""
    line = label
    for k, value in enumerate(values):
        piece = f" {value}"
        if len(line) + len(piece) > width - (4 if k + 1 < len(values) else 0):
            return line + " ..."
        line += piece
    return line


def cmd_rope(args: argparse.Namespace) -> Result:
    """`rope`: with --layout, that prompt's position ids; else the temporal patches of sampled
    frames and the time each design states for them, the video's layout and its ids, and
    exercise 2's conclusion."""
    model = rope_model(args)
    given = [flag for flag, value in (("--layout", args.layout), ("--timestamps", args.timestamps),
                                      ("--synth", args.synth), ("--video", args.video))
             if value is not None]
    if len(given) > 1:
        raise UserError(f"{' and '.join(given)}: give one of --layout, --timestamps, --synth and "
                        "--video, the frames or prompt to place")
    if args.layout is not None:
        doc = layout_document(model, args.layout, parse_layout(args.layout, model))
        return Result(doc, "\n".join(layout_lines(doc)))
    source, times, rate, facts = rope_source(args, model)
    patches = patch_times(times, rate, args.table_rows)
    demo = rope_demonstration(patches)
    layout = expanded_layout(model, patches, facts, rate)
    layout_doc = layout_document(model, layout, parse_layout(layout, model))
    doc = {"model": model, "frames_from": source, "rate_fps": rate,
           "table_rows": args.table_rows,
           "patches": [{("frame_times_s" if k == "frame_times" else k): v
                        for k, v in p._asdict().items()} for p in patches],
           "mrope_section": list(MROPE_SECTION),
           "head_dim": HEAD_DIM, "rope_theta": ROPE_THETA, "demonstration": demo,
           "conclusion": rope_conclusion(demo, args.table_rows),
           **{k: v for k, v in layout_doc.items() if k != "model"}}
    return Result(doc, rope_text(doc, args.wide))


def rope_text(doc: dict, wide: bool) -> str:
    """`rope`'s report for a video: a row per temporal patch with each design's time, a
    legend, the layout's ids and the conclusion."""
    patches = doc["patches"]
    rows = [[p["patch"], " ".join(f"{t:.2f}" for t in p["frame_times_s"]), p["index_t"],
             p["aligned_t"], f"{p['aligned_s']:.1f}", p["timestamp"], p["omni_t"],
             ",".join("-" if r is None else str(r) for r in p["table_row_ids"])]
            for p in patches[:40]]
    lines = [prose(f"{doc['frames_from']}; 2 frames per temporal patch; one rate for Qwen2.5-VL: "
                   f"{doc['rate_fps']:.4g} fps; Qwen2.5-Omni as its README calls it (no fps): "
                   f"its processor's {OMNI_PROCESSOR_FPS:g} fps, 1 s a patch"),
             format_table(["patch", "frames (s)", "Q2 t", "Q2.5 t", "= s", "Qwen3-VL text",
                           "Omni t", f"row of {doc['table_rows']}"], rows, wide)]
    if len(patches) > 40:
        lines.append(f"... {len(patches) - 40} more patches")
    lines.append(prose("Q2: Qwen2-VL temporal id (patch number); Q2.5: Qwen2.5-VL temporal id "
                       "and the second it stands for; Omni: Qwen2.5-Omni TMRoPE id (25 a "
                       "second, 1 s a patch by default); row: Video-LLaVA's temporal-embedding "
                       "row of each frame ('-': past the table)"))
    lines += [""] + layout_lines(doc) + ["", prose(doc["conclusion"])]
    return "\n".join(lines)


def cmd_parse(args: argparse.Namespace) -> Result:
    """`parse`: how one answer (or stdin's, for -) is read: its predictions ranked, with flags;
    or the failure and its reason."""
    if args.text == "-":
        stream = open_text("-")
        try:
            text = stream.read(MAX_ANSWER_CHARS + 1)
        finally:
            release_text(stream, "-")
    else:
        text = args.text
    doc = parse_grounding(text, args.duration, parse_policy(args)).as_dict()
    return Result(doc, parse_text(doc))


def parse_text(doc: dict) -> str:
    """`parse`'s report: the failure and why, or a row per prediction and each flag."""
    if doc["failure"]:
        reason, detail = doc["failure"]["reason"], doc["failure"]["detail"]
        said = FAILURE_REASONS[reason]
        return f"not read: {reason}, {said}" + (f" ({detail})" if detail != said else "")
    rows = [[k + 1, p["kind"], f"{p.get('start_s', p.get('time_s')):g}",
             f"{p['end_s']:g}" if p["kind"] == "interval" else "", p["format"], p["form"],
             p["event"] or "", "" if p["confidence"] is None else f"{p['confidence']:g}"]
            for k, p in enumerate(doc["predictions"])]
    lines = [format_table(["rank", "kind", "start/time s", "end s", "format", "form", "event",
                           "confidence"], rows),
             prose("rank 1 is the answer scored; form: how its time was written (range, "
                   "between, lasting, labelled, point, bare, ...); event and confidence when it "
                   "gives them")]
    lines += [prose(f"flag: {flag}, {FLAG_REASONS[flag]}; scoring clips it into the video")
              for flag in doc["flags"]]
    return "\n".join(lines)


def samples_task_name(path: str, task: str) -> str:
    """The lmms-eval task a samples file is for, from `<date>_samples_<task>.jsonl`."""
    name = os.path.basename(path)
    found = re.search(r"_samples_(.+)\.jsonl$", name)
    return found.group(1) if found else HARNESS_TASKS[task].default_task


def cmd_evaluate(args: argparse.Namespace) -> Result:
    """`evaluate`: scores of a file of grounding answers against --gt or their inline truth, or
    an lmms-eval samples file re-scored beside the harness's own numbers. No usable line, or
    options that do not fit the input, is a UserError."""
    check_readable_file(args.predictions)
    gt_format, truths = load_ground_truth(args.gt) if args.gt else (None, None)
    durations = load_durations(args.duration_file) if args.duration_file else {}
    options = EvalOptions(args.tolerance, parse_policy(args), args.point_as_interval,
                          args.compat, args.details, args.gt_round)
    doc = evaluate_lines(read_lines(args.predictions), truths, durations, options)
    if doc["n"] == 0:
        shown = "; ".join(f"line {b['line']}: {b['reason']}" for b in doc["bad_lines"][:3])
        if not shown and doc.get("predictions_without_truth_count"):
            shown = (f"no id matches one in --gt: {doc['predictions_without_truth'][0]!r} here, "
                     f"{next(iter(truths))!r} in {args.gt}")
        raise UserError(f"{args.predictions}: no usable prediction line"
                        + (f" ({shown})" if shown else ""))
    is_samples = doc["input"] == "lmms-eval samples"
    if durations and not doc["duration_file_matches"]:
        raise UserError(f"{args.duration_file}: none of the {counted(len(durations), 'id')} in "
                        f"it names a {'video' if is_samples else 'prediction'} in "
                        f"{args.predictions}, so no answer gets its length from it")
    if is_samples and truths is not None:
        raise UserError("an lmms-eval samples file carries its own truth; drop --gt")
    if (args.lmms_results or args.gt_round) and not is_samples:
        raise UserError("--lmms-results and --gt-round go with an lmms-eval samples file")
    if args.lmms_results and not doc.get("compat"):
        task = HARNESS_TASKS[doc["task"]]
        name = samples_task_name(args.predictions, doc["task"])
        reported = results_file_numbers(args.lmms_results, task, name)
        recomputed = {k: doc["lmms_eval"][k] for k in ("r1", "miou")}
        doc["lmms_eval"] = {**doc["lmms_eval"], **reported, "numbers_from": "results file",
                            "results_file": args.lmms_results, "recomputed": recomputed}
    doc["gt_format"] = "lmms-eval key" if is_samples else gt_format or "inline"
    return Result(doc, evaluation_text(doc))


def score_row(name: str, doc: dict) -> list[str]:
    """A table row: `name`, then R1 at IoU 0.3, 0.5 and 0.7 and mIoU of `doc`, as percentages."""
    return [name, format_percent(doc["r1"]["0.3"]), format_percent(doc["r1"]["0.5"]),
            format_percent(doc["r1"]["0.7"]), format_percent(doc["miou"])]


def samples_text(doc: dict) -> list[str]:
    """lmms-eval's scores beside this tool's, then what the tool rescued."""
    harness = doc["lmms_eval"]
    rows = [score_row(f"lmms-eval ({harness['numbers_from']})", harness)]
    if "recomputed" in harness:
        rows.append(score_row("lmms-eval (recomputed here)", harness["recomputed"]))
    rows.append(score_row("this tool", doc))
    lines = [prose(f"lmms-eval samples ({doc['task']}): {counted(doc['lines'], 'line')}, "
                   f"{counted(doc['n'], 'item')}"
                   + (f" ({counted(doc['duplicates'], 'repeated key')}: the later answer counts, "
                      "as in lmms-eval)" if doc["duplicates"] else "")),
             format_table(["", "R1@0.3", "R1@0.5", "R1@0.7", "mIoU"], rows),
             prose("R1@t: answers whose IoU with the truth is at least t; mIoU: the mean IoU; "
                   "an answer not read counts as IoU 0")]
    if "recomputed" in harness and (harness["recomputed"]["r1"] != harness["r1"]
                                    or not math.isclose(harness["recomputed"]["miou"],
                                                        harness["miou"], abs_tol=1e-12)):
        lines.append(prose("the results file's numbers differ from the samples recomputed: "
                           "are they from the same run?"))
    rescued = doc["rescued"]
    unread = doc["n"] - harness["parsed"]
    lines.append(prose(f"lmms-eval could not read {counted(unread, 'answer')} "
                       f"(scored 0); this tool read {rescued['count']:,} of them"
                       + (": " + ", ".join(f"{reason} {count}" for reason, count in
                                           rescued["by_reason"].items())
                          if rescued["count"] else "")))
    if harness.get("unreadable_truth"):
        unreadable = counted(harness["unreadable_truth"], "truth")
        lines.append(prose(f"lmms-eval could not read {unreadable} (np.float16(...), as numpy "
                           "2 writes them with pyarrow < 21) and scored them 0; this tool reads "
                           "them"))
    truth = doc["truth"]
    if truth["float16"]:
        lines.append(prose("the truth looks float16-rounded (e.g. 24.296875 for 24.3); "
                           "--gt-round 0.1 rounds it back to the annotation's 0.1 s grid"))
    if truth["rounded_to_s"]:
        lines.append(prose(f"this tool's truth rounded to {truth['rounded_to_s']:g} s "
                           "(--gt-round); lmms-eval's numbers keep the file's truth"))
    return lines


def score_cells(name: str, part: dict) -> list:
    """One row of the evaluation table: answers, read, accuracy, R1 at each IoU, mIoU."""
    return [name, part["n"], part["parsed"], format_percent(part["accuracy"]),
            format_percent(part["r1"]["0.3"]), format_percent(part["r1"]["0.5"]),
            format_percent(part["r1"]["0.7"]), format_percent(part["miou"])]


def compat_lines(doc: dict) -> list[str]:
    """evaluate --compat lmms-eval: the harness's numbers as it reports them (percentages)."""
    lines = [prose(f"lmms-eval compatible scoring ({doc['task']} reader; "
                   f"{counted(doc['n'], 'answer')}, "
                   f"ground truth: {doc['gt_format']}), percentages as lmms-eval reports "
                   "them:"),
             format_table(["parsed", "IOU@0.3", "IOU@0.5", "IOU@0.7", "mIOU"],
                          [[f"{100 * doc['parse_rate']:.2f}", f"{100 * doc['r1']['0.3']:.2f}",
                            f"{100 * doc['r1']['0.5']:.2f}", f"{100 * doc['r1']['0.7']:.2f}",
                            f"{100 * doc['miou']:.2f}"]]),
             prose("parsed: answers the harness's reader read; IOU@t: answers whose IoU is at "
                   "least t; mIOU: the mean IoU (unread: 0)")]
    if doc.get("unreadable_truth"):
        lines.append(prose("lmms-eval could not read "
                           f"{counted(doc['unreadable_truth'], 'truth')} "
                           "(np.float16(...) as numpy 2 writes them) and scored them 0, "
                           "as here"))
    return lines


def score_lines(doc: dict) -> list[str]:
    """evaluate's scores: overall and per format, error, recall at k, failures and flags."""
    error = doc["mean_abs_error_s"]
    lines = samples_text(doc) if doc.get("input") == "lmms-eval samples" else []
    lines += [prose(f"{counted(doc['n'], 'answer')} (ground truth: {doc['gt_format']}), "
                    f"{doc['parsed']:,} read ({format_percent(doc['parse_rate'])}); tolerance "
                    f"{doc['tolerance_s']:g} s"),
              format_table(["", "answers", "read", f"acc@{doc['tolerance_s']:g}s", "R1@0.3",
                            "R1@0.5", "R1@0.7", "mIoU"],
                           [score_cells("all", doc)] +
                           [score_cells(name, part)
                            for name, part in doc.get("by_format", {}).items()]),
              prose(f"acc@{doc['tolerance_s']:g}s: {TOLERANCE_RULE}; R1@t: IoU at least t."),
              prose(f"|time error| of read answers, after clipping into the video: mean "
                    f"{'-' if error is None else seconds_or_reason(error)}, median "
                    f"{'-' if error is None else seconds_or_reason(doc['median_abs_error_s'])}"
                    "; recall@k (IoU 0.5): " +
                    ", ".join(f"k={k}: {format_percent(v)}"
                              for k, v in doc["recall_at_k_iou_0_5"].items()))]
    if doc["failure_counts"]:
        lines.append(prose("not read: " + ", ".join(
            f"{reason} {count}" for reason, count in doc["failure_counts"].items())))
    if doc["flag_counts"]:
        week = doc["clipped_unknown_length"]
        lines.append(prose("read as written, then clipped into the video for scoring: "
                           + ", ".join(f"{flag} {n}" for flag, n in doc["flag_counts"].items())
                           + f" ({counted(doc['clipped'], 'answer')} clipped"
                           + (f"; {week:,} at a week, the video's length unknown: "
                              "--duration-file gives lengths" if week else "") + ")"))
    return lines


def evaluation_text(doc: dict) -> str:
    """The text of an evaluate document: the scores (compat_lines or score_lines), then the
    bad lines and the ids without truth or without predictions."""
    lines = compat_lines(doc) if doc.get("compat") else score_lines(doc)
    if doc["bad_line_count"]:
        lines.append(prose(f"{counted(doc['bad_line_count'], 'bad line')} skipped, e.g. "
                           + "; ".join(f"line {b['line']}: {b['reason']}"
                                       for b in doc["bad_lines"][:3])))
    if doc.get("predictions_without_truth_count"):
        n = doc["predictions_without_truth_count"]
        lines.append(prose(f"{counted(n, 'prediction')} {'has' if n == 1 else 'have'} no ground "
                           f"truth, e.g. {', '.join(doc['predictions_without_truth'][:3])}"))
    if doc.get("truth_without_predictions_count"):
        n = doc["truth_without_predictions_count"]
        lines.append(prose(f"{counted(n, 'ground-truth item')} {'has' if n == 1 else 'have'} no "
                           f"prediction, e.g. {', '.join(doc['truth_without_predictions'][:3])}"))
    if "qvhighlights" in doc:
        lines += qvhighlights_lines(doc["qvhighlights"])
    if "details" in doc:
        lines += ["", details_table(doc["details"], doc["tolerance_s"])]
    return "\n".join(lines)


def details_table(details: list[dict], tolerance: float) -> str:
    """--details in text: each answer's line, id, what was read (or why not) and its score."""
    def reading(d: dict) -> str:
        if d["failure"]:
            return f"not read: {d['failure']['reason']}"
        top = d["predictions"][0]
        span = (f"{top['start_s']:g}-{top['end_s']:g} s" if top["kind"] == "interval"
                else f"at {top['time_s']:g} s")
        more = f" (+{len(d['predictions']) - 1} more)" if len(d["predictions"]) > 1 else ""
        return f"{span}{more}, {top['format']} {top['form']}".rstrip()
    rows = [[d["line"], d["id"] or "", reading(d),
             "" if d["failure"] else f"{d['iou']:.2f}",
             "" if d["failure"] else ("yes" if d["hit"] else "no")] for d in details]
    return (format_table(["line", "id", "read as", "IoU", f"±{tolerance:g}s"], rows, False)
            + "\n" + prose("read as: the top answer and how it was written; IoU with the "
                           f"truth; ±{tolerance:g}s: right within the tolerance"))

def qvhighlights_lines(q: dict) -> list[str]:
    """QVHighlights' official numbers in the evaluator's layout, percent to two decimals."""
    def cell(value: float | None) -> str:
        return "-" if value is None else f"{official_percent(value):.2f}"
    rows = [[name, f"{part['queries']:,}", cell(part["map"] and part["map"]["average"]),
             cell(part["map"] and part["map"]["0.5"]), cell(part["map"] and part["map"]["0.75"]),
             cell(part["r1"] and part["r1"]["0.5"]), cell(part["r1"] and part["r1"]["0.7"])]
            for name, part in q["mr"].items()]
    lines = ["", prose(f"QVHighlights, as its official evaluator computes it (moment_detr "
                       f"standalone_eval), {q['queries']:,} queries:"),
             format_table(["windows", "queries", "MR-mAP", "mAP@0.5", "mAP@0.75", "R1@0.5",
                           "R1@0.7"], rows),
             prose("MR-mAP: mean over IoU 0.5:0.05:0.95 of each query's average precision over "
                   "its first 10 windows; R1: the first listed window; short, middle, long: only "
                   "true windows of 0-10, 10-30, 30-150 s, and the queries that have one.")]
    if "hl" in q:
        lines += [format_table(["saliency", "HL-mAP", "HIT@1"],
                               [[f"{name} (>= {QVH_LEVELS[name]})", cell(part["map"]),
                                 cell(part["hit1"])] for name, part in q["hl"].items()]),
                  prose("HL: per two-second clip, the predicted saliency ranked against each "
                        "annotator's scores at the level; HIT@1: the top clip is positive for "
                        "any annotator.")]
    gaps = q["without_windows"]
    misses = [f"{gaps:,} quer{'y' if gaps == 1 else 'ies'} without windows"] if gaps else []
    if q.get("without_saliency"):
        misses.append(f"{q['without_saliency']:,} without saliency scores")
    if q["saliency_unreadable"]:
        misses.append(f"{q['saliency_unreadable']:,} with unreadable saliency scores")
    if misses:
        lines.append(prose(f"Counted as misses (the official script stops instead): "
                           f"{', '.join(misses)}."))
    return lines


def cmd_schema(args: argparse.Namespace) -> Result:
    """`schema`: the JSON Schema for grounding answers; with --validate, how many answers of a
    JSONL file match it and the first violations, with exit status 1 if any does not."""
    if not args.validate:
        doc = {"schema": GROUNDING_SCHEMA}
        return Result(doc, json.dumps(doc["schema"], indent=2))
    valid = invalid = 0
    shown: list[dict] = []                      # the first MAX_BAD_LINES_SHOWN violations
    for number, line in read_lines(args.validate):
        if not line.strip():
            continue
        problems = answer_schema_problems(line)
        valid, invalid = valid + (not problems), invalid + bool(problems)
        room = MAX_BAD_LINES_SHOWN - len(shown)
        shown += [{"line": number, "path": p, "message": m} for p, m in problems[:max(0, room)]]
    if not valid + invalid:
        raise UserError(f"{args.validate}: no lines to validate")
    doc = {"valid": valid, "invalid": invalid, "violations": shown,
           "violations_shown": len(shown)}
    return Result(doc, validation_text(doc), 0 if not invalid else 1)


def validation_text(doc: dict) -> str:
    """`schema --validate`'s report: how many match, then each violation shown."""
    lines = [f"{doc['valid']:,} of {counted(doc['valid'] + doc['invalid'], 'answer')} "
             f"{'matches' if doc['valid'] == 1 else 'match'} the grounding schema"]
    lines += [f"line {v['line']}: {v['path']}: {v['message']}" for v in doc["violations"]]
    if doc["invalid"] and doc["violations_shown"] == MAX_BAD_LINES_SHOWN:
        lines.append(f"(the first {MAX_BAD_LINES_SHOWN} violations are shown)")
    return "\n".join(lines)


def planned_sampler_options(args: argparse.Namespace) -> SamplerSettings:
    """The settings a plan samples with: each sampler's own defaults, under --max-fps."""
    return SamplerSettings(min_fps=min(DEFAULT_MIN_FPS, args.max_fps), max_fps=args.max_fps)


@functools.lru_cache(maxsize=None)
def plan_evidence() -> dict:
    """The compare rows the planner cites (EVIDENCE_ROWS on EVIDENCE_SUITE, a few seconds),
    by name; computed once a run."""
    rows = [COMPARE_DESIGNS[n] for n in EVIDENCE_ROWS]
    suite = benchmark_suite(EVIDENCE_SUITE, DEFAULT_SEED)
    motions = suite_motions([item.scene for item in suite],
                            f"measuring compare's {EVIDENCE_SUITE} suite for the plan")
    videos = [(item.scene.name, motion, item.scene.events, item.nominal)
              for item, motion in zip(suite, motions)]
    return {r["name"]: r for r in compare_rows(rows, run_compare(videos, rows))}


def cmd_plan(args: argparse.Namespace) -> Result:
    """`plan`: a frame plan for a task from the rule table and compare's measurements (for
    --video/--synth, measured from the video, with the planned frames checked against the
    plan's promises), or REFUSED with what to do instead; --sheet also draws the frames."""
    request_args = dict(context=args.context_tokens, model_size_b=args.model_size,
                        target=args.target, max_fps=args.max_fps, model=args.model)
    if not (args.video or args.synth):
        if args.duration is None:
            raise UserError("give --duration S, or --video/--synth to measure a video")
        if args.sheet:
            raise UserError("--sheet shows a video's planned frames; give --video or --synth")
        nominal = nominal_facts(args.duration)
        facts = replace(nominal, width=args.width or nominal.width,
                        height=args.height or nominal.height)       # the size given, if any
        plan = plan_nominal(PlanRequest(args.task, args.duration, **request_args), facts)
        return Result(plan, plan_text(plan))
    if args.duration is not None:
        raise UserError("give --duration or --video/--synth, not both")
    video = load_video(args)
    plan, planned = plan_measured(PlanRequest(args.task, video.motion.duration_s, **request_args),
                                  video, priced_facts(video, args), planned_sampler_options(args))
    sheet = None
    if args.sheet:
        if plan["refused"]:
            raise UserError("the plan is a refusal: there are no planned frames to show")
        sheet = write_sheet(args, video, [planned])
        plan["sheet"] = sheet.info
    text = plan_text(plan) + ("\n" + sheet_line(plan["sheet"]) if "sheet" in plan else "")
    return Result(plan, text, stdout=sheet.stdout if sheet else None)


def plan_nominal(request: PlanRequest, facts: VideoFacts) -> dict:
    """The plan for a video known by its length (and its frame size) only: a nominal 30 fps
    capture."""
    plan = plan_video(request, plan_evidence(), facts=facts)
    if plan["frame_indices"] and not plan["refused"]:
        plan["warnings"] += plan_promises(plan["frame_indices"], facts.fps, facts.total_frames,
                                          None)
    return plan


def plan_measured(request: PlanRequest, video: LoadedVideo, facts: VideoFacts,
                  settings: SamplerSettings) -> tuple[dict, SampleResult]:
    """The plan for a video measured frame by frame, and the frames it plans, checked against
    the plan's promises (a frame in every shot, no long stretch without one)."""
    content, measured = classify_content(video.motion, video.windows, video.cuts)
    sampler = SAMPLER_FOR_CONTENT[content][0]
    every_shot = sampler == "keyframe" and asks_when(request)
    if every_shot:
        settings = through_every_shot(settings, video)
    planned = run_planned(sampler, video, settings) if sampler != "uniform" else None
    plan = plan_video(request, plan_evidence(), content, measured,
                      len(planned.indices) if planned else None, facts)
    m = video.motion
    if plan["sampler"] == "uniform":
        indices = plan["frame_indices"] or spread_in_range(0, m.frame_count, plan["frames"])
        planned = SampleResult("uniform", m.fps, m.frame_count, tuple(sorted(set(indices))), ())
    elif len(planned.indices) > plan["frames"]:      # fewer fit: the sampler chooses again
        planned = run_planned(sampler, video, replace(settings, max_frames=plan["frames"]))
    plan["frame_indices"] = list(planned.indices)
    if every_shot and plan["sampler"] == "keyframe":
        plan["sampler_reason"] += every_shot_reason(planned, settings.keyframe_gap_s)
    if not plan["refused"]:
        shots = (shot_spans(m.frame_count, video.cuts, video.transitions)
                 if plan["sampler"] == "keyframe" else None)
        plan["warnings"] += plan_promises(plan["frame_indices"], m.fps, m.frame_count, shots)
    return plan, planned


def through_every_shot(settings: SamplerSettings, video: LoadedVideo) -> SamplerSettings:
    """The keyframe sampler's settings for a task that asks when: context frames every
    1 / PLAN_MIN_GROUNDING_FPS seconds, as many as reach across the longest shot (a keyframe per
    shot alone leaves most of a long shot unseen)."""
    m = video.motion
    step = 1 / PLAN_MIN_GROUNDING_FPS
    longest = max(b - a for a, b in shot_spans(m.frame_count, video.cuts, video.transitions))
    reach = ceil_div(longest, max(1, round(step * m.fps)))     # context frames to cross it
    return replace(settings, keyframe_gap_s=step,
                   keyframe_context=max(settings.keyframe_context, reach))


def every_shot_reason(planned: SampleResult, step: float) -> str:
    """What a keyframe plan for a task that asks when says of its context frames: that they
    reach across every shot, or, when fewer fit, how long a stretch goes without a frame."""
    edges = [0, *planned.indices, planned.frame_count]
    gap = max(b - a for a, b in zip(edges, edges[1:])) / planned.fps
    said = f"; a task that asks when needs every part of a shot, so context frames every {step:g} s"
    if gap <= step + 1 / planned.fps:
        return said + " reach across the longest shot"
    return (f"{said} would reach across the longest shot, but only "
            f"{counted(len(planned.indices), 'frame')} fit: up to {gap:.1f} s go without one")


def run_planned(sampler: str, video: LoadedVideo, settings: SamplerSettings) -> SampleResult:
    """A plan's sampler on the video; the keyframe sampler also anchors on the end of each
    gradual transition, so the shot after a fade gets its keyframe too."""
    if sampler != "keyframe":
        return run_sampler(sampler, video, settings)
    ends = tuple(Cut(t.end_frame, t.end_frame / video.motion.fps, 1.0) for t in video.transitions
                 if t.end_frame < video.motion.frame_count)
    anchors = tuple(sorted(video.cuts + ends, key=lambda c: c.frame))
    return SAMPLERS[sampler](video.motion, video.windows, anchors, settings)


def cmd_skill(args: argparse.Namespace) -> Result:
    """`skill`: write the planner's skill file (by default into outputs/), or with --check say
    whether it is current (exit status 1 and the first difference if not)."""
    text = render_skill(plan_evidence())
    path = args.out or default_skill_path()
    if args.out == "-" and (args.json or args.check):
        raise UserError("--out - writes the skill file to stdout; it cannot go with --json or "
                        "--check")
    if args.check:
        doc = skill_check(path, text)
        return Result(doc, skill_text(doc), 0 if doc["up_to_date"] else 1)
    check_suffix(path, ".md", "the skill file is Markdown")
    written = save_text(path, text)
    return Result(written.info, skill_text(written.info), stdout=written.stdout)


def skill_check(path: str, text: str) -> dict:
    """Whether the file at `path` is exactly `text`: up to date, missing, or the first line
    that differs. One byte more than the right file is read, so /dev/zero cannot hold us."""
    expected = text.encode("utf-8")
    try:
        with open(path, "rb") as handle:
            current = handle.read(len(expected) + 1).decode("utf-8", "replace")
    except FileNotFoundError:
        return {"path": path, "up_to_date": False, "difference": "missing"}
    except OSError as error:
        raise UserError(f"{path}: cannot read: {error.strerror or error}") from None
    if current == text:
        return {"path": path, "up_to_date": True, "difference": None}
    old, new = current.splitlines(), text.splitlines()
    line = next((k for k, (a, b) in enumerate(zip(old, new)) if a != b), min(len(old), len(new)))
    detail = (f"line {line + 1}: file has {old[line]!r}" if line < len(old) else
              f"line {line + 1}: file ends early") + (
        f", generator gives {new[line]!r}" if line < len(new) else ", generator ends there")
    return {"path": path, "up_to_date": False, "difference": detail}


def skill_text(doc: dict) -> str:
    """`skill`'s report: the file written, or whether it is current and how to make it so."""
    if "up_to_date" not in doc:
        return f"wrote {doc['path']} ({doc['bytes']:,} bytes)"
    if doc["up_to_date"]:
        return f"{doc['path']} is up to date"
    if doc["difference"] == "missing":
        return f"{doc['path']} is missing; run: {invocation()} skill"
    return f"{doc['path']} is stale ({doc['difference']}); run: {invocation()} skill"


def cmd_exercise(args: argparse.Namespace) -> Result:
    """`exercise`: the numbered exercise's question and, with --answer, its worked answer (the
    JSON always has both); an option of another exercise is a UserError."""
    if args.number != 5 and (args.scores or args.example_csv):
        raise UserError("--scores and --example-csv go with exercise 5")
    pricing = {k: v for k, v in (("design", args.design), ("width", args.width),
                                 ("height", args.height)) if v is not None}
    if args.number != 1 and pricing:
        raise UserError("--design, --width and --height go with exercise 1")
    if args.number == 5:
        doc = exercise_videomme(args.scores, args.example_csv)
        if "csv" in doc:
            return Result(doc, doc["csv"])
    else:
        doc = EXERCISES[args.number](**pricing) if args.number == 1 else EXERCISES[args.number]()
    question = EXERCISE_QUESTIONS[args.number]
    doc = {"exercise": args.number, "question": question, **doc}
    head = prose(f"Exercise {args.number}. {question}")
    if not args.answer:
        return Result(doc, head + "\n\n" + prose(f"Work it, then see the worked answer: "
                                                  f"`{invocation()} exercise {args.number} "
                                                  "--answer`."))
    return Result(doc, head + "\n\nAnswer:\n" + EXERCISE_TEXTS[args.number](doc))


COMMAND_RUNS = 5                   # a whole command is timed this many times; the fastest is kept


BENCH_SIZE = (NOMINAL_WIDTH, NOMINAL_HEIGHT, NOMINAL_FPS)   # the bench clip, yuv420p like a phone


def bench_scene(seconds: float) -> Scene:
    """The bench clip: a panning texture with movers, one event and one cut."""
    width, height, fps = BENCH_SIZE
    return Scene("bench", seconds, fps, width, height,
                 (Event("jump", seconds * 0.3, seconds * 0.3 + 0.5),), (round(seconds / 2),), 0.6)


def timed(function) -> tuple[object, float]:
    """Call `function` once: its result and the wall-clock seconds it took."""
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def command_seconds(command: list[str], keep_output: bool = False, runs: int = COMMAND_RUNS
                    ) -> tuple[float, bytes] | None:
    """The fastest of `runs` runs of a command (None if it fails), and its last output."""
    import subprocess
    best, output = None, b""
    for _ in range(runs):
        start = time.perf_counter()
        try:
            finished = subprocess.run(command, stdin=subprocess.DEVNULL, timeout=600,
                                      stdout=subprocess.PIPE if keep_output else subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired):
            return None
        if finished.returncode != 0:
            return None
        elapsed = time.perf_counter() - start
        best, output = (elapsed if best is None else min(best, elapsed)), finished.stdout or b""
    return best, output


def help_seconds(command: list[str], runs: int) -> float | None:
    """The fastest of `runs` runs of `command --help`, wall-clock seconds (None if it fails)."""
    timed_run = command_seconds(command + ["--help"], runs=runs)
    return timed_run[0] if timed_run else None


def help_timings(runs: int) -> list[dict]:
    """`--help` of this script (compiled from source each run) and, if on PATH, the installed
    command (byte-compiled at install)."""
    script = os.path.abspath(__file__)
    timings = [{"command": f"python {os.path.relpath(script)} --help",
                "elapsed_s": help_seconds([sys.executable, script], runs)}]
    installed = shutil.which(INSTALLED_NAME)
    if installed:
        timings.append({"command": f"{INSTALLED_NAME} --help",
                        "elapsed_s": help_seconds([installed], runs)})
    return timings


def sheet_timing(clip: str, sheet: str, runs: int) -> dict:
    """`sample` on the clip as a user runs it (a whole process), with and without --sheet:
    the two alternate, so that the machine's moods fall on both alike; fastest of each."""
    base = [sys.executable, os.path.abspath(__file__), "sample", "--video", clip, "--json"]
    plain = drawn = None
    output = b"{}"
    for _ in range(runs):
        once = command_seconds(base, runs=1)
        twice = command_seconds(base + ["--sheet", sheet], keep_output=True, runs=1)
        if once is None or twice is None:
            raise UserError("bench: sample failed on the bench clip")
        plain = once[0] if plain is None else min(plain, once[0])
        drawn = twice[0] if drawn is None else min(drawn, twice[0])
        output = twice[1]
    thumbnails = len(json.loads(output).get("sheet", {}).get("cells", []))
    return {"sample_s": plain, "with_sheet_s": drawn, "thumbnails": thumbnails,
            "overhead": drawn / plain - 1}


BENCH_ANSWER_SHAPES = (
    "The event happens from {a:.1f} to {b:.1f} seconds.",
    '{{"event": "jump", "start": {a:.2f}, "end": {b:.2f}, "confidence": 0.8}}',
    "<time>{a:.1f}</time> <time>{b:.1f}</time>",
    "It starts at {a:.1f}s and ends at {b:.1f}s.",
    "around the {a:.0f}-second mark",
    "I cannot tell from these frames.",
)


def bench_answers(count: int, seed: int) -> Iterator[str]:
    """JSONL answers in the three shapes models write, with inline ground truth."""
    rng = random.Random(seed)
    for k in range(count):
        start = rng.uniform(0, 100)
        end = start + rng.uniform(0.2, 5)
        output = rng.choice(BENCH_ANSWER_SHAPES).format(a=start, b=end)
        yield json.dumps({"id": str(k), "output": output, "gt": [round(start + 0.1, 2),
                                                                  round(end, 2)], "duration": 120})


def cmd_bench(args: argparse.Namespace) -> Result:
    """`bench`: writes JSONL answers and a 640x360 30 fps clip to a temporary folder (removed),
    then times scoring the answers, reading, motion scoring (stride 1, default, naive),
    `sample` with and without --sheet, and --help."""
    import tempfile
    scene = bench_scene(args.seconds)
    # SIGTERM unwinds like Ctrl-C: subprocess.run kills its child, the folder is removed.
    with terminate_as_exception(), tempfile.TemporaryDirectory(prefix="video-vlm-bench-") as folder:
        path = os.path.join(folder, "bench.y4m")
        planned = y4m_size(scene.width, scene.height, scene.frame_count)
        say(f"bench: writing a {scene.width}x{scene.height} clip of {scene.frame_count:,} frames "
            f"({planned / 1e6:.0f} MB), deleted at the end, to")
        say(f"  {path}")
        rows, size, made = bench_measurements(args, scene, folder, path)
        show_progress("bench: timing sample with and without --sheet")
        sheet = sheet_timing(path, os.path.join(folder, "sheet.png"), args.runs)
        show_progress("bench: timing --help")
        helps = help_timings(args.runs)
    show_progress("")
    doc = {"clip": {"path": path, "width": scene.width, "height": scene.height,
                     "fps": float(scene.fps), "frames": scene.frame_count,
                     "megabytes": round(size / 1e6, 1), "write_s": round(made, 2)},
           "results": rows, "sheet": sheet, "help": helps, "runs": args.runs}
    return Result(doc, bench_text(doc))


def bench_measurements(args: argparse.Namespace, scene: Scene, folder: str, path: str
                       ) -> tuple[list[dict], int, float]:
    """Time scoring answers, then write the clip and time reading and motion on it: the rows
    (with each speed against the raw read), the clip's bytes, and the seconds writing took."""
    rows = []

    def measure(name: str, unit: str, run) -> None:
        show_progress(f"bench: {name}")
        count, elapsed = timed(run)
        rows.append({"name": name, "count": count, "unit": unit, "elapsed_s": round(elapsed, 4),
                     "per_second": round(count / elapsed, 1)})

    # Answers first, before the big clip's writes can compete for the machine.
    answers = os.path.join(folder, "answers.jsonl")
    write_output(answers, (line.encode() + b"\n" for line in bench_answers(args.answers,
                                                                          args.seed)))
    measure(f"json.loads on {args.answers:,} JSONL lines (the floor)", "lines",
            lambda: sum(1 for _, line in read_lines(answers) if json.loads(line)))
    measure(f"evaluate {args.answers:,} JSONL answers", "answers",
            lambda: evaluate_lines(read_lines(answers), None, {}, EvalOptions())["n"])
    rows[-1]["x_json_loads"] = round(rows[-1]["elapsed_s"] / rows[-2]["elapsed_s"], 1)
    show_progress("bench: writing the clip")
    pieces = y4m_bytes(render_scene(scene), scene.width, scene.height, scene.fps, "420jpeg")
    size, made = timed(lambda: write_output(path, pieces))

    def score(stride: int | None):
        video = open_video(path)
        return lambda: analyze_motion(video.frames, video.width, video.height, video.fps,
                                      stride).frame_count

    def naive() -> int:
        previous, count = None, 0
        for frame in itertools.islice(open_video(path).frames, args.naive_frames):
            if previous is not None:
                sad_simple(previous, frame)
            previous, count = frame, count + 1
        return count

    measure("raw read (luma, chroma skipped)", "frames",
            lambda: sum(1 for _ in open_video(path).frames))
    measure("motion, full resolution (stride 1)", "frames", score(1))
    measure(f"motion, default grid (stride {auto_stride(scene.height)})", "frames", score(None))
    measure("naive sum(map(abs, map(sub))) full res", "frames", naive)
    rows += [rows.pop(0), rows.pop(0)]            # the answers rows go last in the table
    for row in rows[:4]:
        row["ratio_to_raw"] = round(row["per_second"] / rows[0]["per_second"], 3)
    return rows, size, made


def bench_text(doc: dict) -> str:
    """`bench`'s report: the clip, the speeds, what --sheet adds to `sample`, --help times."""
    clip, sheet, helps, runs = doc["clip"], doc["sheet"], doc["help"], doc["runs"]
    return "\n".join([
        prose(f"bench clip: {clip['width']}x{clip['height']} yuv420p, {clip['fps']:g} fps, "
              f"{clip['frames']:,} frames ({clip['megabytes']:.0f} MB), written in "
              f"{clip['write_s']:.1f} s"),
        format_table(["what", "count", "seconds", "per second", "vs raw read"],
                     [[r["name"], r["count"], r["elapsed_s"], r["per_second"],
                       f"{100 * r['ratio_to_raw']:.1f}%" if "ratio_to_raw" in r else ""]
                      for r in doc["results"]]),
        prose("per second: frames or answers a second; vs raw read: that speed as a share of "
              "reading the clip alone"),
        prose(f"scoring answers takes {doc['results'][-1]['x_json_loads']:g}x a bare "
              "json.loads loop over the same lines (the reader's cost; 6x or less is the aim)"),
        prose(f"sample on the clip, the whole command, fastest of {runs}: "
              f"{1000 * sheet['sample_s']:.0f} ms; with --sheet (a PNG of "
              f"{counted(sheet['thumbnails'], 'thumbnail')}): "
              f"{1000 * sheet['with_sheet_s']:.0f} ms, "
              f"{sheet['overhead']:.0%} more"),
        format_table([f"--help, fastest of {runs}", "ms"],
                     [[h["command"], "failed" if h["elapsed_s"] is None
                       else round(1000 * h["elapsed_s"])] for h in helps]),
        prose("The script is compiled from source on every run; the installed command loads "
              "bytecode." + ("" if len(helps) > 1 else f" {INSTALLED_NAME} is not on PATH: pip "
                                                       "install . to time it too.")),
        "Figures, not promises: they depend on this machine and its load."])


# ----------------------------------------------------------------------------------------------
# §15 The program
# OPTIONS and COMMANDS, the parser built from them, and main(): the one place that writes to
# stdout and turns errors into one line and an exit status.
# ----------------------------------------------------------------------------------------------

# Every option once: its help and how argparse reads it. A value that differs by subcommand is a
# dict of subcommand -> value (None: every other subcommand), so each subcommand's help says what
# that subcommand does with the flag (tests check that no flag has two texts elsewhere).
# COMMAND_OPTIONS lists each subcommand's options in --help order: a flag, a positional name,
# "A|B" for two flags of which one may be given, or a title that opens an argument group.
SECONDS_10_DAYS = 10 * 24 * 3600
PER_FRAME = bounded(int, 1, MAX_FRAME_COUNT)
RATE = bounded(float, 0.01, 240)
OPTIONS = {
    "--json": dict(action="store_true", help="print one JSON object instead of text"),
    "--wide": dict(action="store_true",
                   help="show every column, however wide (default: tables fit in 100 columns)"),
    "--out": dict(metavar={"compare": "FILE.svg", "synth": "FILE.y4m", "plot": "FILE.svg",
                           "skill": "PATH"}, required={"plot": True},
                  help="where to write the file (- for stdout)"),
    "--sheet": dict(metavar="FILE.png",
                    help=f"also write a PNG contact sheet of the chosen frames: a row per "
                         f"sampler, each thumbnail labelled with its time, at most "
                         f"{SHEET_MAX_THUMBS} a row (an evenly spaced subset past that)"),
    "--synth": dict(metavar="PRESET", default={"synth": "cat-jump"},
                    help=f"a synthetic video preset: {', '.join(PRESETS)} (motion, sample, plot "
                         "and rope use cat-jump when neither --synth nor --video is given)"),
    "--video": dict(metavar="PATH",
                    help="your video: a .y4m file, - for a Y4M stream on stdin, or a folder of "
                         "numbered PGM/PPM frames (with --fps)"),
    "--fps": dict(type=bounded(float, 0.001, 1000),
                  help={None: "the video's own frame rate, frames per second: needed for a "
                              "folder of frames, which has none of its own (a Y4M states its "
                              "rate: another --fps is ignored, with a warning)",
                        "tokens": "the video's frame rate, frames per second: needed for a "
                                  "folder of frames; with --duration or --total-frames it sets "
                                  f"the rate (default {NOMINAL_FPS:g})"}),
    "--allow-truncated": dict(action="store_true",
                              help="accept a Y4M stream cut short after its last whole frame, "
                                   "with a warning"),
    "--seed": dict(type=bounded(int, 0, 2**31), default=DEFAULT_SEED,
                   help="seed of everything made at random: synthetic videos, the compare "
                        f"suite, bench answers (default {DEFAULT_SEED})"),
    "--window": dict(type=bounded(float, 0.05, 3600), default=DEFAULT_WINDOW_S,
                     help=f"motion window, seconds (default {DEFAULT_WINDOW_S:g})"),
    "--stride": dict(type=bounded(int, 1, 1024),
                     help=f"score every K-th pixel of every K-th row (default: about "
                          f"{MOTION_GRID_ROWS} rows); the cut detector's cells keep their size"),
    "--cut-threshold": dict(type=bounded(float, 0.0, 1.0), default=CUT_MIN_SCORE,
                            help="a cell difference (0-1) below this is never a hard cut; the "
                                 "histogram's and the colour's floors move with it (default "
                                 f"{CUT_MIN_SCORE:g})"),
    "--cut-ratio": dict(type=bounded(float, 1.0, 1000.0), default=CUT_MEDIAN_RATIO,
                        help="a hard cut stands this many times above the local median "
                             f"difference (default {CUT_MEDIAN_RATIO:g})"),
    "--strategy": dict(
        choices={"sample": STRATEGIES + ("all",), "plot": STRATEGIES + ("all",),
                 "rope": ("release",) + STRATEGIES},
        default={"sample": "all", "plot": ["all"], "rope": "release"},
        nargs={"plot": "+"}, metavar={"plot": "NAME"},
        help={None: "the frame sampler: uniform, dynamic (motion-adaptive), event (dense "
                    "around actions), keyframe (cuts and their neighbours), or all (the "
                    "default)",
              "rope": "the frames to place: release (the model's own frames, the default), "
                      "or a sampler's: uniform, dynamic, event or keyframe"}),
    "--uniform-frames": dict(type=PER_FRAME, default=DEFAULT_UNIFORM_FRAMES,
                             help="uniform sampler: how many frames (default "
                                  f"{DEFAULT_UNIFORM_FRAMES})"),
    "--max-frames": dict(type=PER_FRAME, default={None: FPS_MAX_FRAMES, "tokens": None},
                         help=f"the most frames taken, the frame budget (default "
                              f"{FPS_MAX_FRAMES}, qwen-vl-utils' FPS_MAX_FRAMES)"),
    "--min-fps": dict(type=RATE, default=DEFAULT_MIN_FPS,
                      help=f"dynamic sampler: its lowest frame rate, frames per second "
                           f"(default {DEFAULT_MIN_FPS:g})"),
    "--max-fps": dict(type=RATE, default=DEFAULT_MAX_FPS,
                      help="the cap: the highest frame rate any sampler uses, frames per second "
                           f"(default {DEFAULT_MAX_FPS:g}, the lesson's dynamic-FPS ceiling)"),
    "--burst-fps": dict(type=RATE, default=DEFAULT_BURST_FPS,
                        help="event sampler: frames per second inside action spans, at most "
                             f"the cap (default {DEFAULT_BURST_FPS:g}: the default cap's "
                             f"{min(DEFAULT_BURST_FPS, DEFAULT_MAX_FPS):g} in effect)"),
    "--base-fps": dict(type=bounded(float, 0.0, 240), default=DEFAULT_BASE_FPS,
                       help=f"event sampler: frames per second elsewhere (default "
                            f"{DEFAULT_BASE_FPS:g})"),
    "--keyframe-context": dict(type=bounded(int, 0, 100), default=DEFAULT_KEYFRAME_CONTEXT,
                               help="keyframe sampler: neighbours either side of each keyframe "
                                    f"(default {DEFAULT_KEYFRAME_CONTEXT})"),
    "--keyframe-gap": dict(type=bounded(float, 0.001, 60), default=DEFAULT_CONTEXT_GAP_S,
                           help="keyframe sampler: seconds between a keyframe's neighbours "
                                f"(default {DEFAULT_CONTEXT_GAP_S:g})"),
    "--design": dict(
        choices={None: tuple(DESIGNS), "tokens": tuple(DESIGNS) + ("all",), "compare": None,
                 "exercise": QWEN_DESIGNS},       # exercise 1's hundreds of frames: a Qwen list
        default={None: DEFAULT_PRICING_DESIGN, "tokens": None, "exercise": None,
                 "compare": None},
        action={"compare": "append", "tokens": "append"}, metavar="NAME",
        help={"tokens": "a design to count (repeatable; default all): " + ", ".join(DESIGNS),
              "compare": "a row to run, by name (repeatable; default every row): "
                         + ", ".join(COMPARE_DESIGNS),
              "exercise": f"exercise 1: the design that prices its frames, one that takes a "
                          f"list of any length (default {EXERCISE_PRICING}): "
                          + ", ".join(QWEN_DESIGNS),
              None: f"the design that prices the frames (default {DEFAULT_PRICING_DESIGN}): "
                    + ", ".join(DESIGNS)}),
    "--width": dict(type=bounded(int, 1, MAX_SIDE), help={
        None: "frame width in pixels for the token arithmetic (default: the video's own; "
              f"{NOMINAL_WIDTH} for a synthetic preset)",
        "tokens": "frame width in pixels for the token arithmetic (default: the video's own; "
                  f"{NOMINAL_WIDTH} for a synthetic preset or a --duration)",
        "plan": f"frame width in pixels (default: the video's own; {NOMINAL_WIDTH} for a "
                "synthetic preset or a --duration)"}),
    "--height": dict(type=bounded(int, 1, MAX_SIDE), help={
        None: "frame height in pixels for the token arithmetic (default: the video's own; "
              f"{NOMINAL_HEIGHT} for a synthetic preset)",
        "tokens": "frame height in pixels for the token arithmetic (default: the video's own; "
                  f"{NOMINAL_HEIGHT} for a synthetic preset or a --duration)",
        "plan": f"frame height in pixels (default: the video's own; {NOMINAL_HEIGHT} for a "
                "synthetic preset or a --duration)"}),
    "--duration": dict(type={"tokens": bounded(float, 0.001, SECONDS_10_DAYS),
                             "parse": bounded(float, 0.001, MAX_TIME_S),
                             "plan": bounded(float, 0.1, SECONDS_10_DAYS)},
                       help="the video's length, seconds"),
    "--context-tokens": dict(type=bounded(int, 1, 100_000_000), default=DEFAULT_CONTEXT_TOKENS,
                             help=f"the model's context length, tokens (default "
                                  f"{DEFAULT_CONTEXT_TOKENS})"),
    "--model": dict(choices={"plan": PLAN_MODELS, "rope": ROPE_MODELS},
                    default={"plan": "auto", "rope": DEFAULT_ROPE_MODEL},
                    metavar={"plan": "NAME"},
                    help={"plan": "the model whose rules apply: auto (the default: the design "
                                  "compare measures best for the frames), or "
                                  + ", ".join(PLAN_MODELS[1:]),
                          "rope": f"the model whose position ids to show (default "
                                  f"{DEFAULT_ROPE_MODEL})"}),
    "--swap-reversed": dict(action="store_true",
                            help="read an interval that ends before it starts as swapped "
                                 "(default: the failure `reversed`)"),
    # compare
    "--suite": dict(choices=("small", "full"), default="small",
                    help="small (default, about a second) or full (more and longer videos)"),
    "--events": dict(metavar="FILE", help="with --video: your events, a JSON list of {event, "
                                          "start, end} in seconds"),
    "--draw": dict(metavar="NAME", help="with --out: which video of the run the picture shows "
                                        "(default: the first)"),
    # motion
    "--scenes": dict(metavar="FILE.csv",
                     help="also write the scene list as PySceneDetect does (- for stdout)"),
    # tokens
    "--total-frames": dict(type=bounded(int, 1, MAX_FRAME_COUNT * 10),
                           help="the video's length in frames, instead of --duration"),
    "--frames": dict(type=PER_FRAME,
                     help="frames a fixed-frame design takes: naive (default every frame), "
                          f"video-llama and video-llava (default {VIDEO_LLAMA_FRAMES}), "
                          f"llava-next-video (its cap on 1 fps, default "
                          f"{NEXT_VIDEO_MAX_FRAMES}), llava-onevision (default "
                          f"{ONEVISION_FRAMES}; its tutorial uses 16), llava-video (default "
                          f"{LLAVA_VIDEO_FRAMES}), internvl3 (default {INTERNVL_FRAMES}; its "
                          "README uses 8)"),
    "--audio": dict(action="store_true",
                    help="count the audio branch: Video-LLaMA's 8 audio-query tokens, "
                         "Qwen2.5-Omni's 25 audio tokens a second (default: video only)"),
    "--image-size": dict(type=bounded(int, 1, 8192), default=NAIVE_SIZE,
                         help="encoder input side, pixels (default %(default)s)"),
    "--patch": dict(type=bounded(int, 1, 1024), default=NAIVE_PATCH,
                    help="patch side, pixels (default %(default)s)"),
    "--pool": dict(type=bounded(int, 1, 1024),
                   help="k x k pooling of the patch grid: naive (default 1, none), and the "
                        "LLaVA designs, whose release pools 2 x 2 (another k is hypothetical: "
                        "the lesson's 3 x 3 gives 64 a frame on a 24 x 24 grid, 81 on 27 x 27)"),
    "--sample-fps": dict(type=bounded(float, 0.001, 1000),
                         help="the sampler's rate: frames per second qwen-vl-utils takes (its "
                              f"`fps`, default {QWEN_FPS:g})"),
    "--nframes": dict(type=PER_FRAME,
                      help="take exactly this many frames instead (rounded to even)"),
    "--min-frames": dict(type=PER_FRAME,
                         help=f"the fewest frames taken (default {FPS_MIN_FRAMES})"),
    "--min-pixels": dict(type=bounded(float, 1, 1e10),
                         help="the fewest pixels a frame keeps (default 128 tokens' worth: "
                              "128 x 28^2, or x 32^2 for Qwen3-VL)"),
    "--max-pixels": dict(type=bounded(float, 1, 1e10),
                         help="the most pixels a frame keeps (default 768 tokens' worth, "
                              "shared out of --total-pixels)"),
    "--total-pixels": dict(type=bounded(float, 1, 1e12),
                           help="the whole video's pixel budget (default 128000 x 0.9 tokens' "
                                "worth)"),
    "--resized-height": dict(type=bounded(int, 1, MAX_SIDE),
                             help="resize every frame to this height, pixels (with "
                                  "--resized-width)"),
    "--resized-width": dict(type=bounded(int, 1, MAX_SIDE),
                            help="resize every frame to this width, pixels (with "
                                 "--resized-height)"),
    # rope
    "--encoding": dict(choices=("absolute", "index"),
                       help="older spelling: index = --model qwen2-vl, absolute = --model "
                            "qwen2.5-vl"),
    "--layout": dict(help=f"a prompt layout ({LAYOUT_GRAMMAR}), e.g. "
                          "'text:3 video:3x4x4@2.0 text:2'"),
    "--timestamps": dict(help="sampled seconds, comma-separated, e.g. 0,0.5,1,4,4.25"),
    "--table-rows": dict(type=bounded(int, 1, 100000), default=LEARNED_TABLE_ROWS,
                         help="rows of a learned frame table (default %(default)s, "
                              "Video-LLaVA's encoder)"),
    # parse, evaluate, schema
    "text": dict(help="the model's answer, or - to read it from stdin"),
    "predictions": dict(help="JSONL: {id, output, gt?, duration?} per line, or an lmms-eval "
                             "<date>_samples_<task>.jsonl as it is (- for stdin)"),
    "--gt": dict(metavar="FILE", help="the truth: Charades-STA .txt, ActivityNet Captions .json "
                                      "or QVHighlights .jsonl"),
    "--duration-file": dict(metavar="FILE",
                            help="video lengths: JSON {id: seconds} or JSONL {id, duration}"),
    "--tolerance": dict(type=bounded(float, 0.0, 3600.0), default=DEFAULT_TOLERANCE_S,
                        help="seconds for tolerance accuracy (default %(default)s)"),
    "--point-as-interval": dict(type=bounded(float, 0.001, 3600.0), metavar="W",
                                help="score a point answer as a W-second interval for IoU "
                                     "(default: a point scores IoU 0)"),
    "--compat": dict(choices=("lmms-eval",),
                     help="reproduce lmms-eval's reading and scoring, quirks included (its "
                          "Charades-STA reader, or its timelens reader for a timelens samples "
                          "file); default: this tool's"),
    "--lmms-results": dict(metavar="FILE",
                           help="with an lmms-eval samples file: its <date>_results.json, to "
                                "show the harness's own numbers beside this tool's"),
    "--gt-round": dict(type=bounded(float, 0.001, 60), metavar="S",
                       help="with an lmms-eval samples file: round the truth to S seconds for "
                            "this tool's scores (0.1 undoes float16 storage; default: as "
                            "written)"),
    "--details": dict(action="store_true", help="include every answer's reading"),
    "--validate": dict(metavar="FILE",
                       help="check answers (JSONL: a JSON answer, or {output: text}) per line; "
                            "exit status 1 if any answer does not match"),
    # plan, skill, exercise
    "--task": dict(choices=TASKS, required=True, metavar="TASK",
                   help=f"what the video is for: {', '.join(TASKS)}"),
    "--model-size": dict(type=bounded(float, 0.1, 10000), default=DEFAULT_MODEL_SIZE_B,
                         help="model parameters, billions (default %(default)s)"),
    "--target": dict(choices=("standard", "frontier"), default="standard",
                     help="the accuracy wanted (default %(default)s)"),
    "--check": dict(action="store_true",
                    help="exit 1 and say what differs if the file is not what skill writes"),
    "number": dict(type=bounded(int, 1, 5), help="1 sampling, 2 RoPE, 3 schema, 4 alignment "
                                                 "before projection, 5 VideoMME gap"),
    "--answer": dict(action="store_true",
                     help="print the worked answer after the question (default: the question)"),
    "--scores": dict(metavar="FILE", help="exercise 5: your CSV of VideoMME scores (default: "
                                          "the shipped table)"),
    "--example-csv": dict(action="store_true",
                          help="exercise 5: print the shipped table as a CSV to start from"),
    # bench
    "--seconds": dict(type=bounded(float, 1, 600), default=60.0,
                      help="length of the 640x360 30 fps bench clip, seconds (default "
                           "%(default)s)"),
    "--naive-frames": dict(type=bounded(int, 2, 100000), default=90,
                           help="frames for the naive reference, which is slow (default "
                                "%(default)s)"),
    "--answers": dict(type=bounded(int, 1, 10_000_000), default=100_000,
                      help="JSONL answers to score (default %(default)s)"),
    "--runs": dict(type=bounded(int, 1, 100), default=COMMAND_RUNS,
                   help="times each whole command (--help, sample with and without --sheet) is "
                        "run; the fastest counts (default %(default)s)"),
}
# Version 0.1's spellings, still read for one release (--context meant two things then): they
# work, and say their new name on stderr.
RENAMED_FLAGS = {"--svg": "--out", "--preset": "--synth", "--svg-video": "--draw",
                 "--context-gap": "--keyframe-gap",
                 "--context": {None: "--keyframe-context", "tokens": "--context-tokens",
                               "plan": "--context-tokens"}}
SOURCE = ("--synth|--video", "--fps", "--allow-truncated", "--seed")
MOTION = ("--window", "--stride", "--cut-threshold", "--cut-ratio")
SAMPLING = ("--uniform-frames", "--max-frames", "--min-fps", "--max-fps", "--burst-fps",
            "--base-fps", "--keyframe-context", "--keyframe-gap", "--context", "--context-gap")
SIZE = ("--width", "--height")
COMMAND_OPTIONS = {
    "compare": ("--suite", "--seed", "--design", "--video", "--events", "--fps",
                "--allow-truncated", "--out", "--svg", "--draw", "--svg-video", "--wide"),
    "synth": ("--synth", "--preset", "--seed", "--out"),
    "motion": SOURCE + MOTION + ("--scenes", "--wide"),
    "sample": SOURCE + MOTION + ("--strategy",) + SAMPLING + ("--design",) + SIZE
              + ("--sheet", "--wide"),
    "plot": SOURCE + MOTION + ("--strategy",) + SAMPLING + ("--design",) + SIZE + ("--out",),
    "tokens": SOURCE + ("--duration", "--total-frames") + SIZE + (
        "--design", "--context-tokens", "--context", "--frames", "--audio", "--wide",
        "naive (the lesson's baseline)", "--image-size", "--patch", "--pool",
        "Qwen designs (qwen-vl-utils options; unset = its defaults)", "--sample-fps",
        "--nframes", "--min-frames", "--max-frames", "--min-pixels", "--max-pixels",
        "--total-pixels", "--resized-height", "--resized-width"),
    "rope": ("--model", "--encoding", "--layout", "--timestamps") + SOURCE + MOTION
            + ("--strategy",) + SAMPLING + SIZE + ("--table-rows", "--wide"),
    "parse": ("text", "--duration", "--swap-reversed"),
    "evaluate": ("predictions", "--gt", "--duration-file", "--tolerance", "--point-as-interval",
                 "--compat", "--lmms-results", "--gt-round", "--details", "--swap-reversed"),
    "schema": ("--validate",),
    "plan": ("--task", "--duration", "--context-tokens", "--context", "--model-size", "--target",
             "--max-fps",
             "--model") + SOURCE + MOTION + ("--sheet",) + SIZE,
    "skill": ("--check", "--out"),
    "exercise": ("number", "--answer", "--design") + SIZE + ("--scores", "--example-csv"),
    "bench": ("--seconds", "--naive-frames", "--answers", "--runs", "--seed"),
}


def option_kwargs(flag: str, command: str | None) -> dict:
    """OPTIONS[flag] for `command`: each per-subcommand value resolved, unset ones left out."""
    kwargs = {}
    for key, value in OPTIONS[flag].items():
        value = value.get(command, value.get(None)) if isinstance(value, dict) else value
        if value is not None:
            kwargs[key] = value
    bounds = getattr(kwargs.get("type"), "bounds", None)
    if bounds and "help" in kwargs:                 # every limit stated where it is set
        kwargs["help"] += " " + bounds
    return kwargs


def add_options(p: argparse.ArgumentParser, command: str) -> None:
    """A subcommand's options, in COMMAND_OPTIONS order, from the one OPTIONS table."""
    group = p
    for entry in COMMAND_OPTIONS[command]:
        if " " in entry:                                 # a title opens an argument group
            group = p.add_argument_group(entry)
        elif entry in RENAMED_FLAGS:
            new = RENAMED_FLAGS[entry]
            new = new.get(command, new[None]) if isinstance(new, dict) else new
            checks = {k: v for k, v in option_kwargs(new, command).items()
                      if k in ("type", "choices")}           # the new flag's checks apply
            group.add_argument(entry, dest=new.lstrip("-").replace("-", "_"),
                               help=argparse.SUPPRESS, action=RenamedFlag, **checks)
        elif "|" in entry:
            exclusive = group.add_mutually_exclusive_group()
            for flag in entry.split("|"):
                exclusive.add_argument(flag, **option_kwargs(flag, command))
        else:
            group.add_argument(entry, **option_kwargs(entry, command))


COMMANDS = (
    ("compare", "the designs end to end: tokens and temporal accuracy",
     "Run Video-LLaMA, Video-LLaVA, LLaVA-OneVision, LLaVA-Video, Qwen2-VL, Qwen2.5-VL and "
     "Qwen3-VL as released, and ablations that change one thing each, on synthetic videos "
     "with known events (or your clip with --video and --events). " + SIMULATED_READER_NOTE,
     cmd_compare),
    ("synth", "a synthetic video's ground truth, or the video as a .y4m file",
     "The presets' events and cuts; --out writes the video itself (YUV4MPEG2, Cmono).", cmd_synth),
    ("motion", "motion per window, hard cuts and gradual transitions",
     "Frame-difference motion per window, hard cuts and gradual transitions, and the scene "
     "list. Cuts and transitions are read from cell means (a cell's few pixels placed so that "
     "a texture repeating every 8 or 16 pixels across, down or along a diagonal, at 640x360, "
     "averages out as it moves; stripes 32 or 48 "
     "apart change cells but not blocks of 4 x 2 cells, and a change must move blocks too; "
     "the README lists what it still gets wrong) of the luma "
     "and, for an 8-bit 4:2:0 Y4M, of the chroma, so a cut that only turns the hue is found. "
     "A hard cut is a "
     "change that is sudden, stands out and persists (flashes of 1-3 frames, one or two, are "
     "not cuts); never inside a transition. Transitions, each one span: fade-black and "
     "fade-white (out and in through black or white), fade-in-black/-white and "
     "fade-out-black/-white (one side), wipe (the change crosses the picture region by "
     "region) and dissolve (a cross-fade: everywhere at once).", cmd_motion),
    ("sample", "where each frame sampler spends its frames",
     "Uniform, dynamic (motion-adaptive), event-driven and keyframe+context sampling side by "
     "side, priced by a design's own token arithmetic.", cmd_sample),
    ("plot", "an SVG timeline of motion, events, cuts and sampled frames",
     "The same as sample, drawn: motion, true events, cuts and each sampler's frames.", cmd_plot),
    ("tokens", "tokens per design, as each released model counts them",
     "Tokens of a video under each design: Video-LLaMA, Video-LLaVA, the Qwen family "
     "(qwen-vl-utils' frames and sizes, Qwen3-VL's timestamp text, Qwen2.5-Omni's audio) and "
     "the lesson's naive baseline.", cmd_tokens),
    ("rope", "position ids: Qwen2-VL, Qwen2.5-VL, Qwen3-VL, Qwen2.5-Omni",
     "Where each token sits, as each model's get_rope_index puts it: index M-RoPE (Qwen2-VL), "
     "time-aligned M-RoPE with one rate per video (Qwen2.5-VL), text timestamps before each "
     "patch (Qwen3-VL), TMRoPE with audio in 2-second chunks (Qwen2.5-Omni). The lesson calls "
     "Qwen2.5-VL's encoding TMRoPE; in the released code TMRoPE is Qwen2.5-Omni's. At most "
     f"{MAX_LAYOUT_TOKENS:,} tokens a layout.", cmd_rope),
    ("parse", "how one model answer is read",
     "Read one answer as evaluate does: JSON, <time> tokens, bracketed pairs, free text "
     "(English or Chinese).", cmd_parse),
    ("evaluate", "score temporal-grounding answers, or re-score an lmms-eval run",
     "Score a JSONL file of model answers, or re-score an lmms-eval samples file as it is. "
     + " ".join(f"--gt {name}: {form.description}." for name, form in GT_FORMATS.items())
     + f" Tolerance accuracy: {TOLERANCE_RULE}. Times before 0 or past the duration are read "
     "as written, flagged and clipped into the video. With QVHighlights truth, also its "
     "official numbers as moment_detr's standalone_eval computes them: MR mAP at IoU 0.5, "
     "0.75 and averaged over 0.5:0.05:0.95, R1@0.5/0.7, mAP by window length (short <= 10 s, "
     "middle 10-30 s, long 30-150 s), and from pred_saliency_scores HL mAP and HIT@1 at Fair "
     "(>= 2), Good (>= 3) and VeryGood (>= 4); a query without a prediction counts as a miss.",
     cmd_evaluate),
    ("schema", "the JSON Schema for grounding answers, and a validator",
     "Print the schema, or check answers against it.", cmd_schema),
    ("plan", "a frame plan for a video task, or a refusal",
     "Sampler, model, pixels per frame, output format, benchmarks and tokens for a task, from "
     "the rule table the skill file is written from; or REFUSED and what to do instead.", cmd_plan),
    ("skill", f"write outputs/{SKILL_FILE}",
     "Write the planner's skill file from the rule table (or --check that it is current). "
     f"Without --out it is outputs/{SKILL_FILE} in the nearest folder, from the current one "
     "upward, that has an outputs/ folder (a checkout's, from anywhere inside it), for the "
     "script and the installed command alike; with none, give --out.", cmd_skill),
    ("exercise", "the lesson's five exercises, worked with live numbers", "", cmd_exercise),
    ("bench", "how fast: reading, motion scoring, answers scored, --help",
     "Writes a 640x360 clip to a temporary folder (removed afterwards) and times the readers "
     "and scorers on it; figures depend on the machine.", cmd_bench),
)
EMIT_CHUNK = 1 << 16
SCHEMA_VERSION = 5     # of every --json document: 5 since a name means one thing (frames_rule,
                       # frames_from, numbers_from; 4: a list or a count, never both)
ASCII_FALLBACK = str.maketrans({"▁": " ", "▂": ".", "▃": ":", "▄": "-", "▅": "=", "▆": "+",
                                "▇": "*", "█": "#", "±": "+-", "—": "-", "–": "-", "…": "...",
                                "→": "->", "×": "x", "≤": "<=", "≥": ">=", "’": "'"})


def invocation() -> str:
    """How the user ran this program, for the examples it prints."""
    return PROG if PROG == INSTALLED_NAME else "python code/main.py"


OVERVIEW_COMMANDS = (
    ("compare", "the released designs on videos with known events: tokens, accuracy"),
    ("tokens --duration 60", "what a minute of video costs under each design"),
    ("sample --synth cooking-3min", "where each frame sampler spends its frames"),
    ("rope --synth cooking-3min --strategy dynamic",
     "the time each model's position ids (or timestamps) give uneven frames"),
    ("evaluate ANSWERS.jsonl", "score answers, or re-score an lmms-eval run"),
)
README_NOTE = "README.md, at the top of the project, explains every subcommand"


def overview() -> str:
    """What `main.py` with no arguments prints: the tool, five commands, where to read more."""
    run = invocation()
    lines = [prose(f"{PROG} {__version__}: how video-language models turn video into tokens "
                   "and answer \"at what second?\"; standard library only."), "", "Start here:"]
    for command, what in OVERVIEW_COMMANDS:
        lines += [f"  {run} {command}", prose(what, indent="      ")]
    lines += ["", prose(f"Every subcommand takes --help and --json; `{run} --help` lists them "
                        f"all. {README_NOTE}.")]
    return "\n".join(lines)


# Each subcommand's --help ends with the limits of the input it reads, from the constants.
LIMIT_NOTES = {
    "video": f"frames up to {MAX_SIDE}x{MAX_SIDE} pixels and {MAX_VIDEO_FRAMES:,} frames a video "
             "(about 130 bytes of memory a frame: frames stream past, only their scores stay); "
             f"a Y4M stream header of {Y4M_HEADER_LIMIT:,} bytes; a PGM/PPM header of "
             f"{PNM_HEADER_LIMIT:,} bytes, and a frame file read only as far as its header says "
             "(devices and pipes are refused as frames).",
    "answers": f"an answer of {MAX_ANSWER_CHARS:,} characters (longer fails as too_long); "
               f"{MAX_PREDICTIONS} intervals kept per answer; a JSONL line of "
               f"{MAX_LINE_CHARS // 2**20} MiB (longer ones are reported and skipped); a truth "
               f"or durations file of {MAX_GT_BYTES // 2**20} MiB, read whole; JSON integers of "
               f"more than {MAX_JSON_INT_DIGITS} digits read as infinite, so refused as times.",
    "layout": f"a layout of {MAX_LAYOUT_TOKENS:,} tokens (Qwen3-VL's native context).",
    "scores": f"a --scores CSV of {MAX_SCORES_BYTES // 2**20} MiB and {MAX_SCORE_ROWS:,} rows.",
    "events": f"an --events file of {MAX_GT_BYTES // 2**20} MiB, read whole.",
}
COMMAND_LIMITS = {"compare": ("video", "events"), "motion": ("video",), "sample": ("video",),
                  "plot": ("video",), "tokens": ("video",), "rope": ("video", "layout"),
                  "plan": ("video",), "parse": ("answers",), "evaluate": ("answers",),
                  "schema": ("answers",), "exercise": ("scores",)}


def limits_epilog(name: str) -> str | None:
    """The `Limits:` paragraph that ends subcommand `name`'s --help, from LIMIT_NOTES; None for a
    subcommand without limited input."""
    notes = [LIMIT_NOTES[k].rstrip(".") for k in COMMAND_LIMITS.get(name, ())]
    return "Limits: " + "; ".join(notes) + "." if notes else None


class WholeWordHelp(argparse.HelpFormatter):
    """argparse's formatter, never breaking a word at its hyphen ("video-llava" stays whole;
    these are argparse's two documented hooks, as RawTextHelpFormatter overrides them)."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return textwrap.wrap(self._whitespace_matcher.sub(" ", text).strip(), width,
                             break_on_hyphens=False)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return textwrap.fill(self._whitespace_matcher.sub(" ", text).strip(), width,
                             initial_indent=indent, subsequent_indent=indent,
                             break_on_hyphens=False)


class RawDescriptionHelp(argparse.RawDescriptionHelpFormatter, WholeWordHelp):
    """The description as written; the options' help as WholeWordHelp wraps it."""


def help_formatter(raw: bool = False) -> Callable[[str], argparse.HelpFormatter]:
    """argparse's formatter at the terminal's width, but never wider than TEXT_WIDTH."""
    base = RawDescriptionHelp if raw else WholeWordHelp
    width = min(TEXT_WIDTH, shutil.get_terminal_size((TEXT_WIDTH, 24)).columns)
    return lambda prog: base(prog, width=width)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser: --version, and a subcommand per COMMANDS entry with --json, its
    options, its limits epilog and its handler. With `only` (the subcommand the command line
    names) the others get no options: half the parser's start-up, and they are not parsed."""
    common = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    common.add_argument("--json", **option_kwargs("--json", None))
    parser = Parser(prog=PROG, description=__doc__.split("\n\n")[0],
                    formatter_class=help_formatter(raw=True),
                    epilog=f"Start with `{invocation()} compare`; every subcommand takes --json "
                           "and --help.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, summary, description, handler in COMMANDS:
        p = sub.add_parser(name, parents=[common], help=summary,
                           description=description or summary,
                           epilog=limits_epilog(name), formatter_class=help_formatter())
        if only in (None, name):
            add_options(p, name)
        p.set_defaults(func=handler)
    return parser


def emit(text: str) -> None:
    """Write the output: in ASCII when stdout cannot encode the glyphs; one user error when
    stdout is closed or full (and stdout pointed at /dev/null, so exit is quiet)."""
    stream = sys.stdout
    if stream is None:
        raise UserError("stdout is closed; there is nowhere to print")
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        text = text.translate(ASCII_FALLBACK).encode(encoding, "replace").decode(encoding)
    try:
        # In pieces: a write that a closed pipe cuts short is only reported on the next one.
        for start in range(0, len(text), EMIT_CHUNK):
            stream.write(text[start:start + EMIT_CHUNK])
            stream.flush()
        stream.write("\n")
        stream.flush()
    except BrokenPipeError:
        raise
    except OSError as error:
        silence_stdout()
        raise UserError(f"cannot write to stdout: {error.strerror or error}") from None


def write_stdout(content: str | bytes) -> None:
    """A file asked for as `-`: text through emit(), bytes to the binary stdout."""
    if isinstance(content, str):
        emit(content.rstrip("\n"))
    else:
        write_stream(getattr(sys.stdout, "buffer", None), [content], "stdout")


def silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not complain too."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, AttributeError, ValueError):
        pass


NOT_FINITE = "not finite: too large for a float"


def seconds_or_reason(value: float) -> str:
    """Seconds as text, or NOT_FINITE, as --json says it."""
    return f"{value:.3f} s" if math.isfinite(value) else NOT_FINITE


def finite_json(value: object) -> object:
    """A copy of a document with each number that is not finite as null, and in an object a
    key `<name>_reason` beside it saying why (JSON has no infinity)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            out[key] = finite_json(item)
            if isinstance(item, float) and not math.isfinite(item):
                out[f"{key}_reason"] = NOT_FINITE
        return out
    if isinstance(value, (list, tuple)):
        return [finite_json(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def json_text(doc: dict) -> str:
    """One JSON document; numbers that are not finite become null with their reason."""
    try:
        return json.dumps(doc, allow_nan=False, default=json_default)
    except ValueError:
        return json.dumps(finite_json(doc), allow_nan=False, default=json_default)


def json_default(value: object) -> list:
    """Arrays (position ids) become JSON lists only when JSON is asked for."""
    if isinstance(value, array):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON")


def error_message(error: BaseException) -> str:
    """What went wrong, in one line, naming the file when the system names one. The last line
    of defence: readers raise UserError with the file, line and field themselves."""
    if isinstance(error, UserError):
        return str(error)
    if isinstance(error, OSError) and error.filename:
        return f"{error.filename}: {error.strerror or error}"
    if isinstance(error, RecursionError):
        return "input nested too deeply to read"
    if isinstance(error, MemoryError):
        return "out of memory; the input is larger than this tool's limits expect"
    if isinstance(error, ArithmeticError):
        return f"a number too large to compute with ({error})"
    return " ".join(str(error).split()) or type(error).__name__


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; the one place that writes to stdout. User errors: one line on stderr,
    status 2. Ctrl-C: one line, status 130; SIGTERM while writing: 143. A reader that closes
    the pipe early (`| head`): quiet, status 1. With no arguments: a short overview."""
    if signal.getsignal(signal.SIGINT) is interrupted_at_start:
        signal.signal(signal.SIGINT, signal.default_int_handler)   # from here, clean up on ^C
    try:
        return run_command(sys.argv[1:] if argv is None else argv)
    except KeyboardInterrupt:              # also while an error is being reported
        say("interrupted")
        return 130
    finally:
        if argv is None:                   # the whole run is over, its status decided: a late
            signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C cannot kill it silently


def run_command(argv: list[str]) -> int:
    """main()'s work: the subcommand run and its output written, or the one-line error."""
    try:
        if not argv:
            emit(overview())
            return 0
        if argv[0].startswith("-") and argv[0].split("=")[0] not in ("-h", "--help", "--version"):
            raise UserError(f"unrecognized option {quoted(argv[0])} before the COMMAND: "
                            "options go after it (main.py COMMAND --help lists them)")
        args = build_parser(argv[0]).parse_args(argv)
        refuse_output_over_input(args)
        result = args.func(args)
        if result.stdout is not None:
            write_stdout(result.stdout)
        elif args.json:
            doc = {"schema_version": SCHEMA_VERSION, **result.doc}
            emit(json_text(doc))
        elif result.text:
            emit(result.text)
    except BrokenPipeError:
        silence_stdout()
        return 1
    except Terminated:
        say("terminated")
        return 143
    except (ValueError, OSError, ArithmeticError, RecursionError, MemoryError) as error:
        say(f"error: {error_message(error)}")
        return 2
    return result.status


if __name__ == "__main__":
    raise SystemExit(main())
