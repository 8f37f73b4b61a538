"""The BentoML service: POST /predict for CRM screens. Handlers only translate.

Start it with `retain serve` (or `bentoml serve serving.service:RetentionService`); the
`champion` models are resolved once at start-up and every answer names their versions.
"""

from __future__ import annotations

import bentoml
import pandas as pd

from features.settings import Settings
from features.vector import split_valid
from serving.registry import load_models
from serving.schemas import Prediction, SubscriberFeatures
from serving.scoring import score


def to_frame(subscribers: list) -> pd.DataFrame:
    """Validated request records to the feature-vector frame the scoring path takes."""
    return pd.DataFrame([s.model_dump() for s in subscribers])


@bentoml.service(name="retain", traffic={"timeout": 10})
class RetentionService:
    def __init__(self) -> None:
        self.models = load_models(Settings.from_env())  # fails fast on a missing alias/schema

    @bentoml.api(route="/predict")
    def predict(self, subscribers: list[SubscriberFeatures]) -> list[Prediction]:  # type: ignore[valid-type]
        frame = to_frame(subscribers)
        if frame.empty:
            return []
        valid, rejects = split_valid(frame)
        if len(rejects):
            raise bentoml.exceptions.InvalidArgument(
                "; ".join(f"subscribers[{i}].{r}" for i, r in rejects["reject_reason"].items())
            )
        return [Prediction(**row) for row in score(valid, self.models).to_dict("records")]
