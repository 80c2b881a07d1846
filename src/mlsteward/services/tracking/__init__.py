"""Experiment tracking services: experiments, runs, logged values, artifacts, search."""
