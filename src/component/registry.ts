/** Component factories by kind and Collector type name. */
import type { AnyFactory, Kind } from './component.ts';

export class Registry {
  private readonly byKind = new Map<Kind, Map<string, AnyFactory>>();

  register(...factories: AnyFactory[]): this {
    for (const f of factories) {
      let m = this.byKind.get(f.kind);
      if (!m) this.byKind.set(f.kind, (m = new Map()));
      if (m.has(f.type)) throw new Error(`${f.kind} factory "${f.type}" registered twice`);
      m.set(f.type, f);
    }
    return this;
  }

  get(kind: Kind, type: string): AnyFactory | undefined {
    return this.byKind.get(kind)?.get(type);
  }

  types(kind: Kind): string[] {
    return [...(this.byKind.get(kind)?.keys() ?? [])].sort();
  }
}
