"""video-vlm-lab: how video-language models turn video into tokens and say "at what second".

A teaching and measuring tool for the lesson on Video-LLaMA, Video-LLaVA and Qwen2.5-VL.
Standard library only; run `python code/main.py --help`.

Subcommands
    compare   the three designs (and ablations) end to end: tokens and temporal accuracy
    synth     a synthetic video's ground truth, or the video itself as a .y4m file
    motion    frame-difference motion per window, and the shot cuts found
    sample    where each frame sampler (uniform, dynamic, event, keyframe) spends its frames
    plot      an SVG timeline of motion, events, cuts and sampled frames
    tokens    visual-token budgets: naive, pooled (Video-LLaVA), Q-former (Video-LLaMA), Qwen2.5-VL
    rope      temporal positions: index M-RoPE, time-aligned M-RoPE, a learned table; 3-axis ids
    parse     how one model answer is read
    evaluate  score grounding answers: tolerance accuracy, R@1 at IoU, mIoU, recall@k
    schema    a JSON Schema for grounding answers, and a validator
    plan      a frame plan for a video task, or a refusal; skill writes it as a skill file
    exercise  the lesson's five exercises, worked with live numbers
    bench     frames per second of reading and motion scoring; answers per second scored

Sections of this file, top to bottom
    constants       tuned numbers and facts from papers or reference code, with their sources
    data classes    frozen records passed between the pure functions
    synthetic video a seeded scene renderer with ground-truth events and cuts
    video input     streaming Y4M and PGM/PPM readers, the Y4M writer, whole-file writes
    motion          frame differencing at C speed, windows, the shot-cut detector
    samplers        uniform, dynamic FPS, event-driven, keyframe + context
    token budgets   the four designs' arithmetic; Qwen2.5-VL's exactly (qwen-vl-utils)
    positions       temporal position ids (transformers get_rope_index, release 4.49)
    grounding       answer parsing, scoring, evaluation files, lmms-eval compatibility, schema
    compare         the benchmark suite and the simulated reader
    plan            the planner's rule table, the skill file, the exercises
    rendering       tables, sparklines, SVG pictures
    CLI             build_parser(), one cmd_* function per subcommand, main()

Vocabulary of the lesson
    frame budget   the most frames a model is given (`--max-frames`); a sampler never exceeds it
    dynamic FPS    a frame rate that rises with motion (the lesson: 1-4 fps), as in Qwen2.5-VL
    temporal patch two consecutive frames that Qwen2.5-VL encodes together
    TMRoPE         the lesson's name for M-RoPE aligned to absolute time (Qwen2.5-VL's paper:
                   "MRoPE aligned to absolute time"; TMRoPE proper is Qwen2.5-Omni's variant)
    event          a labelled action with exact start/end seconds (the ground truth)
    shot cut       a frame where the whole picture changes; the keyframe sampler anchors on cuts
    hit            a sampled frame whose timestamp lies inside an event, [start, end)
    R@1 IoU t      share of questions whose top answer overlaps the truth with IoU >= t
"""

from __future__ import annotations

import argparse
import functools
import html
import json
import math
import operator
import os
import random
import re
import struct
import sys
import unicodedata
from dataclasses import asdict, dataclass
from typing import Iterable, Iterator, NamedTuple

# ----------------------------------------------------------------------------------------------
# Constants
# Tuned numbers of this tool (named so tests and options can refer to them) and facts taken
# from papers or reference code, each with its source.
# ----------------------------------------------------------------------------------------------

PROG = "main.py"
DEFAULT_SEED = 0
LUMA_MAX = 255

# Motion scoring.
DEFAULT_WINDOW_S = 1.0
MOTION_GRID_ROWS = 45            # auto stride keeps about this many rows (640x360 -> stride 8)
HISTOGRAM_BINS = 16              # coarse luma histogram for the cut detector

# Shot cuts (see detect_cuts for the rule these feed).
CUT_MIN_SCORE = 0.10             # a frame difference below 10% of full scale is never a cut
CUT_MEDIAN_RATIO = 3.0           # ... and it must stand this many times above the local median
CUT_HIST_MIN = 0.30              # histogram distance (0..1) that marks a change of scene
CUT_MEDIAN_WINDOW_S = 1.0        # local median over this span around the frame
FLASH_MAX_FRAMES = 3             # a change undone within this many frames is a flash, not a cut

# Samplers. The 1-4 fps range is the lesson's dynamic-FPS range.
DEFAULT_UNIFORM_FRAMES = 16      # the lesson's Video-LLaMA figure
DEFAULT_MAX_FRAMES = 768         # qwen-vl-utils vision_process.py: FPS_MAX_FRAMES = 768
DEFAULT_MIN_FPS = 1.0
DEFAULT_MAX_FPS = 4.0
DEFAULT_BURST_FPS = 8.0
DEFAULT_BASE_FPS = 0.5
DEFAULT_KEYFRAME_CONTEXT = 2
DEFAULT_CONTEXT_GAP_S = 0.5
DEFAULT_TOKENS_PER_FRAME = 64    # a 24x24 patch grid pooled 3x3 (the lesson)
EVENT_SIGMAS = 4.0               # event detector enters this many robust sigmas above the median
EVENT_LOW_FRACTION = 0.5         # ... and leaves below half that height above the median
EVENT_MIN_MOTION = 0.004         # entry threshold never below this (static-camera noise)
EVENT_MIN_S = 0.15               # spans shorter than this are flickers, not actions
EVENT_PAD_S = 0.25               # dense sampling starts this much before a span and ends after

# Limits that keep absurd input from eating the machine.
MAX_FRAME_COUNT = 1_000_000
MAX_SIDE = 16384
STRATEGIES = ("uniform", "dynamic", "event", "keyframe")
DEFAULT_VIDEO_FPS = 30.0         # tokens: assumed frame rate when only a duration is given
DEFAULT_VIDEO_WIDTH, DEFAULT_VIDEO_HEIGHT = 640, 360

# ----------------------------------------------------------------------------------------------
# Data classes
# Frozen records: the ground truth of a video, the motion analysis, a sampler's result.
# Each result keeps its intermediate steps so the CLI can show its work.
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    label: str
    start: float
    end: float


@dataclass(frozen=True)
class Cut:
    frame: int
    time_s: float
    score: float


@dataclass(frozen=True)
class Scene:
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


@dataclass(frozen=True)
class Window:
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
    scores: tuple[float, ...]      # mean |luma difference| to the previous frame, 0..1
    hist_short: tuple[float, ...]  # histogram distance to the previous frame, 0..1
    hist_long: tuple[float, ...]   # histogram distance across the frame: i-1-P vs i+P
    diff_long: tuple[float | None, ...]  # frame difference i-1-P vs i+P (None: not measured)

    @property
    def frame_count(self) -> int:
        return len(self.scores)

    @property
    def duration_s(self) -> float:
        return self.frame_count / self.fps


@dataclass(frozen=True)
class SampleResult:
    strategy: str
    fps: float
    frame_count: int
    indices: tuple[int, ...]           # sorted, unique, in range
    windows: tuple[Window, ...]
    frames_per_window: tuple[int, ...]
    notes: tuple[str, ...]             # how the sampler decided, in words
    spans: tuple[tuple[float, float], ...] = ()  # action spans (event) or cuts (keyframe), seconds

    @property
    def times(self) -> tuple[float, ...]:
        return tuple(i / self.fps for i in self.indices)


class UserError(ValueError):
    """Bad input a user can fix; main() prints it as one line and exits 2."""


# ----------------------------------------------------------------------------------------------
# Synthetic video
# A seeded renderer of small grayscale clips with known events and cuts, and the presets the
# rest of the program and the tests share. Rows are sliced and joined, never drawn per pixel.
# ----------------------------------------------------------------------------------------------

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
    )
}

SHOT_BASE_LUMA = (70, 160, 105, 195, 50, 135)   # each shot its own exposure, so cuts show
SENSOR_NOISE = 1        # +-1 luma grain: a static camera is never perfectly still
NOISE_COPIES = 3        # rows of each frame come from one of this many grainy copies
PAN_PX_PER_S = 30.0     # camera pan speed of the busiest footage (activity 1)


def get_preset(name: str) -> Scene:
    if name not in PRESETS:
        raise UserError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}")
    return PRESETS[name]


def triangle(x: float, period: float) -> float:
    """0 -> period -> 0 ping-pong, so a drifting position never jumps."""
    if period <= 0:
        return 0.0
    x = x % (2 * period)
    return x if x <= period else 2 * period - x


def clamp_byte(value: float) -> int:
    return 0 if value < 0 else LUMA_MAX if value > LUMA_MAX else int(value)


def shot_textures(rng: random.Random, width: int, height: int, base: int) -> list[list[bytes]]:
    """NOISE_COPIES copies of one texture, rows twice the frame width (a smooth diagonal
    pattern the camera can pan over), each copy with its own +-SENSOR_NOISE grain;
    render_scene builds each frame from rows of random copies: sensor noise at slice speed."""
    wide = 2 * width
    phases = [rng.uniform(0, 2 * math.pi) for _ in range(3)]
    freqs = [rng.uniform(1.0, 3.0), rng.uniform(3.0, 7.0), rng.uniform(7.0, 11.0)]
    profile = [sum(18 / (k + 1) * math.sin(freqs[k] * 2 * math.pi * x / wide + phases[k])
                   for k in range(3)) for x in range(wide + height)]
    clean = [[base + 12 * math.sin(2 * math.pi * y / max(height, 1) + phases[0]) + profile[x + y]
              for x in range(wide)] for y in range(height)]
    return [[bytes(clamp_byte(v + rng.randint(-SENSOR_NOISE, SENSOR_NOISE)) for v in row)
             for row in clean] for _ in range(NOISE_COPIES)]


