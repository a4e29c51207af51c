"""`SpacyNLP` that parses the safety net's form of a message, so each message is parsed by spaCy once.

**What.** Rasa 3.6's `SpacyNLP` parses a message's text lower-cased (`case_sensitive: false`,
`SpacyNLP._preprocess_text`), at training and at prediction. This subclass parses `detector_text(text)`
instead: lower-cased, accents folded, curly quotes straightened, whitespace collapsed, "mix up" read
"muddle", a word said three times or more read twice (`bot.safety.matching`). It keeps Rasa's name
(`SpacyNLP`), because Rasa finds the component that provides the spaCy model by its class name
(`model_from="SpacyNLP"` of `SpacyEntityExtractor`, `DefaultV1Recipe._get_model_provider_needs`); importing
this module registers it under that name, and `config.yml` names it by its module path, so the training
graph and the served model both use it. The message's own text is untouched: retrieval, the stored question
and the replies read what the person wrote.

**Why.** The safety net (`bot.safety.rasa_component.verdict_for`) reads the doc `SpacyNLP` made when its text is
the detectors' form, and parses again otherwise. With Rasa's lower-casing the two differed for every message
with an accent, a curly quote or a double space: 472 of the 672 Spanish safety-set messages were parsed twice
(issue 14 point 4 asks for one pass per message). Reading the lower-cased doc anyway would have changed 173
Spanish verdicts, because the detectors' patterns and the terminology's entity ruler are written for the
folded form. Now the two texts are the same for every message, so the verdicts are exactly those of the
detectors' own parse. The NLU features (tokens, entities, n-grams) are built from the same folded text at
training and at prediction, so the classifier sees "despues" and "después" as one word.

**Measured.** `python -m bench.nlu_passes`: spaCy passes per message in the Rasa server, English 1.00 before
and after, Spanish 1.70 before, 1.00 after. Contract: `tests/test_rasa_patches.py::test_spacy_text_*` (Rasa's
own `SpacyNLP` lower-cases only; ours gives the detectors' text, at training and at prediction, and the
recipe wires it as the model provider of `SpacyEntityExtractor`).
"""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.utils.spacy_utils import SpacyNLP as RasaSpacyNLP

from bot.safety.matching import detector_text


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MODEL_LOADER, DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER],
    is_trainable=False,
    model_from="SpacyNLP",
)
class SpacyNLP(RasaSpacyNLP):
    """Rasa's `SpacyNLP`, parsing the safety net's form of the text when `case_sensitive` is false."""

    def _preprocess_text(self, text: str | None) -> str:
        """The text spaCy parses: the detectors' form (`detector_text`), or the text as is when case-sensitive."""
        if self._config.get("case_sensitive"):
            return text or ""
        return detector_text(text)
