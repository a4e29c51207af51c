"""Tools that measure or report on the bot: they sit outside the packages they measure.

- `retrieval_evaluation`: recall of the question-to-passage set, and the offline answer check.
- `content_report`: the editors' report on the library (`make content-report`).

The evaluations of the running bot (`bot.evaluation`, `bot.dialogue_evaluation`, `bot.nlu_eval`) talk to it
over HTTP or through Rasa and sit beside this package.
"""
