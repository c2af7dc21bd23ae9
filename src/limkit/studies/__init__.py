"""Evaluation protocols that are more than generate-then-grade."""
