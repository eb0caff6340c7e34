"""Fleets: many runs at once, from a plan (labels x seeds), on local worker processes or on Ray.

`animus fleet PLAN.toml` is `animus.fleet.command`; the plan is `plan`, the worker `worker`, the backends
`local` and `ray_backend`, the shared bookkeeping `core`, the limits per API key `limits`, the parent's view of
its runs `watch`, and the summary by label `report`. Nothing here runs or imports anything heavy at import.
"""
