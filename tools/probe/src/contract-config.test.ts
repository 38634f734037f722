import { zydonContractOverridesSchema } from "@zb/config";
import { CONTRACT_PATH_PARAMS, CONTRACT_SOURCES, DEFAULT_ZYDON_CONTRACT, fillPath } from "@zb/zydon";
import { describe, expect, it } from "vitest";

// The probe is where @zb/config and @zb/zydon meet: the override schema and the contract must not drift apart.
describe("@zb/config's contract schema and @zb/zydon's contract", () => {
  it("name the same entries, and the defaults pass the schema unchanged", () => {
    expect(Object.keys(zydonContractOverridesSchema.shape).sort()).toEqual(
      Object.keys(DEFAULT_ZYDON_CONTRACT).sort(),
    );
    expect(Object.keys(CONTRACT_SOURCES).sort()).toEqual(Object.keys(DEFAULT_ZYDON_CONTRACT).sort());
    expect(zydonContractOverridesSchema.parse({ ...DEFAULT_ZYDON_CONTRACT })).toEqual(DEFAULT_ZYDON_CONTRACT);
  });

  it("every default path template fills with exactly the parameters it declares", () => {
    for (const [key, params] of Object.entries(CONTRACT_PATH_PARAMS)) {
      const template = DEFAULT_ZYDON_CONTRACT[key as keyof typeof CONTRACT_PATH_PARAMS];
      const filled = fillPath(template, Object.fromEntries(params.map((p) => [p, "X"])));
      expect(filled).not.toMatch(/[{}]/);
      // The schema refuses the template with a parameter missing.
      for (const p of params) {
        const r = zydonContractOverridesSchema.safeParse({ [key]: template.replace(`{${p}}`, "x") });
        expect(r.success).toBe(false);
      }
    }
  });
});
