/** Minimal XML text helpers for the service documents (VOSI, UWS, capabilities). */
export function escapeXml(text: string): string {
  return (
    text
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      // Characters XML 1.0 cannot carry at all.
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD')
  );
}

/** `<name>text</name>` when text is given, nothing otherwise. */
export function element(name: string, text: string | undefined | null, indent = ''): string {
  return text === undefined || text === null || text === ''
    ? ''
    : `${indent}<${name}>${escapeXml(text)}</${name}>\n`;
}
