"""Benchmarks: data generator, measured scenarios against stock Flask-AppBuilder, load test."""
