"""The end-to-end benchmark (`make bench`, `python -m bench.e2e`): throughput, latency, each
stage alone, the broker's ceiling and a Quix Streams peer, measured on real processes."""
