"""GitHub Actions workflow commands (`::error file=F,line=L,title=T::message`): their escaping, and the limits
GitHub puts on annotations and the step summary. Used by `check --format github` and `rules lint --format github`."""

from __future__ import annotations

PER_KIND = 10  # GitHub shows at most 10 error, 10 warning and 10 notice annotations per step (50 per job)
SUMMARY_BYTES = 1 << 20  # a step summary ($GITHUB_STEP_SUMMARY) over 1 MiB is refused whole


def data(text: str) -> str:
    """A command's message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def prop(text: str) -> str:
    """A property value (file, title): `:` and `,` end a property, so they are escaped too."""
    return data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(kind: str, message: str, file: str | None = None, line: int | None = None, title: str = "") -> str:
    """`kind` is error, warning or notice."""
    props = [f"file={prop(file)}"] if file else []
    if file and line:
        props.append(f"line={line}")
    if title:
        props.append(f"title={prop(title)}")
    return f"::{kind} {','.join(props)}::{data(message)}" if props else f"::{kind}::{data(message)}"
