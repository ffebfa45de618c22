"""A command record as a line of text or as JSON."""

from __future__ import annotations

from typing import Any

from m2gui.net import CommandRecord, Outcome

from .output import Output

__all__ = ["OUTCOME_STYLES", "latency_text", "record_json", "record_line"]

OUTCOME_STYLES = {
    Outcome.ACK: "info",
    Outcome.SUCCESS: "ok",
    Outcome.FAIL: "error",
    Outcome.NOACK: "error",
    Outcome.TIMEOUT: "warning",
    Outcome.DISCONNECTED: "error",
    Outcome.CANCELLED: "warning",
    Outcome.INVALID: "error",
}
#: Characters kept of the controller's texts on a line.
INFO_CHARS = 300


def latency_text(seconds: float | None) -> str:
    """``0.8 ms``, ``1.25 s``; ``?`` when unknown."""
    if seconds is None:
        return "?"
    return f"{seconds * 1e3:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def record_line(record: CommandRecord, out: Output, *, ack: bool = False) -> str:
    """One line: the outcome (or the ack with ``ack``), the command, its latency, the texts."""
    outcome = Outcome.ACK if ack else record.outcome
    latency = record.ack_latency if ack else record.done_latency
    word = out.paint(f"{outcome.value:<12}", OUTCOME_STYLES.get(outcome, "bold"))
    seq = f" (sequence id {record.sequence_id})" if record.sequence_id >= 0 else ""
    text = f"{word} {record.name}{seq} after {latency_text(latency)}"
    notes = [] if ack else ([record.reason] if record.reason else [])
    notes += [info for info in record.user_info if info and info not in notes]
    if notes:
        joined = "; ".join(notes)
        if len(joined) > INFO_CHARS:
            joined = joined[:INFO_CHARS] + "…"
        text += f": {joined}"
    return text


def record_json(record: CommandRecord) -> dict[str, Any]:
    """The whole record as JSON-ready data (latencies in seconds, ``sent_at`` Unix time)."""
    return {
        "name": record.name,
        "params": record.params,
        "sequence_id": record.sequence_id,
        "sent_at": record.sent_at,
        "outcome": record.outcome.value,
        "ack_latency": record.ack_latency,
        "done_latency": record.done_latency,
        "reason": record.reason,
        "user_info": list(record.user_info),
        "resends": record.resends,
        "late_replies": record.late_replies,
    }
