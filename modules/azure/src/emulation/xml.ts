/** An element of an API Management policy document. */
export interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
  readonly text: string;
}

const decode = (s: string) => s.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n))).replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, "&");

/** Parses the XML of a policy document (elements, attributes, text; no DTDs or CDATA). */
export function parsePolicyXml(src: string): XmlElement {
  let i = 0;
  const skip = () => { while (i < src.length && /\s/.test(src[i])) i++; };
  const element = (): XmlElement => {
    const open = /^<([A-Za-z_][\w:.-]*)/.exec(src.slice(i));
    if (!open) throw new Error(`policy XML: expected an element at ${i}`);
    i += open[0].length;
    const attrs: Record<string, string> = {};
    for (;;) {
      skip();
      const a = /^([A-Za-z_][\w:.-]*)\s*=\s*("([^"]*)"|'([^']*)')/.exec(src.slice(i));
      if (!a) break;
      attrs[a[1]] = decode(a[3] ?? a[4] ?? "");
      i += a[0].length;
    }
    if (src.startsWith("/>", i)) { i += 2; return { name: open[1], attrs, children: [], text: "" }; }
    if (src[i] !== ">") throw new Error(`policy XML: malformed <${open[1]}>`);
    i++;
    const children: XmlElement[] = [];
    let text = "";
    for (;;) {
      if (src.startsWith(`</${open[1]}`, i)) { i = src.indexOf(">", i) + 1; return { name: open[1], attrs, children, text: decode(text.trim()) }; }
      if (src.startsWith("<!--", i)) { i = src.indexOf("-->", i) + 3; continue; }
      if (src[i] === "<") { children.push(element()); continue; }
      if (i >= src.length) throw new Error(`policy XML: <${open[1]}> is not closed`);
      text += src[i++];
    }
  };
  skip();
  if (src.startsWith("<?xml", i)) { i = src.indexOf("?>", i) + 2; skip(); }
  return element();
}

export const child = (e: XmlElement | undefined, name: string) => e?.children.find((c) => c.name === name);
export const children = (e: XmlElement | undefined, name: string) => e?.children.filter((c) => c.name === name) ?? [];
