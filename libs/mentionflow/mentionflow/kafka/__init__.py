"""Kafka plumbing on aiokafka: topic creation, the producer, the one consumer runner."""
