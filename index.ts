import * as pulumi from "@pulumi/pulumi";
import { dormerProgram } from "./components/program";

/**
 * The entry point `pulumi up` runs on a machine with a full Pulumi install. The stack's last outputs come
 * from a StackReference to itself, read while the update runs. The dormer CLI runs the same program
 * inline instead and reads those outputs before the update starts (cli/project.ts), which never races the
 * engine writing the checkpoint.
 */
export = dormerProgram({
  previousSubnets: () => {
    const self = new pulumi.StackReference("previous", { name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}` });
    return (self.getOutput("tenantSubnets") as pulumi.Output<Record<string, string> | undefined>).apply((p) => p ?? {});
  },
});
