"""The task timeline (course.timeline): what it records, how it draws it, and that it changes nothing.

Notebooks store both renderings and strict nbval compares them, so the golden texts below are the
contract: the same bytes on every run and on every Python the course supports.
"""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ElementTree

import pytest

import course
from course import timeline
from course.timeline import Event, Timeline


async def work(name, seconds=1.0):
    await asyncio.sleep(seconds)
    return name


async def one_after_another():
    return [await work("a"), await work("b")]


async def side_by_side():
    return await asyncio.gather(work("a"), work("b", 2.0))


def kinds(picture: Timeline, task: str) -> list[tuple[float, str, str]]:
    return [(e.time, e.kind, e.detail) for e in picture.events if e.task == task]


# --- what is recorded -----------------------------------------------------------------------------


def test_sequential_code_is_one_task_waiting_twice():
    picture = course.timeline(one_after_another)
    assert picture.result == ["a", "b"]
    assert [lane.label for lane in picture.lanes] == ["one_after_another()"]
    assert kinds(picture, "one_after_another()") == [
        (0.0, "created", ""), (0.0, "resumed", ""), (0.0, "suspended", "sleep"),
        (1.0, "resumed", ""), (1.0, "suspended", "sleep"), (2.0, "resumed", ""), (2.0, "finished", ""),
    ]
    assert picture.end == 2.0


def test_concurrent_code_is_a_lane_per_task_and_the_waits_overlap():
    picture = timeline.run(side_by_side)
    assert picture.result == ["a", "b"]
    assert [lane.label for lane in picture.lanes] == ["side_by_side()", "work('a', …)", "work('b', …)"]
    main, a, b = picture.lanes
    assert main.waits == [(0.0, 2.0, "other", "gather")]
    assert a.waits == [(0.0, 1.0, "time", "sleep")] and (a.created, a.ended, a.outcome) == (0.0, 1.0, "finished")
    assert b.waits == [(0.0, 2.0, "time", "sleep")] and b.ended == 2.0


def test_a_cancelled_task_is_marked_cancelled_when_the_cancellation_arrives():
    async def cancel_after_one_second():
        task = asyncio.create_task(work("slow", 10.0), name="slow")
        await asyncio.sleep(1.0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    picture = course.timeline(cancel_after_one_second)
    assert picture.error is None
    assert kinds(picture, "slow") == [
        (0.0, "created", ""), (0.0, "resumed", ""), (0.0, "suspended", "sleep"),
        (1.0, "cancel", ""), (1.0, "resumed", ""), (1.0, "cancelled", ""),
    ]
    assert picture.lanes[1].outcome == "cancelled"


def test_a_timeout_is_marked_timed_out():
    async def too_slow():
        async with asyncio.timeout(0.5):
            await work("slow", 5.0)

    picture = course.timeline(too_slow)
    assert isinstance(picture.error, TimeoutError)
    with pytest.raises(TimeoutError):
        _ = picture.result
    assert kinds(picture, "too_slow()")[-3:] == [(0.5, "cancel", ""), (0.5, "resumed", ""), (0.5, "timed out", "")]


def test_an_exception_is_marked_with_its_type_and_the_others_go_on():
    async def one_fails():
        async def broken():
            await asyncio.sleep(1.0)
            raise KeyError("durian")

        return await asyncio.gather(broken(), work("a", 2.0), return_exceptions=True)

    picture = course.timeline(one_fails)
    outcomes = {lane.label: (lane.ended, lane.outcome) for lane in picture.lanes}
    assert outcomes == {"one_fails()": (2.0, "finished"), "broken()": (1.0, "raised KeyError"),
                        "work('a', …)": (2.0, "finished")}


def test_waits_on_other_things_are_named_by_the_public_call():
    async def queue_and_event():
        queue, event = asyncio.Queue(), asyncio.Event()

        async def consumer():
            item = await queue.get()
            await asyncio.sleep(1.0)  # the work, while the group's owner waits at the end of the block
            return item

        async def waiter():
            await event.wait()

        async with asyncio.TaskGroup() as group:
            group.create_task(consumer(), name="consumer")
            group.create_task(waiter(), name="waiter")
            await asyncio.sleep(1.0)
            queue.put_nowait("item")
            event.set()

    picture = course.timeline(queue_and_event)
    waits = {lane.label: [on for *_, on in lane.waits] for lane in picture.lanes}
    assert waits == {"queue_and_event()": ["sleep", "TaskGroup.__aexit__"], "consumer": ["Queue.get", "sleep"],
                     "waiter": ["Event.wait"]}


def test_a_semaphore_wait_is_named_after_acquire_not_a_private_helper():
    async def two_through_one_slot():
        slot = asyncio.Semaphore(1)

        async def use():
            async with slot:
                await asyncio.sleep(1.0)

        await asyncio.gather(use(), use())

    picture = course.timeline(two_through_one_slot)
    assert [(start, end, on) for start, end, _, on in picture.lanes[2].waits] == [
        (0.0, 1.0, "Semaphore.acquire"), (1.0, 2.0, "sleep")
    ]


def test_a_wait_of_no_time_draws_nothing_and_a_moment_is_marked_once():
    async def yields_twice():
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        await asyncio.sleep(1.0)

    lane = course.timeline(yields_twice).lanes[0]
    assert lane.waits == [(0.0, 1.0, "time", "sleep")]
    assert lane.steps == [0.0, 1.0]


def test_a_deadlock_is_cancelled_at_the_virtual_limit():
    async def waits_forever():
        await asyncio.Event().wait()

    picture = timeline.run(waits_forever, limit=30.0)
    assert isinstance(picture.error, TimeoutError)
    assert (picture.lanes[0].ended, picture.lanes[0].outcome) == (30.0, "cancelled")


def test_tasks_left_running_are_cancelled_at_the_end_and_shown_so():
    async def leaves_one_behind():
        orphan = asyncio.create_task(work("orphan", 10.0), name="orphan")
        await asyncio.sleep(1.0)
        assert not orphan.done()

    picture = course.timeline(leaves_one_behind)
    assert {lane.label: lane.outcome for lane in picture.lanes} == {"leaves_one_behind()": "finished",
                                                                    "orphan": "cancelled"}


# --- the renderings -------------------------------------------------------------------------------

SEQUENTIAL = """\
time (s)             0         0.5       1         1.5       2
one_after_another()  ████████████████████████████████████████
█ waiting on time (sleep, simulated I/O)   ░ waiting on another task, a lock, an event, a queue"""

CONCURRENT = """\
time (s)        0         0.5       1         1.5       2
side_by_side()  ░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░
work('a', …)    ████████████████████
work('b', …)    ████████████████████████████████████████
█ waiting on time (sleep, simulated I/O)   ░ waiting on another task, a lock, an event, a queue"""


def test_golden_text_of_sequential_and_concurrent():
    assert str(course.timeline(one_after_another)) == SEQUENTIAL
    assert course.timeline(side_by_side).text() == CONCURRENT


def test_golden_text_of_outcomes_without_legend():
    async def mixed():
        async def broken():
            await asyncio.sleep(0.5)
            raise KeyError("durian")

        slow = asyncio.create_task(work("slow", 10.0), name="slow")
        failing = asyncio.create_task(broken(), name="broken")
        await asyncio.sleep(1.0)
        slow.cancel()
        await asyncio.gather(slow, failing, return_exceptions=True)

    assert course.timeline(mixed).text(legend=False) == (
        "time (s)  0         0.5       1\n"
        "mixed()   ████████████████████\n"
        "slow      ████████████████████  cancelled\n"
        "broken    ██████████  raised KeyError"
    )


def test_text_fits_in_100_columns_even_for_long_runs_and_labels():
    async def long_and_many():
        names = [f"a_rather_long_task_name_number_{n}" for n in range(3)]
        await asyncio.gather(*(asyncio.create_task(work(n, 500.0), name=n) for n in names))

    text = course.timeline(long_and_many).text()
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "a_rather_long_task_name_number_0"[:29] + "…" in text


def test_the_html_is_well_formed_svg_without_ids():
    page = course.timeline(side_by_side)._repr_html_()
    root = ElementTree.fromstring(page)  # well-formed XML, so also well-formed HTML
    svg = root.find("{http://www.w3.org/2000/svg}svg")
    assert svg is not None and svg.get("fill") == "currentColor"  # text follows the theme's colour
    labels = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert {"side_by_side()", "work('a', …)", "work('b', …)", "time (s)"} <= set(labels)
    assert " id=" not in page and "0x" not in page
    titles = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}title")]
    assert "work('b', …): waiting on sleep, 0 to 2 s" in titles


