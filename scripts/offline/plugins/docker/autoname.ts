import { randomBytes } from "crypto";
import { DetailedDiffResult } from "../common/diff";
import { PropertyBag } from "../common/values";

/**
 * The official plugin (terraform-bridge AutoName) fills a missing `name` with the logical name plus a
 * random suffix, keeps it across updates, and records it in `__defaults`. Check does the same here so
 * the name is stable and shown in previews.
 */
export function withAutoName(logicalName: string, olds: PropertyBag, news: PropertyBag): PropertyBag {
    if (news.name !== undefined && news.name !== null) {
        return news;
    }
    const name = typeof olds.name === "string" ? olds.name : `${logicalName}-${randomBytes(4).toString("hex").slice(0, 7)}`;
    const defaults = Array.isArray(news.__defaults) ? news.__defaults : [];
    return { ...news, name, __defaults: [...defaults.filter((d) => d !== "name"), "name"] };
}

/**
 * The bridge replaces delete-first when the program chose the name itself: two Docker objects cannot
 * share a name, so creating the replacement first would fail.
 */
export function withReplaceOrder(news: PropertyBag, diff: DetailedDiffResult): DetailedDiffResult {
    const defaulted = Array.isArray(news.__defaults) && news.__defaults.includes("name");
    return { ...diff, deleteBeforeReplace: (diff.replaces ?? []).length > 0 && !defaulted };
}
