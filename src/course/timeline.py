"""Record what the tasks of a piece of async code did, and draw it: one lane per task, time across.

Why: "these requests run concurrently" or "never more than two at once" are claims about *when*
things happened, and a test's verdict (``3.0 != 1.0``, ``peak 1 != 2``) states the result without
showing the schedule that produced it. A picture of the schedule makes the interleaving visible:
three one-second waits side by side, or one after another.

Two ways in, one for each kind of cell:

* ``course.timeline(fetch_all, SKUS)`` in a plain cell runs ``fetch_all(SKUS)`` on a fresh loop with
  virtual time (looptime) and returns a :class:`Timeline`, which Jupyter draws (an SVG picture) and
  which prints as text. The kernel's own loop runs on real time and is already running in the main
  thread, so the block runs on a loop of its own in a worker thread.
* ``with course.timeline.record() as picture:`` inside an async test (``@pytest.mark.looptime``) or a
  check records on the loop that is already running, from the ``with`` to its end.

Recording technique: a task factory, installed for the block and restored afterwards, wraps the
coroutine of every task created meanwhile in a proxy whose ``send``/``throw`` mark the task resumed,
and whose return marks it suspended (and on what), finished, raised or cancelled. The proxy forwards
every call and attribute to the real coroutine, so the code does what it did without it; the one
visible difference is that ``task.get_coro()`` is the proxy (``inspect.iscoroutine`` says False).
Tasks that existed before the block (the test's own task) are not recorded.

Determinism: strict nbval compares both renderings byte for byte, on every Python from 3.11 on.
Times come from the loop's clock on virtual time, relative to the start of the recording; lanes are
labelled from the coroutine's name and first argument (or an explicit task name), never from ids,
addresses or default ``Task-N`` names; "waiting on" is named after public asyncio coroutines
(``sleep``, ``Event.wait``, ``TaskGroup.__aexit__``), never after their private helpers.
"""

from __future__ import annotations

import asyncio
import collections.abc
import concurrent.futures
import contextlib
import functools
import html
import inspect
import math
import re
import sys
import types
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Event", "Lane", "Timeline", "record", "run"]

LABEL_WIDTH = 30  # the longest label the text rendering prints in full
CHART_COLUMNS = 60  # at most this many columns of time: label + chart + outcome fit 100 columns
VIRTUAL_LIMIT = 3600.0  # run(): give up on code still waiting after this many virtual seconds

# What a suspended task waits for, as one glyph: the simulated work itself, or something else.
TIME, OTHER = "time", "other"
GLYPHS = {TIME: "█", OTHER: "░"}
LEGEND = "█ waiting on time (sleep, simulated I/O)   ░ waiting on another task, a lock, an event, a queue"

_DEFAULT_TASK_NAME = re.compile(r"^Task-\d+$")
_SIMPLE = (str, int, float, bool, type(None))


@dataclass(frozen=True)
class Event:
    """One thing a task did, at ``time`` seconds (virtual) after the recording started.

    ``kind`` is one of ``created``, ``resumed``, ``suspended`` (``detail``: what it waits on),
    ``cancel`` (a ``CancelledError`` was thrown into it), ``finished``, ``raised`` (``detail``: the
    exception's type), ``cancelled`` or ``timed out`` (it ended with ``TimeoutError``).
    """

    time: float
    task: str
    kind: str
    detail: str = ""


@dataclass
class Lane:
    """One task's life: when it was created and ended, its waits, and how it ended."""

    label: str
    created: float
    ended: float | None = None
    outcome: str = ""  # "" while running, then "finished", "raised X", "cancelled", "timed out"
    waits: list[tuple[float, float, str, str]] = field(default_factory=list)  # start, end, kind, on
    steps: list[float] = field(default_factory=list)  # the moments it ran (instants on virtual time)


def _round(seconds: float) -> float:
    # looptime's clock is exact to its resolution, but sums of floats are not: 0.1 + 0.2.
    return round(seconds, 6) + 0.0  # + 0.0 turns -0.0 into 0.0


def _first_arg(coro: Any) -> str:
    """``fetch('apple')``: the coroutine's name and its first argument, if that prints the same everywhere."""
    name = getattr(coro, "__name__", None) or type(coro).__name__
    code, frame = getattr(coro, "cr_code", None), getattr(coro, "cr_frame", None)
    if code is None or frame is None:
        return f"{name}()"
    params = list(code.co_varnames[: code.co_argcount + code.co_kwonlyargcount])
    if params and params[0] in ("self", "cls"):
        params = params[1:]
    if not params:
        return f"{name}()"
    shown = _show(frame.f_locals.get(params[0]))
    more = ", …" if len(params) > 1 else ""
    return f"{name}({shown}{more})"


