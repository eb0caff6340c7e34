"""The run store's SQLite schema, as forward-only migrations.

`PRAGMA user_version` holds the number of migrations applied. A migration is never edited once released: a change
is a new migration appended to `MIGRATIONS`. A run written by a newer Animus (a higher user_version than this code
knows) is refused rather than guessed at.
"""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema.
    """
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL                 -- JSON
    );
    CREATE TABLE steps (
        step          INTEGER PRIMARY KEY,  -- 1, 2, 3 ... in order, no gaps
        frame_start   INTEGER NOT NULL,     -- emulator frame count before the step's inputs
        frame_end     INTEGER NOT NULL,     -- and after them
        inputs        TEXT NOT NULL,        -- JSON [[buttons...], hold, wait]; [] buttons = wait(frames)
        step_actions  INTEGER NOT NULL,     -- game tool calls executed in this step
        actions       INTEGER NOT NULL,     -- cumulative, after this step
        bad_calls     INTEGER NOT NULL,     -- tool calls refused in this step
        tool_results  TEXT NOT NULL,        -- JSON list of ToolResult
        frame_hash    TEXT NOT NULL,
        ram_hash      TEXT NOT NULL,
        screen        TEXT NOT NULL,        -- hash of the visible background tiles
        state         TEXT NOT NULL,        -- GameState JSON after the step
        wall_seconds  REAL NOT NULL,        -- wall-clock columns: the only ones that differ between equal runs
        created_at    REAL NOT NULL
    );
    CREATE TABLE model_calls (
        id               INTEGER PRIMARY KEY,
        step             INTEGER NOT NULL,
        purpose          TEXT NOT NULL,     -- act | summarize | reflect
        request_delta    TEXT NOT NULL,     -- JSON: the turns added since the previous call
        memory_version   INTEGER NOT NULL,
        reply            TEXT NOT NULL,     -- JSON Reply, thinking blocks verbatim
        input_tokens     INTEGER NOT NULL,
        output_tokens    INTEGER NOT NULL,
        cache_write_tokens INTEGER NOT NULL,
        cache_read_tokens  INTEGER NOT NULL,
        cost             REAL NOT NULL,
        latency_seconds  REAL NOT NULL,
        created_at       REAL NOT NULL
    );
    CREATE INDEX model_calls_by_step ON model_calls (step, purpose);
    CREATE TABLE memory_events (
        id          INTEGER PRIMARY KEY,
        step        INTEGER NOT NULL,       -- the step it happened in (operator edits: the next step)
        kind        TEXT NOT NULL,          -- summary | note_set | note_delete | stuck_warning ...
        key         TEXT,
        content     TEXT NOT NULL,
        source      TEXT NOT NULL,          -- model | operator | watchdog
        created_at  REAL NOT NULL
    );
    CREATE TABLE milestones (
        id            TEXT PRIMARY KEY,
        ordinal       INTEGER NOT NULL,     -- position in the profile's game order
        label         TEXT NOT NULL,
        step          INTEGER NOT NULL,
        actions       INTEGER NOT NULL,
        frame         INTEGER NOT NULL,
        tokens        INTEGER NOT NULL,     -- cumulative at that point
        cost          REAL NOT NULL,
        wall_seconds  REAL NOT NULL,
        reached_at    REAL NOT NULL
    );
    CREATE TABLE keyframes (
        step   INTEGER PRIMARY KEY,         -- the state after this step (0 = the start state)
        frame  INTEGER NOT NULL,
        state  BLOB NOT NULL                -- zlib-compressed GameBoy.save_state() envelope
    );
    CREATE TABLE blobs (
        sha256  TEXT PRIMARY KEY,
        mime    TEXT NOT NULL,
        data    BLOB NOT NULL
    );
    """,
    # 2: the estimated context tokens of each request, to show the context stays within its budget.
    """
    ALTER TABLE model_calls ADD COLUMN context_tokens INTEGER NOT NULL DEFAULT 0;
    """,
    # 3: cost may be unknown (NULL) when the config has no price for the model.
    """
    CREATE TABLE model_calls_3 (
        id               INTEGER PRIMARY KEY,
        step             INTEGER NOT NULL,
        purpose          TEXT NOT NULL,
        request_delta    TEXT NOT NULL,
        memory_version   INTEGER NOT NULL,
        reply            TEXT NOT NULL,
        input_tokens     INTEGER NOT NULL,
        output_tokens    INTEGER NOT NULL,
        cache_write_tokens INTEGER NOT NULL,
        cache_read_tokens  INTEGER NOT NULL,
        cost             REAL,              -- dollars; NULL: no price in the config for this model
        latency_seconds  REAL NOT NULL,
        created_at       REAL NOT NULL,
        context_tokens   INTEGER NOT NULL DEFAULT 0
    );
    INSERT INTO model_calls_3 SELECT id, step, purpose, request_delta, memory_version, reply, input_tokens,
        output_tokens, cache_write_tokens, cache_read_tokens, cost, latency_seconds, created_at, context_tokens
        FROM model_calls;
    DROP TABLE model_calls;
    ALTER TABLE model_calls_3 RENAME TO model_calls;
    CREATE INDEX model_calls_by_step ON model_calls (step, purpose);
    """,
    # 4: best-of-N branching. The chosen branch's steps and calls are the run's own (steps, model_calls); every
    # branch of every fork gets a row in `branches`, and the ones not chosen keep their steps and calls here.
    """
    CREATE TABLE branches (
        id          INTEGER PRIMARY KEY,
        fork_step   INTEGER NOT NULL,       -- the committed step the branches started from
        branch      INTEGER NOT NULL,       -- 0 .. N-1; branch 0 plays with the run's own seed
        seed        INTEGER NOT NULL,
        chosen      INTEGER NOT NULL,       -- 1: its steps are the run's steps after fork_step
        score       TEXT NOT NULL,          -- JSON: the scorer's ranking key (higher wins)
        steps       INTEGER NOT NULL,       -- steps it played
        actions     INTEGER NOT NULL,       -- game tool calls it made
        milestones  TEXT NOT NULL,          -- JSON: ids of the milestones it reached
        tokens      INTEGER NOT NULL,
        cost        REAL,                   -- NULL: some call had no price
        status      TEXT NOT NULL,          -- how it ended: horizon, done, failed, stuck, stopped
        reason      TEXT NOT NULL,
        UNIQUE (fork_step, branch)
    );
    CREATE TABLE branch_steps (
        branch_id     INTEGER NOT NULL REFERENCES branches (id),
        step          INTEGER NOT NULL,
        frame_start   INTEGER NOT NULL,
        frame_end     INTEGER NOT NULL,
        inputs        TEXT NOT NULL,
        step_actions  INTEGER NOT NULL,
        actions       INTEGER NOT NULL,
        bad_calls     INTEGER NOT NULL,
        tool_results  TEXT NOT NULL,
        frame_hash    TEXT NOT NULL,
        ram_hash      TEXT NOT NULL,
        screen        TEXT NOT NULL,
        state         TEXT NOT NULL,
        wall_seconds  REAL NOT NULL,
        created_at    REAL NOT NULL,
        PRIMARY KEY (branch_id, step)
    );
    CREATE TABLE branch_calls (
        branch_id        INTEGER NOT NULL REFERENCES branches (id),
        id               INTEGER NOT NULL,  -- the call's order within its branch
        step             INTEGER NOT NULL,
        purpose          TEXT NOT NULL,
        request_delta    TEXT NOT NULL,
        memory_version   INTEGER NOT NULL,
        reply            TEXT NOT NULL,
        input_tokens     INTEGER NOT NULL,
        output_tokens    INTEGER NOT NULL,
        cache_write_tokens INTEGER NOT NULL,
        cache_read_tokens  INTEGER NOT NULL,
        cost             REAL,
        latency_seconds  REAL NOT NULL,
        created_at       REAL NOT NULL,
        context_tokens   INTEGER NOT NULL,
        PRIMARY KEY (branch_id, id)
    );
    """,
    # 5: each distinct state text once (see texts.py): steps keep the state without its text, and its hash.
    """
    CREATE TABLE texts (
        sha256  TEXT PRIMARY KEY,
        text    TEXT NOT NULL                -- JSON-escaped, as it stands inside GameState.to_json()
    );
    ALTER TABLE steps ADD COLUMN text_sha TEXT;          -- NULL: the state keeps its text (rows before schema 5)
    ALTER TABLE branch_steps ADD COLUMN text_sha TEXT;
    """,
    # 6: what each step taught the explored map (animus.spatial.explored.MapDelta JSON; NULL: nothing new).
    """
    ALTER TABLE steps ADD COLUMN map_delta TEXT;
    ALTER TABLE branch_steps ADD COLUMN map_delta TEXT;
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)
