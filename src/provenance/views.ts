/**
 * Pictures of a provenance graph for people: an SVG drawn in layers (each column one
 * step further from the starting point, in the W3C PROV colours: entities yellow
 * ovals, activities blue boxes with their parameters, agents orange) and a text tree.
 */
import { xmlAttributes, xmlText } from '../dali/index.js';
import type { ProvGraph } from './model.js';

type NodeKind = 'entity' | 'activity' | 'agent';

interface Node {
  readonly id: string;
  readonly kind: NodeKind;
  readonly title: string;
  readonly lines: readonly string[];
}

interface Edge {
  readonly from: string;
  readonly to: string;
  readonly label: string;
  readonly dashed?: boolean;
}

const clip = (text: string, n = 38): string =>
  text.length > n ? `${text.slice(0, n - 1)}…` : text;

function nodesAndEdges(
  graph: ProvGraph,
  label: (id: string) => string,
): { nodes: Map<string, Node>; edges: Edge[] } {
  const nodes = new Map<string, Node>();
  for (const e of graph.entities) {
    nodes.set(e.id, {
      id: e.id,
      kind: 'entity',
      title: e.name ?? label(e.id),
      lines: [label(e.id), ...(e.type ? [e.type] : [])],
    });
  }
  for (const a of graph.activities) {
    const parameters = graph.parameters
      .filter((p) => p.activityId === a.id)
      .map((p) => `${p.name} = ${p.value}${p.unit ? ` ${p.unit}` : ''}`);
    nodes.set(a.id, {
      id: a.id,
      kind: 'activity',
      title: a.name ?? label(a.id),
      lines: [
        ...(a.endTime ? [a.endTime.toISOString().replace('.000Z', 'Z')] : []),
        ...parameters.slice(0, 8),
        ...(parameters.length > 8 ? [`… ${parameters.length - 8} more parameters`] : []),
      ],
    });
  }
  for (const a of graph.agents) {
    nodes.set(a.id, { id: a.id, kind: 'agent', title: a.name, lines: [a.type] });
  }
  const edges: Edge[] = [
    ...graph.generations.map((g) => ({
      from: g.entityId,
      to: g.activityId,
      label: 'wasGeneratedBy',
    })),
    ...graph.used.map((u) => ({ from: u.activityId, to: u.entityId, label: 'used' })),
    ...graph.associations.map((a) => ({
      from: a.activityId,
      to: a.agentId,
      label: `wasAssociatedWith${a.role ? ` (${a.role})` : ''}`,
    })),
    ...graph.attributions.map((a) => ({
      from: a.entityId,
      to: a.agentId,
      label: `wasAttributedTo${a.role ? ` (${a.role})` : ''}`,
    })),
    ...graph.derivations.map((d) => ({
      from: d.generatedEntityId,
      to: d.usedEntityId,
      label: 'wasDerivedFrom',
      dashed: true,
    })),
  ].filter((e) => nodes.has(e.from) && nodes.has(e.to));
  return { nodes, edges };
}

/** Columns of nodes: the start first, then each step away from it along the edges. */
function layers(start: string, nodes: Map<string, Node>, edges: readonly Edge[]): string[][] {
  const depth = new Map<string, number>([[start, 0]]);
  let frontier = [start];
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const id of frontier) {
      for (const e of edges) {
        if (e.dashed) continue;
        const other = e.from === id ? e.to : e.to === id ? e.from : undefined;
        if (other !== undefined && !depth.has(other)) {
          depth.set(other, (depth.get(id) ?? 0) + 1);
          next.push(other);
        }
      }
    }
    frontier = next;
  }
  const columns: string[][] = [];
  for (const id of nodes.keys()) {
    const d = depth.get(id) ?? columns.length;
    (columns[d] ??= []).push(id);
  }
  return columns.filter((c) => c !== undefined);
}

const STYLE: Readonly<Record<NodeKind, { fill: string; stroke: string }>> = {
  entity: { fill: '#fffc87', stroke: '#808080' },
  activity: { fill: '#9fb1fc', stroke: '#0000ff' },
  agent: { fill: '#fed37f', stroke: '#000000' },
};

const WIDTH = 300;
const GAP_X = 140;
const GAP_Y = 28;
const LINE = 15;