def _show(value: Any) -> str:
    """An argument as the label shows it: literals as written, a function by its name, a partial as
    the call it stands for; anything else as ``…`` (its repr may hold an address)."""
    if isinstance(value, functools.partial) and isinstance(getattr(value.func, "__name__", None), str):
        inner = _show(value.args[0]) if value.args else ""
        more = ", …" if len(value.args) + len(value.keywords) > 1 else ""
        return f"{value.func.__name__}({inner}{more})"
    if inspect.isfunction(value) or inspect.isclass(value) or inspect.isbuiltin(value):
        return value.__name__
    shown = repr(value) if isinstance(value, _SIMPLE) else "…"
    return shown if len(shown) <= 16 else shown[:15] + "…"


def _waiting_on(coro: Any, yielded: Any, labels: dict[int, str]) -> str:
    """What a task that just suspended waits for, in a few words (``sleep`` means the clock).

    The chain of ``cr_await`` leads from the task's coroutine to the innermost one; the first
    asyncio coroutine on it is the public call the code made (``sleep``, ``Queue.get``), whatever
    private helpers that call uses inside on this Python version.
    """
    current, private = coro, ""
    while current is not None:
        frame = getattr(current, "cr_frame", None) or getattr(current, "gi_frame", None)
        if frame is not None and frame.f_globals.get("__name__", "").startswith("asyncio."):
            what = str(current.__qualname__)
            # `async with semaphore` enters through a private mixin first: name the public call inside.
            if not any(part.startswith("_") and not part.startswith("__") for part in what.split(".")):
                return what
            private = private or what
        current = getattr(current, "cr_await", None) or getattr(current, "gi_yieldfrom", None)
    if private:
        return private
    if isinstance(yielded, asyncio.Task):
        return labels.get(id(yielded), "another task")
    if type(yielded).__name__ == "_GatheringFuture":
        return "gather"
    return "a future"


class _Traced(collections.abc.Coroutine):
    """Drives the real coroutine for its task and tells the recorder each time it runs and stops."""

    __slots__ = ("_coro", "_recorder", "_task_key")

    def __init__(self, coro: Any, recorder: _Recorder) -> None:
        self._coro = coro
        self._recorder = recorder
        self._task_key = 0  # id of the task, set once the task exists

    def send(self, value: Any) -> Any:
        return self._step(self._coro.send, value)

    def throw(self, *args: Any) -> Any:  # the Task passes one argument: no 3.12 deprecation warning
        error = args[0] if args else None
        if isinstance(error, asyncio.CancelledError) or (
            isinstance(error, type) and issubclass(error, asyncio.CancelledError)
        ):
            self._recorder.note(self._task_key, "cancel")
        return self._step(self._coro.throw, *args)

    def close(self) -> None:
        self._coro.close()

    def __await__(self) -> Any:
        return self._coro.__await__()

    def __getattr__(self, name: str) -> Any:  # cr_frame, cr_await, __name__, __qualname__, ...
        return getattr(self._coro, name)

    def _step(self, method: Callable[..., Any], *args: Any) -> Any:
        recorder, key = self._recorder, self._task_key
        recorder.note(key, "resumed")
        try:
            yielded = method(*args)
        except StopIteration:
            recorder.note(key, "finished")
            raise
        except asyncio.CancelledError:
            recorder.note(key, "cancelled")
            raise
        except TimeoutError:
            recorder.note(key, "timed out")
            raise
        except BaseException as error:
            recorder.note(key, "raised", type(error).__name__)
            raise
        recorder.note(key, "suspended", _waiting_on(self._coro, yielded, recorder.labels))
        return yielded


