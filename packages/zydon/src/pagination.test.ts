import { describe, expect, it } from "vitest";
import { ACCESS_KEY_CODE_HEADER, ACCESS_KEY_TOKEN_HEADER } from "./adapter.js";
import { ZydonClient } from "./client.js";
import { paginate } from "./pagination.js";

describe("paginate", () => {
  it("starts at page 0 and stops at total", async () => {
    const asked: number[] = [];
    const data = Array.from({ length: 7 }, (_, i) => i);
    const out: number[] = [];
    for await (const x of paginate(
      async (page, perPage) => {
        asked.push(page);
        return {
          currentPage: page,
          perPage,
          total: data.length,
          items: data.slice(page * perPage, page * perPage + perPage),
        };
      },
      { perPage: 3 },
    )) {
      out.push(x);
    }
    expect(out).toEqual(data);
    expect(asked).toEqual([0, 1, 2]);
  });

  it("stops on an exactly full last page when total says so (no extra empty request)", async () => {
    const asked: number[] = [];
    const items = [1, 2, 3, 4];
    const got: number[] = [];
    for await (const x of paginate(
      async (page, perPage) => {
        asked.push(page);
        return {
          currentPage: page,
          perPage,
          total: 4,
          items: items.slice(page * perPage, page * perPage + perPage),
        };
      },
      { perPage: 2 },
    )) {
      got.push(x);
    }
    expect(got).toEqual(items);
    expect(asked).toEqual([0, 1]);
  });

  it("caps pages when a server ignores `page`", async () => {
    let calls = 0;
    const it = paginate(
      async () => {
        calls++;
        return { items: [1, 2] };
      },
      { perPage: 2, maxPages: 5 },
    );
    let n = 0;
    for await (const _ of it) n++;
    expect(calls).toBe(5);
    expect(n).toBe(10);
  });
});

describe("client listing", () => {
  it("sends access-key headers and 0-based page/perPage on iterate", async () => {
    const seen: Array<{ url: URL; headers: Headers }> = [];
    const total = 5;
    const client = new ZydonClient({
      baseUrl: "https://api.zydon.test/",
      accessKey: { code: "CODE", token: "TOKEN" },
      fetch: async (input, init) => {
        const url = new URL(String(input));
        seen.push({ url, headers: new Headers(init?.headers) });
        const page = Number(url.searchParams.get("page"));
        const perPage = Number(url.searchParams.get("perPage"));
        const ids = Array.from({ length: total }, (_, i) => ({ id: i + 1, name: `W${i + 1}` }));
        return Response.json({
          currentPage: page,
          perPage,
          total,
          items: ids.slice(page * perPage, (page + 1) * perPage),
        });
      },
    });
    const names: string[] = [];
    for await (const w of client.warehouses.iterate({ perPage: 2 })) names.push(`${w.id}:${w.name}`);
    expect(names).toEqual(["1:W1", "2:W2", "3:W3", "4:W4", "5:W5"]);
    expect(seen.map((s) => s.url.searchParams.get("page"))).toEqual(["0", "1", "2"]);
    expect(seen[0]?.url.pathname).toBe("/api/sales/warehouses");
    expect(seen[0]?.headers.get(ACCESS_KEY_CODE_HEADER)).toBe("CODE");
    expect(seen[0]?.headers.get(ACCESS_KEY_TOKEN_HEADER)).toBe("TOKEN");
  });
});
