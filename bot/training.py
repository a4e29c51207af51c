"""Trains the Rasa model only when something it is built from has changed.

The fingerprint covers the training data, the domain, the (effective) config, the spaCy pipeline build and
our custom NLU components, plus the Rasa version. `make run` calls this on every start and pays for training
only after a real change; `make test` calls it with fewer epochs and its own output folder, so the quick
test model never replaces the full one.

Usage: `python -m bot.training [--epochs N] [--out DIR] [--name NAME] [--force]`.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from bot.config import PROJECT_ROOT, get_settings
from bot.content.loader import passage_files
from bot.nlp.pipeline import FINGERPRINT_FILE

MODEL_NAME = "spasticity"
EPOCH_COMPONENTS = {"DIETClassifier", "TEDPolicy", "UnexpecTEDIntentPolicy", "ResponseSelector"}
# Our NLU components' modules (config.yml names them through bot/nlp/rasa_components.py): a change retrains.
COMPONENT_MODULES = (
    *(
        PROJECT_ROOT / "bot" / "nlp" / name
        for name in (
            "rasa_components.py",
            "length_guard.py",
            "canonical_entities.py",
            "term_featurizer.py",
            "blank_safe_classifier.py",
            "move_classifier.py",
            "sentence_counts.py",
        )
    ),
    # The text SpacyNLP parses is the safety net's form of the message (bot/rasa_patches/spacy_text.py): the
    # features are built from it, so a change to that form retrains.
    PROJECT_ROOT / "bot" / "rasa_patches" / "spacy_text.py",
    PROJECT_ROOT / "bot" / "safety" / "matching.py",
    PROJECT_ROOT / "bot" / "text.py",
)


def effective_config(config_path: Path, epochs: int | None, nlp_dir: Path) -> dict[str, Any]:
    """The config to train with: epochs capped for quick runs, SpacyNLP pointed at the built pipeline."""
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    for section in ("pipeline", "policies"):
        for component in config.get(section) or []:
            if epochs is not None and component.get("name") in EPOCH_COMPONENTS:
                component["epochs"] = min(int(component.get("epochs", epochs)), epochs)
            if str(component.get("name", "")).rsplit(".", 1)[-1] == "SpacyNLP":
                try:
                    component["model"] = str(nlp_dir.relative_to(PROJECT_ROOT))
                except ValueError:
                    component["model"] = str(nlp_dir)
    return config


def fingerprint(config_text: str, nlp_dir: Path) -> str:
    """A hash of everything the trained model depends on."""
    import rasa

    digest = hashlib.sha256()
    digest.update(f"rasa {rasa.__version__}\n".encode())
    digest.update(config_text.encode("utf-8"))
    inputs = [
        PROJECT_ROOT / "domain.yml",
        *sorted((PROJECT_ROOT / "data").rglob("*.yml")),
        *COMPONENT_MODULES,
        nlp_dir / FINGERPRINT_FILE,
        # TermFeaturizer stores the content library's vocabulary in the model: new content, new model.
        *passage_files(get_settings().content_dir),
    ]
    for path in inputs:
        digest.update(str(path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path).encode())
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    return digest.hexdigest()


def model_path(out_dir: Path, name: str = MODEL_NAME) -> Path:
    """Where the trained model of that name is written."""
    return out_dir / f"{name}.tar.gz"


def train(out_dir: Path, name: str, epochs: int | None, force: bool) -> int:
    """Trains if needed; returns the exit code."""
    settings = get_settings()
    if not (settings.nlp_dir / "meta.json").is_file():
        print(f"No spaCy pipeline at {settings.nlp_dir}: run `make pipeline` first.", file=sys.stderr)
        return 1
    config = effective_config(PROJECT_ROOT / "config.yml", epochs, settings.nlp_dir)
    config_text = yaml.safe_dump(config, sort_keys=False)
    current = fingerprint(config_text, settings.nlp_dir)
    target = model_path(out_dir, name)
    marker = out_dir / f"{name}.fingerprint"
    if not force and target.is_file() and marker.is_file() and marker.read_text().strip() == current:
        print(f"Model {target} is up to date; not training.")
        return 0
    out_dir.mkdir(parents=True, exist_ok=True)
    work = settings.nlp_dir.parent.parent / "train"
    work.mkdir(parents=True, exist_ok=True)
    config_file = work / f"{name}.config.yml"
    config_file.write_text(config_text, encoding="utf-8")
    command = [
        sys.executable, "-m", "rasa", "train",
        "--config", str(config_file),
        "--domain", str(PROJECT_ROOT / "domain.yml"),
        "--data", str(PROJECT_ROOT / "data"),
        "--out", str(out_dir),
        "--fixed-model-name", name,
        # Our fingerprint already decided that something changed; Rasa's cache keys on the pipeline's
        # path, not its contents, so a rebuilt pipeline must not be served from the cache.
        "--force",
    ]  # fmt: skip
    print(f"Training {target} ({'epochs capped at ' + str(epochs) if epochs else 'full epochs'})...")
    started = time.monotonic()
    result = subprocess.run(command, cwd=PROJECT_ROOT, check=False)
    if result.returncode != 0 or not target.is_file():
        print("Training failed; see Rasa's output above.", file=sys.stderr)
        return result.returncode or 1
    marker.write_text(current + "\n")
    print(f"Trained {target} in {time.monotonic() - started:.0f} s.")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parses the arguments and trains if needed."""
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m bot.training", description=__doc__)
    parser.add_argument("--out", type=Path, default=settings.model_dir, help="model folder")
    parser.add_argument("--name", default=MODEL_NAME, help="model file name (without .tar.gz)")
    parser.add_argument("--epochs", type=int, default=None, help="cap on DIET/TED epochs, for quick test models")
    parser.add_argument("--force", action="store_true", help="train even if nothing changed")
    args = parser.parse_args(argv)
    return train(args.out, args.name, args.epochs, args.force)


if __name__ == "__main__":
    sys.exit(main())
