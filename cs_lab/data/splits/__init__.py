"""Leak-free splits: temporal, per-customer leave-last-basket, random baskets, the
basket-completion holdout that turns test baskets into (cart, hidden items) pairs, and the
next-basket split and holdout (each customer's last basket, empty cart)."""

from cs_lab.data.splits.base import Split
from cs_lab.data.splits.holdout import BasketCompletion, basket_completion
from cs_lab.data.splits.leave_last import leave_last_basket
from cs_lab.data.splits.next_basket import next_basket_holdout, next_basket_split
from cs_lab.data.splits.policy import UnknownPolicy
from cs_lab.data.splits.random_baskets import random_basket_split
from cs_lab.data.splits.temporal import temporal_split

__all__ = ["BasketCompletion", "Split", "UnknownPolicy", "basket_completion", "leave_last_basket",
           "next_basket_holdout", "next_basket_split", "random_basket_split", "temporal_split"]
