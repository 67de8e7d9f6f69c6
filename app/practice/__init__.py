"""Graded practice: answer checking, generated questions, and their routes' logic."""
