"""Experiments built from recorded runs: checkpoints and the suites `animus bench` plays (`checkpoint`, `suite`),
and request diffs that re-drive today's harness over a run's stored replies (`rerequest`, `request_parts`).

Like charts, they read run directories only; what they play are ordinary runs.
"""
