import { fileURLToPath } from "node:url";
import { checkBoundaries } from "./check-boundaries.js";

// `pnpm lint`: the import boundaries over the repo this file lives in (tools/boundaries/src → the root).
const root = fileURLToPath(new URL("../../../", import.meta.url));
const violations = checkBoundaries(root);
for (const v of violations) console.error(`${v.where}: [${v.rule}] ${v.message}`);
if (violations.length > 0) {
  console.error(
    `\n${violations.length} import boundary violation(s); see tools/boundaries/src/check-boundaries.ts`,
  );
  process.exit(1);
}
console.log("import boundaries: ok");
