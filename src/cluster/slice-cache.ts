/**
 * EndpointSlices filed under the Service their `kubernetes.io/service-name` label names, as
 * kube-proxy's slice cache keeps them: a slice relabelled to another Service, or stripped of
 * its label, leaves the one it was filed under. Shared by the service proxy and cluster DNS.
 */

import { SERVICE_NAME_LABEL } from "./controllers/endpointslice-desired.js";
import type { KObject } from "./types.js";

const nsOf = (o: KObject) => o.metadata.namespace ?? "default";

export class SliceCache {
  /** "namespace/service" -> slice name -> slice. */
  private readonly byService = new Map<string, Map<string, KObject>>();
  /** "namespace/slice" -> the "namespace/service" it is filed under. */
  private readonly owner = new Map<string, string>();

  /** Records a slice event; returns the Services ("namespace/name") whose slices changed. */
  file(slice: KObject, deleted: boolean): string[] {
    const id = `${nsOf(slice)}/${slice.metadata.name}`;
    const was = this.owner.get(id);
    const label = slice.metadata.labels?.[SERVICE_NAME_LABEL];
    const now = deleted || !label ? undefined : `${nsOf(slice)}/${label}`;
    const touched: string[] = [];
    if (was !== undefined && was !== now) {
      const m = this.byService.get(was);
      m?.delete(slice.metadata.name);
      if (m?.size === 0) this.byService.delete(was);
      this.owner.delete(id);
      touched.push(was);
    }
    if (now !== undefined) {
      let m = this.byService.get(now);
      if (!m) {
        m = new Map();
        this.byService.set(now, m);
      }
      m.set(slice.metadata.name, slice);
      this.owner.set(id, now);
      touched.push(now);
    }
    return touched;
  }

  /** The slices filed under a Service ("namespace/name"). */
  of(serviceKey: string): KObject[] {
    return [...(this.byService.get(serviceKey)?.values() ?? [])];
  }
}
