"""The console under load (`make console-load`, `python -m bench.console_load`): CM sessions on
live updates while the pipeline takes a fixed rate of mentions; page, API and commit → live
update latencies, and every owed live update accounted for."""
