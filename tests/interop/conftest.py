"""Fixtures for the SIP interop suite (Kamailio + baresip + the relay).

The relay under test: INTEROP_RELAY=rtprelay (default; $RTPRELAY_BUILD/daemon/rtprelayd,
RTPRELAY_BUILD defaults to /work/main/build) or INTEROP_RELAY=rtpengine (Debian's
rtpengine-daemon, for comparison). Needs root (network namespaces).
"""
import os
import signal

import pytest

from interop_lib.topology import World

TEST_BUDGET = 150   # seconds; every wait inside is bounded too, this is the backstop


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def _alarm(signum, frame):
    raise TimeoutError("interop test exceeded its %ds budget" % TEST_BUDGET)


@pytest.fixture
def make_world(request, tmp_path):
    """make_world(**kw) builds and starts a World (or a `world_class=` subclass of it);
    everything is torn down after."""
    if os.geteuid() != 0:
        pytest.fail("the interop suite needs root (it creates network namespaces)")
    worlds = []
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(TEST_BUDGET)

    def factory(world_class=World, **kw):
        world = world_class(tmp_path, **kw)
        worlds.append(world)
        world.start()
        return world

    try:
        yield factory
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
        rep = getattr(request.node, "rep_call", None)
        for world in worlds:
            if rep is None or rep.failed:
                print("logs in %s\n%s" % (tmp_path, world.logs()))
                print("Kamailio <-> relay ng exchange:")
                for line in world.proxy_ng_exchange():
                    print("  " + line)
                if world.ng is not None:
                    print("test's own ng commands (last 10):")
                    for req, reply in world.ng.log[-10:]:
                        print("  >", req, "\n  <", reply)
            world.close()
        problems = [p for world in worlds for p in world.relay_problems()]
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)
