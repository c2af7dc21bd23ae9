"""Studies: evaluation protocols that are more than generate-then-grade, one paper each.

A study builds or loads its items, runs models through the pillars (`llm`, `grade`, `data`, `html`) and
writes a run directory. A study package imports pillars and never another study; pillars never import
studies.
"""
