"""Baseline models for each task type, exported to TorchScript and submitted with the `podium` CLI."""
