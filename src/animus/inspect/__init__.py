"""Inspection: charts, the replay viewer, frames and clips, verify and export. All read only a run directory."""
