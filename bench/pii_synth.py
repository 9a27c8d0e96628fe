"""Fresh PII test data, generated with Faker from templates written for this project.

`presidio-synth-pii` is what the PII rules were developed on, so it cannot show how they do on
unseen data. This module makes new labelled sentences of the same kind (one or two entities
in short customer-service text) with values from Faker in twelve locales, plus distractors
(order numbers, dates, prices, versions, times) that must not be flagged. About a third of
the templates give no context word, as real text often does not. Needs `faker` (bench only).

    python bench/pii_synth.py [--n 600] [--seed 11]   # prints a sample
"""

from __future__ import annotations

import argparse
import json
import random
import re
from typing import Any

LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "en_AU", "en_IN", "pt_BR", "it_IT", "es_ES",
           "nl_NL", "en_CA", "pl_PL")
# {slot} is an entity or a distractor; the slot name says which Faker value fills it.
TEMPLATES = (
    "Please call me back at {PHONE_NUMBER}, I'm free after {time}.",
    "You can text {PHONE_NUMBER} any time before {date}.",
    "Contact details: {EMAIL_ADDRESS} / phone {PHONE_NUMBER}",
    "Mobile {PHONE_NUMBER}, office {PHONE_NUMBER}",
    "Ok so {PHONE_NUMBER} it is, see you at {time}.",
    "I tried {PHONE_NUMBER} three times and nobody picked up.",
    "My new address for invoices is {EMAIL_ADDRESS}, order {order} still pending.",
    "Send the tickets to {EMAIL_ADDRESS} please",
    "Charge it to {CREDIT_CARD}, the total is {price}.",
    "The payment failed for card {CREDIT_CARD} on order {order}.",
    "{CREDIT_CARD} was declined again at checkout",
    "Use {CREDIT_CARD} for the {price} deposit",
    "Wire the deposit to {IBAN_CODE} by {date}.",
    "Our account: {IBAN_CODE} (reference {order})",
    "SSN {US_SSN} is on the W-2 form from {date}.",
    "For verification my social security number is {US_SSN}.",
    "The failed login came from {IP_ADDRESS} at {time}.",
    "Please whitelist {IP_ADDRESS} for the VPN, build {version}.",
    "Requests from {IP_ADDRESS} keep timing out",
    "Order {order} shipped on {date}, total {price}, tracking page updated at {time}.",
    "Version {version} fixed the crash, {count} users affected.",
    "Room {count}, floor {small}, meeting at {time} on {date}.",
)


def _value(slot: str, fake: Any, rng: random.Random) -> str:
    values = {
        "PHONE_NUMBER": fake.phone_number, "EMAIL_ADDRESS": fake.email,
        "CREDIT_CARD": fake.credit_card_number, "US_SSN": lambda: _us_ssn(fake),
        "IBAN_CODE": lambda: _iban(fake, rng),
        "IP_ADDRESS": lambda: fake.ipv4() if rng.random() < 0.7 else fake.ipv6(),
        "time": lambda: fake.time(pattern="%H:%M"), "date": lambda: fake.date(),
        "order": lambda: f"#{rng.randint(10_000, 99_999_999)}",
        "price": lambda: f"${rng.randint(1, 2000)}.{rng.randint(0, 99):02d}",
        "version": lambda: f"{rng.randint(1, 20)}.{rng.randint(0, 30)}.{rng.randint(0, 99)}",
        "count": lambda: f"{rng.randint(1, 99_999):,}", "small": lambda: str(rng.randint(1, 40)),
    }
    return str(values[slot]())


def _us_ssn(fake: Any) -> str:
    """Faker's `ssn` is per locale (a codice fiscale in it_IT); US_SSN means the US one."""
    from faker import Faker

    return str(Faker("en_US").ssn())


def _iban(fake: Any, rng: random.Random) -> str:
    from faker import Faker

    iban = Faker(rng.choice(("en_GB", "de_DE", "fr_FR", "nl_NL", "es_ES", "it_IT"))).iban()
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4)) if rng.random() < 0.4 else iban


def generate(n: int = 600, seed: int = 11) -> list[dict[str, Any]]:
    """n labelled rows {id, text, entities: [{type, start, end, value}]}."""
    from faker import Faker

    rng = random.Random(seed)
    Faker.seed(seed)
    fakers = {loc: Faker(loc) for loc in LOCALES}
    rows = []
    for i in range(n):
        fake = fakers[LOCALES[i % len(LOCALES)]]
        text, entities = _fill(rng.choice(TEMPLATES), fake, rng)
        rows.append({"id": f"faker-{i}", "text": text, "entities": entities})
    return rows


def _fill(template: str, fake: Any, rng: random.Random) -> tuple[str, list[dict[str, Any]]]:
    text, entities, last = "", [], 0
    for m in re.finditer(r"\{(\w+)\}", template):
        text += template[last:m.start()]
        value = _value(m.group(1), fake, rng)
        if m.group(1).isupper():
            entities.append({"type": m.group(1), "start": len(text),
                             "end": len(text) + len(value), "value": value})
        text += value
        last = m.end()
    return text + template[last:], entities


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    for row in generate(args.n, args.seed):
        print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
