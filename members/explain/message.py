"""An inline message: what every piece of wording answers with."""

from dataclasses import dataclass
from enum import StrEnum


NAMES_SHOWN = 3  # names a sentence lists before "and N others"


class Tone(StrEnum):
    """How a message reads: done, for information, or something went wrong (an alert)."""

    OK = "ok"
    INFO = "info"
    ERROR = "error"


@dataclass(frozen=True)
class Message:
    """An inline message: a short headline, a sentence of reason/fix, and Graph's request-id."""

    tone: Tone
    text: str
    fix: str = ""
    request_id: str = ""
