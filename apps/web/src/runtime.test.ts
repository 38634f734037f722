import { describe, expect, it } from "vitest";
import { hostSessionLinksAllowed, readStandaloneSession } from "./runtime.js";

const dev = { allowHostSessionLink: true };

describe("readStandaloneSession", () => {
  it("reads the launch code and, in development, the console's org/token from the fragment", () => {
    expect(readStandaloneSession({ hash: "#launch=abc.def", search: "" })).toEqual({
      launchToken: "abc.def",
    });
    expect(readStandaloneSession({ hash: "#org=o1&token=t1", search: "" }, dev)).toEqual({
      organizationId: "o1",
      accessToken: "t1",
    });
  });

  it("outside development a Zydon session in the address opens nothing (issue 21 #8), a launch code does", () => {
    const prod = { allowHostSessionLink: false };
    expect(readStandaloneSession({ hash: "#org=o1&token=t1", search: "" })).toBeNull();
    expect(readStandaloneSession({ hash: "#organizationId=o1&accessToken=t1", search: "" }, prod)).toBeNull();
    expect(readStandaloneSession({ hash: "#launch=abc.def&org=o1&token=t1", search: "" }, prod)).toEqual({
      launchToken: "abc.def",
    });
    // Only Vite's dev server or a loopback address counts as development.
    expect(hostSessionLinksAllowed("bling.example.com", false)).toBe(false);
    expect(hostSessionLinksAllowed("127.0.0.1.example.com", false)).toBe(false);
    expect(hostSessionLinksAllowed("127.0.0.1", false)).toBe(true);
    expect(hostSessionLinksAllowed("localhost", false)).toBe(true);
    expect(hostSessionLinksAllowed("bling.example.com", true)).toBe(true);
  });

  it("ignores credentials in the query string (server logs, Referer, history)", () => {
    expect(readStandaloneSession({ hash: "", search: "?org=o1&token=t1" }, dev)).toBeNull();
    expect(readStandaloneSession({ hash: "", search: "?launch=abc.def" }, dev)).toBeNull();
    expect(readStandaloneSession({ hash: "", search: "?organizationId=o1&accessToken=t1" }, dev)).toBeNull();
    expect(readStandaloneSession({ hash: "#org=o1", search: "?token=t1" }, dev)).toBeNull();
  });
});
