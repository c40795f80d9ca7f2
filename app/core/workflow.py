"""The one shape of a transition table's entry, shared by every domain's `workflow.py`:
(state, action) → Transition(new state, who may, the button's label, …). A domain's table
fits on one screen; the service applies it (app/<domain>/services.py)."""
from collections.abc import Callable
from dataclasses import dataclass

NOTE_REQUIRED, NOTE_OPTIONAL = "required", "optional"


@dataclass(frozen=True)
class Transition:
    new_state: str | None  # None: the state does not change
    may: Callable  # may(user, record[, line]) -> bool
    label: object  # the button's words (lazy Vietnamese)
    note: str = ""  # NOTE_REQUIRED: a comment or reason is needed; NOTE_OPTIONAL: one may be given
    needs_line: bool = False  # the action is on one assignment line of the record
    style: str = "primary"  # the button's colour (Bootstrap)

    @property
    def note_required(self) -> bool:
        return self.note == NOTE_REQUIRED
