"""Model evaluation: metrics, bootstrap intervals, slices, baseline comparison and plots."""

from mlsteward.engines.evaluation.report import EvaluationResult, Predictions, evaluate_predictions

__all__ = ["EvaluationResult", "Predictions", "evaluate_predictions"]
