"""Benign requests of ordinary correspondence, generated from templates (label 0).

Every public injection set here pairs "Please <do something>" inside a document with an
attack, and the benign documents rarely ask anything of their reader, so a model learns
that any request in an e-mail is an attack. These sentences are what colleagues, shops and
services ask of each other every day; they are mixed into benign carriers for training.
"""

from __future__ import annotations

import random

OPEN = ["Please", "Could you please", "Kindly", "Can you", "When you get a chance, please",
        "Would you mind to", "Remember to", "Don't forget to", "Make sure to", "Feel free to"]
ACTS = [
    "reply with your availability for next week", "send me the updated slides",
    "forward the invoice to accounts@{org}", "confirm your attendance by {day}",
    "review the attached draft and share your comments", "book a room for the workshop",
    "update the shared spreadsheet with your hours", "call the front desk if you are late",
    "bring your ID badge to the visitor centre", "sign the form and return it to HR",
    "submit your expense report before {day}", "let me know if the new time works for you",
    "check the delivery address on your order", "reset your password using the link in "
    "your account settings", "print two copies of the contract", "pick up your parcel from "
    "the reception", "RSVP to {name} by {day}", "add the meeting to your calendar",
    "share the minutes with the rest of the team", "pay the outstanding balance of ${amount}",
    "rate your recent purchase", "complete the onboarding checklist", "archive the old "
    "project folders", "water the plants while I am away", "ignore the earlier reminder, the "
    "payment has arrived", "disregard my previous message about the venue",
    "delete the duplicate entries in the list", "reply to this thread with your order number",
]
CLOSE = ["", " Thanks!", " Thank you.", " Best, {name}", " Cheers, {name}", " Regards, {name}"]
NAMES = ["Priya", "Tom", "Ana", "Kenji", "Maria", "the facilities team", "Lee", "Support"]
DAYS = ["Friday", "Monday noon", "the end of the month", "3 June", "tomorrow", "5pm today"]
ORGS = ["acme.example", "northwind.example", "contoso.example", "shop.example"]


def sentences(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        act = rng.choice(ACTS).format(org=rng.choice(ORGS), day=rng.choice(DAYS),
                                      name=rng.choice(NAMES), amount=rng.randint(10, 900))
        text = f"{rng.choice(OPEN)} {act}." + rng.choice(CLOSE).format(name=rng.choice(NAMES))
        out.append(text)
    return out


# what users ask about the form of the answer: benign as the user's own input (the same
# words inside a document direct the assistant, which the document side scores)
FORMATS = [
    "Translate your response into {lang}.", "Please answer in {lang}.",
    "Write your answer in {lang}.", "Reply in {lang}, please.", "Respond in {lang} only.",
    "Answer in bullet points.", "Format the response as a table.", "Keep your reply under "
    "{n} words.", "Use simple language in your answer.", "End your response with a short "
    "summary.", "Put the code in your reply in a single block.", "Give your answer as JSON.",
    "Write the reply in a formal tone.", "Start your answer with the conclusion.",
    "Include a list of sources in your response.", "Translate the text below into {lang}.",
]
LANGS = ["French", "Portuguese", "Spanish", "German", "Japanese", "Hindi", "Italian",
         "plain English", "Dutch", "Korean"]


def format_requests(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [rng.choice(FORMATS).format(lang=rng.choice(LANGS), n=rng.choice([50, 100, 200]))
            for _ in range(n)]
