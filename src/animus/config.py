"""`RunConfig`: the typed, validated settings of a run, from defaults, a TOML file and `--set key=value`.

Resolution order: defaults < `--config FILE.toml` < command-line flags and `--set` overrides. Unknown keys and
values of the wrong type raise `ConfigError` naming the key path (`tools.hold_frames: ...`). The resolved config is
stored in the run, and `animus resume` takes its structural settings from there.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError, field_validator, model_validator

from animus.errors import ConfigError

HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an HTTP token (RFC 9110)
CREDENTIAL_HEADER = re.compile(r"auth|key|token|secret|passw|cookie|session|sign|credential|jwt|bearer", re.IGNORECASE)
# Body fields the wire itself sets: extra_body may add fields, not replace these (the reply limit is fitted to the
# model's window, and the rest is the request itself).
RESERVED_BODY = frozenset(
    {"model", "messages", "system", "tools", "tool_choice", "max_tokens", "max_completion_tokens", "stream"}
)
ENV_REFERENCE = re.compile(r"env:([A-Za-z_][A-Za-z0-9_]*)")  # a header value read from an environment variable


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


# Upper bounds on budgets: far beyond any run (a billion steps is years of play), so that a typo or a pasted number
# is refused instead of silently meaning "no limit". Floats must be finite: JSON has no infinity, and a stored
# budget of inf would come back as null (no budget) on resume.
MAX_STEPS = 1_000_000_000
MAX_TOKENS = 10**12
MAX_MINUTES = 10**7
MAX_COST = 10**7
# Seeds are stored in SQLite's 64-bit integer columns (a best-of-N branch's seed among them).
SEED_RANGE = (-(2**63), 2**63 - 1)


class BudgetConfig(_Section):
    """When a run stops on its own. Budgets accumulate across resumes."""

    steps: int = Field(2000, ge=1, le=MAX_STEPS, description="Total steps (model replies) for the run.")
    max_minutes: float | None = Field(
        None, gt=0, le=MAX_MINUTES, allow_inf_nan=False, description="Wall-clock minutes, summed over resumes."
    )
    max_tokens: int | None = Field(None, ge=1, le=MAX_TOKENS, description="Input + output tokens over all model calls.")
    max_cost: float | None = Field(
        None, gt=0, le=MAX_COST, allow_inf_nan=False, description="Dollars over all model calls."
    )


class ToolsConfig(_Section):
    """Defaults and bounds of the game tools a model calls."""

    hold_frames: int = Field(4, ge=1, le=60, description="Default frames a button is held.")
    wait_frames: int = Field(12, ge=1, le=600, description="Default frames to wait after releasing it.")
    max_hold_frames: int = Field(60, ge=1, le=600)
    max_wait_frames: int = Field(600, ge=1, le=3600)
    max_buttons: int = Field(20, ge=1, le=100, description="Buttons one press_buttons call may press in turn.")
    max_tick_frames: int = Field(3600, ge=1, le=36000, description="Largest wait(frames).")
    navigate: bool | None = Field(
        None, description="Offer navigate_to(x, y[, map]); none: on where the profile reads a map position."
    )
    notes: bool = Field(True, description="Offer note and forget (the long-term notes).")
    max_navigate_moves: int = Field(200, ge=1, le=10_000, description="Most moves one navigate_to call walks.")


class AgentConfig(_Section):
    """The loop's own settings."""

    max_bad_calls: int = Field(5, ge=1, description="Bad tool calls in a row before the run fails.")


class MemoryConfig(_Section):
    """What each request carries besides the newest observation."""

    enabled: bool = Field(True, description="False drops the summary and the notes from requests (an ablation).")
    context_tokens: int = Field(12000, ge=1000, description="Token budget of each request's context.")
    keep_turns: int = Field(2, ge=1, description="Exchanges always kept verbatim after summarizing.")
    notes_max_chars: int = Field(4000, ge=100, description="Total size of the long-term notes.")


class ChannelsConfig(_Section):
    """What reaches the model each step besides its own conversation. Each channel is a switch; the harness card
    (`animus show --card`) lists them, and charts refuse to overlay runs whose channels differ. The screen image
    is `model.images`; the tools are `tools.navigate` and `tools.notes`."""

    state: bool = Field(True, description="The profile's state text (fields, mode, position).")
    text_map: bool = Field(True, description="The text map of the screen drawn from tile classes.")
    dialog: bool = Field(True, description="The dialog text read from the screen.")
    minimap: bool = Field(True, description="The explored map around the player and the known warps.")
    progress: bool = Field(True, description="The milestone count and the latest milestone's label.")
    notes: bool = Field(True, description="The long-term notes in each request.")
    summary: bool = Field(True, description="The running summary in each request.")
    watchdog: bool = Field(True, description="The watchdog's stuck notices and the reflection they ask for.")
    operator_notes: bool = Field(True, description="Notices that an operator changed a note (animus note).")
    minimap_radius: int = Field(10, ge=2, le=64, description="Cells shown on each side of the player.")
    minimap_max_chars: int = Field(2400, ge=200, le=40_000, description="Cap on the minimap's text.")

    @property
    def hidden(self) -> frozenset[str]:
        """The parts of the state text left out (`Profile.read`'s `hide`): state, text_map and dialog when off."""
        return frozenset(name for name in ("state", "text_map", "dialog") if not getattr(self, name))


