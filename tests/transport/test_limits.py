"""``--limit`` and ``--per-host`` in the transport: how they are shared out, and what a
request waits for. No sockets: holders are counted while they hold."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from fetchall import Options
from fetchall.transport.limits import HostSlots, RequestBounds, Share, shares_of


class Holders:
    """Counts who is inside, per key, and the most that ever were."""

    def __init__(self) -> None:
        self.inside: Counter[str] = Counter()
        self.most: Counter[str] = Counter()
        self.gate = asyncio.Event()

    async def hold_until_released(self, key: str) -> None:
        self.inside[key] += 1
        self.most[key] = max(self.most[key], self.inside[key])
        try:
            await asyncio.wait_for(self.gate.wait(), timeout=30)
        finally:
            self.inside[key] -= 1


async def settle() -> None:
    """Let every runnable task run until it blocks (no timers are involved)."""
    for _ in range(20):
        await asyncio.sleep(0)


class TestShares:
    def test_one_fetcher_has_it_all(self) -> None:
        share = Share.whole(Options(limit=7, per_host=2))
        assert (share.limit, share.per_host, share.turn, share.turns) == (7, 2, 0, 1)
        assert share.connection_pool() == (7, 2)

    def test_without_per_host_the_pool_has_no_host_bound(self) -> None:
        assert Share.whole(Options(limit=7)).connection_pool() == (7, 0)

    def test_limit_splits_exactly(self) -> None:
        shares = shares_of(Options(limit=10, per_host=3), 3)
        assert [s.limit for s in shares] == [4, 3, 3]
        assert [(s.turn, s.turns) for s in shares] == [(0, 3), (1, 3), (2, 3)]
        # The coordinator holds the host slots: no fetcher's share has any.
        assert [s.per_host for s in shares] == [None, None, None]
        assert len({s.origin for s in shares}) == 1

    def test_no_more_fetchers_than_limit(self) -> None:
        shares = shares_of(Options(limit=2), 5)
        assert [(s.limit, s.turns) for s in shares] == [(1, 2), (1, 2)]


class TestRequestBounds:
    @pytest.mark.parametrize(
        ("options", "bounded"),
        [
            (Options(), False),
            (Options(per_host=1), True),
            (Options(retries=1), True),
            (Options(wait=5.0), True),
            (Options(rate=10.0), True),
        ],
    )
    def test_only_what_options_ask_for(self, options: Options, bounded: bool) -> None:
        bounds = RequestBounds.of(options, Share.whole(options))
        assert (bounds is not None) is bounded

    def test_a_share_without_per_host_waits_for_nothing(self) -> None:
        options = Options(per_host=2)
        assert RequestBounds.of(options, shares_of(options, 2)[0]) is None

    def test_with_retries_at_most_limit_requests_hold_at_once(self) -> None:
        options = Options(limit=3, retries=1)
        bounds = RequestBounds.of(options, Share.whole(options))
        assert bounds is not None
        holders = Holders()

        async def request(host: str) -> None:
            async with bounds.held(host):
                await holders.hold_until_released("all")

        async def main() -> tuple[int, int]:
            async with asyncio.TaskGroup() as group:
                for index in range(8):
                    group.create_task(request(f"host{index}"))
                await settle()
                inside = holders.inside["all"]
                holders.gate.set()
            return inside, holders.most["all"]

        assert asyncio.run(main()) == (3, 3)

    def test_per_host_slots_bound_each_host(self) -> None:
        options = Options(per_host=2)
        bounds = RequestBounds.of(options, Share.whole(options))
        assert bounds is not None
        holders = Holders()

        async def request(host: str) -> None:
            async with bounds.held(host):
                await holders.hold_until_released(host)

        async def main() -> tuple[dict[str, int], dict[str, int]]:
            async with asyncio.TaskGroup() as group:
                for host in ["a"] * 5 + ["b"] * 1 + ["c"] * 3:
                    group.create_task(request(host))
                await settle()
                inside = dict(holders.inside)
                holders.gate.set()
            return inside, dict(holders.most)

        inside, most = asyncio.run(main())
        assert inside == {"a": 2, "b": 1, "c": 2}
        assert most == {"a": 2, "b": 1, "c": 2}


class TestHostSlots:
    def test_a_released_host_serves_the_next_holder(self) -> None:
        slots = HostSlots(1)
        order: list[str] = []

        async def hold(name: str, release: asyncio.Event) -> None:
            async with slots.hold("h"):
                order.append(f"{name} in")
                await asyncio.wait_for(release.wait(), timeout=30)
            order.append(f"{name} out")

        async def main() -> None:
            first, second = asyncio.Event(), asyncio.Event()
            async with asyncio.TaskGroup() as group:
                group.create_task(hold("first", first))
                group.create_task(hold("second", second))
                await settle()
                assert order == ["first in"]
                first.set()
                await settle()
                assert order == ["first in", "first out", "second in"]
                second.set()
            # The host's semaphore was dropped with its last holder; a new one starts afresh.
            async with slots.hold("h"):
                order.append("third in")

        asyncio.run(main())
        assert order[-2:] == ["second out", "third in"]

    def test_a_cancelled_waiter_leaves_the_slot_to_others(self) -> None:
        slots = HostSlots(1)

        async def main() -> bool:
            release = asyncio.Event()

            async def holder() -> None:
                async with slots.hold("h"):
                    await asyncio.wait_for(release.wait(), timeout=30)

            async def waiter() -> None:
                async with slots.hold("h"):
                    pass

            async with asyncio.TaskGroup() as group:
                group.create_task(holder())
                waiting = group.create_task(waiter())
                await settle()
                waiting.cancel()
                await settle()
                release.set()
            async with asyncio.timeout(30), slots.hold("h"):
                return waiting.cancelled()

        assert asyncio.run(main()) is True
