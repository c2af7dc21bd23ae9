"""Orchestrators that chain curate, train and eval through files (`limkit.loops.demo`, ...).

Nothing in the pillars imports these packages, and they never import each other.
"""
