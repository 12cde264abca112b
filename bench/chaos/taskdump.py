"""Run a service module with a SIGUSR1 handler that writes the stack of every asyncio task to
stderr (the service's log), so a chaos scenario that does not converge shows where each
coroutine waits. The service itself is unchanged: `python -m bench.chaos.taskdump MODULE`."""

from __future__ import annotations

import asyncio
import runpy
import signal
import sys
from types import FrameType


def _dump(signum: int, frame: FrameType | None) -> None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        print("taskdump: no running event loop", file=sys.stderr, flush=True)
        return
    tasks = asyncio.all_tasks(loop)
    print(f"taskdump: {len(tasks)} tasks", file=sys.stderr)
    for task in tasks:
        print(f"taskdump: --- {task.get_name()}", file=sys.stderr)
        task.print_stack(file=sys.stderr)
    sys.stderr.flush()


def main() -> None:
    module = sys.argv[1]
    sys.argv = [module, *sys.argv[2:]]
    signal.signal(signal.SIGUSR1, _dump)
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
