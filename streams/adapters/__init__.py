"""Adapters to the outside: the Redis profile view and Kafka topic administration."""
