import Docker from "dockerode";

/**
 * The supervisor's own addresses on one of its networks (IPv4, and IPv6 when the network has it). The
 * supervisor is a plain container on whichever engine it talks to, on docker and on swarm stacks alike, so
 * this is a lookup of that container, not a part of either engine.
 */
export async function selfAddresses(docker: Docker, self: string | undefined, network: string): Promise<string[]> {
  if (!self) throw new Error("the supervisor's own container is not known (DORMER_SELF_CONTAINER)");
  const info = await docker.getContainer(self).inspect();
  const on = info.NetworkSettings.Networks[network];
  const addresses = [on?.IPAddress, on?.GlobalIPv6Address].filter((a): a is string => Boolean(a));
  if (addresses.length === 0) throw new Error(`container ${self} has no address on network ${network}`);
  return addresses;
}
