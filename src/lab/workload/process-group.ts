/**
 * Signals to a container's process group. Containers and exec probes are spawned detached
 * (setsid), so their PID is also their process-group id and the group is exactly what they
 * started: signalling -pgid reaches every process of the container and nothing else.
 */

/** Send sig to the process group pgid; false when the group no longer exists. */
export function killGroup(pgid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, sig);
    return true;
  } catch {
    return false;
  }
}
