"""Customs 3-digit units of measure (计量单位代码), as legal units of HS codes carry them.

The codes most used in CBEC (001, 007, 011, 035, 095, 122, 125, 140, 142, ...) are the ones
the message samples and the simulator use; the rest of the table is given as we know it
(*unverified* one by one). A catalogue row naming a code outside this table is refused, so
extend the table rather than the check if a real list needs another unit.
"""

from __future__ import annotations

UNITS: dict[str, str] = {
    "001": "台",
    "002": "座",
    "003": "辆",
    "004": "艘",
    "005": "架",
    "006": "套",
    "007": "个",
    "008": "只",
    "009": "头",
    "010": "张",
    "011": "件",
    "012": "支",
    "013": "枝",
    "014": "根",
    "015": "条",
    "016": "把",
    "017": "块",
    "018": "卷",
    "019": "副",
    "020": "片",
    "021": "组",
    "022": "份",
    "023": "幅",
    "025": "双",
    "026": "对",
    "027": "棵",
    "028": "株",
    "030": "米",
    "031": "盘",
    "032": "平方米",
    "033": "立方米",
    "034": "筒",
    "035": "千克",
    "036": "克",
    "037": "盆",
    "039": "具",
    "045": "刀",
    "046": "疋",
    "048": "扇",
    "062": "千瓦时",
    "070": "吨",
    "084": "克拉",
    "095": "升",
    "096": "毫升",
    "118": "令",
    "120": "箱",
    "121": "批",
    "122": "罐",
    "123": "桶",
    "124": "扎",
    "125": "包",
    "127": "打",
    "128": "筐",
    "130": "匹",
    "131": "册",
    "132": "本",
    "134": "枚",
    "135": "捆",
    "136": "袋",
    "139": "粒",
    "140": "盒",
    "142": "瓶",
    "163": "部",
}

#: Kilogram and litre, the units weight caps and specific taxes are counted in.
KG = "035"
GRAM = "036"
LITRE = "095"
MILLILITRE = "096"


def unit_name(code: str | None) -> str:
    """``"035 千克"`` for ``"035"``; the bare code when it is not in the table."""
    if code is None:
        return ""
    name = UNITS.get(code)
    return f"{code} {name}" if name else code
