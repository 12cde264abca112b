"""Benchmarks of mentionflow. `python -m bench.e2e` (`make bench`) is the end-to-end one."""
