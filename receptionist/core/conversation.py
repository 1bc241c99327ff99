"""What the receptionist says outside any flow: the opening, steering, repair and closing lines.

The texts ship as data (`config/defaults/conversation.yaml`) and a practice overrides any of them
in its own `conversation.yaml`; the model's own defaults are only for tests that build a world
by hand.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from receptionist.core.model import Strict


class Conversation(Strict):
    """The receptionist's own lines; `{practice.*}` placeholders are filled when spoken."""

    version: Literal["1"] = "1"
    greeting: str = "Thank you for calling {practice.name}. How can I help you today?"
    menu: str = "What do you need?"
    hello: str = "Hello! How can I help you today?"
    how_can_i_help: str = "Sure. What can I help you with?"
    not_understood: str = "Sorry, I didn't quite get that."
    reask: str = "Sorry, I need {problem}."
    still_there: str = "Are you still there?"
    anything_else: str = "Is there anything else I can help you with?"
    anything_else_hints: tuple[str, ...] = ("no", "that's all")
    goodbye: str = "Thank you for calling {practice.name}. Goodbye!"
    consent_refused: str = "Understood. I won't keep a recording or a transcript of this call."
    message_saved: str = "Thank you. Your message has been saved. Goodbye!"
    voicemail_instead: str = "I'm sorry, I couldn't take that down. Let's take a voicemail."
    menu_hints: tuple[str, ...] = ("person",)
    # Reading an answer back instead of storing it when the recogniser was not sure of it
    read_back: str = "I heard {value}. Is that right?"
    read_back_again: str = "Sorry, was that {value}? Please say yes or no."
    read_back_wrong: str = "Sorry about that."
    read_back_below: float = Field(default=0.5, ge=0.0, le=1.0)  # Twilio's Confidence
    read_back_below_local: float = Field(default=0.8, ge=0.0, le=1.0)  # the local recogniser's
    read_back_slots: tuple[str, ...] = ("name", "phone", "dob")
