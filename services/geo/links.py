"""Fixed bridge and ferry links between county seats that polygon adjacency does not reveal.

The Zhoushan archipelago (舟山) is the case in Zhejiang: 定海 and 普陀 share Zhoushan Island, but
the island touches no mainland county, and 岱山 and 嵊泗 touch nothing at all. Route lengths are
seat to seat along the real crossing, rounded to 5 km (read off public maps):

- 定海 330902 – 镇海 330211 / 北仑 330206: the Zhoushan Trans-oceanic Bridges (舟山跨海大桥,
  2009; expressway), landing on the mainland at the Zhenhai/Beilun border.
- 定海 330902 – 岱山 330921: the Zhoushan–Daishan Bridge (舟岱大桥, expressway, opened Dec 2021).
  Before it opened this was a ferry; pass a ferry link instead to model that.
- 岱山 330921 – 嵊泗 330922 and 定海 330902 (Sanjiang pier, 三江码头) – 嵊泗: passenger/vehicle
  ferries; 嵊泗 has no fixed link.

洞头 (330305) needs no entry: its polygon touches 龙湾 and 乐清, which matches the causeways of the
Wenzhou Peninsula project.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FixedLink:
    """A link between the seats of counties `a` and `b`.

    `km` is the whole route seat to seat; for a ferry, `sea_km` of it is on the boat and the rest
    is road. A bridge is driven at expressway speed.
    """

    a: str
    b: str
    kind: str  # "bridge" | "ferry"
    km: float
    sea_km: float = 0.0
    note: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ("bridge", "ferry"):
            raise ValueError(f"a fixed link is a bridge or a ferry, not {self.kind!r}")
        if not 0 <= self.sea_km <= self.km:
            raise ValueError(f"sea_km must lie between 0 and km ({self.a}-{self.b})")


ZHEJIANG_BRIDGES = (
    FixedLink("330902", "330211", "bridge", km=55, note="Zhoushan Trans-oceanic Bridges to Zhenhai"),
    FixedLink("330902", "330206", "bridge", km=65, note="Zhoushan Trans-oceanic Bridges to Beilun"),
    FixedLink("330902", "330921", "bridge", km=45, note="Zhoushan-Daishan Bridge (2021)"),
)
ZHEJIANG_FERRIES = (
    FixedLink("330921", "330922", "ferry", km=60, sea_km=55, note="Daishan - Shengsi ferry"),
    FixedLink("330902", "330922", "ferry", km=90, sea_km=75, note="Sanjiang pier (Dinghai) - Shengsi ferry"),
)

DEFAULT_BRIDGES = {"330000": ZHEJIANG_BRIDGES}
DEFAULT_FERRIES = {"330000": ZHEJIANG_FERRIES}
