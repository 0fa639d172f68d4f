"""The fixed tables of annex 3 and annex 4 (../shared/FORMS.md, last section).

- :data:`PROBLEM_TYPES`: annex 3's 问题类型, codes 1-8, in zh and en;
- :data:`CATEGORIES`: annex 4's household-category columns, in order, each with its parent (a
  subtotal or ``all`` counts a household once whatever leaves it falls under);
- :data:`LEDGER_CATEGORY`: annex 3's 农户类别 text of each leaf category (note 1);
- :data:`ANNEX4_ROWS`: the order of annex 4's indicator rows; a form's indicators are sorted by
  it, ids it does not know after those it does, in the form's order;
- :data:`STATUSES`: 已解决 (solved) and 正在解决 (in progress, the default from the day found).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

import attrs

#: Annex 3, 问题类型: code -> {language: label}.
PROBLEM_TYPES: dict[int, dict[str, str]] = {
    1: {"zh": "人均纯收入", "en": "Net income per person"},
    2: {"zh": "义务教育保障", "en": "Compulsory education"},
    3: {"zh": "基本医疗保障", "en": "Basic medical care"},
    4: {"zh": "住房安全保障", "en": "Safe housing"},
    5: {"zh": "饮水安全保障", "en": "Safe drinking water"},
    6: {"zh": "就业扶贫", "en": "Employment support"},
    7: {"zh": "产业扶贫", "en": "Industry support"},
    8: {"zh": "其他情况", "en": "Other"},
}


@attrs.frozen
class CategoryColumn:
    """One column group of annex 4: its id, labels, and the id of the group it belongs to
    (None for ``all``; ``all`` for a top-level group; a subtotal's id for a leaf under it).
    ``leaf`` is true for the categories a form declares (a household falls under them)."""

    id: str
    labels: dict[str, str]
    parent: str | None
    leaf: bool
    subtotal: bool = False  # annex 4 heads it 小计 (a group of leaves)

    def label(self, lang: str = "zh") -> str:
        return self.labels.get(lang) or self.labels["zh"]


#: Annex 4's columns, in order (FORMS.md's category ids).
CATEGORIES: tuple[CategoryColumn, ...] = (
    CategoryColumn("all", {"zh": "合计", "en": "All"}, None, False, True),
    CategoryColumn("registered", {"zh": "建档立卡贫困户", "en": "Registered poor households"},
                   "all", False, True),
    CategoryColumn("registered_not_exited", {"zh": "未脱贫", "en": "Not yet out of poverty"},
                   "registered", True),
    CategoryColumn("registered_exited", {"zh": "已脱贫", "en": "Out of poverty"},
                   "registered", True),
    CategoryColumn("marginal", {"zh": "边缘户", "en": "Marginal households"}, "all", True),
    CategoryColumn("special", {"zh": "边缘户以外未建档立卡户",
                               "en": "Other non-registered households"}, "all", False, True),
    CategoryColumn("special_dibao", {"zh": "低保户", "en": "Subsistence allowance (dibao)"},
                   "special", True),
    CategoryColumn("special_wubao", {"zh": "分散供养五保户",
                                     "en": "Five guarantees, supported at home (wubao)"},
                   "special", True),
    CategoryColumn("special_disabled_ill", {"zh": "重残重病户",
                                            "en": "Severe disability or serious illness"},
                   "special", True),
)
CATEGORY_IDS: tuple[str, ...] = tuple(c.id for c in CATEGORIES)
LEAF_CATEGORIES: tuple[str, ...] = tuple(c.id for c in CATEGORIES if c.leaf)
CATEGORY_BY_ID: dict[str, CategoryColumn] = {c.id: c for c in CATEGORIES}

#: Annex 3 note 1, 农户类别: the text of each leaf category in the ledger.
LEDGER_CATEGORY: dict[str, dict[str, str]] = {
    "registered_exited": {"zh": "已脱贫户", "en": "Out of poverty"},
    "registered_not_exited": {"zh": "未脱贫户", "en": "Not yet out of poverty"},
    "marginal": {"zh": "边缘户", "en": "Marginal"},
    "special_dibao": {"zh": "档外低保户", "en": "Dibao (non-registered)"},
    "special_wubao": {"zh": "档外五保（分散供养）户", "en": "Wubao at home (non-registered)"},
    "special_disabled_ill": {"zh": "档外重残重病户",
                             "en": "Severe disability or illness (non-registered)"},
}


def groups_of(leaf: str) -> tuple[str, ...]:
    """The columns a household of the leaf category ``leaf`` counts under: the leaf and each
    group above it, up to ``all`` (an unknown id: ``all`` only)."""
    out: list[str] = []
    column = CATEGORY_BY_ID.get(leaf)
    while column is not None:
        out.append(column.id)
        column = CATEGORY_BY_ID.get(column.parent) if column.parent else None
    return tuple(out) if out else ("all",)


def columns_of(leaves: Iterable[str]) -> frozenset[str]:
    """Every column a household with the leaf categories ``leaves`` counts under (each once);
    a household counts under ``all`` even with no category."""
    out = {"all"}
    for leaf in leaves:
        out.update(groups_of(leaf))
    return frozenset(out)


#: Annex 4's indicator rows, in its order (rows no bundled form counts are absent: docs/forms.md
#: says why). The 其他情况 rows at the end are annex 6/7's type-8 indicators.
ANNEX4_ROWS: tuple[str, ...] = (
    "income_below_line",
    "dropout",
    "education_aid_missing",
    "no_medical_insurance",
    "housing_unsafe",
    "housing_unappraised",
    "renovation_old_not_demolished",
    "renovation_not_accepted",
    "renovation_below_standard",
    "renovation_subsidy_missing",
    "housing_hazard",
    "housing_hazard_leaks",
    "housing_hazard_livestock",
    "housing_hazard_lodging",
    "housing_hazard_other",
    "relocation_not_moved_in",
    "relocation_old_not_demolished",
    "relocation_no_support",
    "water_unsafe",
    "food_insecure",
    "clothing_insufficient",
    "disability_no_support",
)
_ROW_INDEX = {row: i for i, row in enumerate(ANNEX4_ROWS)}

T = TypeVar("T")


def annex4_order(items: Iterable[T], key: Any = lambda item: item.id) -> list[T]:
    """``items`` (indicators, or anything ``key`` gives an id of) in annex 4's order; ids it does
    not know after those it does, in their given order."""
    listed = list(items)
    n = len(ANNEX4_ROWS)
    return [item for _i, item in sorted(enumerate(listed),
                                        key=lambda p: (_ROW_INDEX.get(key(p[1]), n), p[0]))]


#: Annex 4, 解决情况: a finding is in progress from the day it is found until marked solved.
SOLVED = "已解决"
IN_PROGRESS = "正在解决"
STATUSES: dict[str, dict[str, str]] = {
    SOLVED: {"zh": "已解决", "en": "solved", "id": "solved"},
    IN_PROGRESS: {"zh": "正在解决", "en": "in progress", "id": "in_progress"},
}

__all__ = ["ANNEX4_ROWS", "CATEGORIES", "CATEGORY_BY_ID", "CATEGORY_IDS", "IN_PROGRESS",
           "LEAF_CATEGORIES", "LEDGER_CATEGORY", "PROBLEM_TYPES", "SOLVED", "STATUSES",
           "CategoryColumn", "annex4_order", "columns_of", "groups_of"]
