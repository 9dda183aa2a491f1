"""Print how silent-copilot drafts compared with what the agents sent, per channel."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from escalation.actions.scoring import AGREED_SEMANTIC_SIMILARITY, AGREED_TEXT_SIMILARITY
from escalation.reports import DraftAgreement, draft_agreement
from tickets.models import Conversation


def format_share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def format_mean(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


HELP = gettext_lazy(
    "Compare the AI's silent-copilot drafts with the replies agents sent after them, over the last "
    "--days days, per channel. This is the evidence to read before moving a channel from silent "
    "copilot to triage wall, where the AI answers customers first. Prints one table, then one JSON "
    "line with drafts_scored, agreement_rate, mean_semantic_similarity and mean_text_similarity "
    "over the channels shown."
)


class Command(BaseCommand):
    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # argparse formats only real strings, so the help is translated when the parser is built.
        self.help = str(HELP)
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=30, help=_("Days back from now to include (default: 30)."))
        parser.add_argument(
            "--channel",
            choices=Conversation.Channel.values,
            default=None,
            help=_("Report only this channel (default: every channel)."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days: int = options["days"]
        if days < 1:
            raise CommandError(_("--days is %(days)s; give a whole number of days, 1 or more.") % {"days": days})
        channels = [options["channel"]] if options["channel"] else list(Conversation.Channel.values)

        header = [
            _("channel"),
            _("drafts scored"),
            _("agreed"),
            _("agreement rate"),
            _("semantic similarity"),
            _("text similarity"),
        ]
        rows = [self.table_row(channel, draft_agreement(days=days, channel=channel)) for channel in channels]
        widths = [max(len(str(row[column])) for row in [header, *rows]) for column in range(len(header))]
        for row in [header, *rows]:
            self.stdout.write("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))
        self.stdout.write(
            _(
                "A draft counts as agreed when its semantic similarity is at least %(semantic)s or its text "
                "similarity at least %(text)s. The figures cover the last %(days)s days."
            )
            % {"semantic": AGREED_SEMANTIC_SIMILARITY, "text": AGREED_TEXT_SIMILARITY, "days": days}
        )

        total = draft_agreement(days=days, channel=options["channel"])
        self.stdout.write(json.dumps(total.as_json()))

    def table_row(self, channel: str, summary: DraftAgreement) -> list[str]:
        return [
            channel,
            str(summary.drafts_scored),
            str(summary.agreed),
            format_share(summary.agreement_rate),
            format_mean(summary.mean_semantic_similarity),
            format_mean(summary.mean_text_similarity),
        ]