def sprite(rng: random.Random, size: int, luma: int) -> list[bytes]:
    """A checkered square, so that a moving sprite changes many pixels."""
    return [bytes(clamp_byte(luma + (30 if (x // 2 + y // 2) % 2 else -30) + rng.randint(-8, 8))
                  for x in range(size)) for y in range(size)]


def paste(frame: bytearray, width: int, height: int, rows: list[bytes], x: int, y: int) -> None:
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
                       rng.choice((-1, 1)) * (0.5 + 25 * scene.activity)) for _ in range(mover_count)]
        t = i / fps
        offset = int(triangle(t * PAN_PX_PER_S * scene.activity, w))
        grain = random.Random(scene.seed * 7919 + i)
        frame = bytearray(b"".join([textures[grain.randrange(NOISE_COPIES)][y][offset: offset + w]
                                    for y in range(h)]))
        for rows, x0, y0, vx, vy in movers:
            paste(frame, w, h, rows, int(triangle(x0 + vx * t, w - len(rows))),
                  int(triangle(y0 + vy * t, h - len(rows))))
        dx = dy = 0.0
        for event in scene.events:
            if event.start <= t < event.end:
                dx, dy = event_offset(event.label, (t - event.start) / (event.end - event.start),
                                      amplitude)
        paste(frame, w, h, actor, int(actor_home[0] + dx), int(actor_home[1] + dy))
        yield bytes(frame)


def scene_truth(scene: Scene) -> dict:
    """The ground truth of a scene as the `synth --json` document."""
    return {
        "preset": scene.name, "fps": float(scene.fps), "width": scene.width,
        "height": scene.height, "frames": scene.frame_count, "duration_s": float(scene.duration_s),
        "events": [asdict(e) for e in scene.events],
        "cuts": [{"frame": f, "time_s": f / scene.fps} for f in scene.cut_frames],
    }


# ----------------------------------------------------------------------------------------------
# Video input
# Streaming readers for real video: YUV4MPEG2 (.y4m, as `ffmpeg -f yuv4mpegpipe` writes it, from
# a file or a pipe) and folders of PGM/PPM frames; the Y4M writer. Luma only, one frame held.
# ----------------------------------------------------------------------------------------------

Y4M_MAGIC = b"YUV4MPEG2"
Y4M_HEADER_LIMIT = 4096      # bytes a stream header may take before its newline
FRAME_HEADER_LIMIT = 1024
Y4M_INTERLACING = ("p", "t", "b", "m", "?")


def chroma_420(w: int, h: int) -> int:
    return 2 * (-(-w // 2)) * (-(-h // 2))


# Colour tag -> (bits per sample, bytes of the chroma/alpha planes in samples for a w x h frame).
# Plane sizes follow the YUV4MPEG2 conventions of ffmpeg's libavformat/yuv4mpegdec.c.
Y4M_COLOURS: dict[str, tuple[int, object]] = {
    "420jpeg": (8, chroma_420), "420mpeg2": (8, chroma_420), "420paldv": (8, chroma_420),
    "420": (8, chroma_420),
    "422": (8, lambda w, h: 2 * (-(-w // 2)) * h),
    "444": (8, lambda w, h: 2 * w * h),
    "444alpha": (8, lambda w, h: 3 * w * h),
    "411": (8, lambda w, h: 2 * (-(-w // 4)) * h),
    "mono": (8, lambda w, h: 0),
}
for _depth in (9, 10, 12, 14, 16):
    Y4M_COLOURS[f"420p{_depth}"] = (_depth, chroma_420)
    Y4M_COLOURS[f"422p{_depth}"] = (_depth, Y4M_COLOURS["422"][1])
    Y4M_COLOURS[f"444p{_depth}"] = (_depth, Y4M_COLOURS["444"][1])
for _depth in (10, 12, 16):
    Y4M_COLOURS[f"mono{_depth}"] = (_depth, lambda w, h: 0)


@dataclass(frozen=True)
class Y4MHeader:
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


@dataclass(frozen=True)
class VideoStream:
    """A video being read: its geometry and a one-pass iterator of 8-bit luma frames."""
    name: str
    width: int
    height: int
    fps: float
    frames: Iterator[bytes]


def parse_ratio(text: str, field: str, where: str, allow_zero: bool = False) -> tuple[int, int]:
    num, sep, den = text.partition(":")
    if not sep or not num.isdigit() or not den.isdigit():
        raise UserError(f"{where}: header field {field} must be N:D, got {text!r}")
    n, d = int(num), int(den)
    if not allow_zero and (n == 0 or d == 0):
        raise UserError(f"{where}: header field {field} has a zero in {text!r}")
    return n, d


def parse_y4m_header(line: bytes, where: str) -> Y4MHeader:
    """Parse the stream header line (without its newline). Tags may come in any order."""
    if not line.startswith(Y4M_MAGIC + b" ") and line != Y4M_MAGIC:
        raise UserError(f"{where}: not a YUV4MPEG2 stream (starts with {line[:10]!r}); "
                        "convert a clip with: ffmpeg -i CLIP -f yuv4mpegpipe out.y4m")
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


def y4m_frames(stream, header: Y4MHeader, where: str, allow_truncated: bool,
               warn) -> Iterator[bytes]:
    """Yield 8-bit luma per frame; the rest of each frame is read and dropped."""
    rest = header.payload_bytes - header.luma_bytes
    try:   # on a file, skip the chroma planes by seeking and check the size instead
        size = os.fstat(stream.fileno()).st_size if stream.seekable() else None
    except (OSError, AttributeError, ValueError):
        size = None
    index = 0
    while True:
        marker = stream.readline(FRAME_HEADER_LIMIT)
        if not marker:
            return
        if not (marker.startswith(b"FRAME") and marker[5:6] in (b"\n", b" ")):
            raise UserError(f"{where}: frame {index}: expected FRAME marker, got {marker[:12]!r}")
        if not marker.endswith(b"\n"):
            if allow_truncated and len(marker) < FRAME_HEADER_LIMIT:
                warn(f"{where}: stream ends inside frame {index}'s marker; kept {index} whole frames")
                return
            raise UserError(f"{where}: frame {index}: FRAME marker has no newline")
        luma = read_exact(stream, header.luma_bytes)
        if size is None:
            tail = len(read_exact(stream, rest)) if rest else 0
        else:
            tail = min(rest, max(0, size - stream.seek(rest, 1) + rest))
        if len(luma) < header.luma_bytes or tail < rest:
            message = (f"{where}: frame {index} cut short ({len(luma) + tail} of "
                       f"{header.payload_bytes} bytes); {index} whole frames read")
            if allow_truncated:
                warn(message + ", the rest ignored")
                return
            raise UserError(message + " (--allow-truncated accepts this)")
        yield luma if header.bits == 8 else high_depth_to_8bit(luma, header.bits)
        index += 1


def open_y4m(stream, where: str, allow_truncated: bool = False, warn=None) -> VideoStream:
    line = stream.readline(Y4M_HEADER_LIMIT)
    if not line:
        raise UserError(f"{where}: empty file")
    if not line.endswith(b"\n"):
        if not line.startswith(Y4M_MAGIC):
            parse_y4m_header(line, where)            # says what it is not, and what to do
        raise UserError(f"{where}: stream header has no newline")
    header = parse_y4m_header(line[:-1], where)
    return VideoStream(where, header.width, header.height, header.fps,
                       y4m_frames(stream, header, where, allow_truncated, warn or (lambda m: None)))


def fps_fraction(fps: float) -> tuple[int, int]:
    from fractions import Fraction
    ratio = Fraction(fps).limit_denominator(1001)
    return ratio.numerator, ratio.denominator


def y4m_bytes(frames: Iterable[bytes], width: int, height: int, fps: float,
              colour: str = "mono") -> Iterator[bytes]:
    """A YUV4MPEG2 stream, piece by piece: Cmono (ffmpeg reads it as gray), or another 8-bit
    colour tag with flat grey chroma planes."""
    num, den = fps_fraction(fps)
    chroma = bytes([128]) * Y4M_COLOURS[colour][1](width, height)   # type: ignore[operator]
    yield f"YUV4MPEG2 W{width} H{height} F{num}:{den} Ip A1:1 C{colour}\n".encode("ascii")
    for frame in frames:
        yield b"FRAME\n" + frame + chroma


def write_whole(path: str, pieces: Iterable[bytes]) -> int:
    """Write to a temporary file beside `path`, then rename: whole or not at all."""
    import tempfile
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UserError(f"{path}: folder {folder} does not exist")
    if os.path.isdir(path):
        raise UserError(f"{path}: is a folder")
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".partial-", suffix=".tmp")
    written = 0
    try:
        # mkstemp makes the file private; give it the mode the user's file has (or would get).
        if os.path.exists(path):
            os.chmod(temporary, os.stat(path).st_mode & 0o777)
        else:
            mask = os.umask(0)
            os.umask(mask)
            os.chmod(temporary, 0o666 & ~mask)
        with os.fdopen(handle, "wb") as out:
            for piece in pieces:
                out.write(piece)
                written += len(piece)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return written


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
        if start == pos:
            field = ("width", "height", "maxval")[len(values)]
            raise UserError(f"{where}: header field {field} is missing or not a number")
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
    if channels == 3:
        scaled = rgb_to_luma(scaled[0::3], scaled[1::3], scaled[2::3])
    return width, height, magic.decode(), scaled


def natural_key(name: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


def frame_number(name: str) -> int | None:
    found = re.findall(r"\d+", name.rsplit(".", 1)[0])
    return int(found[-1]) if found else None


def open_frame_folder(folder: str, fps: float | None) -> VideoStream:
    if fps is None:
        raise UserError(f"{folder}: a folder of frames needs --fps")
    names = sorted((n for n in os.listdir(folder)
                    if n.lower().endswith((".pgm", ".ppm", ".pnm"))), key=natural_key)
    if not names:
        raise UserError(f"{folder}: no .pgm or .ppm frames in this folder")
    numbers = [frame_number(n) for n in names]
    for k, (name, number) in enumerate(zip(names, numbers)):
        if number is None:
            raise UserError(f"{os.path.join(folder, name)}: no frame number in the name")
        if k and number != numbers[k - 1] + 1:
            raise UserError(f"{os.path.join(folder, name)}: frame number {number} follows "
                            f"{numbers[k - 1]} (a gap in the numbering)")
    first = os.path.join(folder, names[0])
    with open(first, "rb") as handle:
        width, height, magic, _ = decode_pnm(handle.read(), first)
    channels = PNM_MAGICS[magic.encode()][0]

    def frames() -> Iterator[bytes]:
        for name in names:
            path = os.path.join(folder, name)
            with open(path, "rb") as handle:
                w, h, kind, luma = decode_pnm(handle.read(), path)
            if (w, h, PNM_MAGICS[kind.encode()][0]) != (width, height, channels):
                raise UserError(f"{path}: {kind} {w}x{h} differs from the first frame's "
                                f"{magic} {width}x{height} (size or gray/colour)")
            yield luma
    return VideoStream(folder, width, height, fps, frames())


def open_video(path: str, fps: float | None = None, allow_truncated: bool = False,
               warn=None) -> VideoStream:
    """A .y4m file, `-` for a Y4M stream on stdin, or a folder of PGM/PPM frames."""
    if path == "-":
        return open_y4m(sys.stdin.buffer, "<stdin>", allow_truncated, warn)
    if os.path.isdir(path):
        return open_frame_folder(path, fps)
    if not os.path.exists(path):
        raise UserError(f"{path}: no such file or folder")
    if not os.path.isfile(path) and not path.startswith("/dev/fd/"):
        raise UserError(f"{path}: not a regular file")
    stream = open(path, "rb")
    try:
        video = open_y4m(stream, path, allow_truncated, warn)
    except BaseException:
        stream.close()
        raise

    def closing(frames: Iterator[bytes]) -> Iterator[bytes]:
        with stream:
            yield from frames
    return VideoStream(video.name, video.width, video.height, video.fps, closing(video.frames))


# ----------------------------------------------------------------------------------------------
# Motion
# Frame differencing at C speed (big-integer lanes), windows of motion, and the shot-cut
# detector that combines the frame difference with a coarse luma histogram.
# ----------------------------------------------------------------------------------------------
#
# The technique. The mean absolute difference of two frames needs |a - b| per pixel, which is
# slow as a Python loop (about 190 frames/s at 640x360). Instead each frame becomes two big
# integers whose 16-bit lanes hold one pixel each (even bytes in one, odd bytes in the other).
# One subtraction then works on every lane at once: (A | 256 per lane) - B leaves a - b + 256
# in each lane, never borrowing from its neighbour. Bit 8 of a lane says whether a >= b; one
# mask and one XOR turn each lane into 256 - |a - b|; the two halves are added, and folding
# the integer in halves six times adds the lanes up (a lane stays below 2**16); a short byte
# sum finishes. Every step is one C loop over the whole frame. sad_simple is the plain
# version; the tests check that both agree exactly.

LANE_FOLDS = 6   # two halves of lanes <= 256 added, then 64 lanes summed: <= 32768 < 2**16


@functools.lru_cache(maxsize=16)
def lane_masks(lanes: int) -> tuple[int, int, tuple[int, ...]]:
    """For `lanes` 16-bit lanes: the low-byte mask, the bit-8 mask, and the fold masks."""
    ones = int.from_bytes(b"\x01\x00" * lanes, "little")
    folds = tuple((1 << (16 * lanes >> k)) - 1 for k in range(1, LANE_FOLDS + 1))
    return ones * 0xFF, ones << 8, folds


def lane_count(byte_count: int) -> int:
    """Lanes per half (even or odd bytes), padded so that the folds split evenly."""
    step = 1 << LANE_FOLDS
    return max(step, -(-((byte_count + 1) // 2) // step) * step)


def to_lanes(grid: bytes) -> tuple[int, int]:
    """The even and the odd bytes of `grid`, each spread into 16-bit lanes of an integer."""
    low_bytes = lane_masks(lane_count(len(grid)))[0]
    value = int.from_bytes(grid, "little")
    return value & low_bytes, (value >> 8) & low_bytes


def sad_lanes(a: tuple[int, int], b: tuple[int, int], byte_count: int) -> int:
    """Sum of |a - b| over all pixels, from to_lanes() of two grids of byte_count bytes."""
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


def sad_simple(a: bytes, b: bytes) -> int:
    """Reference: the plain sum of absolute differences."""
    return sum(map(abs, map(operator.sub, a, b)))


def auto_stride(height: int) -> int:
    return max(1, height // MOTION_GRID_ROWS)


@functools.lru_cache(maxsize=16)
def grid_slices(width: int, height: int, stride: int) -> tuple[slice, ...]:
    return tuple(slice(y * width, (y + 1) * width, stride) for y in range(0, height, stride))


def grid_sample(frame: bytes, width: int, height: int, stride: int) -> bytes:
    """Every stride-th pixel of every stride-th row (stride 1 returns the frame)."""
    if stride == 1:
        return bytes(frame)
    return b"".join(map(frame.__getitem__, grid_slices(width, height, stride)))


HISTOGRAM_TABLE = bytes(v * HISTOGRAM_BINS // 256 for v in range(256))
HISTOGRAM_KEYS = tuple(bytes([k]) for k in range(HISTOGRAM_BINS))


HISTOGRAM_SAMPLES = 512           # a histogram needs few samples; counting is the slow part


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
    """One streaming pass. The motion score uses the grid at `stride`; the cut signals use a
    coarse grid (never finer than the auto stride) and a ring of the last 2P+2 such grids.
    diff_long is measured only where the difference rule of detect_cuts can look (score at
    least cut_floor); elsewhere it is None. Memory does not grow with the frame count."""
    stride = stride or auto_stride(height)
    coarse = max(stride, auto_stride(height))
    span = 2 * FLASH_MAX_FRAMES + 2          # ring of frames i-1-P .. i+P
    scores, hist_short, hist_long, diff_long = [], [], [], []
    ring: list[tuple[tuple[int, int], tuple[int, ...]]] = []
    previous = None
    fine_bytes = coarse_bytes = 0
    for frame in frames:
        grid = grid_sample(frame, width, height, stride)
        fine_bytes = len(grid)
        lanes = to_lanes(grid)
        coarse_grid = grid if coarse == stride else grid_sample(frame, width, height, coarse)
        coarse_bytes = len(coarse_grid)
        coarse_lanes = lanes if coarse == stride else to_lanes(coarse_grid)
        hist = luma_histogram(coarse_grid)
        if previous is None:
            scores.append(0.0)
            hist_short.append(0.0)
        else:
            scores.append(sad_lanes(previous, lanes, fine_bytes) / (fine_bytes * LUMA_MAX))
            hist_short.append(histogram_distance(ring[-1][1], hist))
        previous = lanes
        ring.append((coarse_lanes, hist))
        if len(ring) > span:
            ring.pop(0)
        if len(ring) == span:   # frame i = current - P has both sides in the ring
            hist_long.append(histogram_distance(ring[0][1], hist))
            diff_long.append(None if scores[-1 - FLASH_MAX_FRAMES] < cut_floor else
                             sad_lanes(ring[0][0], coarse_lanes, coarse_bytes)
                             / (coarse_bytes * LUMA_MAX))
    # Frames too near either end to look P frames across count as persistent changes.
    count = len(scores)
    head = min(count, FLASH_MAX_FRAMES + 1)
    hist_long = ([1.0] * head + hist_long + [1.0] * count)[:count]
    diff_long = ([1.0] * head + diff_long + [1.0] * count)[:count]
    return MotionAnalysis(fps, width, height, stride, tuple(scores), tuple(hist_short),
                          tuple(hist_long), tuple(diff_long))


def scene_motion(scene: Scene, stride: int | None = None,
                 cut_floor: float = CUT_MIN_SCORE) -> MotionAnalysis:
    """Render a synthetic scene and analyse it in one stream."""
    return analyze_motion(render_scene(scene), scene.width, scene.height, scene.fps, stride,
                          cut_floor)


def motion_windows(scores: tuple[float, ...], fps: float, window_s: float) -> tuple[Window, ...]:
    """Mean motion over consecutive windows of window_s seconds (the last may be shorter)."""
    count = len(scores)
    windows = []
    k = 0
    while True:
        first = min(count, math.ceil(k * window_s * fps - 1e-9))
        stop = min(count, math.ceil((k + 1) * window_s * fps - 1e-9))
        if first >= count:
            break
        chunk = scores[first:stop]
        windows.append(Window(first / fps, stop / fps, first, stop, sum(chunk) / len(chunk)))
        k += 1
    return tuple(windows)


def local_median(values: tuple[float, ...], center: int, radius: int) -> float:
    around = sorted(values[max(0, center - radius): center] + values[center + 1: center + 1 + radius])
    return around[len(around) // 2] if around else 0.0


def detect_cuts(motion: MotionAnalysis, min_score: float = CUT_MIN_SCORE,
                median_ratio: float = CUT_MEDIAN_RATIO) -> tuple[Cut, ...]:
    """Shot cuts: a change of scene that is sudden, stands out, and persists.

    A frame i is a candidate when either signal fires:
      histogram: its coarse luma histogram differs from frame i-1 by at least CUT_HIST_MIN.
        Motion inside a shot moves things around but keeps the histogram, so a cut right
        after violent motion is still found (a frame-difference threshold misses it there);
      difference: its frame difference is at least min_score and median_ratio times the
        local median (for cuts between shots of similar exposure).
    It must persist: frame i-1-P and frame i+P (P = FLASH_MAX_FRAMES) must differ by the same
    signal, so a flash to white and back, which returns to the same picture, is rejected.
    A cross-dissolve changes the picture a little per frame, so neither signal fires on a
    single frame (at most one cut survives the suppression). A freeze has no difference at
    all. Among candidates within P frames of each other only the strongest is kept.
    """
    radius = max(2, round(CUT_MEDIAN_WINDOW_S * motion.fps / 2))
    candidates = []
    for i in range(1, motion.frame_count):
        by_histogram = motion.hist_short[i] >= CUT_HIST_MIN and motion.hist_long[i] >= CUT_HIST_MIN
        score = motion.scores[i]
        across = motion.diff_long[i]
        by_difference = (score >= min_score and (across is None or across >= min_score)
                         and score >= median_ratio * local_median(motion.scores, i, radius))
        if by_histogram or by_difference:
            candidates.append((max(motion.hist_short[i], score), i))
    kept: list[int] = []
    for strength, i in sorted(candidates, key=lambda c: (-c[0], c[1])):
        if all(abs(i - j) > FLASH_MAX_FRAMES for j in kept):
            kept.append(i)
    return tuple(Cut(i, i / motion.fps, round(max(motion.hist_short[i], motion.scores[i]), 6))
                 for i in sorted(kept))


# ----------------------------------------------------------------------------------------------
# Samplers
# Four ways to choose frames. Each returns sorted, unique, in-range indices, never more than
# the budget (--max-frames) or the frames that exist, and carries per-window counts.
# ----------------------------------------------------------------------------------------------


def allocate_counts(weights: list[float], total: int, capacities: list[int],
                    minimum: int = 0) -> list[int]:
    """Split `total` whole frames in proportion to weights (largest remainder), within
    capacities; each item first gets up to `minimum` (heaviest items first)."""
    counts = [0] * len(weights)
    total = min(total, sum(capacities))
    order = sorted(range(len(weights)), key=lambda k: (-weights[k], k))
    for k in order:
        give = min(minimum, capacities[k], total - sum(counts))
        counts[k] = max(0, give)
    while sum(counts) < total:
        open_items = [k for k in range(len(weights)) if counts[k] < capacities[k]]
        remaining = total - sum(counts)
        weight_sum = sum(weights[k] for k in open_items)
        if weight_sum <= 0:
            shares = {k: remaining / len(open_items) for k in open_items}
        else:
            shares = {k: remaining * weights[k] / weight_sum for k in open_items}
        progressed = False
        for k in open_items:
            whole = min(int(shares[k]), capacities[k] - counts[k])
            if whole > 0:
                counts[k] += whole
                progressed = True
        if not progressed:   # hand out the remainders one by one, largest first
            for k in sorted(open_items, key=lambda k: (-(shares[k] - int(shares[k])), k)):
                if sum(counts) >= total:
                    break
                counts[k] += 1
    return counts


def spread_in_range(first: int, stop: int, count: int) -> list[int]:
    """`count` distinct frames at the centres of equal segments of [first, stop)."""
    length = stop - first
    count = min(count, length)
    return [first + int((k + 0.5) * length / count) for k in range(count)]


def per_window_counts(indices: Iterable[int], windows: tuple[Window, ...]) -> tuple[int, ...]:
    counts = [0] * len(windows)
    k = 0
    for i in sorted(indices):
        while k + 1 < len(windows) and i >= windows[k].stop:
            k += 1
        counts[k] += 1
    return tuple(counts)


def finish(strategy: str, motion: MotionAnalysis, windows: tuple[Window, ...],
           indices: Iterable[int], notes: list[str],
           spans: tuple[tuple[float, float], ...] = ()) -> SampleResult:
    unique = tuple(sorted(set(i for i in indices if 0 <= i < motion.frame_count)))
    return SampleResult(strategy, motion.fps, motion.frame_count, unique, windows,
                        per_window_counts(unique, windows), tuple(notes), spans)


def uniform_sample(motion: MotionAnalysis, windows: tuple[Window, ...], frames: int,
                   max_frames: int) -> SampleResult:
    """Evenly over the whole video: the centre frame of each of N equal segments."""
    count = min(frames, max_frames, motion.frame_count)
    notes = [f"{count} frames at the centres of {count} equal segments"]
    if count < frames:
        notes.append(f"asked for {frames}, capped at {count} (budget or frames that exist)")
    return finish("uniform", motion, windows, spread_in_range(0, motion.frame_count, count), notes)


def dynamic_fps_sample(motion: MotionAnalysis, windows: tuple[Window, ...], min_fps: float,
                       max_fps: float, max_frames: int) -> SampleResult:
    """Each window gets a rate from min_fps to max_fps rising with its motion (relative to
    the busiest window); if the total exceeds the budget every window is scaled down."""
    peak = max((w.motion for w in windows), default=0.0)
    rates = [min_fps + (max_fps - min_fps) * (w.motion / peak if peak > 0 else 0.0)
             for w in windows]
    wanted = [rate * (w.end_s - w.start_s) for rate, w in zip(rates, windows)]
    capacity = [w.stop - w.first for w in windows]
    budget = min(max_frames, round(sum(wanted)))
    counts = allocate_counts(wanted, max(1, budget), capacity)
    indices = [i for w, n in zip(windows, counts) for i in spread_in_range(w.first, w.stop, n)]
    notes = ["zero motion everywhere: uniform at min fps" if peak <= 0 else
             f"rate per window = {min_fps:g} + ({max_fps:g} - {min_fps:g}) x motion / peak motion",
             f"wanted {sum(wanted):.1f} frames, budget {max_frames}, gave {sum(counts)}"]
    return finish("dynamic", motion, windows, indices, notes)


def detect_action_spans(motion: MotionAnalysis, cuts: tuple[Cut, ...]) -> tuple[tuple[int, int], ...]:
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


def event_driven_sample(motion: MotionAnalysis, windows: tuple[Window, ...], cuts: tuple[Cut, ...],
                        burst_fps: float, base_fps: float, max_frames: int) -> SampleResult:
    """Dense inside detected action spans (padded by EVENT_PAD_S), sparse elsewhere.
    Over budget, every span keeps at least one frame before the background gets any."""
    fps, count = motion.fps, motion.frame_count
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
    span_wanted = [max(1.0, (stop - first) / fps * burst_fps) for first, stop in spans]
    gap_wanted = [(stop - first) / fps * base_fps for first, stop in gaps]
    budget = min(max_frames, max(1, round(sum(span_wanted) + sum(gap_wanted))))
    span_counts = allocate_counts(span_wanted, budget, [b - a for a, b in spans], minimum=1)
    gap_counts = allocate_counts(gap_wanted, budget - sum(span_counts), [b - a for a, b in gaps])
    indices = [i for (a, b), n in zip(spans + gaps, span_counts + gap_counts)
               for i in spread_in_range(a, b, n)]
    notes = [f"{len(spans)} action spans found; {burst_fps:g} fps inside, {base_fps:g} fps outside",
             f"{sum(span_counts)} frames in spans, {sum(gap_counts)} elsewhere (budget {max_frames})"]
    return finish("event", motion, windows, indices, notes,
                  tuple((a / fps, b / fps) for a, b in spans))


def keyframe_sample(motion: MotionAnalysis, windows: tuple[Window, ...], cuts: tuple[Cut, ...],
                    context: int, context_gap_s: float, max_frames: int) -> SampleResult:
    """The first frame and a frame at each shot cut (the keyframes), plus `context`
    neighbours either side spaced context_gap_s apart. Over budget: the strongest keyframes
    first, then context frames nearest their keyframe first."""
    gap = max(1, round(context_gap_s * motion.fps))
    anchors = [(float("inf"), 0)] + [(c.score, c.frame) for c in cuts]
    ranked = [frame for _, frame in sorted(anchors, key=lambda a: (-a[0], a[1]))]
    wanted = list(ranked)
    for distance in range(1, context + 1):
        for frame in ranked:
            wanted += [frame - distance * gap, frame + distance * gap]
    chosen: list[int] = []
    seen: set[int] = set()
    for i in wanted:
        if 0 <= i < motion.frame_count and i not in seen and len(chosen) < max_frames:
            seen.add(i)
            chosen.append(i)
    notes = [f"{len(cuts)} cuts + first frame as keyframes, {context} context frames either side "
             f"every {gap / motion.fps:g} s", f"{len(chosen)} frames (budget {max_frames})"]
    return finish("keyframe", motion, windows, chosen, notes,
                  tuple((c.time_s, c.time_s) for c in cuts))


def events_hit(indices: Iterable[int], fps: float, events: tuple[Event, ...]) -> list[bool]:
    """For each event, whether some sampled frame's timestamp lies in [start, end)."""
    times = [i / fps for i in indices]
    return [any(e.start <= t < e.end for t in times) for e in events]


# ----------------------------------------------------------------------------------------------
# Token budgets
# How many visual tokens a video costs under each design. The Qwen2.5-VL arithmetic follows
# qwen-vl-utils vision_process.py exactly, float32 and half-to-even rounding included.
# ----------------------------------------------------------------------------------------------

# qwen-vl-utils src/qwen_vl_utils/vision_process.py (as used with Qwen2.5-VL, patch size 14):
IMAGE_FACTOR = 28                        # 14-pixel patches merged 2x2
IMAGE_MIN_PIXELS = 4 * 28 * 28
IMAGE_MAX_PIXELS = 16384 * 28 * 28
MAX_RATIO = 200
VIDEO_MIN_PIXELS = 128 * 28 * 28
VIDEO_MAX_PIXELS = 768 * 28 * 28
VIDEO_TOTAL_PIXELS = int(128000 * 28 * 28 * 0.9)
FRAME_FACTOR = 2                         # frames per temporal patch
QWEN_FPS = 2.0
FPS_MIN_FRAMES = 4
FPS_MAX_FRAMES = 768
QWEN_PATCH = 14
QWEN_MERGE = 2                           # 2x2 spatial merge: 4 patches -> 1 token
# Qwen2.5-VL config.json (vision_config.tokens_per_second) of the released models:
TOKENS_PER_SECOND = 2

DEFAULT_CONTEXT_TOKENS = 32768
CONTEXT_WARN_FRACTION = 0.40             # the lesson's rule: above 40% of context, rethink
# Video-LLaVA (arXiv 2311.10122): 8 frames, CLIP ViT-L/14 (LanguageBind) at 224 -> 16x16 patches.
# The HF VideoLlavaProcessor counts 16*16 + 1 (the CLS token) per frame and, with the default
# vision_feature_select_strategy, drops the CLS again: 256 tokens per frame reach the LLM.
VIDEO_LLAVA_FRAMES = 8
VIDEO_LLAVA_PATCH = 14
# Video-LLaMA (arXiv 2306.02858): a video Q-former with 32 learned queries per clip.
VIDEO_LLAMA_QUERIES = 32
VIDEO_LLAMA_CLIP_FRAMES = 16             # the lesson's clip length
NAIVE_PATCH = 16                         # ViT-B/16 at 224: 14x14 = 196 tokens per frame
ENCODER_SIZE = 224


@dataclass(frozen=True)
class Design:
    name: str
    model: str
    how: str


DESIGNS: dict[str, Design] = {d.name: d for d in (
    Design("naive", "any ViT, every frame", "every frame, (size/patch)^2 tokens each"),
    Design("pooled", "Video-LLaVA", "N uniform frames, patch grid optionally pooled k x k"),
    Design("qformer", "Video-LLaMA", "clips of frames -> a fixed number of Q-former queries"),
    Design("qwen2.5-vl", "Qwen2.5-VL", "dynamic FPS, 2-frame temporal patches, 2x2 merge"),
)}


@dataclass(frozen=True)
class VideoFacts:
    total_frames: int
    fps: float
    width: int
    height: int

    @property
    def duration_s(self) -> float:
        return self.total_frames / self.fps


@dataclass(frozen=True)
class TokenBudget:
    design: str
    frames: int
    tokens_per_frame: float
    visual_tokens: int
    duration_s: float
    context: int
    details: dict

    @property
    def tokens_per_second(self) -> float:
        return self.visual_tokens / self.duration_s

    @property
    def context_fraction(self) -> float:
        return self.visual_tokens / self.context


def f32(value: float) -> float:
    """Round to the nearest float32, as a torch float32 tensor would hold it."""
    return struct.unpack("<f", struct.pack("<f", value))[0]


def round_by_factor(number: float, factor: int) -> int:
    return round(number / factor) * factor       # Python round: half to even


def ceil_by_factor(number: float, factor: int) -> int:
    return math.ceil(number / factor) * factor


def floor_by_factor(number: float, factor: int) -> int:
    return math.floor(number / factor) * factor


def smart_nframes(total_frames: int, video_fps: float, fps: float | None = None,
                  nframes: int | None = None, min_frames: int | None = None,
                  max_frames: int | None = None) -> int:
    """Frames Qwen2.5-VL's preprocessing takes from a video (qwen-vl-utils smart_nframes)."""
    if fps is not None and nframes is not None:
        raise UserError("give a sample fps or a frame count (--nframes), not both")
    if nframes is not None:
        count = round_by_factor(nframes, FRAME_FACTOR)
    else:
        fps = QWEN_FPS if fps is None else fps
        low = ceil_by_factor(FPS_MIN_FRAMES if min_frames is None else min_frames, FRAME_FACTOR)
        high = floor_by_factor(min(FPS_MAX_FRAMES, total_frames) if max_frames is None
                               else max_frames, FRAME_FACTOR)
        wanted = total_frames / video_fps * fps
        count = floor_by_factor(min(min(max(wanted, low), high), total_frames), FRAME_FACTOR)
    if not FRAME_FACTOR <= count <= total_frames:
        raise UserError(f"the reference takes between {FRAME_FACTOR} and {total_frames} frames "
                        f"(the video's length) from this video, and these settings give {count}")
    return count


def linspace_indices(total_frames: int, count: int) -> list[int]:
    """torch.linspace(0, total-1, count) in float32, then round half to even (the reference's
    frame indices). float32 differs from float64 on long videos, so it is emulated here:
    torch's CPU kernel steps forward for the first half and backward from the end for the rest."""
    start, end = 0.0, f32(total_frames - 1)
    if count == 1:
        return [0]
    step = f32(f32(end - start) / (count - 1))
    halfway = count // 2
    values = [f32(start + f32(step * k)) if k < halfway else f32(end - f32(step * (count - k - 1)))
              for k in range(count)]
    return [round(v) for v in values]


def smart_resize(height: int, width: int, factor: int = IMAGE_FACTOR,
                 min_pixels: float = IMAGE_MIN_PIXELS, max_pixels: float = IMAGE_MAX_PIXELS
                 ) -> tuple[int, int]:
    """qwen-vl-utils smart_resize: sides divisible by factor, pixels within bounds, aspect kept.
    Its edge behaviour is kept too: the max-pixels branch floors each side (so the result
    can fall below min_pixels), and sides never go below one factor."""
    if max(height, width) / min(height, width) > MAX_RATIO:
        raise UserError(f"aspect ratio {max(height, width) / min(height, width):.1f} is over the "
                        f"reference's limit of {MAX_RATIO}")
    h_bar = max(factor, round_by_factor(height, factor))
    w_bar = max(factor, round_by_factor(width, factor))
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt((height * width) / max_pixels)
        h_bar = max(factor, floor_by_factor(height / beta, factor))
        w_bar = max(factor, floor_by_factor(width / beta, factor))
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = ceil_by_factor(height * beta, factor)
        w_bar = ceil_by_factor(width * beta, factor)
    return h_bar, w_bar


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


def qwen_video_plan(video: VideoFacts, options: QwenOptions = QwenOptions()) -> dict:
    """Frames, indices, resize, grid and tokens, as Qwen2.5-VL's preprocessing computes them."""
    nframes = smart_nframes(video.total_frames, video.fps, options.fps, options.nframes,
                            options.min_frames, options.max_frames)
    indices = linspace_indices(video.total_frames, nframes)
    sample_fps = nframes / max(video.total_frames, 1e-6) * video.fps
    if (options.resized_height is None) != (options.resized_width is None):
        raise UserError("--resized-height and --resized-width go together")
    if options.resized_height is not None:
        height, width = smart_resize(options.resized_height, options.resized_width)
    else:
        min_pixels = VIDEO_MIN_PIXELS if options.min_pixels is None else options.min_pixels
        total_pixels = VIDEO_TOTAL_PIXELS if options.total_pixels is None else options.total_pixels
        max_pixels = max(min(VIDEO_MAX_PIXELS, total_pixels / nframes * FRAME_FACTOR),
                         int(min_pixels * 1.05))
        if options.max_pixels is not None:
            max_pixels = min(options.max_pixels, max_pixels)
        height, width = smart_resize(video.height, video.width, IMAGE_FACTOR, min_pixels, max_pixels)
    grid = (nframes // FRAME_FACTOR, height // QWEN_PATCH, width // QWEN_PATCH)
    tokens = grid[0] * grid[1] * grid[2] // (QWEN_MERGE * QWEN_MERGE)
    return {"nframes": nframes, "frame_indices": indices, "sample_fps": sample_fps,
            "resized_height": height, "resized_width": width, "grid_thw": list(grid),
            "second_per_grid_t": FRAME_FACTOR / sample_fps, "visual_tokens": tokens}


def patch_grid_side(image_size: int, patch: int) -> int:
    if image_size % patch:
        raise UserError(f"--image-size {image_size} is not a multiple of --patch {patch}")
    return image_size // patch


def pooled_side(side: int, pool: int) -> int:
    if pool > side or side % pool:
        raise UserError(f"--pool {pool} does not divide the {side}x{side} patch grid "
                        f"(divisors: {', '.join(str(k) for k in range(1, side + 1) if side % k == 0)})")
    return side // pool


@dataclass(frozen=True)
class DesignOptions:
    frames: int | None = None          # pooled / qformer: frames taken (default per design)
    patch: int | None = None
    image_size: int = ENCODER_SIZE
    pool: int = 1
    clip_frames: int = VIDEO_LLAMA_CLIP_FRAMES
    queries: int = VIDEO_LLAMA_QUERIES
    audio_queries: int = 0
    context: int = DEFAULT_CONTEXT_TOKENS
    qwen: QwenOptions = QwenOptions()


def token_budget(design: str, video: VideoFacts, options: DesignOptions = DesignOptions()) -> TokenBudget:
    """Visual tokens of `video` under one design, with the intermediate numbers in details."""
    def budget(frames: int, per_frame: float, tokens: int, details: dict) -> TokenBudget:
        return TokenBudget(design, frames, per_frame, tokens, video.duration_s, options.context,
                           details)
    if design == "naive":
        side = patch_grid_side(options.image_size, options.patch or NAIVE_PATCH)
        per_frame = side * side
        return budget(video.total_frames, per_frame, video.total_frames * per_frame,
                      {"patch_grid": [side, side]})
    if design == "pooled":
        frames = min(options.frames or VIDEO_LLAVA_FRAMES, video.total_frames)
        side = patch_grid_side(options.image_size, options.patch or VIDEO_LLAVA_PATCH)
        pooled = pooled_side(side, options.pool)
        return budget(frames, pooled * pooled, frames * pooled * pooled,
                      {"patch_grid": [side, side], "pool": options.pool,
                       "pooled_grid": [pooled, pooled]})
    if design == "qformer":
        frames = min(options.frames or VIDEO_LLAMA_CLIP_FRAMES, video.total_frames)
        clips = -(-frames // options.clip_frames)
        tokens = clips * (options.queries + options.audio_queries)
        return budget(frames, tokens / frames, tokens,
                      {"clips": clips, "clip_frames": options.clip_frames,
                       "queries": options.queries, "audio_queries": options.audio_queries})
    if design == "qwen2.5-vl":
        plan = qwen_video_plan(video, options.qwen)
        tokens = plan.pop("visual_tokens")
        return budget(plan["nframes"], tokens / plan["nframes"], tokens, plan)
    raise UserError(f"unknown design {design!r}; known: {', '.join(DESIGNS)}")


# ----------------------------------------------------------------------------------------------
# Positions
# Where each visual token sits in time: index M-RoPE (Qwen2-VL), time-aligned M-RoPE
# (Qwen2.5-VL; the lesson's "TMRoPE"), a learned frame table (Video-LLaVA); 3-axis ids.
# ----------------------------------------------------------------------------------------------

# Qwen2.5-VL config.json: rope_scaling.mrope_section [16, 24, 24] of the 64 rotary frequency
# pairs of a 128-dim head, rope_theta 1e6. Pairs 0-15 turn with t, 16-39 with h, 40-63 with w.
MROPE_SECTION = (16, 24, 24)
HEAD_DIM = 128
ROPE_THETA = 1_000_000.0
MAX_LAYOUT_PATCHES = 1_000_000          # 250,000 merged tokens: position ids stay in memory
LEARNED_TABLE_ROWS = VIDEO_LLAVA_FRAMES


def inverse_frequency(pair: int) -> float:
    return ROPE_THETA ** (-2 * pair / HEAD_DIM)


def absolute_t(patch: int, second_per_grid_t: float, tokens_per_second: float) -> int:
    """trunc(k * second_per_grid_t * tokens_per_second) with the reference's float32 tensors."""
    return int(f32(f32(f32(patch) * f32(second_per_grid_t)) * tokens_per_second))


@dataclass(frozen=True)
class PatchPosition:
    patch: int
    frames: tuple[int, ...]        # positions in the sampled list
    time_s: float                  # timestamp of the patch's first frame
    index_t: int                   # Qwen2-VL: the patch number
    absolute_t: int                # Qwen2.5-VL: seconds x tokens_per_second, truncated
    learned_rows: tuple[int | None, ...]   # Video-LLaVA table row per frame; None past the table


def temporal_positions(timestamps: list[float], tokens_per_second: float = TOKENS_PER_SECOND,
                       table_rows: int = LEARNED_TABLE_ROWS) -> tuple[PatchPosition, ...]:
    """Temporal position of each 2-frame patch of sampled timestamps under each encoding.
    Time-aligned positions use each patch's own time, so non-uniform (dynamic) sampling keeps
    true seconds; for uniform sampling from 0 this equals k * second_per_grid_t."""
    patches = []
    for k in range(0, len(timestamps), FRAME_FACTOR):
        frames = tuple(range(k, min(k + FRAME_FACTOR, len(timestamps))))
        time_s = timestamps[k]
        patches.append(PatchPosition(
            k // FRAME_FACTOR, frames, time_s, k // FRAME_FACTOR,
            int(f32(f32(time_s) * tokens_per_second)),
            tuple(i if i < table_rows else None for i in frames)))
    return tuple(patches)


@dataclass(frozen=True)
class LayoutItem:
    kind: str                 # text, image or video
    count: int = 0            # text tokens
    grid: tuple[int, int, int] = (0, 0, 0)   # t, h, w patches before the 2x2 merge
    second_per_grid_t: float = 1.0


def parse_layout(text: str) -> list[LayoutItem]:
    """`text:2 video:3x4x4@2.0 image:1x4x6 text:3` -> items (grid before the 2x2 merge)."""
    items = []
    for token in text.split():
        kind, _, spec = token.partition(":")
        try:
            if kind == "text":
                items.append(LayoutItem("text", count=int(spec)))
                if items[-1].count < 0:
                    raise ValueError
                continue
            if kind not in ("video", "image"):
                raise ValueError
            grid_text, _, seconds_text = spec.partition("@")
            t, h, w = (int(v) for v in grid_text.split("x"))
            spgt = float(seconds_text) if seconds_text else (1.0 if kind == "video" else 0.0)
        except ValueError:
            raise UserError(f"--layout item {token!r}: expected text:N, video:TxHxW[@S] "
                            "or image:1xHxW") from None
        if t < 1 or h < QWEN_MERGE or w < QWEN_MERGE or h % QWEN_MERGE or w % QWEN_MERGE:
            raise UserError(f"--layout item {token!r}: T >= 1 and H, W even (2x2 merge)")
        if not (math.isfinite(spgt) and spgt >= 0) or (kind == "image" and t != 1):
            raise UserError(f"--layout item {token!r}: bad seconds or image with T != 1")
        if t * h * w > MAX_LAYOUT_PATCHES:
            raise UserError(f"--layout item {token!r}: more than {MAX_LAYOUT_PATCHES:,} patches")
        items.append(LayoutItem(kind, grid=(t, h, w),
                                second_per_grid_t=spgt if kind == "video" else 0.0))
    if not items:
        raise UserError("--layout is empty")
    return items


def position_ids(items: list[LayoutItem], encoding: str = "absolute",
                 tokens_per_second: float = TOKENS_PER_SECOND) -> tuple[list[list[int]], int]:
    """3-axis (t, h, w) position ids of a prompt, Qwen2.5-VL get_rope_index (transformers
    4.49). Each vision item is wrapped in <|vision_start|> and <|vision_end|>, which are text
    tokens. Text after a vision block continues at the block's maximum position + 1: the
    original Qwen2.5-VL rule (later transformers releases changed how this is counted)."""
    axes: list[list[int]] = [[], [], []]
    next_position = 0

    def add_text(count: int) -> None:
        nonlocal next_position
        for axis in axes:
            axis.extend(range(next_position, next_position + count))
        next_position += count

    for item in items:
        if item.kind == "text":
            add_text(item.count)
            continue
        add_text(1)                                   # <|vision_start|>
        t, h, w = item.grid[0], item.grid[1] // QWEN_MERGE, item.grid[2] // QWEN_MERGE
        base = next_position
        for k in range(t):
            tk = k if encoding == "index" else absolute_t(k, item.second_per_grid_t,
                                                          tokens_per_second)
            for i in range(h):
                axes[0].extend([base + tk] * w)
                axes[1].extend([base + i] * w)
                axes[2].extend(range(base, base + w))
        next_position = max(max(axis[-t * h * w:]) for axis in axes) + 1
        add_text(1)                                   # <|vision_end|>
    length = len(axes[0])
    top = max(max(axis) for axis in axes) if length else -1
    return axes, top + 1 - length


def rope_angle(position_delta: float, pair: int) -> float:
    """Relative rotation (radians) that a position difference gives one frequency pair."""
    return position_delta * inverse_frequency(pair)


# ----------------------------------------------------------------------------------------------
# Grounding
# Reading "when does X happen?" answers (JSON, <time> tokens, free text) and scoring them:
# tolerance accuracy, IoU, R@1, mIoU, recall at k; plus lmms-eval's Charades-STA rules.
# ----------------------------------------------------------------------------------------------

# Why an answer could not be read. A fixed set, so that reports can be compared across runs.
FAILURE_REASONS = {
    "empty": "the answer is empty",
    "no_time_found": "no time expression in the answer",
    "ambiguous": "times that cannot be read one way only (decimal comma, thousands, odd pairs)",
    "reversed": "an interval ends before it starts (--swap-reversed accepts it)",
    "negative": "a negative time",
    "out_of_range": "a time past the video's duration (--clip clips it)",
    "not_finite": "NaN, infinity or an absurdly large number",
    "bad_json": "the answer looks like JSON but does not parse",
    "missing_field": "JSON without a usable start/end or time field",
    "bad_time_token": "a <time> token whose content is not a time",
    "declined": "the model said it could not answer (e.g. {\"error\": \"not_found\"})",
}
DEFAULT_TOLERANCE_S = 0.5              # the lesson's tolerance
IOU_THRESHOLDS = (0.3, 0.5, 0.7)
IOU_EPSILON = 1e-9                     # 0.3 computed as 0.29999999999999998 still counts
RECALL_KS = (1, 3, 5)
MAX_TIME_S = 7 * 24 * 3600.0           # a week: anything larger is not a video time

UNIT_SECONDS = {"ms": 0.001, "msec": 0.001, "msecs": 0.001, "millisecond": 0.001,
                "milliseconds": 0.001, "s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0,
                "seconds": 1.0, "min": 60.0, "mins": 60.0, "minute": 60.0, "minutes": 60.0,
                "h": 3600.0, "hr": 3600.0, "hrs": 3600.0, "hour": 3600.0, "hours": 3600.0}
_UNITS = "|".join(sorted(UNIT_SECONDS, key=len, reverse=True))
# A time: a clock (m:ss, h:mm:ss, with a fraction) or a number with an optional unit, not
# part of a longer word or number (so 3rd, 1e9, v2 and 4,5 are not times). Things made of
# digits that are not times (dates, versions, scientific notation, ordinals, percentages) match
# the first alternative, `junk`, so one pass over the text both finds and skips them.
TIME_PATTERN = re.compile(
    r"(?=[\dv])(?<![\w.:,])(?:(?P<junk>\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{2,4}|v?\d+(?:\.\d+){2,}"
    r"|\d+(?:\.\d+)?e[+-]?\d+|\d+(?:st|nd|rd|th)\b|\d+(?:\.\d+)?\s*%)"
    r"|(?P<clock>\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?)"
    r"|(?P<number>\d+(?:\.\d+)?)(?:(?:\s*|-)(?P<unit>" + _UNITS + r")(?![a-z]))?)"
    r"(?![\w:]|[.,]\d)", re.ASCII)
DECIMAL_COMMA = re.compile(r"\d,\d", re.ASCII)
RANGE_WORDS = {"-", "~", "to", "until", "till", "through", "and"}
START_WORDS = re.compile(r"\b(?:start\w*|begin\w*|from)\b")
END_WORDS = re.compile(r"\b(?:end\w*|finish\w*|stop\w*|until|till)\b")
POINT_WORDS = re.compile(r"\b(?:at|around|about|approximately|roughly|near|~)\s*(?:the\s*)?$")
# "lasts 5 seconds", "for 2 s": a length of time, not a moment in the video.
DURATION_WORDS = re.compile(r"\b(?:lasts?|lasting|lasted|for|takes?|took|duration(?:\s+of)?|"
                            r"within|every)\s+(?:about\s+|around\s+|roughly\s+)?$")
# After a bare number (no unit), these words keep it a possible time; any other word makes it
# a count ("2 people", "3 times") and not a time.
CONNECTORS = {"and", "to", "until", "till", "through", "or", "in", "into", "of", "on", "for",
              "when", "while", "where", "after", "before", "then", "but", "with", "during",
              "is", "was", "as", "at", "by", "from", "mark", "the", "where", "so", "if"}
TIME_TOKEN = re.compile(r"<(time|t)>\s*(.*?)\s*</\1>", re.IGNORECASE | re.DOTALL)
FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.IGNORECASE | re.DOTALL)
DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-",
                        "\u2014": "-", "\u2015": "-", "\u2212": "-", "\uff5e": "~"})


class Prediction(NamedTuple):
    """One predicted interval or point. This and the other per-answer records (Reading,
    ItemScore) are named tuples rather than frozen dataclasses: evaluate makes hundreds of
    thousands of them, and a tuple is several times cheaper to build."""
    kind: str                    # "interval" or "point"
    start: float                 # for a point, start == end == the time
    end: float
    format: str
    event: str | None = None
    confidence: float | None = None

    @property
    def middle(self) -> float:
        return (self.start + self.end) / 2

    def as_dict(self) -> dict:
        place = ({"start": self.start, "end": self.end} if self.kind == "interval"
                 else {"time": self.start})
        return {"kind": self.kind, **place, "format": self.format, "event": self.event,
                "confidence": self.confidence}


class Reading(NamedTuple):
    predictions: tuple[Prediction, ...]
    failure: tuple[str, str] | None = None     # (reason, detail)
    format: str | None = None                  # the shape the answer came in, if any

    def as_dict(self) -> dict:
        return {"predictions": [p.as_dict() for p in self.predictions],
                "failure": None if self.failure is None else
                {"reason": self.failure[0], "detail": self.failure[1]}}


@dataclass(frozen=True)
class ParsePolicy:
    swap_reversed: bool = False
    clip: bool = False


def failed(reason: str, detail: str, shape: str | None = None) -> Reading:
    return Reading((), (reason, detail), shape)


def time_value(match: re.Match, default_unit: float | None = None) -> tuple[float, bool]:
    """(seconds, whether a unit or clock fixed the scale) of a TIME_PATTERN match."""
    if match.group("clock"):
        parts = match.group("clock").split(":")
        whole = [float(p) for p in parts]
        if any(v >= 60 for v in whole[1:]):
            return math.nan, True
        seconds = 0.0
        for v in whole:
            seconds = seconds * 60 + v
        return seconds, True
    value = float(match.group("number"))
    unit = match.group("unit")
    if unit:
        return value * UNIT_SECONDS[unit], True
    return value * (default_unit or 1.0), False


def parse_time_text(text: str) -> float | None:
    """One time written alone ("4.1", "4.1s", "1:05.5"): seconds, or None if it is not one."""
    cleaned = unicodedata.normalize("NFKC", text).strip().lower()
    match = TIME_PATTERN.fullmatch(cleaned)
    return None if match is None or match.group("junk") else time_value(match)[0]


def check_times(predictions: list[Prediction], duration: float | None,
                policy: ParsePolicy, shape: str) -> Reading:
    """Apply the documented policies to every prediction; the first violation fails all."""
    kept = []
    for p in predictions:
        for value in (p.start, p.end):
            if not math.isfinite(value) or abs(value) > MAX_TIME_S:
                return failed("not_finite", f"{value!r} is not a usable time", shape)
            if value < 0:
                return failed("negative", f"{value:g} s is negative", shape)
        start, end = p.start, p.end
        if end < start:
            if not policy.swap_reversed:
                return failed("reversed", f"{start:g} s to {end:g} s ends before it starts", shape)
            start, end = end, start
        if duration is not None and end > duration:
            if not policy.clip:
                return failed("out_of_range", f"{end:g} s is past the {duration:g} s video", shape)
            start, end = min(start, duration), duration
        if p.confidence is not None and not math.isfinite(p.confidence):
            return failed("not_finite", "confidence is not finite", shape)
        kept.append(p if (start, end) == (p.start, p.end) else
                    Prediction(p.kind, start, end, p.format, p.event, p.confidence))
    return Reading(tuple(kept), None, shape)


def json_candidates(text: str) -> Iterator[object]:
    """JSON values in the text: inside ``` fences first, then from each { or [ on."""
    decoder = JSON_DECODER
    blocks = [m.group(1) for m in FENCE.finditer(text)] or [text]
    for block in blocks:
        tries = 0
        for m in re.finditer(r"[\[{]", block):
            tries += 1
            if tries > 20:       # garbage full of brackets: stop looking, stay linear
                break
            try:
                value, _ = decoder.raw_decode(block, m.start())
            except (ValueError, RecursionError):
                continue
            yield value
            break


JSON_DECODER = json.JSONDecoder(parse_constant=lambda name: float(name.replace("Infinity", "inf")))
JSON_START_KEYS = ("start", "start_time", "begin", "start_s")
JSON_END_KEYS = ("end", "end_time", "finish", "end_s")
JSON_POINT_KEYS = ("time", "t", "time_s", "timestamp")
JSON_SPAN_KEYS = ("timestamp", "timestamps", "span", "interval", "window")


def json_number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        return parse_time_text(value)
    return None


def prediction_from_object(item: dict) -> Prediction | str:
    """One JSON object -> a prediction, or the name of the failure."""
    event = item.get("event", item.get("label"))
    event = event if isinstance(event, str) else None
    confidence = json_number(item.get("confidence", item.get("score")))
    for key in JSON_SPAN_KEYS:
        span = item.get(key)
        if isinstance(span, list) and len(span) == 2:
            start, end = json_number(span[0]), json_number(span[1])
            if start is None or end is None:
                return "missing_field"
            return Prediction("interval", start, end, "json", event, confidence)
    start = next((json_number(item[k]) for k in JSON_START_KEYS if k in item), None)
    end = next((json_number(item[k]) for k in JSON_END_KEYS if k in item), None)
    if start is not None and end is not None:
        return Prediction("interval", start, end, "json", event, confidence)
    if start is None and end is None:
        point = next((json_number(item[k]) for k in JSON_POINT_KEYS if k in item), None)
        if point is not None:
            return Prediction("point", point, point, "json", event, confidence)
    return "missing_field"


def parse_json_answer(text: str) -> Reading | None:
    """A JSON answer, or None when the text holds no JSON at all."""
    if "{" not in text and "[" not in text:
        return None
    looks_like_json = bool(FENCE.search(text)) or text.lstrip()[:1] in ("{", "[")
    for value in json_candidates(text):
        items = value if isinstance(value, list) else [value]
        if isinstance(value, dict) and not any(k in value for k in
                                               JSON_START_KEYS + JSON_POINT_KEYS + JSON_SPAN_KEYS
                                               + ("error",)):
            nested = [v for v in value.values() if isinstance(v, list)]
            items = nested[0] if nested else items
        objects = [i for i in items if isinstance(i, dict)]
        if not objects:
            continue
        if len(objects) == 1 and "error" in objects[0]:
            return failed("declined", str(objects[0]["error"])[:80], "json")
        predictions = []
        for item in objects:
            got = prediction_from_object(item)
            if isinstance(got, str):
                return failed(got, f"object {json.dumps(item)[:80]} has no start/end or time",
                              "json")
            predictions.append(got)
        return Reading(tuple(predictions), None, "json")
    if looks_like_json:
        return failed("bad_json", "the answer starts like JSON but does not parse", "json")
    return None


def parse_time_tokens(text: str) -> Reading | None:
    if "<" not in text:
        return None
    contents = [m.group(2) for m in TIME_TOKEN.finditer(text)]
    if not contents:
        return None
    values = []
    for content in contents:
        value = parse_time_text(content)
        if value is None:
            return failed("bad_time_token", f"<time>{content[:40]}</time> is not a time",
                          "time_tokens")
        values.append(value)
    predictions = [Prediction("interval", values[k], values[k + 1], "time_tokens")
                   for k in range(0, len(values) - 1, 2)]
    if len(values) % 2:
        if predictions:
            return failed("ambiguous", f"{len(values)} <time> tokens do not pair up", "time_tokens")
        predictions.append(Prediction("point", values[0], values[0], "time_tokens"))
    return Reading(tuple(predictions), None, "time_tokens")


class TimeMention(NamedTuple):
    """A time found in free text (a light tuple: thousands are made per second)."""
    start: int              # character span in the normalised text
    stop: int
    seconds: float
    fixed: bool             # a unit or a clock fixed its scale
    unit: str | None


WORD_AFTER = re.compile(r"\s+([a-z]+)")
MARK_AFTER = re.compile(r"[\s-]*(?:second\s*)?mark")


def time_mentions(text: str) -> list[TimeMention]:
    mentions = []
    for m in TIME_PATTERN.finditer(text):
        if m.group("junk"):
            continue
        seconds, fixed = time_value(m)
        if not fixed:
            after = WORD_AFTER.match(text, m.end())
            if after and after.group(1) not in CONNECTORS and after.group(1) not in UNIT_SECONDS:
                continue                               # "2 people": a count, not a time
        mentions.append(TimeMention(m.start(), m.end(), seconds, fixed, m.group("unit")))
    return mentions


def parse_free_text(text: str) -> Reading:
    """Times in prose: ranges (X-Y, X to Y, between X and Y, from X until Y), "starts at X ...
    ends at Y", and points ("at X seconds", "around the X-second mark", "at 1:05")."""
    mentions = time_mentions(text)
    if not mentions:
        if DECIMAL_COMMA.search(text):
            return failed("ambiguous", "a decimal comma or thousands separator (4,5 s?)",
                          "free_text")
        return failed("no_time_found", "no time expression in the answer", None)
    predictions: list[Prediction] = []
    pending_start: TimeMention | None = None
    k = 0
    previous_stop = 0
    while k < len(mentions):
        m = mentions[k]
        before = text[previous_stop:m.start]
        if text[m.start - 1: m.start] == "-" and not text[m.start - 2: m.start - 1].isalnum():
            return failed("negative", f"-{text[m.start:m.stop]} is a negative time", "free_text")
        if k + 1 < len(mentions):
            n = mentions[k + 1]
            between = text[m.stop:n.start].strip()
            is_between = between == "and" and re.search(r"between\s+(?:the\s+)?$", before)
            if between in RANGE_WORDS - {"and"} or is_between:
                first, second = m.seconds, n.seconds
                if not m.fixed and n.fixed:            # "4.1-4.3 s": the unit covers both
                    first = m.seconds * (UNIT_SECONDS[n.unit] if n.unit else 1.0)
                predictions.append(Prediction("interval", first, second, "free_text"))
                pending_start = None
                previous_stop = n.stop
                k += 2
                continue
        if DURATION_WORDS.search(before):
            pass
        elif START_WORDS.search(before):
            pending_start = m
        elif END_WORDS.search(before) and pending_start is not None:
            predictions.append(Prediction("interval", pending_start.seconds, m.seconds,
                                          "free_text"))
            pending_start = None
        elif m.fixed or POINT_WORDS.search(before) or MARK_AFTER.match(text, m.stop):
            predictions.append(Prediction("point", m.seconds, m.seconds, "free_text"))
        previous_stop = m.stop
        k += 1
    if pending_start is not None and not predictions:
        predictions.append(Prediction("point", pending_start.seconds, pending_start.seconds,
                                      "free_text"))
    if not predictions:
        return failed("no_time_found", "numbers, but none written as a time", "free_text")
    return Reading(tuple(predictions), None, "free_text")


def parse_grounding(text: str, duration: float | None = None,
                    policy: ParsePolicy = ParsePolicy()) -> Reading:
    """Read one model answer: JSON first, then <time> tokens, then free text; then apply the
    policies (reversed, negative, out of range, not finite). Predictions keep the answer's
    order; the first interval is the top-1 answer."""
    if not text or not text.strip():
        return failed("empty", "the answer is empty")
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    for reader in (parse_json_answer, parse_time_tokens):
        reading = reader(text)
        if reading is not None:
            break
    else:
        reading = parse_free_text(text.translate(DASHES).lower())
    if reading.failure is not None:
        return reading
    return check_times(list(reading.predictions), duration, policy, reading.format or "free_text")


# Scoring ---------------------------------------------------------------------------------------


def interval_iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Temporal IoU. Two zero-length intervals: 1 if they coincide, else 0 (no 0/0)."""
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    if union <= 0:
        return 1.0 if a == b else 0.0
    return inter / union


def distance_to_interval(t: float, start: float, end: float) -> float:
    return max(0.0, start - t, t - end)


class GroundTruth(NamedTuple):
    start: float
    end: float
    event: str | None = None
    duration: float | None = None
    windows: tuple[tuple[float, float], ...] = ()   # several true windows (QVHighlights)

    def all_windows(self) -> tuple[tuple[float, float], ...]:
        return self.windows or ((self.start, self.end),)


class ItemScore(NamedTuple):
    format: str | None
    parsed: bool
    failure: str | None
    hit: dict                      # tolerance -> bool
    abs_error_s: float | None
    iou: float
    recall: dict                   # k -> best IoU among the first k intervals


def score_item(reading: Reading, truth: GroundTruth, tolerances: tuple[float, ...],
               point_as_interval: float | None = None) -> ItemScore:
    """Score one reading against the truth; an unread answer scores 0 everywhere."""
    windows = truth.all_windows()
    if reading.failure is not None or not reading.predictions:
        return ItemScore(reading.format, False, reading.failure[0] if reading.failure else
                         "no_time_found", {t: False for t in tolerances}, None, 0.0,
                         {k: 0.0 for k in RECALL_KS})
    top = reading.predictions[0]
    error = min(distance_to_interval(top.middle, s, e) for s, e in windows)
    hits = {t: error <= t + IOU_EPSILON for t in tolerances}
    ious = []
    for p in reading.predictions:
        if p.kind == "interval":
            span = (p.start, p.end)
        elif point_as_interval is not None:
            span = (p.start - point_as_interval / 2, p.start + point_as_interval / 2)
        else:
            ious.append(0.0)
            continue
        ious.append(max(interval_iou(span, w) for w in windows))
    recall = {k: max(ious[:k]) for k in RECALL_KS}
    return ItemScore(reading.format, True, None, hits, error, ious[0], recall)


@dataclass
class Tally:
    """Running sums of ItemScores: constant memory however many answers stream past."""
    tolerances: tuple[float, ...]
    n: int = 0
    parsed: int = 0
    hits: dict = None
    error_sum: float = 0.0
    iou_sum: float = 0.0
    r1: dict = None
    recall: dict = None
    failures: dict = None

    def __post_init__(self):
        self.hits = {t: 0 for t in self.tolerances}
        self.r1 = {t: 0 for t in IOU_THRESHOLDS}
        self.recall = {k: 0 for k in RECALL_KS}
        self.failures = {}

    def add(self, score: ItemScore) -> None:
        self.n += 1
        if score.parsed:
            self.parsed += 1
            self.error_sum += score.abs_error_s
            for t, hit in score.hit.items():
                self.hits[t] += hit
            iou = score.iou
            self.iou_sum += iou
            for t in IOU_THRESHOLDS:
                self.r1[t] += iou >= t - IOU_EPSILON
            for k, best in score.recall.items():
                self.recall[k] += best >= 0.5 - IOU_EPSILON
        else:
            self.failures[score.failure] = self.failures.get(score.failure, 0) + 1

    def merge(self, other: "Tally") -> None:
        self.n += other.n
        self.parsed += other.parsed
        self.error_sum += other.error_sum
        self.iou_sum += other.iou_sum
        for mine, theirs in ((self.hits, other.hits), (self.r1, other.r1),
                             (self.recall, other.recall), (self.failures, other.failures)):
            for key, value in theirs.items():
                mine[key] = mine.get(key, 0) + value

    def summary(self) -> dict:
        n = self.n or 1
        return {"n": self.n, "parsed": self.parsed, "parse_rate": self.parsed / n if self.n else None,
                "accuracy": {f"{t:g}": self.hits[t] / n if self.n else None for t in self.tolerances},
                "mean_abs_error_s": self.error_sum / self.parsed if self.parsed else None,
                "r1": {f"{t:g}": self.r1[t] / n if self.n else None for t in IOU_THRESHOLDS},
                "miou": self.iou_sum / n if self.n else None,
                "recall_at_k_iou_0.5": {str(k): self.recall[k] / n if self.n else None
                                        for k in RECALL_KS},
                "failures": dict(sorted(self.failures.items()))}


# lmms-eval compatibility -----------------------------------------------------------------------
# lmms-eval's Charades-STA task (lmms_eval/tasks/charades_sta/utils.py, 0.7 series) reads an
# answer like this, quirks included: "to" becomes "-" everywhere (even inside words), only the
# first number of each keyword sentence counts (so one-line JSON and "starts at 12 and ends at
# 16" fail), "24.3s" reads as 24, "2023-05-01" reads as 5-2023, reversed pairs are swapped,
# an unread answer scores IoU 0, thresholds compare without tolerance, results are percentages.
# (It also keys answers by video, caption and truth, so a repeated question counts once; here
# every line counts.)

LMMS_PROMPT_EXAMPLE = "a specific example is : 20.8 - 30.0 seconds"
LMMS_KEYWORDS = ("starts", "ends", "happens in", "start time", "end time", "start", "end", "happen")
LMMS_CLOCK_RANGE = re.compile(r"\b(\d{1,2}:\d{2}(?::\d{2})?)\s*[–-]\s*(\d{1,2}:\d{2}(?::\d{2})?)\b")
LMMS_RANGE = re.compile(r"(\d+(?:\.\d+)?)\s*[–-]\s*(\d+(?:\.\d+)?)")
LMMS_NUMBER = re.compile(r"\b(\d+(?:\.\d+)?)\b")
LMMS_CLOCK = re.compile(r"\b(\d{1,2}:\d{2}(?::\d{2})?)\b")
LMMS_FALLBACK = re.compile(r"(\d+(?:\.\d+)?)\s*s?\s*[–-]\s*(\d+(?:\.\d+)?)\s*s?")


def lmms_clock_seconds(text: str) -> float:
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


def lmms_eval_iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    union = max(a[1], b[1]) - min(a[0], b[0])
    return 0.0 if union <= 0 else max(min(a[1], b[1]) - max(a[0], b[0]), 0) / union



# Reading evaluation files ----------------------------------------------------------------------
# Predictions: JSONL, one object per line. Our own lines carry the truth: {"id", "output",
# "gt": [s, e] or {"start", "end", "event"}, "duration"?}. Or give --gt in one of three public
# formats; ids are matched as documented in GT_FORMATS.

GT_FORMATS = {
    "charades": "Charades-STA text, `vid start end##sentence`; prediction id = vid#n, n the "
                "0-based order of that video's queries in the file",
    "activitynet": "ActivityNet Captions JSON {vid: {duration, timestamps, sentences}}; "
                   "prediction id = vid#n, n the index of the sentence",
    "qvhighlights": "QVHighlights JSONL {qid, duration, relevant_windows}; prediction id = qid, "
                    "answers as text `output` or ranked `pred_relevant_windows` [[s, e, score]]",
}
MAX_BAD_LINES_SHOWN = 50


def truth_from_value(value: object, where: str) -> GroundTruth:
    if isinstance(value, dict):
        start, end, event = value.get("start"), value.get("end"), value.get("event")
    elif isinstance(value, list) and len(value) == 2:
        (start, end), event = value, None
    else:
        raise UserError(f"{where}: gt must be [start, end] or {{start, end, event}}")
    if type(start) not in (int, float) or type(end) not in (int, float) or \
            not (0 <= start <= end < math.inf):
        raise UserError(f"{where}: gt needs finite 0 <= start <= end, got {value!r}")
    return GroundTruth(float(start), float(end), event if isinstance(event, str) else None)


def read_lines(path: str) -> Iterator[tuple[int, str]]:
    """(line number, text) of a text file or stdin, streamed; undecodable bytes replaced."""
    stream = sys.stdin if path == "-" else open(path, encoding="utf-8", errors="replace")
    try:
        for number, line in enumerate(stream, 1):
            yield number, line
    finally:
        if stream is not sys.stdin:
            stream.close()


def check_readable_file(path: str) -> None:
    if path == "-":
        return
    if os.path.isdir(path):
        raise UserError(f"{path}: is a folder, not a file")
    if not os.path.exists(path):
        raise UserError(f"{path}: no such file")
    if not os.path.isfile(path):
        raise UserError(f"{path}: not a regular file")


def read_text_file(path: str) -> str:
    """A whole (bounded) text file the user named; undecodable bytes replaced."""
    check_readable_file(path)
    with open(path, encoding="utf-8", errors="replace") as handle:
        text = handle.read(MAX_GT_BYTES + 1)
    if len(text) > MAX_GT_BYTES:
        raise UserError(f"{path}: over {MAX_GT_BYTES // 2**20} MB; this file is read whole")
    return text


def load_ground_truth(path: str) -> tuple[str, dict[str, GroundTruth]]:
    """(format name, id -> truth) of a Charades-STA, ActivityNet Captions or QVHighlights file."""
    text = read_text_file(path)
    stripped = text.lstrip()
    truths: dict[str, GroundTruth] = {}
    try:
        data = json.loads(text) if stripped.startswith("{") else None
    except ValueError:
        data = None
    if isinstance(data, dict) and data and all(isinstance(v, dict) and "timestamps" in v
                                               for v in data.values()):
        for vid, entry in data.items():
            duration = entry.get("duration")
            duration = float(duration) if isinstance(duration, (int, float)) else None
            sentences = entry.get("sentences") if isinstance(entry.get("sentences"), list) else []
            if not isinstance(entry["timestamps"], list):
                raise UserError(f"{path}: video {vid!r}: timestamps must be a list")
            for n, span in enumerate(entry["timestamps"]):
                sentence = sentences[n] if n < len(sentences) and isinstance(sentences[n], str) \
                    else None
                truth = truth_from_value(span, f"{path}: {vid}#{n}")
                truths[f"{vid}#{n}"] = GroundTruth(truth.start, truth.end, sentence, duration)
        return "activitynet", truths
    if stripped.startswith("{"):
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                windows = tuple((float(s), float(e)) for s, e in item["relevant_windows"])
                qid = str(item["qid"])
            except (ValueError, KeyError, TypeError) as error:
                raise UserError(f"{path}:{number}: not a QVHighlights line ({error})") from None
            if not windows or any(not (0 <= s <= e) for s, e in windows):
                raise UserError(f"{path}:{number}: relevant_windows need 0 <= start <= end")
            duration = item.get("duration")
            truths[qid] = GroundTruth(windows[0][0], windows[0][1], item.get("query"),
                                      float(duration) if isinstance(duration, (int, float)) else None,
                                      windows)
        return "qvhighlights", truths
    counts: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        head, sep, sentence = line.partition("##")
        parts = head.split()
        try:
            if not sep or len(parts) != 3:
                raise ValueError
            vid, start, end = parts[0], float(parts[1]), float(parts[2])
            truth = truth_from_value([start, end], f"{path}:{number}")
        except ValueError:
            raise UserError(f"{path}:{number}: expected `vid start end##sentence`, "
                            f"got {line[:60]!r}") from None
        n = counts.get(vid, 0)
        counts[vid] = n + 1
        truths[f"{vid}#{n}"] = GroundTruth(truth.start, truth.end, sentence.strip())
    if not truths:
        raise UserError(f"{path}: no ground truth in this file")
    return "charades", truths


def load_durations(path: str) -> dict[str, float]:
    """{id: seconds} from a JSON object or JSONL lines {"id", "duration"}."""
    text = read_text_file(path)
    try:
        data = json.loads(text)
        items = data.items() if isinstance(data, dict) else None
    except ValueError:
        items = None
    if items is None:
        items = []
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    row = json.loads(line)
                    items.append((str(row["id"]), row["duration"]))
                except (ValueError, KeyError, TypeError):
                    raise UserError(f"{path}:{number}: expected {{\"id\", \"duration\"}}") from None
    durations = {}
    for key, value in items:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not \
                (math.isfinite(value) and value > 0):
            raise UserError(f"{path}: duration of {key!r} must be a positive number")
        durations[str(key)] = float(value)
    return durations


MAX_GT_BYTES = 512 * 2**20


@dataclass(frozen=True)
class EvalOptions:
    tolerance: float = DEFAULT_TOLERANCE_S
    policy: ParsePolicy = ParsePolicy()
    point_as_interval: float | None = None
    compat: str | None = None
    details: bool = False


def windows_reading(value: object) -> Reading:
    """QVHighlights-style ranked [[start, end, score], ...] as a reading."""
    if not isinstance(value, list):
        return failed("missing_field", "pred_relevant_windows is not a list", "windows")
    predictions = []
    for window in value:
        if not (isinstance(window, list) and len(window) >= 2 and
                all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in window[:3])):
            return failed("missing_field", f"window {window!r} is not [start, end, score]",
                          "windows")
        score = float(window[2]) if len(window) > 2 else None
        predictions.append(Prediction("interval", float(window[0]), float(window[1]),
                                      "windows", None, score))
    if not predictions:
        return failed("no_time_found", "no windows", "windows")
    return Reading(tuple(predictions), None, "windows")


def evaluate_lines(lines: Iterable[tuple[int, str]], truths: dict[str, GroundTruth] | None,
                   durations: dict[str, float], options: EvalOptions) -> dict:
    """Score a stream of prediction lines. Bad lines are reported and skipped; memory holds
    running sums (and the ids seen, to report truth without predictions)."""
    tolerances = (options.tolerance,)
    overall = Tally(tolerances)
    by_format: dict[str, Tally] = {}
    bad_lines: list[dict] = []
    bad_count = 0
    seen: set[str] = set()
    without_truth: list[str] = []
    details: list[dict] = []
    compat_ious: list[float] = []
    compat_parsed = 0

    def bad(number: int, reason: str) -> None:
        nonlocal bad_count
        bad_count += 1
        if len(bad_lines) < MAX_BAD_LINES_SHOWN:
            bad_lines.append({"line": number, "reason": reason})

    for number, line in lines:
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as error:
            bad(number, f"not JSON ({error.args[0][:60]})")
            continue
        except RecursionError:
            bad(number, "not JSON (nested too deeply)")
            continue
        if not isinstance(item, dict):
            bad(number, "not a JSON object")
            continue
        ident = item.get("id")
        if ident is None:
            ident = item.get("qid")
        ident = None if ident is None or isinstance(ident, (dict, list)) else str(ident)
        output = item.get("output")
        if output is None and "pred_relevant_windows" not in item:
            bad(number, "no `output` field")
            continue
        if output is not None and not isinstance(output, str):
            bad(number, "`output` is not a string")
            continue
        try:
            if truths is not None:
                truth = truths.get(ident) if ident is not None else None
                if truth is None:
                    if len(without_truth) < MAX_BAD_LINES_SHOWN:
                        without_truth.append(ident if ident is not None else f"line {number}")
                    continue
            else:
                if "gt" not in item:
                    bad(number, "no `gt` field (give --gt FILE for predictions without truth)")
                    continue
                truth = truth_from_value(item["gt"], f"line {number}")
        except ValueError as error:
            bad(number, str(error).split(": ", 1)[-1])
            continue
        if ident is not None:
            seen.add(ident)
        duration = item.get("duration")
        if type(duration) not in (int, float) or not 0 < duration < math.inf:
            duration = truth.duration
            if duration is None and durations and ident is not None:
                duration = durations.get(ident) or durations.get(ident.split("#")[0])
        if options.compat:
            found = lmms_eval_extract(output or "")
            compat_parsed += found is not None
            compat_ious.append(0.0 if found is None else lmms_eval_iou((truth.start, truth.end), found))
            continue
        reading = (parse_grounding(output, duration, options.policy) if output is not None
                   else windows_reading(item["pred_relevant_windows"]))
        score = score_item(reading, truth, tolerances, options.point_as_interval)
        shape = reading.format or "none"
        if shape not in by_format:
            by_format[shape] = Tally(tolerances)
        by_format[shape].add(score)
        if options.details:
            details.append({"line": number, "id": ident, **reading.as_dict(),
                            "iou": score.iou, "hit": score.hit[options.tolerance],
                            "abs_error_s": score.abs_error_s})
    unmatched = {"predictions_without_truth": without_truth,
                 "truth_without_predictions": sorted(set(truths) - seen)[:MAX_BAD_LINES_SHOWN]
                 if truths is not None else [],
                 "truth_without_predictions_count": len(set(truths) - seen) if truths else 0}
    if options.compat:
        n = len(compat_ious)
        percent = (lambda count: 100 * count / n if n else 0)
        return {"compat": options.compat, "n": n, "parsed": compat_parsed,
                "parse_rate": percent(compat_parsed),
                "r1": {f"{t:g}": percent(sum(1 for v in compat_ious if v >= t))
                       for t in IOU_THRESHOLDS},
                "miou": 100 * sum(compat_ious) / n if n else 0,
                "bad_lines": bad_lines, "bad_line_count": bad_count, **unmatched}
    for tally in by_format.values():
        overall.merge(tally)
    summary = overall.summary()
    doc = {"n": summary["n"], "parsed": summary["parsed"], "parse_rate": summary["parse_rate"],
           "tolerance_s": options.tolerance,
           "accuracy": summary["accuracy"][f"{options.tolerance:g}"],
           "mean_abs_error_s": summary["mean_abs_error_s"], "r1": summary["r1"],
           "miou": summary["miou"], "recall_at_k_iou_0_5": summary["recall_at_k_iou_0.5"],
           "by_format": {}, "failures": summary["failures"],
           "bad_lines": bad_lines, "bad_line_count": bad_count, **unmatched}
    for name, tally in sorted(by_format.items()):
        part = tally.summary()
        doc["by_format"][name] = {"n": part["n"], "parsed": part["parsed"],
                                  "parse_rate": part["parse_rate"],
                                  "accuracy": part["accuracy"][f"{options.tolerance:g}"],
                                  "miou": part["miou"], "r1": part["r1"]}
    if options.details:
        doc["details"] = details
    return doc


# JSON Schema for grounding answers (exercise 3) -----------------------------------------------

GROUNDING_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://example.invalid/video-vlm-lab/grounding-answer.schema.json",
    "title": "Temporal grounding answer",
    "description": "A list of events with start and end in seconds (start <= end, checked by "
                   "the validator as x-start-le-end), or an error a model may state instead.",
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
        results = [validate(value, option, root, path) for option in schema["oneOf"]]
        passing = sum(1 for r in results if not r)
        if passing == 1:
            return []
        if passing > 1:
            return [(path, "matches more than one allowed shape")]
        # Report against the shape of the same type: its problems are the useful ones.
        same_type = [r for r in results if not (r[0][0] == path and r[0][1].startswith("expected "))]
        return min(same_type or results, key=len)
    problems: list[tuple[str, str]] = []
    if "type" in schema and not schema_type_ok(value, schema["type"]):
        return [(path, f"expected {schema['type']}, got {type(value).__name__}")]
    if "enum" in schema and value not in schema["enum"]:
        problems.append((path, f"must be one of {schema['enum']}, got {value!r}"))
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                problems.append((path, f"missing required field {key!r}"))
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


# ----------------------------------------------------------------------------------------------
# Compare
# The lesson's three designs run end to end on videos with known events: what each costs in
# tokens and how well it can say when. The reader is simulated; the parser and scorer are real.
# ----------------------------------------------------------------------------------------------
#
# The simulated reader. There is no VLM here. The reader sees perfectly: it knows whether a
# sampled frame shows the event (from the ground truth). All of its error comes from the two
# things the lesson is about: which frames were sampled, and what time the design's position
# encoding lets it express. It writes its answer as text in its design's format; the text goes
# through parse_grounding and score_item like any model's. An event that no sampled frame shows
# is missed, and the reader says so ("not found"), which scores as a failure.

NOMINAL_WIDTH, NOMINAL_HEIGHT, NOMINAL_FPS = 640, 360, 30.0   # capture size for token counts
COMPARE_TOLERANCES = (0.5, 2.0)
QFORMER_TIME_BINS = 3        # Video-LLaMA's reader can only say early / middle / late
EVENT_LABELS = ("jump", "turn", "sit", "wave", "fall", "run", "drop", "open", "throw", "clap")


@dataclass(frozen=True)
class CompareDesign:
    name: str
    model: str
    sampler: str                 # uniform, dynamic or qwen-uniform (the reference's 2 fps)
    frames: int | None           # for uniform samplers
    encoding: str                # qformer, learned, absolute, index
    answer_format: str           # free_text or json
    token_design: str            # the registry entry that prices it
    note: str


COMPARE_DESIGNS: dict[str, CompareDesign] = {d.name: d for d in (
    CompareDesign("video-llama", "Video-LLaMA", "uniform", VIDEO_LLAMA_CLIP_FRAMES, "qformer",
                  "free_text", "qformer", "Q-former queries: order squeezed into 32 tokens"),
    CompareDesign("video-llava", "Video-LLaVA", "uniform", VIDEO_LLAVA_FRAMES, "learned",
                  "free_text", "pooled", "learned frame-index table: frame i of 8"),
    CompareDesign("qwen2.5-vl", "Qwen2.5-VL", "dynamic", None, "absolute", "json", "qwen2.5-vl",
                  "dynamic FPS + time-aligned M-RoPE"),
    CompareDesign("ablation-dynamic-index", "abl: dynamic + index", "dynamic", None,
                  "index", "json", "qwen2.5-vl", "Qwen2-VL-style positions assume even spacing"),
    CompareDesign("ablation-uniform-absolute", "abl: uniform + time", "qwen-uniform", None,
                  "absolute", "json", "qwen2.5-vl", "the reference's uniform frames"),
    CompareDesign("ablation-uniform-index", "abl: uniform + index", "qwen-uniform", None,
                  "index", "json", "qwen2.5-vl", "index positions are right when spacing is even"),
    CompareDesign("ablation-video-llava-32", "abl: Video-LLaVA 32", "uniform", 32, "learned",
                  "free_text", "pooled", "table assumed retrained to 32 rows"),
)}
ENCODING_NAMES = {"qformer": "none (Q-former)", "learned": "frame-index table",
                  "absolute": "time-aligned", "index": "index M-RoPE"}


@dataclass(frozen=True)
class SuiteVideo:
    scene: Scene
    nominal: VideoFacts          # the capture the token arithmetic prices


def nominal_facts(duration_s: float) -> VideoFacts:
    return VideoFacts(max(1, round(duration_s * NOMINAL_FPS)), NOMINAL_FPS, NOMINAL_WIDTH,
                      NOMINAL_HEIGHT)


def varied_scene(rng: random.Random, index: int, durations: tuple[float, ...]) -> Scene:
    """A seeded variation: calm or busy footage, 1-5 short events (0.2-2 s), 0-3 cuts."""
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
        if all(abs(start - e.start) > 4 for e in events):
            events.append(Event(rng.choice(EVENT_LABELS), start, round(start + length, 1)))
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


def compare_sample_times(design: CompareDesign, motion: MotionAnalysis,
                         windows: tuple[Window, ...], nominal: VideoFacts) -> list[float]:
    """Timestamps (seconds) of the frames a design samples from one video."""
    if design.sampler == "uniform":
        result = uniform_sample(motion, windows, design.frames or 16, FPS_MAX_FRAMES)
        return list(result.times)
    if design.sampler == "dynamic":
        result = dynamic_fps_sample(motion, windows, DEFAULT_MIN_FPS, DEFAULT_MAX_FPS,
                                    FPS_MAX_FRAMES)
        return list(result.times)
    plan = qwen_video_plan(nominal)       # the reference: uniform at 2 fps of the capture
    return [i / nominal.fps for i in plan["frame_indices"]]


def design_tokens(design: CompareDesign, frames: int, nominal: VideoFacts) -> int:
    if design.token_design == "qwen2.5-vl":
        even = frames + frames % 2        # the reference pads a frame list to even length
        return qwen_video_plan(nominal, QwenOptions(nframes=max(even, FRAME_FACTOR)))["visual_tokens"]
    return token_budget(design.token_design, nominal, DesignOptions(frames=frames)).visual_tokens


def perceived_units(design: CompareDesign, times: list[float],
                    duration: float) -> list[tuple[tuple[float, ...], float]]:
    """What the reader can tell: (true times of the frames in a unit, perceived start time).
    A unit is a frame, or for Qwen a 2-frame temporal patch; its perceived time is what the
    design's positions let the reader say."""
    count = len(times)
    if design.encoding in ("learned", "qformer"):
        units = []
        for i, t in enumerate(times):
            if design.encoding == "learned":     # frame i of N, N spread evenly over the video
                perceived = (i + 0.5) * duration / count
            else:                                # only which third of the video
                third = min(QFORMER_TIME_BINS - 1, int(QFORMER_TIME_BINS * (i + 0.5) / count))
                perceived = (third + 0.5) * duration / QFORMER_TIME_BINS
            units.append(((t,), perceived))
        return units
    patches = temporal_positions(times)
    units = []
    for p in patches:
        frames = tuple(times[f] for f in p.frames)
        if design.encoding == "absolute":
            perceived = p.absolute_t / TOKENS_PER_SECOND
        else:                                    # index: patch k of P, assumed evenly spaced
            perceived = p.index_t * duration / len(patches)
        units.append((frames, perceived))
    return units


def reader_answer(design: CompareDesign, event: Event, units: list[tuple[tuple[float, ...], float]],
                  duration: float) -> tuple[str, bool]:
    """The simulated reader's answer in the design's output format, and whether any sampled
    frame showed the event."""
    seen = [k for k, (frames, _) in enumerate(units)
            if any(event.start <= t < event.end for t in frames)]
    if not seen:
        if design.answer_format == "json":
            return json.dumps({"error": "not_found"}), False
        return f"I could not find the {event.label} in the frames I was shown.", False
    return written_answer(design, event, units, seen, duration), True


def written_answer(design: CompareDesign, event: Event, units: list[tuple[tuple[float, ...], float]],
                   seen: list[int], duration: float) -> str:
    first, last = seen[0], seen[-1]
    if design.encoding == "qformer":
        where = ("early", "in the middle", "late")[min(2, int(units[first][1] * 3 / duration))]
        return (f"The {event.label} happens {where} in the video, around "
                f"{units[first][1]:.1f} seconds.")
    if design.encoding == "learned":
        if first == last:
            return f"The {event.label} happens around {units[first][1]:.1f} seconds."
        return (f"The {event.label} happens between {units[first][1]:.1f} and "
                f"{units[last][1]:.1f} seconds.")
    start = units[first][1]
    end = units[last + 1][1] if last + 1 < len(units) else duration
    return json.dumps({"event": event.label, "start": round(start, 2),
                       "end": round(max(end, start), 2)})


@dataclass
class DesignTotals:
    videos: int = 0
    frames: int = 0
    tokens: int = 0
    seconds: float = 0.0
    missed: int = 0
    tally: Tally | None = None


def read_video_with(design: CompareDesign, motion: MotionAnalysis, windows: tuple[Window, ...],
                    events: tuple[Event, ...], nominal: VideoFacts
                    ) -> tuple[list[float], list[tuple[Reading, bool]]]:
    """One design on one video: the sampled times, and per event the parsed answer and
    whether any sampled frame showed the event."""
    duration = motion.duration_s
    times = compare_sample_times(design, motion, windows, nominal)
    units = perceived_units(design, times, duration)
    readings = []
    for event in events:
        answer, shown = reader_answer(design, event, units, duration)
        readings.append((parse_grounding(answer, duration), shown))
    return times, readings


def run_compare(videos: list[tuple[str, MotionAnalysis, tuple[Event, ...], VideoFacts]],
                designs: list[CompareDesign]) -> dict[str, DesignTotals]:
    """Every design on every video: sample, price, read each event, parse, score."""
    totals = {d.name: DesignTotals(tally=Tally(COMPARE_TOLERANCES)) for d in designs}
    for name, motion, events, nominal in videos:
        windows = motion_windows(motion.scores, motion.fps, DEFAULT_WINDOW_S)
        for design in designs:
            total = totals[design.name]
            times, readings = read_video_with(design, motion, windows, events, nominal)
            total.videos += 1
            total.frames += len(times)
            total.tokens += design_tokens(design, len(times), nominal)
            total.seconds += motion.duration_s
            for event, (reading, shown) in zip(events, readings):
                total.missed += not shown
                total.tally.add(score_item(reading, GroundTruth(event.start, event.end),
                                           COMPARE_TOLERANCES))
    return totals


def compare_rows(designs: list[CompareDesign], totals: dict[str, DesignTotals]) -> list[dict]:
    rows = []
    for d in designs:
        t = totals[d.name]
        summary = t.tally.summary()
        sampler = {"uniform": f"uniform {d.frames}", "dynamic": "dynamic 1-4 fps",
                   "qwen-uniform": "uniform 2 fps"}[d.sampler]
        rows.append({"name": d.name, "model": d.model, "note": d.note, "sampler": sampler, "temporal_encoding": ENCODING_NAMES[d.encoding],
                     "frames": t.frames / t.videos, "visual_tokens": t.tokens / t.videos,
                     "tokens_per_second": t.tokens / t.seconds, "answer_format": d.answer_format,
                     "parse_rate": summary["parse_rate"],
                     "accuracy": {f"{tol:g}": summary["accuracy"][f"{tol:g}"]
                                  for tol in COMPARE_TOLERANCES},
                     "r1_iou_0_5": summary["r1"]["0.5"], "miou": summary["miou"],
                     "events_missed": t.missed, "events": summary["n"],
                     "tokens_per_correct": (t.tokens / (summary["accuracy"]["0.5"] * summary["n"])
                                            if summary["accuracy"]["0.5"] else None)})
    return rows


def compare_findings(rows: list[dict]) -> list[str]:
    """Plain sentences, each computed from the rows it speaks about."""
    by_name = {r["name"]: r for r in rows}
    findings = []
    scored = [r for r in rows if r["tokens_per_correct"] is not None]
    if scored:
        cheapest = min(scored, key=lambda r: r["tokens_per_correct"])
        findings.append(f"Cheapest per correct answer (within 0.5 s): {cheapest['model']}, "
                        f"{cheapest['tokens_per_correct']:,.0f} visual tokens per hit.")
    best = max(rows, key=lambda r: r["accuracy"]["0.5"])
    fewest = min(rows, key=lambda r: r["visual_tokens"])
    findings.append(f"Most accurate within 0.5 s: {best['model']} ({100 * best['accuracy']['0.5']:.0f}%); "
                    f"fewest tokens: {fewest['model']} ({fewest['visual_tokens']:,.0f} per video, "
                    f"{100 * fewest['accuracy']['0.5']:.0f}% within 0.5 s).")
    pairs = (("qwen2.5-vl", "ablation-dynamic-index", "dynamic"),
             ("ablation-uniform-absolute", "ablation-uniform-index", "uniform"))
    for absolute, index, how in pairs:
        if absolute in by_name and index in by_name:
            a, i = by_name[absolute]["accuracy"]["0.5"], by_name[index]["accuracy"]["0.5"]
            findings.append(f"With {how} sampling, index positions instead of time-aligned ones "
                            f"change accuracy within 0.5 s from {100 * a:.0f}% to {100 * i:.0f}% "
                            f"({100 * (i - a):+.0f} points).")
    if "video-llava" in by_name and "ablation-video-llava-32" in by_name:
        eight, more = by_name["video-llava"], by_name["ablation-video-llava-32"]
        findings.append(f"Video-LLaVA's samples miss {eight['events_missed']} of {eight['events']} events "
                        f"with 8 frames and {more['events_missed']} with 32, at "
                        f"{more['visual_tokens'] / eight['visual_tokens']:.0f}x the tokens.")
    return findings


def load_events_file(path: str) -> tuple[Event, ...]:
    """A user's ground truth: a JSON list of {"event", "start", "end"}."""
    text = read_text_file(path)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise UserError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(data, list) or not data:
        raise UserError(f"{path}: expected a non-empty JSON list of {{event, start, end}}")
    events = []
    for k, item in enumerate(data):
        where = f"{path}: item {k}"
        if not isinstance(item, dict) or not isinstance(item.get("event"), str):
            raise UserError(f"{where}: needs a string `event`")
        truth = truth_from_value({"start": item.get("start"), "end": item.get("end")}, where)
        if truth.end <= truth.start:
            raise UserError(f"{where}: end must be after start")
        events.append(Event(item["event"], truth.start, truth.end))
    return tuple(events)


# ----------------------------------------------------------------------------------------------
# Plan, skill and exercises
# The frame planner as tables of rules (plan and the generated skill file read the same
# tables), and the lesson's five exercises worked with live numbers.
# ----------------------------------------------------------------------------------------------

TASKS = ("monitoring", "action-recognition", "temporal-grounding", "summarization", "agent-replay")
PLAN_ENCODER_SIZE, PLAN_PATCH = 336, 14          # CLIP ViT-L/14 at 336: a 24x24 patch grid
POOLING_CHOICES = (2, 3, 4, 6)
DEFAULT_MODEL_SIZE_B = 7.0
SMALL_MODEL_B = 3.0                               # below this: a learned temporal embedding
SINGLE_CLIP_S = 30.0                              # action recognition on a clip this short
ACTION_MEDIAN_MOTION = 0.015                      # median window motion of action-heavy video
CINEMATIC_CUTS_PER_MIN = 2.0
BURST_RATIO = 5.0                                 # busiest window vs median: rare events
MIXED_RATIO = 2.0                                 # 90th percentile vs median: mixed motion
MOTION_FLOOR = 0.001
SKILL_FILE = "skill-video-vlm-frame-planner.md"
SKILL_VERSION = "1.0.0"

# What the planner assumes about a task's footage when no video is measured.
TASK_CONTENT = {"monitoring": "bursty", "action-recognition": "action-heavy",
                "temporal-grounding": "mixed", "summarization": "cinematic",
                "agent-replay": "steady"}
SAMPLER_FOR_CONTENT = {
    "steady": ("uniform", "steady content: even coverage loses nothing"),
    "mixed": ("dynamic", "mixed motion: spend frames where things move (1-4 fps)"),
    "action-heavy": ("event", "action-heavy: dense bursts around actions; uniform would alias them"),
    "bursty": ("event", "rare short events in calm footage: sample densely only around them"),
    "cinematic": ("keyframe", "cinematic: a keyframe per shot plus context frames"),
}
# Frames per second each sampler spends, for an estimate without a video (assumptions, said so).
ASSUMED_FPS = {"uniform": 1.0, "dynamic": (DEFAULT_MIN_FPS + DEFAULT_MAX_FPS) / 2,
               "event": DEFAULT_BASE_FPS + 0.1 * DEFAULT_BURST_FPS,      # 10% of time in bursts
               "keyframe": 4 / 60 * (1 + 2 * DEFAULT_KEYFRAME_CONTEXT)}  # 4 cuts a minute
PREFERRED_POOL = {"agent-replay": 2}              # screen text needs detail; others start at 3
OUTPUT_FORMAT = {
    "temporal-grounding": "JSON {event, start, end, confidence}",
    "action-recognition": "JSON {event, start, end, confidence}",
    "summarization": "free text",
    "monitoring": "time tokens (<time>s</time>) in mixed text",
    "agent-replay": "time tokens (<time>s</time>) in mixed text",
}
# Benchmarks and what each stresses, with the paper that introduced it.
BENCHMARKS = {
    "VideoMME": ("2405.21075", "short, medium and long video understanding (11 s to 1 h)"),
    "TempCompass": ("2403.00476", "fine-grained temporal order, speed and direction"),
    "EgoSchema": ("2308.09126", "long-horizon egocentric understanding"),
    "Video-MMMU": ("2501.13826", "knowledge acquired from lecture videos"),
    "Charades-STA": ("1705.02101", "temporal grounding of a sentence: start and end seconds"),
}
TASK_BENCHMARKS = {
    "monitoring": ("VideoMME", "TempCompass"),
    "action-recognition": ("TempCompass", "VideoMME"),
    "temporal-grounding": ("Charades-STA", "TempCompass"),
    "summarization": ("VideoMME", "EgoSchema"),
    "agent-replay": ("EgoSchema", "Video-MMMU"),
}


@dataclass(frozen=True)
class PlanRequest:
    task: str
    duration_s: float
    context: int = DEFAULT_CONTEXT_TOKENS
    model_size_b: float = DEFAULT_MODEL_SIZE_B
    target: str = "standard"
    max_fps: float = DEFAULT_MAX_FPS


@dataclass(frozen=True)
class Rule:
    key: str
    kind: str            # refuse: no plan; reject: never proposed; warn: a plan with a warning
    when: str
    reason: str
    instead: str
    applies: object      # PlanRequest, proposal dict -> bool


RULES: tuple[Rule, ...] = (
    Rule("long-video-small-context", "refuse",
         "duration over 10 minutes with a context under 32k tokens",
         "no frame budget covers that much video in that context without losing the events",
         "hierarchical summarization (summarize chunks, then the summaries) or agentic retrieval",
         lambda r, p: r.duration_s > 600 and r.context < 32768),
    Rule("frontier-with-open-7b", "refuse",
         "a frontier accuracy target with an open model of 7B or less",
         "open 7B video models trail frontier models on VideoMME; sampling cannot close that",
         "a 32B+ open model or a proprietary model",
         lambda r, p: r.target == "frontier" and r.model_size_b <= 7),
    Rule("fps-cap-too-high", "refuse",
         "a frame-rate cap (--max-fps) above 8 on a clip over 30 s with a 7B model",
         "a 7B model cannot use that many frames; the tokens crowd out the question",
         "a cap of at most 8 fps (4 is the lesson's dynamic-FPS ceiling)",
         lambda r, p: r.max_fps > 8 and r.duration_s > 30 and r.model_size_b <= 7),
    Rule("uniform-for-action", "reject",
         "uniform sampling for action-heavy video",
         "evenly spaced frames alias short actions: most fall between samples",
         "event-driven sampling",
         lambda r, p: p.get("content") == "action-heavy" and p.get("sampler") == "uniform"),
    Rule("video-llama-new-project", "reject",
         "Video-LLaMA for a new project",
         "its Q-former squeezes a clip into 32 queries and cannot say when (see compare)",
         "a Qwen2.5-VL-family model with time-aligned M-RoPE",
         lambda r, p: p.get("model", "").startswith("Video-LLaMA")),
    Rule("context-over-40", "warn",
         "visual tokens above 40% of the context",
         "the question, instructions and answer need room too (the lesson's 40% rule)",
         "coarser pooling, fewer frames, or a longer context",
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


def estimate_frames(sampler: str, request: PlanRequest, measured_frames: int | None) -> int:
    if measured_frames is not None:
        return measured_frames
    fps = min(ASSUMED_FPS[sampler], request.max_fps)
    return max(1, min(DEFAULT_MAX_FRAMES, round(request.duration_s * fps)))


def plan_video(request: PlanRequest, content: str | None = None, measured: dict | None = None,
               measured_frames: int | None = None) -> dict:
    """The plan for a task: sampler, pooling, encoding, format, benchmarks, tokens; or a
    refusal naming the rule and what to do instead."""
    if request.task not in TASKS:
        raise UserError(f"unknown task {request.task!r}; known: {', '.join(TASKS)}")
    content = content or TASK_CONTENT[request.task]
    sampler, sampler_reason = SAMPLER_FOR_CONTENT[content]
    frames = estimate_frames(sampler, request, measured_frames)
    facts = VideoFacts(max(1, round(request.duration_s * NOMINAL_FPS)), NOMINAL_FPS,
                       NOMINAL_WIDTH, NOMINAL_HEIGHT)
    preferred = PREFERRED_POOL.get(request.task, 3)
    budget = None
    for pool in [k for k in POOLING_CHOICES if k >= preferred]:
        budget = token_budget("pooled", facts, DesignOptions(
            frames=min(frames, facts.total_frames), image_size=PLAN_ENCODER_SIZE,
            patch=PLAN_PATCH, pool=pool, context=request.context))
        if budget.context_fraction <= CONTEXT_WARN_FRACTION:
            break
    if request.task == "action-recognition" and request.duration_s <= SINGLE_CLIP_S:
        encoding = "none (a single clip: order within it is enough)"
    elif request.model_size_b < SMALL_MODEL_B:
        encoding = "learned temporal embedding (small model)"
    else:
        encoding = "time-aligned M-RoPE (Qwen2.5-VL family)"
    model = (f"Qwen2.5-VL-family, {request.model_size_b:g}B" if request.model_size_b >= SMALL_MODEL_B
             else f"a small VLM ({request.model_size_b:g}B) with a learned temporal embedding")
    proposal = {"task": request.task, "content": content, "sampler": sampler,
                "sampler_reason": sampler_reason, "frames": frames,
                "pooling": f"{budget.details['pool']}x{budget.details['pool']}",
                "tokens_per_frame": budget.tokens_per_frame, "temporal_encoding": encoding,
                "model": model, "output_format": OUTPUT_FORMAT[request.task],
                "benchmarks": [{"name": name, "arxiv": BENCHMARKS[name][0],
                                "stresses": BENCHMARKS[name][1]}
                               for name in TASK_BENCHMARKS[request.task]],
                "tokens": budget.visual_tokens, "context": request.context,
                "context_fraction": budget.context_fraction, "measurement": measured,
                "warnings": [], "refused": False, "reasons": []}
    for rule in RULES:
        if rule.kind == "reject" and rule.applies(request, proposal):
            raise AssertionError(f"the planner proposed a hard reject: {rule.key}")
        if not rule.applies(request, proposal):
            continue
        text = f"{rule.when}: {rule.reason}; instead: {rule.instead}"
        if rule.kind == "refuse":
            proposal["refused"] = True
            proposal["reasons"].append(text)
        elif rule.kind == "warn":
            proposal["warnings"].append(text)
    return proposal


def plan_text(plan: dict) -> str:
    lines = [f"Plan for {plan['task']}: {plan['content']} content"]
    if plan["measurement"]:
        m = plan["measurement"]
        lines.append(f"  measured: median motion {m['median_window_motion']}, 90th percentile "
                     f"{m['p90_window_motion']}, {m['cuts_per_minute']} cuts/min -> {m['decided_by']}")
    if plan["refused"]:
        lines.append("REFUSED")
        lines += [f"  - {reason}" for reason in plan["reasons"]]
        return "\n".join(lines)
    lines += [
        f"1. sampler: {plan['sampler']} ({plan['sampler_reason']}), {plan['frames']} frames",
        f"2. pooling: {plan['pooling']} per frame ({plan['tokens_per_frame']:g} tokens per frame)",
        f"3. temporal encoding: {plan['temporal_encoding']}; model: {plan['model']}",
        f"4. output format: {plan['output_format']}",
        "5. benchmarks: " + "; ".join(f"{b['name']} (arXiv {b['arxiv']}): {b['stresses']}"
                                      for b in plan["benchmarks"]),
        f"6. tokens: {plan['tokens']:,} visual tokens, {100 * plan['context_fraction']:.1f}% of a "
        f"{plan['context']:,}-token context",
    ]
    lines += [f"warning: {w}" for w in plan["warnings"]]
    return "\n".join(lines)


SKILL_EXAMPLES = (("monitoring", 300.0), ("action-recognition", 20.0),
                  ("temporal-grounding", 120.0), ("summarization", 480.0), ("agent-replay", 240.0))


def render_skill() -> str:
    """The skill file, from the same tables plan reads. Nothing in it changes between runs."""
    lines = ["---", "name: video-vlm-frame-planner",
             "description: Pick the frame sampler, pooling, temporal encoding, output format and "
             "benchmarks for a video task, estimate its visual-token cost, and refuse plans that "
             "cannot work.",
             f"version: {SKILL_VERSION}", "phase: 12", "lesson: 17",
             "tags: [video, vlm, frame-sampling, visual-tokens, temporal-grounding, m-rope]",
             "---", "", "# Video VLM frame planner", "",
             "Generated by `python code/main.py skill` from the rule tables in `code/main.py`; "
             "`python code/main.py plan` applies the same tables. Do not edit by hand.", "",
             "## What the planner produces", "",
             "1. **Sampler**, from the footage (measured with `--video`/`--synth`, else assumed "
             "from the task):", ""]
    lines += [f"   - {content}: `{sampler}`, {why}" for content, (sampler, why) in
              SAMPLER_FOR_CONTENT.items()]
    lines += ["", f"2. **Pooling** of the {PLAN_ENCODER_SIZE // PLAN_PATCH}x"
              f"{PLAN_ENCODER_SIZE // PLAN_PATCH} patch grid per frame: 2x2 for high detail "
              "(agent replay), 3x3 by default, 4x4 or 6x6 when coverage matters more than detail "
              f"(the finest that keeps video under {CONTEXT_WARN_FRACTION:.0%} of the context).",
              f"3. **Temporal encoding**: time-aligned M-RoPE for Qwen2.5-VL-family models, a "
              f"learned temporal embedding for models under {SMALL_MODEL_B:g}B, none for a single "
              f"clip of at most {SINGLE_CLIP_S:g} s.",
              "4. **Output format**: " + "; ".join(f"{t}: {f}" for t, f in OUTPUT_FORMAT.items()) + ".",
              "5. **Benchmarks**: " + "; ".join(f"{n} (arXiv {a}): {s}"
                                               for n, (a, s) in BENCHMARKS.items()) + ".",
              "6. **Token estimate** from the token-budget arithmetic, with its share of the "
              "context.", "", "## Hard rejects and refusals", "",
              "| rule | kind | when | why | instead |", "|---|---|---|---|---|"]
    lines += [f"| `{r.key}` | {r.kind} | {r.when} | {r.reason} | {r.instead} |" for r in RULES]
    lines += ["", "Refusals end with exit status 0 and a plan that says REFUSED; hard rejects are "
              "never proposed.", "", "## Worked examples", "",
              "Computed by `plan` with its defaults (7B model, 32,768-token context, 4 fps cap):", "",
              "| task | duration | sampler | frames | pooling | tokens | of context | format |",
              "|---|---|---|---|---|---|---|---|"]
    for task, duration in SKILL_EXAMPLES:
        p = plan_video(PlanRequest(task, duration))
        lines.append(f"| {task} | {duration:g} s | {p['sampler']} | {p['frames']} | {p['pooling']} "
                     f"| {p['tokens']:,} | {100 * p['context_fraction']:.1f}% | {p['output_format']} |")
    refused = plan_video(PlanRequest("summarization", 1200.0, context=16384))
    lines += ["", f"A 20-minute summary with a 16k context is refused: {refused['reasons'][0]}.",
              "", "## References", "",
              "- Qwen2.5-VL Technical Report, arXiv 2502.13923",
              "- Video-LLaMA, arXiv 2306.02858",
              "- Video-LLaVA: Learning United Visual Representation by Alignment Before "
              "Projection, arXiv 2311.10122", ""]
    return "\n".join(lines)


# Exercise 5: the VideoMME gap. The tool cannot fetch a leaderboard; these are the only rows it
# ships, each with the published source it was checked against.
VIDEOMME_COLUMNS = ("model", "access", "params_b", "temporal_encoding", "videomme", "source")
VIDEOMME_EXAMPLE = (
    ("Gemini 1.5 Pro", "proprietary", "", "unknown", "75.0",
     "Video-MME paper, arXiv 2405.21075 (abstract: average accuracy 75%)"),
    ("GPT-4o", "proprietary", "", "unknown", "71.9",
     "Video-MME paper, arXiv 2405.21075 (abstract: 71.9%)"),
)


def read_scores(path: str) -> list[dict]:
    check_readable_file(path)
    import csv
    with open(path, encoding="utf-8", errors="replace", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in VIDEOMME_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise UserError(f"{path}: missing column(s) {', '.join(missing)}; "
                            f"expected {','.join(VIDEOMME_COLUMNS)}")
        rows = []
        for number, row in enumerate(reader, 2):
            try:
                score = float(row["videomme"])
                params = float(row["params_b"]) if row["params_b"].strip() else None
            except ValueError:
                raise UserError(f"{path}:{number}: videomme and params_b must be numbers") from None
            if row["access"] not in ("open", "proprietary") or not 0 <= score <= 100:
                raise UserError(f"{path}:{number}: access must be open or proprietary, "
                                "videomme a percentage")
            rows.append({**row, "videomme": score, "params_b": params})
    if not rows:
        raise UserError(f"{path}: no rows")
    return rows


def videomme_gap(rows: list[dict]) -> dict:
    """The gap between the best proprietary and best open model, and what the rows allow to
    say about how much of it is temporal encoding and how much is scale."""
    open_rows = [r for r in rows if r["access"] == "open"]
    closed = [r for r in rows if r["access"] == "proprietary"]
    result: dict = {"best_open": None, "best_proprietary": None, "gap": None,
                    "scale_points_per_doubling": None, "encoding_points": None, "notes": []}
    if closed:
        result["best_proprietary"] = max(closed, key=lambda r: r["videomme"])["model"]
    if open_rows:
        result["best_open"] = max(open_rows, key=lambda r: r["videomme"])["model"]
    if not open_rows or not closed:
        result["notes"].append("the gap needs at least one open and one proprietary row")
        return result
    best_open = max(open_rows, key=lambda r: r["videomme"])
    best_closed = max(closed, key=lambda r: r["videomme"])
    result["gap"] = best_closed["videomme"] - best_open["videomme"]
    same = [r for r in open_rows if r["temporal_encoding"] == best_open["temporal_encoding"]
            and r["params_b"]]
    if len({r["params_b"] for r in same}) >= 2:
        xs = [math.log2(r["params_b"]) for r in same]
        ys = [r["videomme"] for r in same]
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
        result["scale_points_per_doubling"] = slope
    else:
        result["notes"].append("scale: needs open rows of one encoding at two or more sizes")
    pairs = [(a, b) for a in open_rows for b in open_rows
             if a["temporal_encoding"] == "time-aligned" and b["temporal_encoding"] not in
             ("time-aligned", "unknown") and a["params_b"] and b["params_b"]
             and 0.5 <= a["params_b"] / b["params_b"] <= 2]
    if pairs:
        result["encoding_points"] = sum(a["videomme"] - b["videomme"] for a, b in pairs) / len(pairs)
    else:
        result["notes"].append("encoding: needs open time-aligned and other-encoding rows of "
                               "similar size (within 2x)")
    return result


# ----------------------------------------------------------------------------------------------
# Rendering
# Plain-text output (aligned tables, sparklines, the one-line timeline) and SVG pictures
# (a timeline of motion, events, cuts and samples; the compare picture).
# ----------------------------------------------------------------------------------------------

SPARK = "▁▂▃▄▅▆▇█"
TIMELINE_COLUMNS = 72


def format_table(headers: list[str], rows: list[list[object]]) -> str:
    """Columns aligned; numbers right, text left."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[k]) for r in cells) for k in range(len(headers))]
    numeric = [all(isinstance(row[k], (int, float)) for row in rows) for k in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        parts = [c.rjust(widths[k]) if numeric[k] else c.ljust(widths[k]) for k, c in enumerate(row)]
        lines.append("  ".join(parts).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def sparkline(values: list[float], peak: float | None = None) -> str:
    peak = max(values, default=0.0) if peak is None else peak
    if peak <= 0:
        return SPARK[0] * len(values)
    return "".join(SPARK[min(len(SPARK) - 1, int(v / peak * (len(SPARK) - 1) + 0.5))]
                   for v in values)


def timeline(scores: tuple[float, ...], fps: float, indices: tuple[int, ...] = (),
             columns: int = TIMELINE_COLUMNS) -> tuple[str, str]:
    """Motion sparkline over the whole video and, under it, sampled frames per column
    (blank none, 1-9, + for more)."""
    count = len(scores)
    columns = max(1, min(columns, count))
    bounds = [round(c * count / columns) for c in range(columns + 1)]
    motion = [max(scores[bounds[c]: bounds[c + 1]], default=0.0) for c in range(columns)]
    ticks = [0] * columns
    for i in indices:
        ticks[min(columns - 1, i * columns // max(count, 1))] += 1
    marks = "".join(" " if n == 0 else str(n) if n < 10 else "+" for n in ticks)
    return sparkline(motion), marks


def seconds(value: float) -> str:
    return f"{value:.2f}"


def timeline_lines(scores: tuple[float, ...], fps: float, results: list[SampleResult]) -> list[str]:
    """The motion sparkline and, under it, one row of sampled-frame counts per sampler."""
    width = max(len(label) for label in [r.strategy for r in results] + ["motion"])
    lines = [f"{'motion'.ljust(width)}  {timeline(scores, fps)[0]}"]
    lines += [f"{r.strategy.ljust(width)}  {timeline(scores, fps, r.indices)[1]}" for r in results]
    return lines


# SVG pictures. Plain text, deterministic (fixed float formatting, no timestamps), no external
# references. Colours are the Okabe-Ito palette (distinguishable with colour-blindness) and
# each sampler row also has its own marker shape, so the picture survives greyscale.

SVG_WIDTH = 960
SVG_CHAR_WIDTH = 7.6               # a generous average width of a 13 px character
SVG_RIGHT = 24
SVG_FONT = "font-family=\"DejaVu Sans, Arial, sans-serif\""
ROW_STYLES = (("#0072B2", "circle"), ("#D55E00", "square"), ("#009E73", "triangle"),
              ("#CC79A7", "diamond"), ("#E69F00", "circle"), ("#56B4E9", "square"),
              ("#000000", "triangle"))
EVENT_FILL = "#F0E442"
MAX_POINTS_PER_PIXEL = 2


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def num(value: float) -> str:
    """Coordinates with one decimal, always the same text for the same value."""
    text = f"{value:.1f}"
    return "0" if text == "-0.0" else text.rstrip("0").rstrip(".") if "." in text else text


def label_margin(labels: list[str]) -> int:
    """Left margin wide enough for the longest row label."""
    return int(24 + SVG_CHAR_WIDTH * max((len(label) for label in labels), default=10))


def svg_document(width: int, height: int, title: str, body: list[str]) -> str:
    return "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" {SVG_FONT} font-size="13">',
        f"<title>{esc(title)}</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        *body, "</svg>", ""])


def nice_step(span: float, target_ticks: int = 10) -> float:
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
    k = 0
    while k * step <= duration + 1e-9:
        t = k * step
        x = num(x_of(t))
        label = f"{t:g} s"
        parts.append(f'<line x1="{x}" y1="{num(top)}" x2="{x}" y2="{num(y)}" stroke="#e5e5e5"/>')
        parts.append(f'<line x1="{x}" y1="{num(y)}" x2="{x}" y2="{num(y + 5)}" stroke="#333333"/>')
        parts.append(f'<text x="{x}" y="{num(y + 19)}" text-anchor="middle">{esc(label)}</text>')
        k += 1
    return parts


def marker(shape: str, x: float, y: float, colour: str, css: str, extra: str = "") -> str:
    r = 4.5
    common = f'class="{css}" fill="{colour}" stroke="#000000" stroke-width="0.6"{extra}'
    if shape == "circle":
        return f'<circle cx="{num(x)}" cy="{num(y)}" r="{num(r)}" {common}/>'
    if shape == "square":
        return f'<rect x="{num(x - r)}" y="{num(y - r)}" width="{num(2 * r)}" height="{num(2 * r)}" {common}/>'
    if shape == "triangle":
        points = f"{num(x)},{num(y - r)} {num(x + r)},{num(y + r)} {num(x - r)},{num(y + r)}"
    else:
        points = f"{num(x)},{num(y - r)} {num(x + r)},{num(y)} {num(x)},{num(y + r)} {num(x - r)},{num(y)}"
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


def timeline_svg(name: str, motion: MotionAnalysis, windows: tuple[Window, ...],
                 cuts: tuple[Cut, ...], events: tuple[Event, ...],
                 rows: list[tuple[str, tuple[float, ...]]]) -> str:
    """Motion, cuts, events and one row of sample marks per (label, times) row."""
    duration = motion.duration_s
    left = label_margin([label for label, _ in rows] + ["motion"])
    plot_width = SVG_WIDTH - left - SVG_RIGHT
    motion_top, motion_height, row_height = 56, 120, 30
    rows_top = motion_top + motion_height + 16
    axis_y = rows_top + row_height * len(rows) + 8
    height = int(axis_y + 40)
    x_of = (lambda t: left + plot_width * t / duration)
    peak = max(motion.scores) or 1.0
    y_of = (lambda s: motion_top + motion_height - motion_height * s / peak)
    body = [f'<text x="{left}" y="24" font-size="16" font-weight="bold">'
            f'{esc(name)}: {duration:g} s, {motion.frame_count} frames at {motion.fps:g} fps</text>',
            f'<text x="{left}" y="44" fill="#444444">motion per frame (line), per-window mean '
            '(dashed), true events (shaded), shot cuts (vertical dashes)</text>']
    for event in events:
        x0, x1 = x_of(event.start), x_of(event.end)
        body.append(f'<rect class="event" x="{num(x0)}" y="{motion_top}" width="{num(max(1.5, x1 - x0))}" '
                    f'height="{num(axis_y - motion_top)}" fill="{EVENT_FILL}" fill-opacity="0.45" '
                    'stroke="#8a7f00" stroke-width="0.8"/>')
        body.append(f'<text class="event-label" x="{num(x0 + 3)}" y="{motion_top + 14}">'
                    f'{esc(event.label)}</text>')
    body.append(f'<text x="{left - 10}" y="{motion_top + motion_height // 2}" '
                'text-anchor="end">motion</text>')
    body.append(f'<path class="motion" d="{motion_path(motion.scores, motion.fps, x_of, y_of, plot_width)}" '
                'fill="none" stroke="#333333" stroke-width="1"/>')
    steps = " ".join(f"L{num(x_of(w.start_s))},{num(y_of(w.motion))} L{num(x_of(w.end_s))},{num(y_of(w.motion))}"
                     for w in windows)
    body.append(f'<path class="window-mean" d="M{num(x_of(0))},{num(y_of(0))} {steps}" fill="none" '
                'stroke="#0072B2" stroke-width="1.5" stroke-dasharray="5 3"/>')
    for cut in cuts:
        x = num(x_of(cut.time_s))
        body.append(f'<line class="cut" x1="{x}" y1="{motion_top}" x2="{x}" y2="{num(axis_y)}" '
                    'stroke="#000000" stroke-width="1.2" stroke-dasharray="2 3"/>')
    for k, (label, times) in enumerate(rows):
        colour, shape = ROW_STYLES[k % len(ROW_STYLES)]
        y = rows_top + row_height * k + row_height / 2
        body.append(f'<text x="{left - 10}" y="{num(y + 4)}" text-anchor="end">{esc(label)}</text>')
        body.append(f'<line x1="{left}" y1="{num(y)}" x2="{left + plot_width}" y2="{num(y)}" '
                    'stroke="#cccccc"/>')
        body += [marker(shape, x_of(t), y, colour, "sample", f' data-row="{k}"') for t in times]
    body += time_axis(duration, x_of, axis_y, motion_top)
    return svg_document(SVG_WIDTH, height, f"{name}: motion, events, cuts and sampled frames", body)


def compare_svg(name: str, duration: float, events: tuple[Event, ...],
                details: list[dict], rows: list[dict]) -> str:
    """For one video: each design's sampled frames and its answer against the true event;
    under it, bars of accuracy within 0.5 s and of tokens per video (log scale)."""
    left = label_margin([item["model"] for item in details] + [r["model"] for r in rows])
    plot_width = SVG_WIDTH - left - SVG_RIGHT
    bar_room = plot_width - 120            # leave room for the value after the longest bar
    top, row_height = 56, 34
    axis_y = top + row_height * len(details) + 8
    bars_top = axis_y + 50
    bar_height = 16
    height = int(bars_top + (bar_height + 6) * len(rows) * 2 + 60)
    x_of = (lambda t: left + plot_width * t / duration)
    body = [f'<text x="{left}" y="24" font-size="16" font-weight="bold">{esc(name)}: '
            'what each design samples and answers</text>',
            f'<text x="{left}" y="44" fill="#444444">marks: sampled frames; thick bar or '
            'ring: the answer, as parsed; shaded: the true event</text>']
    for event in events:
        x0, x1 = x_of(event.start), x_of(event.end)
        body.append(f'<rect class="event" x="{num(x0)}" y="{top}" width="{num(max(1.5, x1 - x0))}" '
                    f'height="{num(axis_y - top)}" fill="{EVENT_FILL}" fill-opacity="0.45" '
                    'stroke="#8a7f00" stroke-width="0.8"/>')
        body.append(f'<text class="event-label" x="{num(x0 + 3)}" y="{top - 4}">{esc(event.label)}</text>')
    for k, item in enumerate(details):
        colour, shape = ROW_STYLES[k % len(ROW_STYLES)]
        y = top + row_height * k + row_height / 2
        body.append(f'<text x="{left - 10}" y="{num(y + 4)}" text-anchor="end">{esc(item["model"])}</text>')
        body.append(f'<line x1="{left}" y1="{num(y)}" x2="{left + plot_width}" y2="{num(y)}" stroke="#cccccc"/>')
        body += [f'<line class="sample" data-row="{k}" x1="{num(x_of(t))}" y1="{num(y - 9)}" '
                 f'x2="{num(x_of(t))}" y2="{num(y - 3)}" stroke="{colour}" stroke-width="1.2"/>'
                 for t in item["times"]]
        for p in item["answers"]:
            if p["kind"] == "interval":
                x0, x1 = x_of(min(p["start"], duration)), x_of(min(p["end"], duration))
                body.append(f'<rect class="answer" x="{num(x0)}" y="{num(y + 1)}" '
                            f'width="{num(max(2.0, x1 - x0))}" height="7" fill="{colour}" '
                            'stroke="#000000" stroke-width="0.6"/>')
            else:
                body.append(f'<circle class="answer" cx="{num(x_of(min(p["time"], duration)))}" '
                            f'cy="{num(y + 5)}" r="5" fill="none" stroke="{colour}" stroke-width="2.5"/>')
    body += time_axis(duration, x_of, axis_y, top)
    peak_tokens = max(r["visual_tokens"] for r in rows)
    body.append(f'<text x="{left}" y="{num(bars_top - 14)}" font-weight="bold">whole suite: '
                'accuracy within 0.5 s (solid) and visual tokens per video (hatched, log scale)</text>')
    body.append('<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
                'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
                '<line x1="0" y1="0" x2="0" y2="6" stroke="#555555" stroke-width="2"/></pattern></defs>')
    for k, r in enumerate(rows):
        colour = ROW_STYLES[k % len(ROW_STYLES)][0]
        y = bars_top + (bar_height + 6) * 2 * k
        accuracy = r["accuracy"]["0.5"] or 0.0
        tokens_width = bar_room * math.log10(1 + r["visual_tokens"]) / math.log10(1 + peak_tokens)
        body.append(f'<text x="{left - 10}" y="{num(y + 12)}" text-anchor="end">{esc(r["model"])}</text>')
        body.append(f'<rect class="bar-accuracy" x="{left}" y="{num(y)}" width="{num(max(1.0, bar_room * accuracy))}" '
                    f'height="{bar_height}" fill="{colour}"/>')
        body.append(f'<text x="{num(left + max(1.0, bar_room * accuracy) + 6)}" y="{num(y + 12)}">'
                    f'{100 * accuracy:.0f}%</text>')
        body.append(f'<rect class="bar-tokens" x="{left}" y="{num(y + bar_height + 2)}" '
                    f'width="{num(max(1.0, tokens_width))}" height="{bar_height}" fill="url(#hatch)" '
                    f'stroke="{colour}"/>')
        body.append(f'<text x="{num(left + tokens_width + 6)}" y="{num(y + bar_height + 14)}">'
                    f'{r["visual_tokens"]:,.0f} tokens</text>')
    return svg_document(SVG_WIDTH, height, f"compare: {name}", body)


# ----------------------------------------------------------------------------------------------
# CLI
# build_parser() declares every subcommand; each cmd_* turns parsed options into a document
# (for --json) and a text rendering. main() is the one place user errors become exit 2.
# ----------------------------------------------------------------------------------------------


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is the same one line as every other user error."""

    def error(self, message: str):  # type: ignore[override]
        raise UserError(message)


def number(kind: type, low: float, high: float):
    """An argparse type: an int or float within [low, high]; NaN and inf refused."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {kind.__name__} in [{low:g}, {high:g}], "
                                              f"got {text!r}") from None
        if not (math.isfinite(value) and low <= value <= high):
            raise argparse.ArgumentTypeError(f"must be in [{low:g}, {high:g}], got {text!r}")
        return value
    parse.__name__ = kind.__name__
    return parse


def add_source_options(parser: argparse.ArgumentParser, motion_options: bool = True) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--synth", metavar="PRESET",
                        help=f"synthetic video preset ({', '.join(PRESETS)}); default cat-jump")
    source.add_argument("--video", metavar="PATH",
                        help="a .y4m file, - for a Y4M stream on stdin, or a folder of "
                             "PGM/PPM frames (with --fps)")
    parser.add_argument("--fps", type=number(float, 0.001, 1000), default=None,
                        help="frame rate of a folder of frames")
    parser.add_argument("--allow-truncated", action="store_true",
                        help="accept a Y4M stream cut short after its last whole frame")
    parser.add_argument("--seed", type=number(int, 0, 2**31), default=DEFAULT_SEED,
                        help="seed of the synthetic video (default %(default)s)")
    if not motion_options:
        return
    parser.add_argument("--window", type=number(float, 0.05, 3600), default=DEFAULT_WINDOW_S,
                        help="motion window in seconds (default %(default)s)")
    parser.add_argument("--stride", type=number(int, 1, 1024), default=None,
                        help="score every K-th pixel of every K-th row (default: about "
                             f"{MOTION_GRID_ROWS} rows)")
    parser.add_argument("--cut-threshold", type=number(float, 0.0, 1.0), default=CUT_MIN_SCORE,
                        help="frame difference below this is never a cut (default %(default)s)")
    parser.add_argument("--cut-ratio", type=number(float, 1.0, 1000.0), default=CUT_MEDIAN_RATIO,
                        help="a cut stands this many times above the local median (default %(default)s)")


def add_sampler_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--frames", type=number(int, 1, MAX_FRAME_COUNT), default=DEFAULT_UNIFORM_FRAMES,
                   help="uniform: how many frames (default %(default)s)")
    p.add_argument("--max-frames", type=number(int, 1, MAX_FRAME_COUNT), default=DEFAULT_MAX_FRAMES,
                   help="the frame budget every strategy respects (default %(default)s)")
    p.add_argument("--min-fps", type=number(float, 0.01, 240), default=DEFAULT_MIN_FPS)
    p.add_argument("--max-fps", type=number(float, 0.01, 240), default=DEFAULT_MAX_FPS)
    p.add_argument("--burst-fps", type=number(float, 0.01, 240), default=DEFAULT_BURST_FPS)
    p.add_argument("--base-fps", type=number(float, 0.0, 240), default=DEFAULT_BASE_FPS)
    p.add_argument("--context", type=number(int, 0, 100), default=DEFAULT_KEYFRAME_CONTEXT,
                   help="keyframe: neighbours either side of each keyframe (default %(default)s)")
    p.add_argument("--context-gap", type=number(float, 0.001, 60), default=DEFAULT_CONTEXT_GAP_S,
                   help="keyframe: seconds between context frames (default %(default)s)")


def warn(message: str) -> None:
    print(f"{PROG}: warning: {message}", file=sys.stderr)


@dataclass(frozen=True)
class LoadedVideo:
    name: str
    motion: MotionAnalysis
    windows: tuple[Window, ...]
    cuts: tuple[Cut, ...]
    events: tuple[Event, ...]


def scene_from_args(args: argparse.Namespace) -> Scene:
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


def load_video(args: argparse.Namespace) -> LoadedVideo:
    video, events = open_source(args)
    motion = analyze_motion(video.frames, video.width, video.height, video.fps, args.stride,
                            args.cut_threshold)
    if motion.frame_count == 0:
        raise UserError(f"{video.name}: no frames")
    return LoadedVideo(video.name, motion, motion_windows(motion.scores, motion.fps, args.window),
                       detect_cuts(motion, args.cut_threshold, args.cut_ratio), events)


def cmd_synth(args: argparse.Namespace) -> tuple[object, str]:
    scene = get_preset(args.preset)
    doc = scene_truth(scene)
    if args.out:
        size = write_whole(args.out, y4m_bytes(render_scene(scene), scene.width, scene.height,
                                                scene.fps))
        doc["written"] = {"path": args.out, "bytes": size}
    rows = [[e.label, seconds(e.start), seconds(e.end)] for e in scene.events]
    text = [f"{scene.name}: {scene.duration_s:g} s at {scene.fps:g} fps, {scene.width}x{scene.height},"
            f" {scene.frame_count} frames, activity {scene.activity:g}",
            format_table(["event", "start_s", "end_s"], rows),
            "cuts at frames: " + (", ".join(f"{c['frame']} ({c['time_s']:.2f} s)" for c in doc["cuts"])
                                  or "none")]
    if args.out:
        text.append(f"wrote {args.out} ({doc['written']['bytes']:,} bytes, YUV4MPEG2 Cmono)")
    return doc, "\n".join(text)


def cmd_motion(args: argparse.Namespace) -> tuple[object, str]:
    video = load_video(args)
    m = video.motion
    doc = {"fps": float(m.fps), "frames": m.frame_count, "stride": m.stride,
           "scores": [round(s, 6) for s in m.scores],
           "windows": [{"start_s": w.start_s, "end_s": w.end_s, "motion": round(w.motion, 6)}
                       for w in video.windows],
           "cuts": [asdict(c) for c in video.cuts]}
    peak = max((w.motion for w in video.windows), default=0.0)
    shown = video.windows if len(video.windows) <= 40 else None
    lines = [f"{video.name}: {m.frame_count} frames at {m.fps:g} fps, grid stride {m.stride}, "
             f"{len(video.windows)} windows of {args.window:g} s"]
    if shown:
        lines.append(format_table(["start_s", "end_s", "motion", ""],
                                  [[seconds(w.start_s), seconds(w.end_s), f"{w.motion:.4f}",
                                    sparkline([w.motion], peak)] for w in shown]))
    spark, _ = timeline(m.scores, m.fps)
    lines += [f"motion  {spark}", f"peak window motion {peak:.4f}",
              "cuts: " + (", ".join(f"frame {c.frame} ({c.time_s:.2f} s, {c.score:.2f})"
                                    for c in video.cuts) or "none")]
    return doc, "\n".join(lines)


def run_sampler(strategy: str, video: LoadedVideo, args: argparse.Namespace) -> SampleResult:
    m, w = video.motion, video.windows
    if strategy == "uniform":
        return uniform_sample(m, w, args.frames, args.max_frames)
    if strategy == "dynamic":
        if args.min_fps > args.max_fps:
            raise UserError(f"--min-fps {args.min_fps:g} is above --max-fps {args.max_fps:g}")
        return dynamic_fps_sample(m, w, args.min_fps, args.max_fps, args.max_frames)
    if strategy == "event":
        return event_driven_sample(m, w, video.cuts, args.burst_fps, args.base_fps, args.max_frames)
    return keyframe_sample(m, w, video.cuts, args.context, args.context_gap, args.max_frames)


def sample_document(result: SampleResult, video: LoadedVideo, tokens_per_frame: int) -> dict:
    hits = events_hit(result.indices, result.fps, video.events)
    duration = result.frame_count / result.fps
    return {"strategy": result.strategy, "duration_s": duration,
            "frames": [{"index": i, "time_s": i / result.fps} for i in result.indices],
            "frame_count": len(result.indices),
            "frames_per_window": list(result.frames_per_window),
            "window_motion": [round(w.motion, 6) for w in result.windows],
            "tokens_per_frame": tokens_per_frame,
            "visual_tokens": len(result.indices) * tokens_per_frame,
            "tokens_per_second": len(result.indices) * tokens_per_frame / duration,
            "events_hit": sum(hits), "events_total": len(hits),
            "spans": [{"start_s": a, "end_s": b} for a, b in result.spans],
            "events": [{"label": e.label, "start": e.start, "end": e.end, "hit": h}
                       for e, h in zip(video.events, hits)],
            "notes": list(result.notes)}


def cmd_sample(args: argparse.Namespace) -> tuple[object, str]:
    video = load_video(args)
    strategies = STRATEGIES if args.strategy == "all" else (args.strategy,)
    results = [run_sampler(s, video, args) for s in strategies]
    docs = [sample_document(r, video, args.tokens_per_frame) for r in results]
    m = video.motion
    lines = [f"{video.name}: {m.duration_s:g} s, {m.frame_count} frames at {m.fps:g} fps; "
             f"events: " + (", ".join(f"{e.label} {e.start:g}-{e.end:g} s" for e in video.events)
                            or "none known")]
    lines.append(format_table(
        ["strategy", "frames", "tokens", "tokens/s", "events hit", "how"],
        [[d["strategy"], d["frame_count"], d["visual_tokens"], round(d["tokens_per_second"], 1),
          f"{d['events_hit']}/{d['events_total']}", d["notes"][0]] for d in docs]))
    lines.append("")
    lines += timeline_lines(m.scores, m.fps, results)
    if len(results) == 1:
        r, d = results[0], docs[0]
        lines.append("")
        lines += d["notes"]
        if r.spans and r.strategy == "event":
            lines.append("action spans (s): " + ", ".join(f"{a:.1f}-{b:.1f}" for a, b in r.spans[:20]))
        shown = list(zip(r.windows, r.frames_per_window))
        title = "frames per window"
        if len(shown) > 40:                      # long videos: the windows that got the most
            shown = sorted(sorted(shown, key=lambda wn: (-wn[1], wn[0].start_s))[:12],
                           key=lambda wn: wn[0].start_s)
            title = f"the 12 windows with the most frames (of {len(r.windows)})"
        lines.append(title + ":")
        lines.append(format_table(["window_s", "motion", "frames"],
                                  [[f"{w.start_s:g}-{w.end_s:g}", f"{w.motion:.4f}", n]
                                   for w, n in shown]))
        lines.append("frames at s: " + " ".join(f"{t:.2f}" for t in r.times[:60])
                     + (" ..." if len(r.times) > 60 else ""))
    doc: object = docs[0] if len(docs) == 1 else {"duration_s": m.duration_s, "results": docs}
    return doc, "\n".join(lines)


def bench_video(path: str, seconds: float) -> tuple[int, float]:
    """Write the bench clip: 640x360, 30 fps, yuv420p, panning texture with movers and a cut."""
    scene = Scene("bench", seconds, 30.0, 640, 360,
                  (Event("jump", seconds * 0.3, seconds * 0.3 + 0.5),), (round(seconds / 2),), 0.6)
    pieces = y4m_bytes(render_scene(scene), scene.width, scene.height, scene.fps, "420jpeg")
    return scene.frame_count, write_whole(path, pieces) / 1e6


def timed(function) -> tuple[object, float]:
    import time
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


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


def cmd_bench(args: argparse.Namespace) -> tuple[object, str]:
    import itertools
    import tempfile
    rows = []

    def measure(name: str, unit: str, run) -> None:
        count, elapsed = timed(run)
        rows.append({"name": name, "count": count, "unit": unit, "seconds": round(elapsed, 4),
                     "per_s": round(count / elapsed, 1)})

    with tempfile.TemporaryDirectory(prefix="video-vlm-bench-") as folder:
        path = os.path.join(folder, "bench.y4m")
        (frames, megabytes), made = timed(lambda: bench_video(path, args.seconds))

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
        measure(f"motion, default grid (stride {auto_stride(360)})", "frames", score(None))
        measure("naive sum(map(abs, map(sub))) full res", "frames", naive)
        answers = os.path.join(folder, "answers.jsonl")
        write_whole(answers, (line.encode() + b"\n" for line in bench_answers(args.answers, args.seed)))
        measure(f"evaluate {args.answers:,} JSONL answers", "answers",
                lambda: evaluate_lines(read_lines(answers), None, {}, EvalOptions())["n"])
    raw = rows[0]["per_s"]
    for row in rows[:4]:
        row["ratio_to_raw"] = round(row["per_s"] / raw, 3)
    doc = {"video": {"width": 640, "height": 360, "fps": 30.0, "frames": frames,
                     "megabytes": round(megabytes, 1), "write_seconds": round(made, 2)},
           "results": rows}
    text = [f"bench clip: 640x360 yuv420p, 30 fps, {frames} frames ({megabytes:.0f} MB), "
            f"written in {made:.1f} s",
            format_table(["what", "count", "seconds", "per second", "vs raw read"],
                         [[r["name"], r["count"], r["seconds"], r["per_s"],
                           r.get("ratio_to_raw", "")] for r in rows]),
            "Figures, not promises: they depend on this machine and its load."]
    return doc, "\n".join(text)

def video_facts(args: argparse.Namespace) -> VideoFacts:
    """The video the tokens/rope options describe: numbers, a preset, or a real video."""
    if args.video or args.synth:
        if args.duration is not None or args.total_frames is not None:
            raise UserError("give --duration/--total-frames or --video/--synth, not both")
        if args.synth:
            scene = scene_from_args(args)
            return VideoFacts(scene.frame_count, scene.fps, scene.width, scene.height)
        video, _ = open_source(args)
        count = sum(1 for _ in video.frames)
        if count == 0:
            raise UserError(f"{video.name}: no frames")
        return VideoFacts(count, video.fps, video.width, video.height)
    fps = args.fps or DEFAULT_VIDEO_FPS
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
        raise UserError(f"{total} frames is more than this tool handles ({MAX_FRAME_COUNT * 10})")
    return VideoFacts(total, fps, args.width, args.height)


def design_options(args: argparse.Namespace) -> DesignOptions:
    qwen = QwenOptions(args.sample_fps, args.nframes, args.min_frames, args.max_frames,
                       args.min_pixels, args.max_pixels, args.total_pixels,
                       args.resized_height, args.resized_width)
    return DesignOptions(args.frames, args.patch, args.image_size, args.pool, args.clip_frames,
                         args.queries, args.audio_queries, args.context, qwen)


def budget_document(budget: TokenBudget) -> dict:
    return {"design": budget.design, "model": DESIGNS[budget.design].model,
            "how": DESIGNS[budget.design].how,
            "frames": budget.frames, "tokens_per_frame": budget.tokens_per_frame,
            "visual_tokens": budget.visual_tokens, "tokens_per_second": budget.tokens_per_second,
            "context_fraction": budget.context_fraction, "details": budget.details}


def cmd_tokens(args: argparse.Namespace) -> tuple[object, str]:
    video = video_facts(args)
    options = design_options(args)
    names = list(DESIGNS) if args.design == "all" else [args.design]
    budgets = [token_budget(name, video, options) for name in names]
    docs = [budget_document(b) for b in budgets]
    lines = [f"video: {video.duration_s:g} s, {video.total_frames} frames at {video.fps:g} fps, "
             f"{video.width}x{video.height}; context {options.context:,} tokens"]
    rows = []
    for b in budgets:
        verdict = ("does not fit" if b.context_fraction > 1 else
                   "over 40%" if b.context_fraction > CONTEXT_WARN_FRACTION else "ok")
        rows.append([b.design, DESIGNS[b.design].model, b.frames, f"{b.tokens_per_frame:g}",
                     f"{b.visual_tokens:,}", f"{b.tokens_per_second:.1f}",
                     f"{100 * b.context_fraction:.1f}%", verdict])
    lines.append(format_table(["design", "model", "frames", "tokens/frame", "visual tokens",
                               "tokens/s", "of context", "verdict"], rows))
    for b in budgets:
        if b.context_fraction > 1:
            lines.append(f"{b.design}: {b.visual_tokens:,} visual tokens do not fit in a "
                         f"{options.context:,}-token context; sample fewer frames or pool harder")
        elif b.context_fraction > CONTEXT_WARN_FRACTION:
            lines.append(f"warning: {b.design} spends {100 * b.context_fraction:.0f}% of the context"
                         " on video (the lesson's limit is 40%)")
        if b.design == "qwen2.5-vl":
            d = b.details
            shown = d["frame_indices"][:8]
            lines.append(f"qwen2.5-vl: {d['nframes']} frames (indices {shown}"
                         f"{' ...' if len(d['frame_indices']) > 8 else ''}), sample fps "
                         f"{d['sample_fps']:.4g}, resized {d['resized_height']}x{d['resized_width']},"
                         f" grid (t, h, w) = {tuple(d['grid_thw'])}, {d['second_per_grid_t']:.4g} s "
                         "per temporal patch; tokens = t*h*w/4")
    return docs, "\n".join(lines)


def rope_demonstration(patches: tuple[PatchPosition, ...]) -> dict | None:
    """Two pairs of neighbouring patches, the closest and the farthest apart in time: the
    relative rotation each encoding gives them on the fastest and slowest t frequency."""
    if len(patches) < 3:
        return None
    gaps = [(patches[k + 1].time_s - patches[k].time_s, k) for k in range(len(patches) - 1)]
    (short_gap, a), (long_gap, b) = min(gaps), max(gaps)
    slowest = MROPE_SECTION[0] - 1

    def pair(k: int, gap: float) -> dict:
        p, q = patches[k], patches[k + 1]
        return {"patches": [p.patch, q.patch], "time_gap_s": gap,
                "index_delta": q.index_t - p.index_t, "absolute_delta": q.absolute_t - p.absolute_t,
                "index_angle_rad": [rope_angle(q.index_t - p.index_t, j) for j in (0, slowest)],
                "absolute_angle_rad": [rope_angle(q.absolute_t - p.absolute_t, j)
                                       for j in (0, slowest)]}
    return {"frequency_pairs": [0, slowest], "closest": pair(a, short_gap),
            "farthest": pair(b, long_gap)}


def cmd_rope(args: argparse.Namespace) -> tuple[object, str]:
    if args.layout is not None:
        items = parse_layout(args.layout)
        ids, delta = position_ids(items, args.encoding, args.tokens_per_second)
        doc = {"encoding": args.encoding, "sequence_length": len(ids[0]),
               "position_ids": ids, "mrope_position_delta": delta}
        shown = min(len(ids[0]), 60)
        lines = [f"layout {args.layout!r}, encoding {args.encoding}, tokens_per_second "
                 f"{args.tokens_per_second:g}: {len(ids[0])} tokens"]
        for name, axis in zip("thw", ids):
            lines.append(f"{name}: " + " ".join(map(str, axis[:shown]))
                         + (" ..." if len(axis) > shown else ""))
        lines.append(f"mrope_position_delta = max position + 1 - length = {delta}")
        return doc, "\n".join(lines)
    if args.timestamps is not None:
        try:
            times = [float(t) for t in args.timestamps.split(",")]
        except ValueError:
            raise UserError(f"--timestamps: expected comma-separated seconds, got "
                            f"{args.timestamps!r}") from None
        if not times or any(not math.isfinite(t) or t < 0 for t in times) or times != sorted(times):
            raise UserError("--timestamps: seconds must be finite, >= 0 and in order")
        source = "given timestamps"
    else:
        video = load_video(args)
        result = run_sampler(args.strategy, video, args)
        times = list(result.times)
        source = f"{video.name}, {args.strategy} sampler, {len(times)} frames"
    patches = temporal_positions(times, args.tokens_per_second, args.table_rows)
    demo = rope_demonstration(patches)
    sections, start = [], 0
    for axis, size in zip("thw", MROPE_SECTION):
        sections.append({"axis": axis, "pairs": [start, start + size - 1],
                         "fastest_rad_per_position": inverse_frequency(start),
                         "slowest_rad_per_position": inverse_frequency(start + size - 1)})
        start += size
    conclusion = rope_conclusion(demo)
    doc = {"source": source, "tokens_per_second": args.tokens_per_second,
           "table_rows": args.table_rows,
           "patches": [asdict(p) for p in patches], "mrope_section": list(MROPE_SECTION),
           "head_dim": HEAD_DIM, "rope_theta": ROPE_THETA, "sections": sections,
           "demonstration": demo, "conclusion": conclusion}
    rows = [[p.patch, "+".join(map(str, p.frames)), f"{p.time_s:.2f}", p.index_t, p.absolute_t,
             ",".join("-" if r is None else str(r) for r in p.learned_rows)] for p in patches[:40]]
    lines = [f"{source}; 2 frames per temporal patch",
             format_table(["patch", "frames", "time_s", "index t (Qwen2-VL)",
                           "absolute t (Qwen2.5-VL)", f"learned row (of {args.table_rows})"], rows)]
    if len(patches) > 40:
        lines.append(f"... {len(patches) - 40} more patches")
    lines.append("")
    lines.append(format_table(["axis", "frequency pairs", "fastest rad/position", "slowest rad/position"],
                              [[x["axis"], f"{x['pairs'][0]}-{x['pairs'][1]}",
                                f"{x['fastest_rad_per_position']:.4g}",
                                f"{x['slowest_rad_per_position']:.4g}"] for x in sections]))
    lines.append("")
    lines.append(conclusion)
    return doc, "\n".join(lines)


def rope_conclusion(demo: dict | None) -> str:
    if demo is None:
        return "Too few frames to compare encodings (need at least 3 temporal patches)."
    c, f = demo["closest"], demo["farthest"]
    same_index = c["index_delta"] == f["index_delta"]
    return (f"Neighbouring patches {c['time_gap_s']:.2f} s apart and {f['time_gap_s']:.2f} s apart "
            f"get index deltas {c['index_delta']} and {f['index_delta']}"
            f"{' (the same rotation)' if same_index else ''}, but time-aligned deltas "
            f"{c['absolute_delta']} and {f['absolute_delta']} (rotations "
            f"{c['absolute_angle_rad'][0]:.2f} and {f['absolute_angle_rad'][0]:.2f} rad on the "
            "fastest t frequency). Under time-aligned M-RoPE the angle between two video tokens "
            "follows the seconds between them; under index M-RoPE it follows how many patches "
            "lie between them, so dynamic FPS, which spaces patches unevenly, distorts time "
            "for an index-based model. A learned table (Video-LLaVA) only knows frame i of "
            "its N rows and has no row past N.")


def parse_policy(args: argparse.Namespace) -> ParsePolicy:
    return ParsePolicy(args.swap_reversed, args.clip)


def add_policy_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--swap-reversed", action="store_true",
                   help="read an interval that ends before it starts as swapped (default: failure)")
    p.add_argument("--clip", action="store_true",
                   help="clip times past the duration to it (default: failure out_of_range)")


def cmd_parse(args: argparse.Namespace) -> tuple[object, str]:
    text = sys.stdin.read() if args.text == "-" else args.text
    reading = parse_grounding(text, args.duration, parse_policy(args))
    doc = reading.as_dict()
    if reading.failure:
        reason, detail = reading.failure
        return doc, f"not read: {reason}, {FAILURE_REASONS[reason]} ({detail})"
    rows = [[k + 1, p.kind, f"{p.start:g}", f"{p.end:g}" if p.kind == "interval" else "",
             p.format, p.event or "", "" if p.confidence is None else f"{p.confidence:g}"]
            for k, p in enumerate(reading.predictions)]
    return doc, format_table(["rank", "kind", "start/time s", "end s", "format", "event",
                              "confidence"], rows)


def cmd_evaluate(args: argparse.Namespace) -> tuple[object, str]:
    check_readable_file(args.predictions)
    truths = None
    gt_format = None
    if args.gt:
        gt_format, truths = load_ground_truth(args.gt)
    durations = load_durations(args.duration_file) if args.duration_file else {}
    options = EvalOptions(args.tolerance, parse_policy(args), args.point_as_interval,
                          args.compat, args.details)
    doc = evaluate_lines(read_lines(args.predictions), truths, durations, options)
    if doc["n"] == 0:
        shown = "; ".join(f"line {b['line']}: {b['reason']}" for b in doc["bad_lines"][:3])
        raise UserError(f"{args.predictions}: no usable prediction line"
                        + (f" ({shown})" if shown else ""))
    doc["gt_format"] = gt_format or "inline"
    return doc, evaluation_text(doc, args)


def percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def evaluation_text(doc: dict, args: argparse.Namespace) -> str:
    if doc.get("compat"):
        lines = [f"lmms-eval compatible scoring ({doc['n']} answers, ground truth: "
                 f"{doc['gt_format']}), percentages as lmms-eval reports them:",
                 format_table(["parsed", "IOU@0.3", "IOU@0.5", "IOU@0.7", "mIOU"],
                              [[f"{doc['parse_rate']:.2f}", f"{doc['r1']['0.3']:.2f}",
                                f"{doc['r1']['0.5']:.2f}", f"{doc['r1']['0.7']:.2f}",
                                f"{doc['miou']:.2f}"]])]
    else:
        error = doc["mean_abs_error_s"]
        lines = [f"{doc['n']} answers (ground truth: {doc['gt_format']}), {doc['parsed']} read "
                 f"({percent(doc['parse_rate'])}); tolerance {doc['tolerance_s']:g} s",
                 format_table(["", "answers", "read", f"acc@{doc['tolerance_s']:g}s", "R1@0.3",
                               "R1@0.5", "R1@0.7", "mIoU"],
                              [["all", doc["n"], doc["parsed"], percent(doc["accuracy"]),
                                percent(doc["r1"]["0.3"]), percent(doc["r1"]["0.5"]),
                                percent(doc["r1"]["0.7"]), percent(doc["miou"])]] +
                              [[name, part["n"], part["parsed"], percent(part["accuracy"]),
                                percent(part["r1"]["0.3"]), percent(part["r1"]["0.5"]),
                                percent(part["r1"]["0.7"]), percent(part["miou"])]
                               for name, part in doc["by_format"].items()]),
                 f"mean |time error| of read answers: "
                 f"{'-' if error is None else f'{error:.3f} s'}; recall@k (IoU 0.5): " +
                 ", ".join(f"k={k}: {percent(v)}" for k, v in doc["recall_at_k_iou_0_5"].items())]
        if doc["failures"]:
            lines.append("not read: " + ", ".join(f"{reason} {count}"
                                                  for reason, count in doc["failures"].items()))
    if doc["bad_line_count"]:
        lines.append(f"{doc['bad_line_count']} bad lines skipped, e.g. " + "; ".join(
            f"line {b['line']}: {b['reason']}" for b in doc["bad_lines"][:3]))
    if doc["predictions_without_truth"]:
        lines.append(f"{len(doc['predictions_without_truth'])} predictions have no ground truth, "
                     f"e.g. {', '.join(doc['predictions_without_truth'][:3])}")
    if doc["truth_without_predictions_count"]:
        lines.append(f"{doc['truth_without_predictions_count']} ground-truth items have no "
                     f"prediction, e.g. {', '.join(doc['truth_without_predictions'][:3])}")
    return "\n".join(lines)


def cmd_schema(args: argparse.Namespace) -> tuple:
    if not args.validate:
        return GROUNDING_SCHEMA, json.dumps(GROUNDING_SCHEMA, indent=2)
    check_readable_file(args.validate)
    results = []
    for number, line in read_lines(args.validate):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
            if isinstance(value, dict) and isinstance(value.get("output"), str):
                found = next(json_candidates(value["output"]), None)
                value = found if found is not None else json.loads(value["output"])
        except (ValueError, RecursionError) as error:
            results.append({"line": number, "valid": False,
                            "violations": [{"path": "$", "message": f"not JSON ({error})"[:120]}]})
            continue
        problems = validate(value, GROUNDING_SCHEMA, GROUNDING_SCHEMA)
        results.append({"line": number, "valid": not problems,
                        "violations": [{"path": p, "message": m} for p, m in problems]})
    if not results:
        raise UserError(f"{args.validate}: no lines to validate")
    valid = sum(r["valid"] for r in results)
    doc = {"valid": valid, "invalid": len(results) - valid, "results": results}
    lines = [f"{valid} of {len(results)} answers match the grounding schema"]
    for r in results:
        for v in r["violations"]:
            lines.append(f"line {r['line']}: {v['path']}: {v['message']}")
    return doc, "\n".join(lines), 0 if valid == len(results) else 1


SIMULATED_READER_NOTE = ("No VLM runs here: a simulated reader with perfect per-frame perception "
                         "answers; its errors come only from the frames sampled and the times "
                         "its design's positions can express. Answers go through the real "
                         "parser and scorer.")


def cmd_compare(args: argparse.Namespace) -> tuple[object, str]:
    if args.svg == "-" and args.json:
        raise UserError("--svg - writes the SVG to stdout; it cannot go with --json")
    names = args.design or list(COMPARE_DESIGNS)
    unknown = [n for n in names if n not in COMPARE_DESIGNS]
    if unknown:
        raise UserError(f"unknown design {unknown[0]!r}; known: {', '.join(COMPARE_DESIGNS)}")
    designs = [COMPARE_DESIGNS[n] for n in dict.fromkeys(names)]
    if args.video:
        if not args.events:
            raise UserError("--video needs --events FILE (a JSON list of {event, start, end})")
        events = load_events_file(args.events)
        stream = open_video(args.video, args.fps, args.allow_truncated, warn)
        motion = analyze_motion(stream.frames, stream.width, stream.height, stream.fps)
        if motion.frame_count < FRAME_FACTOR:
            raise UserError(f"{stream.name}: fewer than {FRAME_FACTOR} frames")
        late = [e for e in events if e.end > motion.duration_s]
        if late:
            raise UserError(f"{args.events}: event {late[0].label!r} ends at {late[0].end:g} s, "
                            f"after the {motion.duration_s:g} s video")
        facts = VideoFacts(motion.frame_count, motion.fps, stream.width, stream.height)
        videos = [(stream.name, motion, events, facts)]
        suite_name = "video"
    else:
        if args.events:
            raise UserError("--events goes with --video")
        videos = []
        for item in benchmark_suite(args.suite, args.seed):
            scene = item.scene
            motion = scene_motion(scene)
            videos.append((scene.name, motion, scene.events, item.nominal))
        suite_name = args.suite
    totals = run_compare(videos, designs)
    rows = compare_rows(designs, totals)
    findings = compare_findings(rows)
    picture = None
    if args.svg:
        chosen = [v for v in videos if v[0] == args.svg_video] if args.svg_video else videos[:1]
        if not chosen:
            raise UserError(f"--svg-video {args.svg_video!r} is not in the run; videos: "
                            + ", ".join(v[0] for v in videos))
        name, motion, events, nominal = chosen[0]
        windows = motion_windows(motion.scores, motion.fps, DEFAULT_WINDOW_S)
        details = []
        for design in designs:
            times, readings = read_video_with(design, motion, windows, events, nominal)
            answers = [p.as_dict() for reading, _ in readings for p in reading.predictions[:1]]
            details.append({"model": design.model, "times": times, "answers": answers})
        picture = save_svg(args.svg, compare_svg(name, motion.duration_s, events, details, rows))
    seconds = sum(v[1].duration_s for v in videos)
    events = sum(len(v[2]) for v in videos)
    doc = {"suite": suite_name, "seed": args.seed, "videos": len(videos), "events": events,
           "video_seconds": seconds, "designs": rows, "findings": findings,
           "note": SIMULATED_READER_NOTE}
    if picture:
        doc["svg"] = picture
    table = format_table(
        ["design", "sampler", "temporal encoding", "frames", "tokens", "tok/s", "answer",
         "read", "acc±0.5s", "acc±2s", "R1@0.5", "mIoU", "missed"],
        [[r["model"], r["sampler"], r["temporal_encoding"], round(r["frames"], 1),
          f"{r['visual_tokens']:,.0f}", round(r["tokens_per_second"], 1), r["answer_format"],
          percent(r["parse_rate"]), percent(r["accuracy"]["0.5"]), percent(r["accuracy"]["2"]),
          percent(r["r1_iou_0_5"]), percent(r["miou"]), f"{r['events_missed']}/{r['events']}"]
         for r in rows])
    priced = videos[0][3]
    lines = [f"{len(videos)} videos ({seconds / 60:.1f} min, {events} events, one question each; "
             f"suite {suite_name}, seed {args.seed}); tokens priced at a {priced.width}x"
             f"{priced.height} {priced.fps:g} fps capture", table, ""] + [f"- {f}" for f in findings] + ["", SIMULATED_READER_NOTE]
    if picture and picture["path"] != "-":
        lines.append(f"wrote {picture['path']} ({picture['bytes']:,} bytes)")
    return doc, "\n".join(lines)


def default_skill_path() -> str:
    """outputs/ beside code/, wherever the command is run from."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return os.path.join(root, "outputs", SKILL_FILE)


def cmd_plan(args: argparse.Namespace) -> tuple[object, str]:
    request_args = dict(context=args.context, model_size_b=args.model_size, target=args.target,
                        max_fps=args.max_fps)
    if args.video or args.synth:
        if args.duration is not None:
            raise UserError("give --duration or --video/--synth, not both")
        video = load_video(args)
        content, measured = classify_content(video.motion, video.windows, video.cuts)
        request = PlanRequest(args.task, video.motion.duration_s, **request_args)
        sampler = SAMPLER_FOR_CONTENT[content][0]
        capped = argparse.Namespace(**{**vars(args), "frames": max(1, round(
            video.motion.duration_s * min(ASSUMED_FPS["uniform"], args.max_fps))),
            "max_frames": DEFAULT_MAX_FRAMES, "min_fps": min(DEFAULT_MIN_FPS, args.max_fps),
            "max_fps": min(DEFAULT_MAX_FPS, args.max_fps),
            "burst_fps": min(DEFAULT_BURST_FPS, args.max_fps),
            "base_fps": min(DEFAULT_BASE_FPS, args.max_fps), "context": DEFAULT_KEYFRAME_CONTEXT,
            "context_gap": DEFAULT_CONTEXT_GAP_S})
        frames = len(run_sampler(sampler, video, capped).indices)
        plan = plan_video(request, content, measured, frames)
    else:
        if args.duration is None:
            raise UserError("give --duration S, or --video/--synth to measure a video")
        plan = plan_video(PlanRequest(args.task, args.duration, **request_args))
    return plan, plan_text(plan)


def cmd_skill(args: argparse.Namespace) -> tuple[object, str, int]:
    text = render_skill()
    path = args.out or default_skill_path()
    if args.check:
        try:
            with open(path, encoding="utf-8") as handle:
                current = handle.read()
        except FileNotFoundError:
            return ({"path": path, "up_to_date": False, "difference": "missing"},
                    f"{path} is missing; run: python code/main.py skill", 1)
        if current == text:
            return {"path": path, "up_to_date": True, "difference": None}, f"{path} is up to date", 0
        old, new = current.splitlines(), text.splitlines()
        line = next((k for k, (a, b) in enumerate(zip(old, new)) if a != b), min(len(old), len(new)))
        detail = (f"line {line + 1}: file has {old[line]!r}" if line < len(old) else
                  f"line {line + 1}: file ends early") + (
            f", generator gives {new[line]!r}" if line < len(new) else ", generator ends there")
        return ({"path": path, "up_to_date": False, "difference": detail},
                f"{path} is stale ({detail}); run: python code/main.py skill", 1)
    size = write_whole(path, [text.encode("utf-8")])
    return {"path": path, "bytes": size}, f"wrote {path} ({size:,} bytes)", 0


def exercise_sampling() -> tuple[dict, str]:
    scene = get_preset("cooking-3min")
    motion = scene_motion(scene)
    windows = motion_windows(motion.scores, motion.fps, DEFAULT_WINDOW_S)
    dynamic = dynamic_fps_sample(motion, windows, DEFAULT_MIN_FPS, DEFAULT_MAX_FPS, DEFAULT_MAX_FRAMES)
    options = [("uniform 1 fps", uniform_sample(motion, windows, round(motion.duration_s), DEFAULT_MAX_FRAMES)),
               ("uniform, same frames as dynamic",
                uniform_sample(motion, windows, len(dynamic.indices), DEFAULT_MAX_FRAMES)),
               ("dynamic 1-4 fps", dynamic)]
    rows = []
    for name, result in options:
        hits = sum(events_hit(result.indices, motion.fps, scene.events))
        on_events = sum(1 for t in result.times if any(e.start <= t < e.end for e in scene.events))
        tokens = len(result.indices) * DEFAULT_TOKENS_PER_FRAME
        rows.append({"sampler": name, "frames": len(result.indices), "tokens": tokens,
                     "events_hit": hits, "events": len(scene.events),
                     "frames_on_events": on_events,
                     "frames_on_events_per_1k_tokens": 1000 * on_events / tokens})
    cheapest = min((r for r in rows if r["events_hit"] == max(x["events_hit"] for x in rows)),
                   key=lambda r: r["tokens"])
    densest = max(rows, key=lambda r: r["frames_on_events_per_1k_tokens"])
    why = (f"To see every action, {cheapest['sampler']} is cheapest: {cheapest['events_hit']} of "
           f"{cheapest['events']} events with {cheapest['tokens']:,} tokens. To say when they "
           f"happen, {densest['sampler']} puts {densest['frames_on_events_per_1k_tokens']:.2f} "
           f"frames on the actions per 1,000 tokens, against "
           f"{min(r['frames_on_events_per_1k_tokens'] for r in rows):.2f} for the sparsest; "
           f"pick {densest['sampler']} for a cooking demo you will ask 'when' about, "
           f"{cheapest['sampler']} if you only need 'what'.")
    doc = {"video": scene.name, "tokens_per_frame": DEFAULT_TOKENS_PER_FRAME, "options": rows,
           "pick_for_what": cheapest["sampler"], "pick_for_when": densest["sampler"],
           "justification": why}
    text = "\n".join([f"Exercise 1: a 3-minute cooking demo ({scene.name}), "
                      f"{DEFAULT_TOKENS_PER_FRAME} tokens per frame",
                      format_table(["sampler", "frames", "tokens", "events hit", "frames on events",
                                    "per 1k tokens"],
                                   [[r["sampler"], r["frames"], f"{r['tokens']:,}",
                                     f"{r['events_hit']}/{r['events']}", r["frames_on_events"],
                                     f"{r['frames_on_events_per_1k_tokens']:.2f}"] for r in rows]),
                      why])
    return doc, text


def exercise_rope() -> tuple[dict, str]:
    scene = get_preset("cooking-3min")
    motion = scene_motion(scene)
    windows = motion_windows(motion.scores, motion.fps, DEFAULT_WINDOW_S)
    times = list(dynamic_fps_sample(motion, windows, DEFAULT_MIN_FPS, DEFAULT_MAX_FPS,
                                    DEFAULT_MAX_FRAMES).times)
    patches = temporal_positions(times)
    demo = rope_demonstration(patches)
    conclusion = rope_conclusion(demo)
    doc = {"video": scene.name, "patches": len(patches), "demonstration": demo,
           "conclusion": conclusion, "learned_table_rows": LEARNED_TABLE_ROWS,
           "frames_past_table": max(0, len(times) - LEARNED_TABLE_ROWS)}
    text = (f"Exercise 2: what time-aligned RoPE adds over a temporal embedding table\n"
            f"{scene.name}, dynamic FPS: {len(times)} frames in {len(patches)} temporal patches; "
            f"a learned table of {LEARNED_TABLE_ROWS} rows has no row for "
            f"{doc['frames_past_table']} of them.\n"
            f"{conclusion}\n(See `python code/main.py rope --synth cooking-3min` for every position.)")
    return doc, text


SCHEMA_EXAMPLES = (
    ('[{"event": "jump", "start": 4.2, "end": 4.5, "confidence": 0.9}]', "a well-formed answer"),
    ('{"error": "not_found"}', "the model says the event is not there"),
    ('[{"event": "jump", "start": 4.5, "end": 4.2, "confidence": 0.9}]', "start after end"),
    ('[{"event": "jump", "start": "4.2s", "end": 4.5}]', "a string time, no confidence"),
    ('{"event": "jump", "start": 4.2, "end": 4.5, "confidence": 0.9}', "an object, not a list"),
)


def exercise_schema() -> tuple[dict, str]:
    results = []
    for text, what in SCHEMA_EXAMPLES:
        problems = validate(json.loads(text), GROUNDING_SCHEMA, GROUNDING_SCHEMA)
        results.append({"answer": text, "what": what, "valid": not problems,
                        "violations": [{"path": p, "message": m} for p, m in problems]})
    lines = ["Exercise 3: a JSON Schema for grounding answers (`python code/main.py schema`)"]
    for r in results:
        lines.append(f"{'valid  ' if r['valid'] else 'INVALID'} {r['what']}: {r['answer']}")
        lines += [f"        {v['path']}: {v['message']}" for v in r["violations"]]
    return {"schema_id": GROUNDING_SCHEMA["$id"], "examples": results}, "\n".join(lines)


ALIGNMENT_EXPLANATION = (
    "Video-LLaVA (arXiv 2311.10122) encodes images and videos with LanguageBind encoders, which "
    "were trained contrastively against text so that both already live in one language-aligned "
    "feature space before anything reaches the LLM. Only then does a single shared projection "
    "map them into the LLM's embedding space. 'Alignment before projection' is that order: "
    "align the modalities first (in the encoders), project once (one projection for both). "
    "Earlier designs projected image and video features with separate, unaligned projections, "
    "so the LLM had to learn two visual dialects; with alignment first, what it learns from "
    "images transfers to video and the other way round. It says nothing about time: each of "
    "the 8 frames still enters as 256 tokens with only a learned frame-index embedding.")


def exercise_alignment() -> tuple[dict, str]:
    return ({"explanation": ALIGNMENT_EXPLANATION},
            "Exercise 4: Video-LLaVA's alignment before projection\n" + ALIGNMENT_EXPLANATION)


def exercise_videomme(scores: str | None, example_csv: bool) -> tuple[dict, str]:
    if example_csv:
        lines = [",".join(VIDEOMME_COLUMNS)] + [",".join(f'"{v}"' if "," in v else v for v in row)
                                                 for row in VIDEOMME_EXAMPLE]
        return {"csv": "\n".join(lines)}, "\n".join(lines)
    if scores:
        rows = read_scores(scores)
        source = scores
    else:
        rows = [{**dict(zip(VIDEOMME_COLUMNS, row)), "videomme": float(row[4]), "params_b": None}
                for row in VIDEOMME_EXAMPLE]
        source = "the built-in example (only rows checked against their published source)"
    gap = videomme_gap(rows)
    lines = ["Exercise 5: the VideoMME gap between the best open and the best proprietary model",
             "This tool cannot fetch a leaderboard. Give it one: --scores FILE, a CSV with columns "
             + ", ".join(VIDEOMME_COLUMNS) + " (access: open or proprietary; temporal_encoding: "
             "time-aligned, index, learned, none or unknown; videomme: overall accuracy in %, "
             "one setting for all rows; source: where the number was published). "
             "`exercise 5 --example-csv` prints a starting file.",
             f"Scores from {source}:",
             format_table(["model", "access", "params B", "encoding", "VideoMME"],
                          [[r["model"], r["access"], "" if r["params_b"] is None else f"{r['params_b']:g}",
                            r["temporal_encoding"], f"{r['videomme']:.1f}"] for r in rows])]
    if gap["gap"] is not None:
        lines.append(f"Gap: {gap['best_proprietary']} minus {gap['best_open']} = {gap['gap']:.1f} points.")
    if gap["scale_points_per_doubling"] is not None:
        lines.append(f"Scale: {gap['scale_points_per_doubling']:.2f} points per doubling of "
                     "parameters among open models with the best open model's encoding.")
    if gap["encoding_points"] is not None:
        lines.append(f"Temporal encoding: time-aligned open models score {gap['encoding_points']:+.1f} "
                     "points against other encodings at a similar size.")
    lines += [f"Cannot say: {note}." for note in gap["notes"]]
    return {"source": source, "rows": rows, **gap}, "\n".join(lines)


def cmd_exercise(args: argparse.Namespace) -> tuple[object, str]:
    if args.number != 5 and (args.scores or args.example_csv):
        raise UserError("--scores and --example-csv go with exercise 5")
    if args.number == 1:
        return exercise_sampling()
    if args.number == 2:
        return exercise_rope()
    if args.number == 3:
        return exercise_schema()
    if args.number == 4:
        return exercise_alignment()
    return exercise_videomme(args.scores, args.example_csv)


def save_svg(path: str, svg: str) -> dict:
    """Write an SVG whole (temporary file, then rename), or to stdout for `-`."""
    if path == "-":
        sys.stdout.write(svg)
        return {"path": "-", "bytes": len(svg.encode("utf-8"))}
    if not path.lower().endswith(".svg"):
        raise UserError(f"{path}: the picture is SVG; give a path ending in .svg")
    return {"path": path, "bytes": write_whole(path, [svg.encode("utf-8")])}


def cmd_plot(args: argparse.Namespace) -> tuple[object, str]:
    if args.out == "-" and args.json:
        raise UserError("--out - writes the SVG to stdout; it cannot go with --json")
    video = load_video(args)
    strategies = list(STRATEGIES) if "all" in args.strategy else list(dict.fromkeys(args.strategy))
    results = [run_sampler(s, video, args) for s in strategies]
    rows = [(f"{r.strategy}: {len(r.indices)} frames, {len(r.indices) * args.tokens_per_frame:,} tok",
             r.times) for r in results]
    svg = timeline_svg(video.name, video.motion, video.windows, video.cuts, video.events, rows)
    picture = save_svg(args.out, svg)
    doc = {**picture, "rows": [{"strategy": r.strategy, "frames": len(r.indices),
                                "tokens": len(r.indices) * args.tokens_per_frame} for r in results],
           "events": len(video.events), "cuts": len(video.cuts)}
    if args.out == "-":
        return doc, ""
    lines = timeline_lines(video.motion.scores, video.motion.fps, results)
    lines.append(f"wrote {picture['path']} ({picture['bytes']:,} bytes)")
    return doc, "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print one JSON document instead")
    parser = Parser(prog=PROG, description=__doc__.split("\n\n")[0],
                    formatter_class=argparse.RawDescriptionHelpFormatter,
                    epilog="Start with `python code/main.py compare`; every subcommand takes "
                           "--json and --help.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("compare", parents=[common],
                       help="the three designs end to end: tokens and temporal accuracy",
                       description="Run Video-LLaMA, Video-LLaVA and Qwen2.5-VL designs (and "
                       "ablations) on synthetic videos with known events. " + SIMULATED_READER_NOTE)
    p.add_argument("--suite", choices=("small", "full"), default="small",
                   help="small (default, about a second) or full (more and longer videos)")
    p.add_argument("--seed", type=number(int, 0, 2**31), default=DEFAULT_SEED,
                   help="seed of the suite's variations (default %(default)s)")
    p.add_argument("--design", action="append", metavar="NAME",
                   help=f"limit the rows (repeatable): {', '.join(COMPARE_DESIGNS)}")
    p.add_argument("--video", metavar="PATH", help="compare on your own clip (with --events)")
    p.add_argument("--events", metavar="FILE", help="JSON list of {event, start, end} for --video")
    p.add_argument("--fps", type=number(float, 0.001, 1000), default=None,
                   help="frame rate of a folder of frames")
    p.add_argument("--allow-truncated", action="store_true")
    p.add_argument("--svg", metavar="FILE.svg", help="also draw one video's comparison (- for stdout)")
    p.add_argument("--svg-video", metavar="NAME", help="which video to draw (default: the first)")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("synth", parents=[common], help="a synthetic video's ground truth")
    p.add_argument("--preset", default="cat-jump", help=f"one of: {', '.join(PRESETS)}")
    p.add_argument("--out", metavar="FILE.y4m", help="also write the video as a Cmono Y4M file")
    p.set_defaults(func=cmd_synth)

    p = sub.add_parser("motion", parents=[common], help="motion per window and shot cuts")
    add_source_options(p)
    p.set_defaults(func=cmd_motion)

    p = sub.add_parser("sample", parents=[common], help="where each frame sampler spends frames")
    add_source_options(p)
    p.add_argument("--strategy", choices=STRATEGIES + ("all",), default="all")
    add_sampler_options(p)
    p.add_argument("--tokens-per-frame", type=number(int, 1, 100000),
                   default=DEFAULT_TOKENS_PER_FRAME)
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("plot", parents=[common], help="an SVG timeline of motion, events, cuts, samples")
    add_source_options(p)
    p.add_argument("--strategy", nargs="+", choices=STRATEGIES + ("all",), default=["all"])
    add_sampler_options(p)
    p.add_argument("--tokens-per-frame", type=number(int, 1, 100000),
                   default=DEFAULT_TOKENS_PER_FRAME)
    p.add_argument("--out", metavar="FILE.svg", required=True, help="where to write (- for stdout)")
    p.set_defaults(func=cmd_plot)

    p = sub.add_parser("tokens", parents=[common], help="visual-token budgets of the designs")
    add_source_options(p, motion_options=False)
    p.add_argument("--duration", type=number(float, 0.001, 10 * 24 * 3600), default=None,
                   help="video length in seconds")
    p.add_argument("--total-frames", type=number(int, 1, MAX_FRAME_COUNT * 10), default=None,
                   help="video length in frames (instead of --duration)")
    p.add_argument("--width", type=number(int, 1, MAX_SIDE), default=DEFAULT_VIDEO_WIDTH)
    p.add_argument("--height", type=number(int, 1, MAX_SIDE), default=DEFAULT_VIDEO_HEIGHT)
    p.add_argument("--design", choices=tuple(DESIGNS) + ("all",), default="all")
    p.add_argument("--context", type=number(int, 1, 100_000_000), default=DEFAULT_CONTEXT_TOKENS,
                   help="the model's context in tokens (default %(default)s)")
    p.add_argument("--frames", type=number(int, 1, MAX_FRAME_COUNT), default=None,
                   help="pooled/qformer: frames taken (defaults: 8 for pooled, 16 for qformer)")
    p.add_argument("--patch", type=number(int, 1, 1024), default=None,
                   help="patch size (defaults: 16 for naive, 14 for pooled)")
    p.add_argument("--image-size", type=number(int, 1, 8192), default=ENCODER_SIZE,
                   help="encoder input side for naive/pooled (default %(default)s)")
    p.add_argument("--pool", type=number(int, 1, 1024), default=1,
                   help="pooled: k x k pooling of the patch grid (default 1, none)")
    p.add_argument("--clip-frames", type=number(int, 1, 100000), default=VIDEO_LLAMA_CLIP_FRAMES)
    p.add_argument("--queries", type=number(int, 1, 100000), default=VIDEO_LLAMA_QUERIES)
    p.add_argument("--audio-queries", type=number(int, 0, 100000), default=0)
    q = p.add_argument_group("Qwen2.5-VL (qwen-vl-utils options; unset = its defaults)")
    q.add_argument("--sample-fps", type=number(float, 0.001, 1000), default=None,
                   help=f"frames per second to take (default {QWEN_FPS})")
    q.add_argument("--nframes", type=number(int, 1, MAX_FRAME_COUNT), default=None)
    q.add_argument("--min-frames", type=number(int, 1, MAX_FRAME_COUNT), default=None)
    q.add_argument("--max-frames", type=number(int, 1, MAX_FRAME_COUNT), default=None)
    q.add_argument("--min-pixels", type=number(float, 1, 1e10), default=None)
    q.add_argument("--max-pixels", type=number(float, 1, 1e10), default=None)
    q.add_argument("--total-pixels", type=number(float, 1, 1e12), default=None)
    q.add_argument("--resized-height", type=number(int, 1, MAX_SIDE), default=None)
    q.add_argument("--resized-width", type=number(int, 1, MAX_SIDE), default=None)
    p.set_defaults(func=cmd_tokens)

    p = sub.add_parser("rope", parents=[common],
                       help="temporal positions: index vs time-aligned M-RoPE vs learned table",
                       description="Where each visual token sits in time. Qwen2.5-VL's paper "
                       "calls its encoding MRoPE aligned to absolute time; 'TMRoPE' is the name "
                       "Qwen2.5-Omni gave its time-aligned variant; the lesson says TMRoPE for both.")
    add_source_options(p)
    p.add_argument("--strategy", choices=STRATEGIES, default="dynamic",
                   help="sampler for --synth/--video (default %(default)s)")
    add_sampler_options(p)
    p.add_argument("--timestamps", help="comma-separated sampled seconds, e.g. 0,0.5,1,4,4.25")
    p.add_argument("--tokens-per-second", type=number(float, 0.001, 1000), default=TOKENS_PER_SECOND)
    p.add_argument("--table-rows", type=number(int, 1, 100000), default=LEARNED_TABLE_ROWS,
                   help="rows of the learned frame table (default %(default)s, Video-LLaVA)")
    p.add_argument("--layout", help='prompt layout for 3-axis ids, e.g. "text:2 video:3x4x4@2.0 text:3"')
    p.add_argument("--encoding", choices=("absolute", "index"), default="absolute")
    p.set_defaults(func=cmd_rope)

    p = sub.add_parser("parse", parents=[common], help="how one model answer is read")
    p.add_argument("text", help="the model's answer, or - to read it from stdin")
    p.add_argument("--duration", type=number(float, 0.001, MAX_TIME_S), default=None,
                   help="the video's length, for the out-of-range check")
    add_policy_options(p)
    p.set_defaults(func=cmd_parse)

    p = sub.add_parser("evaluate", parents=[common], help="score temporal-grounding answers",
                       description="Score a JSONL file of model answers. " + " ".join(
                           f"--gt {name}: {text}." for name, text in GT_FORMATS.items()))
    p.add_argument("predictions", help="JSONL: {id, output, gt?, duration?} per line (- for stdin)")
    p.add_argument("--gt", help="ground truth: Charades-STA .txt, ActivityNet Captions .json or "
                                "QVHighlights .jsonl")
    p.add_argument("--duration-file", help="durations: JSON {id: seconds} or JSONL {id, duration}")
    p.add_argument("--tolerance", type=number(float, 0.0, 3600.0), default=DEFAULT_TOLERANCE_S,
                   help="seconds for tolerance accuracy (default %(default)s)")
    p.add_argument("--point-as-interval", type=number(float, 0.001, 3600.0), default=None,
                   metavar="W", help="score a point answer as a W-second interval for IoU "
                                     "(default: a point scores IoU 0)")
    p.add_argument("--compat", choices=("lmms-eval",), default=None,
                   help="reproduce lmms-eval's Charades-STA parsing and scoring, quirks included")
    p.add_argument("--details", action="store_true", help="include every answer's reading")
    add_policy_options(p)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("schema", parents=[common], help="JSON Schema for grounding answers")
    p.add_argument("--validate", metavar="FILE",
                   help="check answers (JSONL: a JSON answer, or {output: text}) per line; "
                        "exit status 1 if any answer does not match")
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser("plan", parents=[common], help="a frame plan for a video task, or a refusal")
    p.add_argument("--task", choices=TASKS, required=True)
    p.add_argument("--duration", type=number(float, 0.1, 10 * 24 * 3600), default=None,
                   help="video length in seconds (or measure one with --video/--synth)")
    p.add_argument("--context", type=number(int, 1, 100_000_000), default=DEFAULT_CONTEXT_TOKENS,
                   help="the model's context in tokens (default %(default)s)")
    p.add_argument("--model-size", type=number(float, 0.1, 10000), default=DEFAULT_MODEL_SIZE_B,
                   help="model parameters in billions (default %(default)s)")
    p.add_argument("--target", choices=("standard", "frontier"), default="standard")
    p.add_argument("--max-fps", type=number(float, 0.01, 240), default=DEFAULT_MAX_FPS,
                   help="frame-rate cap, whatever the sampler (default %(default)s)")
    add_source_options(p)
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("skill", parents=[common], help=f"write outputs/{SKILL_FILE}")
    p.add_argument("--check", action="store_true",
                   help="exit 1 and say what differs if the file is not what skill writes")
    p.add_argument("--out", metavar="PATH", help="write (or check) this path instead")
    p.set_defaults(func=cmd_skill)

    p = sub.add_parser("exercise", parents=[common], help="the lesson's exercises, worked")
    p.add_argument("number", type=number(int, 1, 5), help="1 sampling, 2 RoPE, 3 schema, "
                   "4 alignment before projection, 5 VideoMME gap")
    p.add_argument("--scores", metavar="FILE", help="exercise 5: a CSV of VideoMME scores")
    p.add_argument("--example-csv", action="store_true", help="exercise 5: print a starting CSV")
    p.set_defaults(func=cmd_exercise)

    p = sub.add_parser("bench", parents=[common], help="speed of reading and motion scoring")
    p.add_argument("--seconds", type=number(float, 1, 600), default=60.0,
                   help="length of the 640x360 30 fps bench clip (default %(default)s)")
    p.add_argument("--naive-frames", type=number(int, 2, 100000), default=90,
                   help="frames for the naive reference, which is slow (default %(default)s)")
    p.add_argument("--answers", type=number(int, 1, 10_000_000), default=100_000,
                   help="JSONL answers to score (default %(default)s)")
    p.add_argument("--seed", type=number(int, 0, 2**31), default=DEFAULT_SEED)
    p.set_defaults(func=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand. User errors: one line on stderr, status 2. Ctrl-C: one line,
    status 130. A reader that closes the pipe early (`| head`): quiet, status 1."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        doc, text, *rest = args.func(args)
        output = json.dumps(doc, allow_nan=False) if args.json else text
        if output:
            print(output)
        sys.stdout.flush()
    except BrokenPipeError:
        # Point stdout at /dev/null so the interpreter's final flush does not complain too.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except (ValueError, OSError) as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    return rest[0] if rest else 0


if __name__ == "__main__":
    raise SystemExit(main())
