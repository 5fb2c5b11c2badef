/**
 * Small XML documents (VOEvents, VOResource records) read whole into a tree of elements
 * with the project's strict tokenizer: no DTD, so no external entities. Names are local
 * (namespace prefixes removed), as the tokenizer gives them.
 */
import { XmlTokenizer } from './xml-tokenizer.js';

export interface XmlElement {
  readonly name: string;
  readonly attributes: ReadonlyMap<string, string>;
  readonly children: XmlElement[];
  /** The element's own text (children's text excluded). */
  text: string;
}

/** The root element of a document; throws VotableError when it is not well-formed. */
export function parseXmlTree(text: string): XmlElement | undefined {
  const tokenizer = new XmlTokenizer(text);
  const root: XmlElement = { name: '#document', attributes: new Map(), children: [], text: '' };
  const stack: XmlElement[] = [root];
  for (let token = tokenizer.next(); token; token = tokenizer.next()) {
    const top = stack[stack.length - 1] as XmlElement;
    if (token.kind === 'open') {
      const element = { name: token.name, attributes: token.attributes, children: [], text: '' };
      top.children.push(element);
      stack.push(element);
    } else if (token.kind === 'close') stack.pop();
    else top.text += token.text;
  }
  return root.children[0];
}

export const xmlChild = (element: XmlElement | undefined, name: string): XmlElement | undefined =>
  element?.children.find((c) => c.name === name);

export const xmlChildren = (element: XmlElement | undefined, name: string): XmlElement[] =>
  element?.children.filter((c) => c.name === name) ?? [];

export function xmlPath(
  element: XmlElement | undefined,
  ...names: string[]
): XmlElement | undefined {
  let at = element;
  for (const name of names) at = xmlChild(at, name);
  return at;
}

export function* xmlDescendants(element: XmlElement, name: string): Generator<XmlElement> {
  for (const c of element.children) {
    if (c.name === name) yield c;
    yield* xmlDescendants(c, name);
  }
}
