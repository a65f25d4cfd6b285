import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";

const STACKS = path.resolve(__dirname, "../../stacks");

/**
 * The committed config file of a stack, edited the way an operator edits it before `dormer up`, and put back
 * exactly as it was by restore(). Values are written as strings, as `pulumi config set` writes them.
 */
export class StackFile {
  private readonly file: string;
  private readonly original: string;

  constructor(stack: string) {
    this.file = path.join(STACKS, `Pulumi.${stack}.yaml`);
    this.original = fs.readFileSync(this.file, "utf8");
  }

  set(entries: Record<string, string | number>): void {
    const doc = YAML.parseDocument(fs.readFileSync(this.file, "utf8"));
    for (const [key, value] of Object.entries(entries)) doc.setIn(["config", key], String(value));
    fs.writeFileSync(this.file, doc.toString());
  }

  restore(): void {
    fs.writeFileSync(this.file, this.original);
  }
}
