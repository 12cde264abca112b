"""Local infrastructure without Docker: a real Apache Kafka (jars from Maven Central) and a
throwaway PostgreSQL cluster, started as plain processes for development, tests and demos."""
