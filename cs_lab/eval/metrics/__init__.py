"""Built-in metrics, one small class each.

Every module in this folder is imported by ``cs_lab.eval.registry`` on first
lookup; a new metric is a new ``@register_metric`` class in a new or existing
module here, with no edit elsewhere.
"""