class ModelConfig(_Section):
    """Which model plays, and how a remote backend reaches it. A plain string (`model = "mock"`) names it."""

    name: str = Field("mock", description="Model spec: mock, random, scripted:PATH, anthropic:MODEL, openai:MODEL.")
    max_tokens: int = Field(16000, ge=1, description="Largest reply, thinking included (remote backends).")
    base_url: str | None = Field(None, description="API endpoint; none means the SDK's default or its env var.")
    timeout_seconds: float = Field(600.0, gt=0, description="Timeout of one HTTP request.")
    retry_minutes: float = Field(360.0, ge=0, description="How long to keep retrying an outage before stopping.")
    retry_base_seconds: float = Field(2.0, gt=0, description="First backoff ceiling; it doubles per attempt.")
    retry_max_seconds: float = Field(300.0, gt=0, description="Largest single wait between retries.")
    images: bool = Field(True, description="Send the screen as an image (remote backends that take images).")
    image_scale: float = Field(2.0, ge=0.5, le=8, description="Scale of the 160x144 screen sent as a PNG.")
    grid_overlay: bool = Field(False, description="Draw the 8x8 tile grid with coordinates on the image.")
    cache: bool = Field(True, description="Mark cache breakpoints (prompt caching) where the API supports it.")
    temperature: float | None = Field(None, ge=0, le=2, description="Sampling temperature; none: the API's.")
    extra_body: dict[str, JsonValue] = Field(
        default_factory=dict, description="Fields merged into each request's JSON body as they are (server-specific)."
    )
    extra_headers: dict[str, str] = Field(
        default_factory=dict, description='HTTP headers sent with each request; a credential as "env:VARIABLE".'
    )

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, data: Any) -> Any:
        return {"name": data} if isinstance(data, str) else data

    @field_validator("extra_body")
    @classmethod
    def _check_body(cls, body: dict[str, JsonValue]) -> dict[str, JsonValue]:
        if taken := sorted(RESERVED_BODY & body.keys()):
            raise ValueError(
                f"model.extra_body may not set {', '.join(taken)}: Animus writes those fields itself (set the reply "
                "limit with model.max_tokens)"
            )
        return body

    @field_validator("extra_headers")
    @classmethod
    def _check_headers(cls, headers: dict[str, str]) -> dict[str, str]:
        # The config is stored in the run: a secret written here would be too. A header that looks like a
        # credential names the environment variable that holds it instead, read only when a request is sent.
        for name, value in headers.items():
            if not HEADER_NAME.fullmatch(name):
                raise ValueError(f"model.extra_headers: {name!r} is not an HTTP header name")
            if CREDENTIAL_HEADER.search(name) and not ENV_REFERENCE.fullmatch(value):
                raise ValueError(
                    f'model.extra_headers.{name} looks like a credential: write it as "env:VARIABLE" and export '
                    "the value in that variable (secrets are read from the environment and never stored in a run)"
                )
        return headers

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, url: str | None) -> str | None:
        # A typo here would otherwise be retried as an outage for model.retry_minutes (6 hours by default).
        if url is not None:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(
                    f"model.base_url {url!r} is not an http:// or https:// URL with a host, e.g. "
                    "http://127.0.0.1:8000/v1"
                )
        return url


class ThinkingConfig(_Section):
    """How much a model may think. Setting only budget_tokens implies type = enabled."""

    type: Literal["enabled", "adaptive", "disabled"] | None = None
    budget_tokens: int | None = Field(None, ge=0, description="Thinking tokens with type enabled: >= 1024.")
    effort: str | None = Field(None, description="low, medium, high or max (adaptive thinking, OpenAI reasoning).")

    @property
    def kind(self) -> str | None:
        """The effective type: a budget alone means enabled."""
        return self.type if self.type is not None else ("enabled" if self.budget_tokens is not None else None)


