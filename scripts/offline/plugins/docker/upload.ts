import { PropertyBag } from "../common/values";

export interface Upload {
    file: string;
    content?: string;
    contentBase64?: string;
    executable?: boolean;
}

/** Upstream's create-time rule, checked here at preview: exactly one of content and contentBase64. */
export function uploadFailure(u: PropertyBag): string | undefined {
    const given = ["content", "contentBase64"].filter((k) => typeof u[k] === "string" && u[k] !== "");
    if (given.length === 0) return "one of content or contentBase64 must be set";
    if (given.length > 1) return "only one of content or contentBase64 can be set";
    if (typeof u.contentBase64 === "string" && !/^[A-Za-z0-9+/]*={0,2}$/.test(u.contentBase64)) return "contentBase64 is not base64";
    return undefined;
}

function octal(n: number, width: number): string {
    return `${n.toString(8).padStart(width - 1, "0")}\0`;
}

/**
 * One file in a tar archive (POSIX ustar), as upstream uploads it: the path as given, mode 0644 or 0744
 * when executable, owned by root, extracted at "/" by the engine.
 */
export function uploadArchive(u: Upload): Buffer {
    const body = u.contentBase64 !== undefined && u.contentBase64 !== "" ? Buffer.from(u.contentBase64, "base64") : Buffer.from(u.content ?? "", "utf8");
    const name = u.file.replace(/^\/+/, "");
    if (Buffer.byteLength(name) > 100) {
        throw new Error(`docker stand-in: Container uploads: file path "${u.file}" is longer than the 100 bytes this stand-in supports`);
    }
    const header = Buffer.alloc(512, 0);
    header.write(name, 0, "utf8");
    header.write(octal(u.executable ? 0o744 : 0o644, 8), 100, "ascii");
    header.write(octal(0, 8), 108, "ascii");
    header.write(octal(0, 8), 116, "ascii");
    header.write(octal(body.length, 12), 124, "ascii");
    header.write(octal(Math.floor(Date.now() / 1000), 12), 136, "ascii");
    header.write("        ", 148, "ascii");
    header.write("0", 156, "ascii");
    header.write("ustar\0", 257, "ascii");
    header.write("00", 263, "ascii");
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "ascii");
    const padding = Buffer.alloc((512 - (body.length % 512)) % 512, 0);
    return Buffer.concat([header, body, padding, Buffer.alloc(1024, 0)]);
}
