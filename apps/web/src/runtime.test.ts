import { describe, expect, it } from "vitest";
import { readStandaloneSession } from "./runtime.js";

describe("readStandaloneSession", () => {
  it("reads the launch session and the console's org/token from the fragment", () => {
    expect(readStandaloneSession({ hash: "#launch=abc.def", search: "" })).toEqual({
      launchToken: "abc.def",
    });
    expect(readStandaloneSession({ hash: "#org=o1&token=t1", search: "" })).toEqual({
      organizationId: "o1",
      accessToken: "t1",
    });
  });

  it("ignores credentials in the query string (server logs, Referer, history)", () => {
    expect(readStandaloneSession({ hash: "", search: "?org=o1&token=t1" })).toBeNull();
    expect(readStandaloneSession({ hash: "", search: "?launch=abc.def" })).toBeNull();
    expect(readStandaloneSession({ hash: "", search: "?organizationId=o1&accessToken=t1" })).toBeNull();
    expect(readStandaloneSession({ hash: "#org=o1", search: "?token=t1" })).toBeNull();
  });
});
