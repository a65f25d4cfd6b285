// Stand-in for pulumi-resource-docker 5.2.0 on machines that cannot download the official plugin.
// It talks to the engine at DOCKER_HOST (or the local socket); see client.ts about `docker:host`.
import { makeProvider } from "../common/dispatch";
import { serve } from "../common/serve";
import { container } from "./container";
import { image } from "./image";
import { network } from "./network";
import { remoteImage } from "./remote-image";
import { service } from "./service";
import { volume } from "./volume";

export const dockerProvider = makeProvider("docker stand-in", "5.2.0", {
    "docker:index/network:Network": network,
    "docker:index/volume:Volume": volume,
    "docker:index/container:Container": container,
    "docker:index/image:Image": image,
    "docker:index/remoteImage:RemoteImage": remoteImage,
    "docker:index/service:Service": service,
});

if (require.main === module) {
    void serve(dockerProvider, process.argv.slice(2));
}
