"""Agents built on `limkit.llm.Conversation`: multi-turn examiners and computer-use agents.

Each agent is one subpackage (`limkit.agents.testagent`, ...). Agents import pillars, never each other,
and no pillar imports them.
"""