class _Recorder:
    """The task factory and the event log of one recording."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.start = loop.time()
        self.previous = loop.get_task_factory()
        self.active = True
        self.tasks: list[tuple[asyncio.Future[Any], str]] = []  # held strongly: see virtual_time.run
        self.labels: dict[int, str] = {}
        self.raw: list[tuple[float, int, str, str]] = []  # time, task id, kind, detail

    def now(self) -> float:
        return _round(self.loop.time() - self.start)

    def factory(self, loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Future[Any]:
        label = _first_arg(coro)  # before the coroutine starts, its frame holds just the arguments
        traced = _Traced(coro, self)
        task: asyncio.Future[Any]
        if self.previous is None:
            task = asyncio.Task(traced, loop=loop, **kwargs)
        else:
            task = self.previous(loop, traced, **kwargs)
        traced._task_key = id(task)
        self.tasks.append((task, label))
        self.labels[id(task)] = label
        self.note(id(task), "created")
        return task

    def note(self, key: int, kind: str, detail: str = "") -> None:
        if self.active:
            self.raw.append((self.now(), key, kind, detail))

    def timeline(self) -> Timeline:
        """Name the lanes (Python 3.11 sets a task's name only after the factory returns)."""
        names: dict[int, str] = {}
        seen: dict[str, int] = {}
        for task, label in self.tasks:
            name = task.get_name() if isinstance(task, asyncio.Task) else "Task-0"
            base = label if _DEFAULT_TASK_NAME.match(name) else name
            seen[base] = seen.get(base, 0) + 1
            names[id(task)] = base if seen[base] == 1 else f"{base} #{seen[base]}"
        self.labels.update(names)
        return Timeline.from_events(
            [Event(t, names[key], kind, detail) for t, key, kind, detail in self.raw], end=self.now()
        )


class Timeline:
    """What the tasks did: ``events`` in order, one :class:`Lane` per task, and both renderings.

    ``run()`` also stores the block's outcome: ``result`` returns its value or raises its error.
    """

    def __init__(self, events: list[Event], lanes: list[Lane], end: float) -> None:
        self.events = events
        self.lanes = lanes
        self.end = end
        self._outcome: tuple[bool, Any] = (True, None)

    @classmethod
    def from_events(cls, events: list[Event], end: float) -> Timeline:
        lanes: dict[str, Lane] = {}
        waiting: dict[str, tuple[float, str, str]] = {}
        for event in events:
            if event.kind == "created":
                lanes[event.task] = Lane(event.task, event.time)
                continue
            lane = lanes[event.task]
            if event.kind == "resumed":
                if not lane.steps or lane.steps[-1] != event.time:  # one mark per moment
                    lane.steps.append(event.time)
                if event.task in waiting:
                    start, kind, on = waiting.pop(event.task)
                    if event.time > start:  # a wait of no time at all (sleep(0)) draws nothing
                        lane.waits.append((start, event.time, kind, on))
            elif event.kind == "suspended":
                waiting[event.task] = (event.time, TIME if event.detail == "sleep" else OTHER, event.detail)
            elif event.kind in ("finished", "raised", "cancelled", "timed out"):
                lane.ended = event.time
                lane.outcome = f"raised {event.detail}" if event.kind == "raised" else event.kind
        for task, (start, kind, on) in waiting.items():  # still waiting when the recording stopped
            if end > start:
                lanes[task].waits.append((start, end, kind, on))
        return cls(events, list(lanes.values()), end)

    @property
    def result(self) -> Any:
        """The value the block returned; its exception, raised again, if it failed."""
        ok, value = self._outcome
        if not ok:
            raise value
        return value

    @property
    def error(self) -> BaseException | None:
        ok, value = self._outcome
        return None if ok else value

    # --- text -----------------------------------------------------------------------------------

    def _scale(self) -> tuple[float, float]:
        """Columns per second, and seconds between tick labels, so the chart fits ``CHART_COLUMNS``."""
        per_second = 10.0
        for candidate in (20.0, 10.0, 5.0, 4.0, 2.0, 1.0, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001):
            per_second = candidate
            if self.end * candidate <= CHART_COLUMNS:
                break
        ticks = (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
        tick = next(t for t in ticks if t * per_second >= 8)
        return per_second, float(tick)

    def text(self, *, legend: bool = True) -> str:
        """The lanes as lines of text, at most 100 columns wide; the same on every run and Python."""
        if not self.lanes:
            return "(no task was created while recording)"
        per_second, tick = self._scale()
        columns = max(1, math.ceil(self.end * per_second - 1e-9))
        width = min(LABEL_WIDTH, max(len("time (s)"), *(len(lane.label) for lane in self.lanes))) + 2
        axis = [" "] * (columns + 8)
        ticks = int(self.end // tick + 1e-9)
        for n in range(ticks + 1):
            mark = f"{n * tick:g}"
            at = round(n * tick * per_second)
            if at + len(mark) <= len(axis):
                axis[at : at + len(mark)] = mark
        lines = ["time (s)".ljust(width) + "".join(axis).rstrip()]
        for lane in self.lanes:
            label = lane.label if len(lane.label) <= LABEL_WIDTH else lane.label[: LABEL_WIDTH - 1] + "…"
            cells = [self._cell(lane, i / per_second, (i + 1) / per_second) for i in range(columns)]
            chart = "".join(cells).rstrip()
            outcome = "" if lane.outcome in ("finished", "") else lane.outcome
            if not lane.outcome:
                outcome = "still running"
            lines.append((label.ljust(width) + chart + ("  " + outcome if outcome else "")).rstrip())
        if legend:
            lines.append(LEGEND)
        return "\n".join(lines)

    def _cell(self, lane: Lane, start: float, end: float) -> str:
        """One column: the kind of wait that fills most of it; a dot where the task lived but did not wait."""
        ended = self.end if lane.ended is None else lane.ended
        if start <= lane.created == ended < end:  # a life shorter than an instant: created and done
            return "·"
        if ended <= start or lane.created >= end:
            return " "
        best, glyph = 0.0, "·"
        for wait_start, wait_end, kind, _ in lane.waits:
            overlap = min(end, wait_end) - max(start, wait_start)
            if overlap > best + 1e-12:
                best, glyph = overlap, GLYPHS[kind]
        return glyph

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"<Timeline: {len(self.lanes)} tasks over {self.end:g} s>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # IPython's text/plain
        printer.text(self.text())

    # --- html -----------------------------------------------------------------------------------

    def _repr_html_(self) -> str:
        """An inline SVG: one lane per task, readable on light and dark themes (text in currentColor)."""
        if not self.lanes:
            return "<p>(no task was created while recording)</p>"
        longest = max(len(_clip(lane.label)) for lane in self.lanes)
        label_px, lane_px, chart_px, top = max(80, round(longest * 7.3) + 14), 26, 560, 24  # 12 px monospace
        span = self.end or 1.0
        _, tick = self._scale()
        x = lambda seconds: label_px + chart_px * seconds / span  # noqa: E731 - a one-line scale, used inline
        height = top + lane_px * len(self.lanes) + 30
        width = label_px + chart_px + 110
        out = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="monospace" font-size="12" fill="currentColor" '
            'role="img" aria-label="task timeline">'
        ]
        ticks = int(self.end // tick + 1e-9)
        for n in range(ticks + 1):
            at = _px(x(n * tick))
            out.append(f'<line x1="{at}" y1="{top - 6}" x2="{at}" y2="{height - 30}" stroke="currentColor" '
                       'stroke-opacity="0.2"/>')
            out.append(f'<text x="{at}" y="{top - 10}" text-anchor="middle">{n * tick:g}</text>')
        out.append(f'<text x="0" y="{top - 10}">time (s)</text>')
        for row, lane in enumerate(self.lanes):
            y = top + row * lane_px
            out.append(f'<text x="0" y="{y + 16}">{html.escape(_clip(lane.label))}</text>')
            ended = self.end if lane.ended is None else lane.ended
            for wait_start, wait_end, kind, on in lane.waits:
                # Mid-tone colours that read on white and on black alike; the wait for others is lighter.
                style = 'fill="#3b82f6"' if kind == TIME else 'fill="#f59e0b" fill-opacity="0.4" stroke="#f59e0b"'
                out.append(
                    f'<rect x="{_px(x(wait_start))}" y="{y + 4}" width="{_px(max(x(wait_end) - x(wait_start), 1))}" '
                    f'height="16" rx="3" {style}>'
                    f"<title>{html.escape(lane.label)}: waiting on {html.escape(on)}, "
                    f"{wait_start:g} to {wait_end:g} s</title></rect>"
                )
            for step in lane.steps:
                out.append(f'<rect x="{_px(x(step) - 1)}" y="{y + 2}" width="2" height="20" fill="currentColor">'
                           f"<title>{html.escape(lane.label)} runs at {step:g} s</title></rect>")
            outcome = lane.outcome or "still running"
            if outcome != "finished":
                colour = "#ef4444" if outcome.startswith("raised") or outcome == "timed out" else "#9ca3af"
                out.append(f'<text x="{_px(x(ended) + 6)}" y="{y + 16}" fill="{colour}">{html.escape(outcome)}</text>')
        legend_y = height - 10
        out.append(f'<rect x="0" y="{legend_y - 10}" width="12" height="12" rx="2" fill="#3b82f6"/>')
        out.append(f'<text x="18" y="{legend_y}">waiting on time (sleep, simulated I/O)</text>')
        out.append(f'<rect x="330" y="{legend_y - 10}" width="12" height="12" rx="2" fill="#f59e0b" '
                   'fill-opacity="0.4" stroke="#f59e0b"/>')
        out.append(f'<rect x="645" y="{legend_y - 10}" width="2" height="12" fill="currentColor"/>')
        out.append(f'<text x="653" y="{legend_y}">the task runs</text>')
        out.append(f'<text x="348" y="{legend_y}">waiting on a task, lock, event, queue</text>')
        out.append("</svg>")
        return '<div class="course-timeline">' + "".join(out) + "</div>"


def _px(value: float) -> str:
    return f"{round(value, 1):g}"


def _clip(label: str) -> str:
    return label if len(label) <= LABEL_WIDTH else label[: LABEL_WIDTH - 1] + "…"


@contextlib.contextmanager
def record() -> Iterator[Timeline]:
    """Record the tasks created on the running loop until the ``with`` block ends.

    Use it inside async code on virtual time (a ``@pytest.mark.looptime`` test, a check): on a
    real-time loop the picture would differ from run to run, so that is refused. The Timeline is
    filled in when the block ends, and the loop's task factory is restored as it was.
    """
    loop = asyncio.get_running_loop()
    if not getattr(loop, "looptime_on", False):
        raise RuntimeError(
            "course.timeline.record() needs virtual time: mark the test @pytest.mark.looptime, "
            "or use course.timeline(coroutine_function, *args) in a plain cell."
        )
    recorder = _Recorder(loop)
    picture = Timeline([], [], 0.0)
    loop.set_task_factory(recorder.factory)
    try:
        yield picture
    finally:
        if loop.get_task_factory() == recorder.factory:
            loop.set_task_factory(recorder.previous)
        recorder.active = False
        done = recorder.timeline()
        picture.events, picture.lanes, picture.end = done.events, done.lanes, done.end


def run(coro_fn: Callable[..., Awaitable[Any]], /, *args: Any, limit: float = VIRTUAL_LIMIT, **kwargs: Any) -> Timeline:
    """Run ``coro_fn(*args, **kwargs)`` on a new virtual-time loop and return its Timeline.

    The block's own task is the first lane. An error does not escape: the picture shows it, and
    ``Timeline.result`` raises it. Code still waiting after ``limit`` virtual seconds (a deadlock)
    is cancelled there. Called where a loop is already running (a notebook cell), the block runs in
    a worker thread, since a thread can run only one loop at a time.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run_here(coro_fn, args, kwargs, limit)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="timeline") as pool:
        return pool.submit(_run_here, coro_fn, args, kwargs, limit).result()


def _run_here(
    coro_fn: Callable[..., Awaitable[Any]], args: tuple[Any, ...], kwargs: dict[str, Any], limit: float
) -> Timeline:
    import looptime

    problems: list[str] = []
    outcome: list[tuple[bool, Any]] = []
    picture: list[Timeline] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        # An error nobody retrieved would be logged to stderr; the picture shows it already.
        loop.set_exception_handler(lambda loop, context: problems.append(context["message"]))
        with record() as recorded:
            picture.append(recorded)
            task = asyncio.ensure_future(coro_fn(*args, **kwargs))
            try:
                async with asyncio.timeout(limit):
                    outcome.append((True, await task))
            except BaseException as error:  # noqa: BLE001 - shown in the picture, raised by .result
                outcome.append((False, error))
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for other in others:  # what the block left running ends here, as asyncio.run would end it
                other.cancel()
            await asyncio.gather(*others, return_exceptions=True)

    with asyncio.Runner(loop_factory=lambda: looptime.new_event_loop(start=0.0)) as runner:
        runner.run(main())
    timeline = picture[0]
    timeline._outcome = outcome[0]
    return timeline


class _CallableModule(types.ModuleType):
    """Makes ``course.timeline(fetch_all, SKUS)`` work while ``course.timeline.record()`` stays here."""

    def __call__(self, coro_fn: Callable[..., Awaitable[Any]], /, *args: Any, **kwargs: Any) -> Timeline:
        return run(coro_fn, *args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
