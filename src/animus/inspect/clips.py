"""Frames and clips of a run, rebuilt from the store (see `frames.FrameSource`).

Still images and WebP, GIF and APNG clips use Pillow; MP4 uses imageio-ffmpeg from the `video` extra
(`pip install 'animus[video]'`), imported only when asked for.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from animus.errors import BadInputError
from animus.inspect.frames import FrameSource
from animus.inspect.output import check_writable, write_output
from animus.runs.reader import RunReader

if TYPE_CHECKING:
    from PIL.Image import Image

CLIP_FORMATS = {".webp": "WEBP", ".gif": "GIF", ".png": "PNG", ".apng": "PNG", ".mp4": "MP4"}


def write_frame(run_dir: Path, step: int, out: Path, scale: int = 1, rom: str | Path | None = None) -> None:
    """Write the frame shown at the end of `step` as a PNG."""
    check_writable(out, "the frame")
    if out.suffix.lower() != ".png":
        raise BadInputError(f"{out}: a frame is written as PNG; name the output *.png.")
    with RunReader.open(run_dir) as store, FrameSource(store, rom) as frames:
        data = frames.png(step, scale)
    write_output(out, data, "the frame")


def write_clip(
    run_dir: Path,
    start: int,
    stop: int,
    out: Path,
    fps: int = 8,
    scale: int = 2,
    overlay: bool = False,
    rom: str | Path | None = None,
) -> int:
    """Write steps `start`..`stop` (inclusive) as an animation; return the number of frames written."""
    from PIL import Image

    check_writable(out, "the clip")
    kind = CLIP_FORMATS.get(out.suffix.lower())
    if kind is None:
        raise BadInputError(f"{out}: unknown clip format; use one of {', '.join(sorted(CLIP_FORMATS))}.")
    if not 0 <= start <= stop:
        raise BadInputError(f"--from {start} --to {stop}: give 0 <= from <= to.")
    if kind == "MP4":
        _ffmpeg()  # fail before any work when the extra is missing
    images = []
    with RunReader.open(run_dir) as store, FrameSource(store, rom) as frames:
        last = store.last_step()
        if stop > last:
            raise BadInputError(f"--to {stop}: this run has steps 0-{last}.")
        for step in range(start, stop + 1):
            image = Image.fromarray(frames.frame(step)).resize((160 * scale, 144 * scale), Image.Resampling.NEAREST)
            if overlay:
                image = _overlay(image, step, _action(store, step))
            images.append(image.convert("RGB"))
    duration = round(1000 / fps)
    if kind == "MP4":
        _write_mp4(images, out, fps)
    else:
        buffer = io.BytesIO()
        images[0].save(buffer, format=kind, save_all=True, append_images=images[1:], duration=duration, loop=0)
        write_output(out, buffer.getvalue(), "the clip")
    return len(images)


def _action(store: RunReader, step: int) -> str:
    row = store.step(step)
    if row is None:
        return "start"
    presses = [" ".join(buttons) if buttons else f"wait {wait}" for buttons, _, wait in json.loads(row.inputs)]
    return ", ".join(presses) or "no action"


def _overlay(image: Image, step: int, action: str) -> Image:
    """The frame under a black banner naming the step and its action."""
    from PIL import Image, ImageDraw

    banner = Image.new("RGB", (image.width, image.height + 14), "black")
    banner.paste(image, (0, 14))
    ImageDraw.Draw(banner).text((3, 2), f"step {step}: {action}"[:60], fill="white")
    return banner


def _ffmpeg() -> Any:
    try:
        import imageio_ffmpeg  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError:
        raise BadInputError("MP4 needs imageio-ffmpeg: pip install 'animus[video]' (or write .webp or .gif).") from None
    return imageio_ffmpeg


def _write_mp4(images: list[Image], out: Path, fps: int) -> None:
    ffmpeg = _ffmpeg()
    write_output(out, b"", "the clip")  # ffmpeg writes the file itself: check that it can be written first
    first = images[0]
    size = (first.width + first.width % 2, first.height + first.height % 2)  # H.264 wants even sizes
    writer = ffmpeg.write_frames(str(out), size, fps=fps, quality=8, macro_block_size=1)
    writer.send(None)  # a generator: prime it before sending frames
    for image in images:
        writer.send(image.resize(size).tobytes())
    writer.close()
