import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export interface DemoSecrets {
  secretsKey: string;
  sessionSecret: string;
  blingClientSecret: string;
  zydonAccessKey: string;
}

/** Demo-only secrets, generated once per checkout and kept out of git (.sandbox/ is ignored). */
export function loadOrCreateDemoSecrets(file: string): DemoSecrets {
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as DemoSecrets;
  const s: DemoSecrets = {
    secretsKey: randomBytes(32).toString("base64"),
    sessionSecret: randomBytes(32).toString("hex"),
    blingClientSecret: randomBytes(24).toString("hex"),
    zydonAccessKey: randomBytes(24).toString("hex"),
  };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(s, null, 2), { mode: 0o600 });
  return s;
}
