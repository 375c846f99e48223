/**
 * The UDP side of the built-in workload server (agnhost netexec's UDP protocol): one
 * datagram in, one datagram out. "hostname" -> pod name, "clientip" -> the sender's
 * "ip:port", "echo X" -> X, anything else -> a short error naming the commands. A trailing
 * newline is ignored so `echo hostname | nc -u` works.
 */
import { formatPeer } from "./ns-socket.js";

export function netexecUdpAnswer(
  podName: string,
  datagram: string,
  peerAddress: string,
  peerPort: number,
): string {
  const msg = datagram.replace(/\r?\n$/, "");
  if (msg === "hostname") return podName;
  if (msg === "clientip") return formatPeer(peerAddress, peerPort);
  if (msg === "echo") return "";
  if (msg.startsWith("echo ")) return msg.slice(5);
  return `unknown command ${JSON.stringify(msg.slice(0, 64))}; send hostname, clientip or echo <text>`;
}