class WatchdogConfig(_Section):
    """When an agent counts as stuck, and what then happens."""

    same_position_actions: int = Field(40, ge=1, description="Actions at one position signature.")
    loop_actions: int = Field(80, ge=4, description="Window, in actions, for spotting a short loop.")
    loop_positions: int = Field(4, ge=2, description="At most this many distinct positions in the window = a loop.")
    no_milestone_actions: int = Field(600, ge=1, description="Actions without a new milestone.")
    escalate_actions: int = Field(40, ge=1, description="Actions between escalation stages while still stuck.")
    idle_replies: int = Field(5, ge=1, description="Replies in a row without a game action before each stage.")
    on_stuck: Literal["continue", "stop"] = Field("continue", description="What to do at the last stage.")


class RecordConfig(_Section):
    """What the run store keeps besides every step."""

    keyframe_every: int = Field(200, ge=1, le=MAX_STEPS, description="Steps between keyframes (save states).")
    warn_free_mb: int = Field(
        1024, ge=0, le=10**9, description="Warn once when the disk holding the run has less free space (MB); 0: never."
    )


class BranchingConfig(_Section):
    """Best-of-N branching: every `horizon` actions, play `branches` continuations and commit the best."""

    branches: int = Field(1, ge=1, le=32, description="Continuations per fork; 1 plays one line (no branching).")
    horizon: int = Field(20, ge=1, le=100_000, description="Actions each branch plays before they are scored.")
    scorer: str = Field("milestones", description="How branches are ranked: milestones, novelty, vote, or a plugin.")
    temperatures: list[Annotated[float, Field(ge=0, le=2)]] | None = Field(
        None, description="Sampling temperature of branch i (cycled), for remote models; none: model.temperature."
    )


class Price(_Section):
    """Dollars per million tokens for one model."""

    input: float = Field(0.0, ge=0)
    output: float = Field(0.0, ge=0)
    cache_write: float = Field(0.0, ge=0)
    cache_read: float = Field(0.0, ge=0)


class GameConfig(_Section):
    """Which game profile reads the ROM, and which world a game with seeded worlds generates."""

    profile: str | None = Field(None, description="Profile name or TOML path; none means chosen by the ROM.")
    world: int = Field(
        0, ge=0, le=0xFFFF, description="World number (0-65535) for a game whose profile has a [world] setting."
    )
    # A run's own final milestone: `stop_on_finish` stops it there (finished) instead of at the profile's last one,
    # so that a task (`animus bench`) ends at its goal. `start_run` refuses an id the profile does not have.
    goal: str | None = Field(
        None, description="Milestone id at which the run is finished (stop_on_finish); none: the profile's final one."
    )

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, data: Any) -> Any:
        if data is None:  # a config stored before [game] was a section: `game = null`
            return {}
        return {"profile": data} if isinstance(data, str) else data


class ProgressConfig(_Section):
    log_every: int = Field(100, ge=1, description="Steps between log lines when stderr is not a terminal.")


class RunConfig(_Section):
    """Everything that decides what a run does."""

    rom: str | None = Field(
        None, description="ROM path, or a bundled cartridge (animus-quest, animus-quest-classic); none: the default."
    )
    game: GameConfig = GameConfig()
    model: ModelConfig = ModelConfig()
    seed: int = Field(0, ge=SEED_RANGE[0], le=SEED_RANGE[1], description="The model's randomness at step N.")
    label: str | None = Field(None, description="Group label for charts; defaults to the model name.")
    stop_on_finish: bool = Field(True, description="Stop when the final milestone (or game.goal) is reached.")
    budget: BudgetConfig = BudgetConfig()
    tools: ToolsConfig = ToolsConfig()
    agent: AgentConfig = AgentConfig()
    memory: MemoryConfig = MemoryConfig()
    channels: ChannelsConfig = ChannelsConfig()
    thinking: ThinkingConfig = ThinkingConfig()
    watchdog: WatchdogConfig = WatchdogConfig()
    record: RecordConfig = RecordConfig()
    branching: BranchingConfig = BranchingConfig()
    progress: ProgressConfig = ProgressConfig()
    pricing: dict[str, Price] = Field(
        default_factory=dict, description="Per model name (as the backend reports it, or the --model name): prices."
    )

    @model_validator(mode="after")
    def _check_thinking(self) -> RunConfig:
        t, max_tokens = self.thinking, self.model.max_tokens
        if t.kind == "enabled":
            if t.budget_tokens is None:
                raise ValueError("thinking.type = enabled needs thinking.budget_tokens (at least 1024)")
            if not 1024 <= t.budget_tokens < max_tokens:
                raise ValueError(
                    f"thinking.budget_tokens must be at least 1024 and below model.max_tokens ({max_tokens}); "
                    f"got {t.budget_tokens}. Raise model.max_tokens or lower the budget"
                )
        elif t.kind == "adaptive" and t.budget_tokens is not None:
            raise ValueError("thinking.budget_tokens applies to type = enabled; adaptive thinking takes effort")
        return self

    @property
    def group_label(self) -> str:
        """The label charts group this run by."""
        return self.label or self.model.name

    def to_json(self) -> str:
        """The resolved config as JSON, as stored in a run."""
        return self.model_dump_json()


