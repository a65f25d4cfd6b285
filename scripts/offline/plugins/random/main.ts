// Stand-in for pulumi-resource-random 4.21.2 on machines that cannot download the official plugin.
import * as provider from "@pulumi/pulumi/provider";
import { makeProvider } from "../common/dispatch";
import { randomBytes, randomId } from "./bytes";
import { randomPassword } from "./password";

export const randomProvider = makeProvider("random stand-in", "4.21.2", {
    "random:index/randomPassword:RandomPassword": randomPassword,
    "random:index/randomBytes:RandomBytes": randomBytes,
    "random:index/randomId:RandomId": randomId,
});

if (require.main === module) {
    provider.main(randomProvider, process.argv.slice(2));
}
