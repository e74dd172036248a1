"""How e-mails to people name a proposal (access requests, openings, reminders)."""

from catalogue.models import Document


def proposal_label(document: Document) -> str:
    """The proposal as an e-mail names it, `proposal <number> (<title>)`, on one line whatever the title holds: a
    subject is a mail header, and Django refuses to send one with a line break (a title read from a NeXus file or the
    user office may have one)."""
    return f"proposal {document.proposal_number or document.pid} ({' '.join(document.title.split())})"