# Settings that a resumed run may change; everything else is structural and comes from the stored config.
RESUMABLE_KEYS = ("budget",)


def load_config(
    path: str | Path | None = None, overrides: dict[str, Any] | None = None, sets: list[str] | tuple[str, ...] = ()
) -> RunConfig:
    """Resolve a `RunConfig` from an optional TOML file, then `overrides` (dotted keys), then `sets` ("k=v").

    Raises `ConfigError` with the file or key path for a missing file, bad TOML, unknown keys and bad values.
    """
    data: dict[str, Any] = {}
    if path is not None:
        data = _read_toml(Path(path))
    if isinstance(data.get("model"), str):  # `model = "NAME"` is short for [model] name = "NAME"
        data["model"] = {"name": data["model"]}
    if isinstance(data.get("game"), str):  # `game = "NAME"` is short for [game] profile = "NAME"
        data["game"] = {"profile": data["game"]}
    for key, value in (overrides or {}).items():
        if value is not None:
            _set_dotted(data, key, value)
    for item in sets:
        key, value = parse_set(item)
        _set_dotted(data, key, value)
    return config_from_dict(data)


def derive_config(
    base: RunConfig, overrides: dict[str, Any] | None = None, sets: list[str] | tuple[str, ...] = ()
) -> RunConfig:
    """`base` with `overrides` (dotted keys; None values skipped) and then `sets` ("k=v") applied, as `load_config`
    applies them to a file's settings. `ConfigError` as there."""
    data: dict[str, Any] = base.model_dump(mode="json")
    for key, value in (overrides or {}).items():
        if value is not None:
            _set_dotted(data, key, value)
    for item in sets:
        key, value = parse_set(item)
        _set_dotted(data, key, value)
    return config_from_dict(data)


def config_from_dict(data: dict[str, Any]) -> RunConfig:
    """Validate a plain mapping (e.g. a stored config) into a `RunConfig`."""
    try:
        return RunConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None


# What keys of a run's stored config written by an older Animus became. A stored config is the config a run
# played with: it is upgraded to today's keys, never refused, so every old run can still be resumed and edited.
_MOVED_KEYS = {("agent", "notes_max_chars"): ("memory", "notes_max_chars")}
# Gone without a successor: the window of recent turns became the token-budgeted context (memory.context_tokens).
_DROPPED_KEYS = {("agent", "recent_turns")}


def stored_config(data: Mapping[str, Any]) -> RunConfig:
    """The `RunConfig` of a config stored in a run (its meta), written by this or any older Animus.

    Keys that older versions wrote are moved to where they live now, or dropped when nothing replaced them
    (`_MOVED_KEYS`, `_DROPPED_KEYS`); settings added since take their defaults. `ConfigError` if it still does not
    validate (a damaged or foreign config)."""
    upgraded = {k: dict(v) if isinstance(v, Mapping) else v for k, v in data.items()}
    for (section, key), (to_section, to_key) in _MOVED_KEYS.items():
        old = upgraded.get(section)
        if isinstance(old, dict) and key in old:
            target = upgraded.setdefault(to_section, {})
            value = old.pop(key)
            if isinstance(target, dict):
                target.setdefault(to_key, value)
    for section, key in _DROPPED_KEYS:
        old = upgraded.get(section)
        if isinstance(old, dict):
            old.pop(key, None)
    return config_from_dict(upgraded)


def parse_set(item: str) -> tuple[str, Any]:
    """Split `key=value`; the value is read as a TOML value (`6`, `true`, `"text"`), else taken as a string."""
    key, sep, raw = item.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(f"--set {item!r}: write it as key=value, e.g. --set tools.hold_frames=6")
    raw = raw.strip()
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key, value


def _read_toml(path: Path) -> dict[str, Any]:
    if path.is_dir():
        raise ConfigError(f"config file {path} is a directory: give --config the path of a TOML file.")
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}. Check the path given to --config.")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}).") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a UTF-8 text file; a config is TOML text.") from None


def _set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    if parts == ["model"] and isinstance(value, str):  # --model NAME keeps the other model.* settings
        parts = ["model", "name"]
    node = data
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"{key}: {part} is a value, not a section.")
        node = child
    node[parts[-1]] = value


def _describe(exc: ValidationError) -> str:
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "config"
        if err["type"] == "extra_forbidden":
            problems.append(f"{where}: unknown key (see `animus run --help` and the README's config table)")
        elif err["type"] == "value_error":  # a rule across keys: its message names them
            problems.append(str(err.get("ctx", {}).get("error", err["msg"])))
        else:
            problems.append(f"{where}: {err['msg']} (got {err.get('input')!r})")
    return "bad config: " + "; ".join(problems)
