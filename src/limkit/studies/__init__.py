"""Studies: reproductions of one paper each, built on the pillars (`llm`, `html`, `data`).

A study package imports pillars and never another study; pillars never import studies.
"""
