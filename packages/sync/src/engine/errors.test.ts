import {
  BlingInvalidGrantError,
  BlingIpBlockedError,
  BlingNetworkError,
  BlingRateLimitedError,
  BlingServerError,
  BlingValidationError,
} from "@zb/bling";
import { ZydonAuthError, ZydonNotFoundError, ZydonRateLimitedError, ZydonValidationError } from "@zb/zydon";
import { describe, expect, it } from "vitest";
import { BudgetWaitError } from "../budget/errors.js";
import { isTransient } from "../pipelines/context.js";
import { BlingNotConnectedError, BlingReauthRequiredError } from "../tokens/token-manager.js";
import { actionOf, LockBusyError, RetryLaterError, waitHintOf } from "./errors.js";

describe("actionOf", () => {
  it("reads the action from the error's class", () => {
    expect(actionOf(new BlingRateLimitedError("second", 3, { retryAfterMs: 400 }))).toBe("wait");
    expect(actionOf(new BlingIpBlockedError())).toBe("wait");
    expect(actionOf(new BlingServerError())).toBe("retry");
    expect(actionOf(new BlingNetworkError(true, false))).toBe("retry");
    expect(actionOf(new BlingInvalidGrantError())).toBe("reconnect");
    expect(actionOf(new BlingValidationError([]))).toBe("give_up");
    expect(actionOf(new BudgetWaitError("second", 250))).toBe("wait");
    expect(actionOf(new BlingNotConnectedError("t"))).toBe("reconnect");
    expect(actionOf(new BlingReauthRequiredError("t"))).toBe("reconnect");
    expect(actionOf(new RetryLaterError("later"))).toBe("retry");
    expect(actionOf(new LockBusyError("product:1"))).toBe("retry");
    const at = { status: 404, method: "GET", path: "/orders/{id}" };
    expect(actionOf(new ZydonRateLimitedError({ ...at, status: 429, retryAfterMs: 5 }))).toBe("wait");
    expect(actionOf(new ZydonAuthError({ ...at, status: 401 }))).toBe("reconnect");
    expect(actionOf(new ZydonValidationError({ ...at, status: 422 }))).toBe("give_up");
    expect(actionOf(new ZydonNotFoundError({ ...at, retryableWindow: true }))).toBe("retry");
    expect(actionOf(new ZydonNotFoundError(at))).toBe("give_up");
  });

  it("gives nothing for errors it does not know, even when they look like ours", () => {
    expect(actionOf(new Error("boom"))).toBeUndefined();
    const lookalike = new Error("not one of ours");
    Reflect.set(lookalike, "action", "retry");
    expect(actionOf(lookalike)).toBeUndefined();
    expect(actionOf({ action: "wait" })).toBeUndefined();
    expect(actionOf(undefined)).toBeUndefined();
    expect(isTransient(new Error("bug"))).toBe(false);
    expect(isTransient(new LockBusyError("k"))).toBe(true);
  });

  it("hints how long to wait", () => {
    const retryAt = new Date("2026-12-02T03:00:00Z");
    expect(waitHintOf(new BudgetWaitError("day", 1_000, retryAt))).toEqual({
      retryAfterMs: 1_000,
      period: "day",
      retryAt,
    });
    expect(waitHintOf(new BudgetWaitError("day", 1_000, retryAt, true)).period).toBe("second");
    expect(waitHintOf(new BlingRateLimitedError("day", 120_000))).toMatchObject({ period: "day" });
    expect(waitHintOf(new BlingIpBlockedError({ retryAfterMs: 600_000 }))).toMatchObject({
      retryAfterMs: 600_000,
      period: undefined,
    });
    expect(waitHintOf(new Error("x"))).toEqual({
      retryAfterMs: undefined,
      period: undefined,
      retryAt: undefined,
    });
  });
});
