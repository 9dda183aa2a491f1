"""User-visible strings of the customer chat widget."""

from django.utils.translation import gettext


def chat_strings(*, ai_answers: bool) -> dict[str, str]:
    """Return the chat widget's strings, translated into the active language.

    The chat page embeds this dict with ``json_script`` as the ``chat-strings`` block, and
    chat.js reads every text it shows from there. chat.js replaces ``{position}`` with a
    number, so translations must keep that placeholder unchanged. `ai_answers` is False when
    the channel's AI mode sends every message to a person, and the connected notice then
    names the team instead of the assistant.
    """
    if ai_answers:
        status_connected = gettext("Connected. Our assistant will answer you.")
    else:
        status_connected = gettext("Connected. A member of our team will answer you.")
    return {
        "status_starting": gettext("Starting a conversation…"),
        "status_connecting": gettext("Connecting…"),
        "status_reconnecting": gettext("Connection lost. Reconnecting…"),
        "status_connected": status_connected,
        # Translators: {position} is a whole number, 1 for the next conversation to be taken.
        "status_queued": gettext("A person is coming. Your place in the queue is {position}."),
        "status_queued_no_position": gettext("A person is coming."),
        "status_assigned": gettext("A support agent has joined the conversation."),
        "status_resolved": gettext("This conversation is resolved."),
        "start_failed": gettext("The conversation could not be started. Trying again…"),
        "start_rejected": gettext(
            "The conversation could not be started. Reload the page or start a new conversation."
        ),
        "author_customer": gettext("You"),
        "author_ai": gettext("Assistant"),
        "author_agent": gettext("Support agent"),
        "author_system": gettext("Notice"),
        "message_sending": gettext("Sending…"),
        "message_not_sent": gettext("Not sent"),
        "human_requested": gettext("You asked to talk to a person."),
        "sources_label": gettext("Sources:"),
        "message_too_long": gettext("Your message is too long. The limit is 4,000 characters."),
        "error_unknown": gettext("Something went wrong. Please try again."),
        "agent_typing": gettext("A support agent is typing…"),
        "feedback_question": gettext("Was this helpful?"),
        "feedback_yes": gettext("Yes"),
        "feedback_no": gettext("No"),
        "feedback_thanks": gettext("Thanks for your feedback."),
    }
