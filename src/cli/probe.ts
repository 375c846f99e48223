/**
 * `flatnet probe [--port P[,P]] [--protocol TCP|UDP[,..]] [-o json]`: real connections from
 * every pod to every pod of the live lab, as the reachability matrix of DESIGN section 4.
 */
import { helpOption, labCall, nameOption, outputFormat, outputOption, parse, targetLab } from "./common.js";
import { type Matrix, parsePorts, parseProtocols, printMatrices } from "./matrix.js";

export const probeHelp = `Usage: flatnet probe [--port P[,P...]] [--protocol TCP|UDP[,...]] [--timeout MS] [-o json] [--name LAB]

Measure reachability on the live lab: from every pod to every pod IP, on each port and
protocol (default: port 80, TCP). TCP counts as reachable when the connection is accepted;
UDP when the workload server answers. Prints a matrix per port/protocol.
`;

interface ProbeAnswer {
  pods: string[];
  results: Array<{ ok: boolean }>;
}

export async function probe(argv: string[]): Promise<number> {
  const { values } = parse(
    "probe",
    argv,
    {
      ...helpOption,
      ...nameOption,
      ...outputOption,
      port: { type: "string" },
      protocol: { type: "string" },
      timeout: { type: "string" },
    },
    false,
  );
  if (values.help) {
    process.stdout.write(probeHelp);
    return 0;
  }
  const ports = parsePorts(values.port ?? "80");
  const protocols = parseProtocols(values.protocol ?? "TCP");
  const format = outputFormat(values.output, ["json"]);
  const lab = targetLab(values.name);
  const timeoutMs = values.timeout ? Number(values.timeout) : 1000;
  const answer = await labCall<ProbeAnswer>(lab, "probe", { ports, protocols, timeoutMs });
  // Results come in the order the lab generated the checks: port, protocol, from, to.
  const matrices: Matrix[] = [];
  let i = 0;
  for (const port of ports) {
    for (const protocol of protocols) {
      const allowed: Record<string, Record<string, boolean>> = {};
      for (const from of answer.pods) {
        allowed[from] = {};
        for (const to of answer.pods) allowed[from]![to] = answer.results[i++]?.ok ?? false;
      }
      matrices.push({ port, protocol, allowed });
    }
  }
  printMatrices(matrices, format === "json");
  return 0;
}