/** The graph as an SVG picture, laid out in columns from `start`. */
export function provSvg(graph: ProvGraph, start: string, label: (id: string) => string): string {
  const { nodes, edges } = nodesAndEdges(graph, label);
  const columns = layers(start, nodes, edges);
  const heightOf = (n: Node): number => 34 + LINE * n.lines.length;
  const place = new Map<string, { x: number; y: number; h: number }>();
  let height = 0;
  columns.forEach((column, i) => {
    let y = 40;
    for (const id of column) {
      const node = nodes.get(id) as Node;
      const h = heightOf(node);
      place.set(id, { x: 20 + i * (WIDTH + GAP_X), y, h });
      y += h + GAP_Y;
    }
    height = Math.max(height, y);
  });
  const width = 40 + columns.length * (WIDTH + GAP_X) - GAP_X;
  let svg = `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"${xmlAttributes({ width: String(width), height: String(height + 20), viewBox: `0 0 ${width} ${height + 20}` })} font-family="sans-serif" font-size="12">\n`;
  svg += `<title>${xmlText(`Provenance of ${label(start)}`)}</title>\n`;
  svg +=
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#444"/></marker></defs>\n';
  svg += `<text x="20" y="22" font-size="14" font-weight="bold">${xmlText(clip(`Provenance of ${label(start)}`, 120))}</text>\n`;
  for (const e of edges) {
    const a = place.get(e.from);
    const b = place.get(e.to);
    if (!a || !b) continue;
    const [x1, x2] = a.x <= b.x ? [a.x + WIDTH, b.x] : [a.x, b.x + WIDTH];
    const sameColumn = a.x === b.x;
    const y1 = a.y + a.h / 2;
    const y2 = b.y + b.h / 2;
    const path = sameColumn
      ? `M ${a.x + WIDTH} ${y1} C ${a.x + WIDTH + 60} ${y1}, ${b.x + WIDTH + 60} ${y2}, ${b.x + WIDTH} ${y2}`
      : `M ${x1} ${y1} C ${(x1 + x2) / 2} ${y1}, ${(x1 + x2) / 2} ${y2}, ${x2} ${y2}`;
    svg += `<path d="${path}" fill="none" stroke="#444"${e.dashed ? ' stroke-dasharray="5,4"' : ''} marker-end="url(#arrow)"/>\n`;
    const mx = sameColumn ? a.x + WIDTH + 48 : (x1 + x2) / 2;
    svg += `<text x="${mx}" y="${(y1 + y2) / 2 - 4}" text-anchor="middle" font-size="10" fill="#333">${xmlText(e.label)}</text>\n`;
  }
  for (const [id, p] of place) {
    const node = nodes.get(id) as Node;
    const style = STYLE[node.kind];
    const shape =
      node.kind === 'entity'
        ? `<rect x="${p.x}" y="${p.y}" width="${WIDTH}" height="${p.h}" rx="${Math.min(p.h / 2, 30)}"`
        : node.kind === 'activity'
          ? `<rect x="${p.x}" y="${p.y}" width="${WIDTH}" height="${p.h}"`
          : `<polygon points="${p.x},${p.y + 12} ${p.x + WIDTH / 2},${p.y} ${p.x + WIDTH},${p.y + 12} ${p.x + WIDTH},${p.y + p.h} ${p.x},${p.y + p.h}"`;
    svg += `${shape} fill="${style.fill}" stroke="${style.stroke}"${id === start ? ' stroke-width="3"' : ''}/>\n`;
    svg += `<text x="${p.x + 10}" y="${p.y + 20}" font-weight="bold">${xmlText(clip(node.title, 40))}</text>\n`;
    node.lines.forEach((line, i) => {
      svg += `<text x="${p.x + 10}" y="${p.y + 36 + i * LINE}" font-size="11">${xmlText(clip(line, 46))}</text>\n`;
    });
  }
  return `${svg}</svg>\n`;
}

/** The graph as an indented text tree from `start`, following generations and usages. */
export function provTextTree(
  graph: ProvGraph,
  start: string,
  label: (id: string) => string,
): string {
  const { nodes, edges } = nodesAndEdges(graph, label);
  const lines: string[] = [];
  const seen = new Set<string>();
  const describe = (id: string): string => {
    const node = nodes.get(id);
    if (!node) return label(id);
    const title = node.title !== label(id) ? ` "${node.title}"` : '';
    return `${node.kind} ${label(id)}${title}`;
  };
  const walk = (id: string, prefix: string, via: string, parent?: string): void => {
    lines.push(`${prefix}${via}${describe(id)}`);
    if (seen.has(id)) return;
    seen.add(id);
    const node = nodes.get(id);
    const childPrefix = prefix.replace(/├─ $/, '│  ').replace(/└─ $/, '   ');
    const children: { id?: string; text: string }[] = [];
    if (node?.kind === 'activity') {
      for (const p of graph.parameters.filter((q) => q.activityId === id)) {
        children.push({ text: `parameter ${p.name} = ${p.value}${p.unit ? ` ${p.unit}` : ''}` });
      }
    }
    for (const e of edges) {
      if (e.dashed || e.from === parent || e.to === parent) continue;
      if (e.from === id) children.push({ id: e.to, text: `${e.label} ` });
      else if (e.to === id && e.label === 'used') children.push({ id: e.from, text: 'usedBy ' });
      else if (e.to === id && e.label === 'wasGeneratedBy')
        children.push({ id: e.from, text: 'generated ' });
    }
    children.forEach((child, i) => {
      const branch = `${childPrefix}${i === children.length - 1 ? '└─ ' : '├─ '}`;
      if (child.id === undefined) lines.push(`${branch}${child.text}`);
      else if (seen.has(child.id))
        lines.push(`${branch}${child.text}${describe(child.id)} (see above)`);
      else walk(child.id, branch, child.text, id);
    });
  };
  walk(start, '', '');
  return `${lines.join('\n')}\n`;
}
