// Stand-in for pulumi-resource-random 4.21.2 on machines that cannot download the official plugin.
import { makeProvider } from "../common/dispatch";
import { serve } from "../common/serve";
import { randomBytes, randomId } from "./bytes";
import { randomPassword } from "./password";

export const randomProvider = makeProvider("random stand-in", "4.21.2", {
    "random:index/randomPassword:RandomPassword": randomPassword,
    "random:index/randomBytes:RandomBytes": randomBytes,
    "random:index/randomId:RandomId": randomId,
});

if (require.main === module) {
    void serve(randomProvider, process.argv.slice(2));
}
