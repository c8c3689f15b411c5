"""Answers: a subject's standing and its explanation, joint checks, public lists."""
