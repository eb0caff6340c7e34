"""Experiments built from recorded runs: checkpoints and the suites `animus bench` plays (`checkpoint`, `suite`).

Like charts, they read run directories only; what they play are ordinary runs.
"""
