/**
 * Container probes (readiness, liveness, startup): exactly one handler (httpGet, tcpSocket,
 * exec or grpc) with a valid port, and non-negative timings.
 */
import { at, checkEnum, type FieldErrors, intField, listField, objectField, stringField } from "./field.js";
import { validatePortNumber, validatePortNumOrName } from "./ports.js";

const HANDLERS = ["exec", "httpGet", "tcpSocket", "grpc"] as const;
const TIMINGS = [
  "initialDelaySeconds",
  "timeoutSeconds",
  "periodSeconds",
  "successThreshold",
  "failureThreshold",
] as const;

export type ProbeKind = "readinessProbe" | "livenessProbe" | "startupProbe";

export function validateProbe(errs: FieldErrors, path: string, v: unknown, kind: ProbeKind): void {
  const probe = objectField(errs, path, v);
  if (!probe) return;
  const present = HANDLERS.filter((h) => probe[h] !== undefined && probe[h] !== null);
  if (present.length === 0) {
    errs.required(path, "must specify a handler type: one of exec, httpGet, tcpSocket or grpc");
  } else if (present.length > 1) {
    errs.forbidden(
      at(path, present[1]!),
      `may not specify more than 1 handler type (found ${present.join(", ")})`,
    );
  }
  const exec = objectField(errs, at(path, "exec"), probe.exec);
  if (exec && listField(errs, at(path, "exec.command"), exec.command).length === 0) {
    errs.required(at(path, "exec.command"));
  }
  const httpGet = objectField(errs, at(path, "httpGet"), probe.httpGet);
  if (httpGet) {
    const portPath = at(path, "httpGet.port");
    if (httpGet.port === undefined || httpGet.port === null) errs.required(portPath);
    validatePortNumOrName(errs, portPath, httpGet.port);
    const scheme = stringField(errs, at(path, "httpGet.scheme"), httpGet.scheme);
    checkEnum(errs, at(path, "httpGet.scheme"), scheme, ["HTTP", "HTTPS"]);
    const httpPath = stringField(errs, at(path, "httpGet.path"), httpGet.path);
    if (httpPath !== undefined && httpPath !== "" && !httpPath.startsWith("/")) {
      errs.invalid(at(path, "httpGet.path"), httpPath, "must be an absolute path starting with '/'");
    }
  }
  const tcpSocket = objectField(errs, at(path, "tcpSocket"), probe.tcpSocket);
  if (tcpSocket) {
    const portPath = at(path, "tcpSocket.port");
    if (tcpSocket.port === undefined || tcpSocket.port === null) errs.required(portPath);
    validatePortNumOrName(errs, portPath, tcpSocket.port);
  }
  const grpc = objectField(errs, at(path, "grpc"), probe.grpc);
  if (grpc) {
    const portPath = at(path, "grpc.port");
    if (grpc.port === undefined || grpc.port === null) errs.required(portPath);
    validatePortNumber(errs, portPath, grpc.port);
  }
  for (const timing of TIMINGS) {
    const value = intField(errs, at(path, timing), probe[timing]);
    if (value !== undefined && value < 0) {
      errs.invalid(at(path, timing), value, "must be greater than or equal to 0");
    }
  }
  const success = probe.successThreshold;
  if (kind !== "readinessProbe" && typeof success === "number" && success !== 1) {
    errs.invalid(at(path, "successThreshold"), success, "must be 1 for liveness and startup probes");
  }
}
