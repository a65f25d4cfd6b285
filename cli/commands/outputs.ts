import { Invocation } from "../args";
import { openDormerStack } from "../project";
import { outputLines } from "../report";

export async function outputs(inv: Invocation): Promise<number> {
  const stack = await openDormerStack(inv.stack, { runsProgram: false });
  const all = await stack.outputs();
  if (inv.json) {
    const plain = Object.fromEntries(
      Object.entries(all).map(([k, { value, secret }]) => [k, secret && !inv.showSecrets ? "[secret]" : value]),
    );
    console.log(JSON.stringify(plain, null, 2));
  } else {
    console.log(outputLines(all, inv.showSecrets).join("\n") || "(no outputs)");
  }
  return 0;
}