def test_both_renderings_are_identical_across_runs():
    first, second = course.timeline(side_by_side), course.timeline(side_by_side)
    assert first.text() == second.text()
    assert first._repr_html_() == second._repr_html_()


def test_ipython_shows_the_text_as_plain_text():
    from IPython.lib.pretty import pretty

    picture = course.timeline(one_after_another)
    assert pretty(picture) == SEQUENTIAL
    assert repr(picture) == "<Timeline: 1 tasks over 2 s>"


def test_an_empty_recording_says_so():
    picture = Timeline.from_events([], end=0.0)
    assert picture.text() == "(no task was created while recording)"
    assert "no task" in picture._repr_html_()


def test_events_are_plain_values():
    assert Event(1.0, "t", "finished") == Event(1.0, "t", "finished", "")


# --- record() on a running loop, and the loop left as found ---------------------------------------


@pytest.mark.looptime
async def test_record_inside_a_test_and_the_task_factory_is_restored():
    loop = asyncio.get_running_loop()

    def factory(loop, coro, **kwargs):
        return asyncio.Task(coro, loop=loop, **kwargs)

    loop.set_task_factory(factory)
    with timeline.record() as picture:
        assert await asyncio.gather(work("a"), work("b")) == ["a", "b"]
    assert loop.get_task_factory() is factory  # the previous factory was used, and is back
    assert [lane.label for lane in picture.lanes] == ["work('a', …)", "work('b', …)"]
    assert picture.end == 1.0
    loop.set_task_factory(None)


@pytest.mark.looptime
async def test_record_changes_nothing_the_code_sees():
    with timeline.record():
        task = asyncio.create_task(work("a"), name="mine")
        await asyncio.sleep(0)
        assert task.get_name() == "mine"
        assert task.get_coro().__name__ == "work"
        assert task.get_coro().cr_frame.f_code.co_name == "work"
        assert await task == "a"
    assert asyncio.get_running_loop().get_task_factory() is None


async def test_record_refuses_real_time():
    refused = pytest.raises(RuntimeError, match=r"needs virtual time: mark the test @pytest.mark.looptime")
    with refused, timeline.record():
        pass  # pragma: no cover


async def test_run_from_inside_a_running_loop_uses_a_worker_thread_and_leaves_this_loop_alone():
    loop = asyncio.get_running_loop()
    before = loop.get_task_factory()
    picture = course.timeline(side_by_side)  # this test's loop is running: the block runs elsewhere
    assert picture.text() == CONCURRENT
    assert loop.get_task_factory() is before
    assert asyncio.get_running_loop() is loop


def test_run_leaves_no_loop_set_in_this_thread():
    course.timeline(one_after_another)
    with pytest.raises(RuntimeError):
        asyncio.get_running_loop()
