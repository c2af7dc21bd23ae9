"""ReAlign (Fan et al., arXiv 2402.12219) as curation steps: classify, retrieve, rewrite, filter, write.

Public names are re-exported from `limkit.curate`; see `recipes/realign.yaml` for the pipeline.
"""
