"""Business rules: YAML rule packs (item, category and "with X offer Y" rules), the business_rules
model, and guardrails that can wrap any model (the guarded model)."""

from cs_lab.models.business.compile import CompiledRules, compile_rules
from cs_lab.models.business.guarded import DiscountSeekersRule, Guarded, GuardedConfig, ReturnersRule, SegmentRule
from cs_lab.models.business.guardrails import GuardrailStats, guardrail_mask
from cs_lab.models.business.pack import RulePack, RulePackWarning, load_rule_pack, parse_rule_pack
from cs_lab.models.business.rules_model import BusinessRules, BusinessRulesConfig

__all__ = ["BusinessRules", "BusinessRulesConfig", "CompiledRules", "DiscountSeekersRule", "Guarded",
           "GuardedConfig", "GuardrailStats", "ReturnersRule", "RulePack", "RulePackWarning", "SegmentRule",
           "compile_rules", "guardrail_mask", "load_rule_pack", "parse_rule_pack"]
