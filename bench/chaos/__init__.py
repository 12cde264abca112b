"""The chaos harness: the whole pipeline on a 3-broker Kafka cluster and PostgreSQL, fed with
generated mentions and reply requests while faults happen one scenario at a time.

    .venv/bin/python -m bench.chaos            (make chaos; CHAOS_* variables scale it)

Modules: `processes` (services as supervised subprocesses), `fakes` (the fake X API with an
outage switch, a pager/webhook receiver), `feed` (mentions through ingest's HTTP API, reply
requests for queue rows, poison), `checks` (what "nothing lost, nothing duplicated" means,
measured), `scenarios` (the faults), `harness` (the run and its report).
"""
