"""Member overlap between networks, as a graph: which networks share people, how central each
network is, and who bridges them. Pure: memberships in, figures and a picture out."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

import networkx as nx


@dataclass(frozen=True)
class Link:
    a: str
    b: str
    shared: int
    """Members in both networks."""


@dataclass(frozen=True)
class Centrality:
    network: str
    members: int
    degree: float
    """Share of the other networks this one shares members with (networkx degree centrality)."""
    betweenness: float
    """Share of shortest paths between other networks that pass through this one."""


@dataclass(frozen=True)
class Bridge:
    member: str
    networks: tuple[str, ...]


@dataclass(frozen=True)
class Overlap:
    links: list[Link]
    centralities: list[Centrality]
    bridges: list[Bridge]
    """Members in two or more networks, most networks first."""


def overlap(memberships: Mapping[str, set[str]]) -> Overlap:
    graph: nx.Graph[str] = nx.Graph()
    graph.add_nodes_from(sorted(memberships))
    names = sorted(memberships)
    links = []
    for index, a in enumerate(names):
        for b in names[index + 1 :]:
            shared = len(memberships[a] & memberships[b])
            if shared:
                graph.add_edge(a, b, shared=shared)
                links.append(Link(a, b, shared))
    degree = nx.degree_centrality(graph) if len(graph) > 1 else dict.fromkeys(graph, 0.0)
    betweenness = nx.betweenness_centrality(graph, normalized=True)
    centralities = [
        Centrality(
            name, len(memberships[name]), round(degree[name], 6), round(betweenness[name], 6)
        )
        for name in names
    ]
    networks_of: dict[str, list[str]] = {}
    for name in names:
        for member in memberships[name]:
            networks_of.setdefault(member, []).append(name)
    bridges = sorted(
        (Bridge(member, tuple(found)) for member, found in networks_of.items() if len(found) > 1),
        key=lambda bridge: (-len(bridge.networks), bridge.member),
    )
    return Overlap(links, centralities, bridges)


def draw_svg(result: Overlap, labels: Mapping[str, str], highlighted: set[str], title: str) -> str:
    """The networks on a circle, a line per pair sharing members (thicker for more), circles
    sized by members; pilot networks highlighted. Self-contained SVG a browser opens."""
    size, radius = 720, 260
    centre = size / 2
    nodes = [c.network for c in result.centralities]
    where = {
        name: (
            centre + radius * math.cos(2 * math.pi * i / max(len(nodes), 1) - math.pi / 2),
            centre + radius * math.sin(2 * math.pi * i / max(len(nodes), 1) - math.pi / 2),
        )
        for i, name in enumerate(nodes)
    }
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size + 60}" '
        f'viewBox="0 0 {size} {size + 60}" font-family="sans-serif">',
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="{centre}" y="30" text-anchor="middle" font-size="18">{escape(title)}</text>',
    ]
    for link in result.links:
        (x1, y1), (x2, y2) = where[link.a], where[link.b]
        parts.append(
            f'<line x1="{x1:.1f}" y1="{y1 + 40:.1f}" x2="{x2:.1f}" y2="{y2 + 40:.1f}" '
            f'stroke="#7a8ca3" stroke-opacity="0.7" stroke-width="{1 + 1.5 * link.shared:.1f}">'
            f"<title>{escape(link.a)} and {escape(link.b)}: {link.shared} shared</title></line>"
        )
    for node in result.centralities:
        x, y = where[node.network]
        r = 10 + 3 * math.sqrt(node.members)
        fill = "#d9822b" if node.network in highlighted else "#3a6ea5"
        label = escape(labels.get(node.network, node.network))
        anchor = "start" if x >= centre else "end"
        dx = r + 6 if x >= centre else -(r + 6)
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y + 40:.1f}" r="{r:.1f}" fill="{fill}">'
            f"<title>{label}: {node.members} members, degree {node.degree:.2f}, "
            f"betweenness {node.betweenness:.2f}</title></circle>"
        )
        parts.append(
            f'<text x="{x + dx:.1f}" y="{y + 44:.1f}" text-anchor="{anchor}" font-size="12">'
            f"{label}</text>"
        )
    parts.append(
        f'<text x="20" y="{size + 45}" font-size="12" fill="#444">Line width: shared members. '
        "Circle size: members. Orange: pilot networks.</text>"
    )
    parts.append("</svg>")
    return "\n".join(parts)
