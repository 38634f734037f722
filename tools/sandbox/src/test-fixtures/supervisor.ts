// `pnpm dev`'s child handling in miniature: one supervised child, Ctrl+C stops it.
import { fileURLToPath } from "node:url";
import { createChildSupervisor } from "../children.js";

const children = createChildSupervisor({
  env: process.env as Record<string, string>,
  onUnexpectedExit: (name, how) => console.log(`unexpected exit ${name} ${how}`),
});
children.start("child", fileURLToPath(new URL("./signal-child.ts", import.meta.url)));
const stop = () => {
  console.log("supervisor stopping");
  void children.stopAll("SIGTERM").then(() => {
    console.log("supervisor done");
    process.exit(0);
  });
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
