"""`animus profile discover`: draft a game profile for a ROM Animus has never seen, from RAM diffs under probes.

It gets past the title (START and A), explores with seeded presses, then presses each d-pad direction from many of
the states reached and diffs work RAM, high RAM and cartridge RAM. Bytes that move +k with RIGHT and -k with LEFT
(and never with UP or DOWN) are x; likewise y; bytes that change with wholesale screen changes only are the map
id; bytes that only rise are progress. The draft profile annotates every guess with its evidence and loads as is.

    from animus.discover import discover
    found = discover("game.gb", seed=0)
    print("\\n".join(found.report("game.draft.toml", "game.gb")))
"""

from __future__ import annotations

from animus.discover.score import Candidate, Scores
from animus.discover.session import Discovery, discover

__all__ = ["Candidate", "Discovery", "Scores", "discover"]
