"""What payload encryption costs per order: CPU time of encrypting and decrypting every payload of a recorded
order history (workflow input and result, activity arguments and results, updates, markers), as the project's
codec does it (``oms_project.payload_codec``).

    python bench/codec_cost.py [--rounds 2000]

Each payload is encrypted once by its writer and decrypted by every reader (the worker on a cache miss or a
replay, the client of a result, the UI through the codec endpoint), so "encode + decode" is the cost of one write
and one read of every payload of the order. CPU time (``time.process_time``), not the wall clock: stable on a
shared machine. Prints the table, writes nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.client import WorkflowHistory

from oms_project.payload_codec import EncryptionCodec, PayloadKey, new_key_entry

HISTORIES = Path(__file__).resolve().parent.parent / "tests" / "workflow" / "replay" / "histories"
SHOWN = ["order_delivered_lean", "order_cancelled_lean", "order_failed_stock_lean"]


def payloads_in(message: Message) -> Iterator[Payload]:
    """Every Payload inside a protobuf message (reflection: events nest them at different depths)."""
    if isinstance(message, Payload):
        yield message
        return
    for field, value in message.ListFields():
        if field.type != field.TYPE_MESSAGE:
            continue
        if field.is_repeated:
            items = value.values() if field.message_type.GetOptions().map_entry else value
            for item in items:
                if isinstance(item, Message):
                    yield from payloads_in(item)
        else:
            yield from payloads_in(value)


def measure(codec: EncryptionCodec, payloads: list[Payload], rounds: int) -> tuple[float, float]:
    """CPU microseconds per order: encrypting all its payloads, then decrypting them."""
    sealed = codec.encode_now(payloads)
    started = time.process_time()
    for _ in range(rounds):
        codec.encode_now(payloads)
    encode = time.process_time() - started
    started = time.process_time()
    for _ in range(rounds):
        codec.decode_now(sealed)
    decode = time.process_time() - started
    return encode / rounds * 1e6, decode / rounds * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()
    codec = EncryptionCodec([PayloadKey.parse(new_key_entry("bench"))])
    print("| recorded order history | events | payloads | bytes (plain -> encrypted) | encode µs | decode µs |")
    print("|---|---|---|---|---|---|")
    for name in SHOWN:
        history = WorkflowHistory.from_json("bench", (HISTORIES / f"{name}.json").read_text())
        payloads = [p for event in history.events for p in payloads_in(event)]
        plain = sum(p.ByteSize() for p in payloads)
        sealed = sum(p.ByteSize() for p in codec.encode_now(payloads))
        encode, decode = measure(codec, payloads, args.rounds)
        print(
            f"| `{name}` | {len(history.events)} | {len(payloads)} | {plain} -> {sealed} "
            f"| {encode:.0f} | {decode:.0f} |"
        )


if __name__ == "__main__":
    main()
