"""Names shared by the domain, the actions and the tests.

`domain.yml` and the training data spell these names too; `tests/test_domain.py` checks that every name here
exists in the domain, so a rename cannot drift silently.
"""

from __future__ import annotations

# Intents
INTENT_GREET = "greet"
INTENT_GOODBYE = "goodbye"
INTENT_THANKS = "thanks"
INTENT_BOT_CHALLENGE = "bot_challenge"
INTENT_ASK_QUESTION = "ask_question"
INTENT_ASK_FOLLOWUP = "ask_followup"
INTENT_ASK_TOPIC = "ask_topic"
INTENT_OUT_OF_SCOPE = "out_of_scope"
INTENT_EMERGENCY = "emergency"
INTENT_ASK_DOSING = "ask_dosing"
INTENT_FEEDBACK_HELPFUL = "feedback_helpful"
INTENT_FEEDBACK_NOT_HELPFUL = "feedback_not_helpful"
INTENT_NLU_FALLBACK = "nlu_fallback"
# "ok", "got it", "interesting": the last answer was taken in; the subject stays (bot.nlp.moves).
INTENT_ACKNOWLEDGE = "acknowledge"
# "Can I talk to someone?": a person to talk to if the deployment names one (HUMAN_HELP_*), else the care team.
INTENT_ASK_HUMAN = "ask_human"

# Entities: labels produced by the project's spaCy entity ruler, plus the topic id carried by buttons.
ENTITY_THERAPY = "THERAPY"
ENTITY_CONDITION = "CONDITION"
ENTITY_SYMPTOM = "SYMPTOM"
ENTITY_TOPIC = "topic"
# A passage id carried by a suggested follow-up question's button.
ENTITY_PASSAGE = "passage"
# Why an answer did not help, carried by the reason buttons offered after "not helpful" (bot.feedback.Reason).
ENTITY_REASON = "reason"
TERM_ENTITY_LABELS = (ENTITY_THERAPY, ENTITY_CONDITION, ENTITY_SYMPTOM)

# The metadata key a channel sets on a `bot.payloads.TopicStart`: the conversation was opened on a topic (a
# Telegram deep link, the widget's data-topic), so an unknown topic gets the greeting, not a menu of guesses.
METADATA_TOPIC_START = "topic_start"

# Slots
SLOT_TOPIC = "topic"
SLOT_THERAPY = "therapy"
# What the last answer was, so that a "helpful / not helpful" press is stored against the right passages.
SLOT_ANSWERED_QUESTION = "answered_question"
SLOT_ANSWERED_PASSAGES = "answered_passages"
# Every passage shown in the conversation (newest last, at most MAX_SHOWN), so "tell me more" brings a new one.
SLOT_SHOWN_PASSAGES = "shown_passages"
MAX_SHOWN = 20
# The conversation's language ("en"/"es"), where it came from, and a switch seen once (bot.language).
SLOT_LANGUAGE = "language"
SLOT_LANGUAGE_SOURCE = "language_source"
SLOT_LANGUAGE_PENDING = "language_pending"
# How many times in a row the bot was unsure of the message: set by action_fallback, back to 0 on any message
# NLU reads (its `from_intent` mapping in domain.yml), so a second fallback in a row gives up (bot.decision).
SLOT_FALLBACKS = "fallbacks"

# Custom actions
ACTION_SESSION_START = "action_session_start"
ACTION_ANSWER_QUESTION = "action_answer_question"
ACTION_EMERGENCY = "action_emergency"
ACTION_REFUSE_DOSING = "action_refuse_dosing"
ACTION_OUT_OF_SCOPE = "action_out_of_scope"
ACTION_FALLBACK = "action_fallback"
ACTION_RECORD_FEEDBACK = "action_record_feedback"
# Run by Rasa after every message (the language slot's custom mapping): keeps the conversation's language.
ACTION_DETECT_LANGUAGE = "action_detect_language"
# Rasa's default restart action, overridden so that a restart starts a new session with the introduction.
ACTION_RESTART = "action_restart"
# Rasa's own: wait for the person's next message (named by the restart's follow-up).
ACTION_LISTEN = "action_listen"
# Answers "can I talk to someone?" with the person the deployment configures (bot/emergency_numbers.py).
ACTION_ASK_HUMAN = "action_ask_human"

# Responses (domain `responses:`)
UTTER_GREET = "utter_greet"
UTTER_GOODBYE = "utter_goodbye"
UTTER_THANKS = "utter_thanks"
UTTER_IAMABOT = "utter_iamabot"
UTTER_ACKNOWLEDGE = "utter_acknowledge"

CUSTOM_ACTIONS = (
    ACTION_SESSION_START,
    ACTION_ANSWER_QUESTION,
    ACTION_EMERGENCY,
    ACTION_REFUSE_DOSING,
    ACTION_OUT_OF_SCOPE,
    ACTION_FALLBACK,
    ACTION_RECORD_FEEDBACK,
    ACTION_RESTART,
    ACTION_DETECT_LANGUAGE,
    ACTION_ASK_HUMAN,
)
INTENTS = (
    INTENT_GREET,
    INTENT_GOODBYE,
    INTENT_THANKS,
    INTENT_BOT_CHALLENGE,
    INTENT_ASK_QUESTION,
    INTENT_ASK_FOLLOWUP,
    INTENT_ASK_TOPIC,
    INTENT_OUT_OF_SCOPE,
    INTENT_EMERGENCY,
    INTENT_ASK_DOSING,
    INTENT_FEEDBACK_HELPFUL,
    INTENT_FEEDBACK_NOT_HELPFUL,
    INTENT_ACKNOWLEDGE,
    INTENT_ASK_HUMAN,
)
RESPONSES = (UTTER_GREET, UTTER_GOODBYE, UTTER_THANKS, UTTER_IAMABOT, UTTER_ACKNOWLEDGE)
SLOTS = (
    SLOT_TOPIC,
    SLOT_THERAPY,
    SLOT_ANSWERED_QUESTION,
    SLOT_ANSWERED_PASSAGES,
    SLOT_SHOWN_PASSAGES,
    SLOT_LANGUAGE,
    SLOT_LANGUAGE_SOURCE,
    SLOT_LANGUAGE_PENDING,
    SLOT_FALLBACKS,
)
