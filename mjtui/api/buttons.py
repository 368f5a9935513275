"""A job's buttons (U1, 🔄, Custom Zoom, ...): what each does, and what one needs before it can be pressed.

Every provider presses a button by its label as Midjourney shows it (useapi's `button`, ImaginePro's `button`, a
gateway's button `label` or `emoji`); the names below are those of useapi's and ImaginePro's button lists.
"""

from __future__ import annotations

REROLL = "🔄"
CUSTOM_ZOOM = "Custom Zoom"
VARY_REGION = "Vary (Region)"
PANS = ("⬅️", "➡️", "⬆️", "⬇️")
NEEDS_PROMPT = frozenset({CUSTOM_ZOOM})  # useapi: "prompt ... required for button Custom Zoom"
# With Remix on, these take a prompt too (useapi's button page); without one, the job's own is used.
TAKES_PROMPT = frozenset({CUSTOM_ZOOM, REROLL, VARY_REGION, "Vary (Strong)", "Vary (Subtle)", "V1", "V2", "V3", "V4",
                          *PANS})
NEEDS_MASK = frozenset({VARY_REGION})  # a region drawn on the image: nothing a terminal can draw
NOT_PRESSED_HERE = frozenset({"Cancel Job"})  # ImaginePro's cancel is a button; mjtui sends it as the cancel action
# What a user may type for a button whose label is an emoji (`mjtui press JOB reroll`).
ALIASES = {"reroll": REROLL, "left": PANS[0], "right": PANS[1], "up": PANS[2], "down": PANS[3]}
MAX_PROMPT = 4000  # characters: Discord's limit for a message, where Midjourney's prompt goes

_WHAT = {
    REROLL: "reroll: a new grid from the same prompt",
    CUSTOM_ZOOM: "zoom out by the factor in the prompt you type (--zoom 1.5 ... 2)",
    VARY_REGION: "not supported from a terminal: it needs a region drawn on the image",
    "Vary (Strong)": "strong variations of this image", "Vary (Subtle)": "subtle variations of this image",
    "Zoom Out 2x": "zoom out 2x", "Zoom Out 1.5x": "zoom out 1.5x", "Make Square": "extend the image to a square",
    "Upscale (Subtle)": "upscale, keeping the details", "Upscale (Creative)": "upscale, adding details",
    "Upscale (2x)": "upscale 2x", "Upscale (4x)": "upscale 4x",
    "Redo Upscale (2x)": "upscale 2x again", "Redo Upscale (4x)": "upscale 4x again",
    "Animate (High motion)": "a video of this image, high motion", "Animate (Low motion)": "a video of this image, low motion",
    "Extend (High motion)": "a longer video, high motion", "Extend (Low motion)": "a longer video, low motion",
    "Make Variations": "variations of this image", "Remaster": "redo with the newest model",
    **dict(zip(PANS, ("pan left", "pan right", "pan up", "pan down"), strict=True)),
}


def canonical(button: str) -> str:
    """The button as the service names it: an alias (`reroll`, `left`) becomes its emoji; anything else is kept."""
    return ALIASES.get(button.strip().lower(), button.strip())


def what_it_does(button: str) -> str:
    """A few words on what pressing `button` starts."""
    if button in _WHAT:
        return _WHAT[button]
    if len(button) == 2 and button[0] in "UV" and button[1] in "1234":
        return f"{'upscale' if button[0] == 'U' else 'variations of'} image {button[1]}"
    return "a new job from this one"


def press_problem(button: str, prompt: str | None) -> str | None:
    """Why `button` cannot be pressed from here with `prompt` (nothing is sent then), or None when it can."""
    if not button.strip():
        return "no button named"
    if button in NEEDS_MASK:
        return f"{button} needs a region drawn on the image: not supported from a terminal (use Discord or the web)"
    if button in NOT_PRESSED_HERE:
        return f"'{button}' is not a button mjtui presses: use cancel"
    if button in NEEDS_PROMPT and not (prompt or "").strip():
        return f"{button} needs a prompt (the job's prompt with --zoom 1.5 ... 2)"
    if prompt is not None and button not in TAKES_PROMPT:
        return f"{button} takes no prompt (these do, with Remix on: {', '.join(sorted(TAKES_PROMPT))})"
    if prompt is not None and len(prompt) > MAX_PROMPT:
        return f"the prompt is longer than {MAX_PROMPT} characters"
    return None
